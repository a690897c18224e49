/**
 * `soapWrap`: the body goes into a SOAP envelope, with the content type and action of the version.
 *
 * @module
 */
import {
  bodyKind,
  defineMediator,
  type Expr,
  evaluate,
  type Mediator,
  type MessageContext,
  type Vars,
} from '@mediary/core';
import { convertJsonToXml, type JsonToXmlOptions } from '../json-xml.js';
import { buildEnvelope, type SoapContent, type SoapVersion, soapHeaders } from '../soap.js';
import { readXml } from './xml-view.js';

/** Options of {@link soapWrap}. */
export interface SoapWrapOptions<V extends Vars = Vars> {
  readonly version: SoapVersion;
  /**
   * The action: the `SOAPAction` header for 1.1, the content type's `action` parameter for 1.2. Without
   * one, a 1.1 request gets `SOAPAction: ""` (WS-I Basic Profile requires the header on requests).
   */
  readonly action?: string | Expr<string, V>;
  /** Header blocks: XML text, elements, or an expression giving either (`undefined`: none). */
  readonly headers?: SoapContent | Expr<SoapContent | undefined, V>;
  /**
   * How a JSON body becomes XML: always plain mode (clean XML, no markers). Without `root`, the body's
   * members become the `Body`'s children — `{ getQuote: { symbol: 'X' } }` gives `<getQuote>…`.
   */
  readonly json?: Omit<JsonToXmlOptions, 'mode' | 'declaration'>;
}

/**
 * Wraps the body in a SOAP envelope: an XML body as its document element, a JSON body converted to plain
 * XML, an empty body as an empty `Body`. Sets `Content-Type` (`text/xml` for 1.1, `application/soap+xml`
 * for 1.2, with the action) and, for 1.1, `SOAPAction`. A message with a status is taken for a reply and
 * gets no empty `SOAPAction`.
 *
 * @example
 * ```ts
 * // JSON in, SOAP 1.2 to the backend:
 * steps: [soapWrap({ version: '1.2', action: 'urn:getQuote', json: { namespace: 'urn:quotes' } }), call('quotes')]
 * // an XML reply for a SOAP client:
 * steps: [jsonToXml({ mode: 'plain', root: 'quoteResponse', namespace: 'urn:quotes' }), soapWrap({ version: '1.1' }), respond()]
 * ```
 */
export function soapWrap<V extends Vars = Vars>(options: SoapWrapOptions<V>): Mediator<V> {
  const { version } = options;
  const json: JsonToXmlOptions = { ...options.json, mode: 'plain' };
  return defineMediator<V>('soapWrap', async (ctx) => {
    const c = ctx as unknown as MessageContext;
    const message = c.message;
    const action =
      options.action === undefined ? undefined : String(await evaluate(options.action as Expr<string>, c));
    const headers =
      options.headers === undefined
        ? undefined
        : await evaluate(options.headers as Expr<SoapContent | undefined>, c);
    const envelope = buildEnvelope({
      version,
      ...(message.isEmpty ? {} : { body: await bodyContent(c, json) }),
      ...(headers === undefined ? {} : { headers }),
      limits: { maxBytes: message.limits.maxBodyBytes },
    });
    const http = soapHeaders(version, action);
    message.setText(envelope, http['content-type']);
    message.headers.delete('soapaction');
    if (version === '1.1') {
      if (http.soapaction !== undefined) message.headers.set('soapaction', http.soapaction);
      else if (message.status === undefined) message.headers.set('soapaction', '""');
    }
  });
}

async function bodyContent(ctx: MessageContext, json: JsonToXmlOptions): Promise<SoapContent> {
  if (bodyKind(ctx.message.contentType) === 'json') return convertJsonToXml(await ctx.message.json(), json);
  return (await readXml(ctx.message)).root;
}
