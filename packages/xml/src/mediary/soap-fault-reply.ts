/**
 * `soapFaultReply`: the error handler of a SOAP front. Whatever failed becomes a SOAP fault a SOAP client
 * understands, with the Mediary error code in the detail.
 *
 * @module
 */
import { coreErrors, createMessage, defineMediator, type Mediator, type Vars } from '@mediary/core';
import { buildFault, type SoapVersion, soapHeaders } from '../soap.js';

/** Options of {@link soapFaultReply}. */
export interface SoapFaultReplyOptions {
  /** The SOAP version to answer in. Default: `vars.soapVersion` (set by `soapUnwrap`), else `1.1`. */
  readonly version?: SoapVersion;
}

/** WS-I Basic Profile R1126: a fault goes out with HTTP 500, whatever its cause. */
const FAULT_STATUS = 500;

/**
 * Turns `ctx.error` into a SOAP fault reply and ends the flow (`'respond'`). Errors with a status below
 * 500 (the client's input) are `soap:Client` (1.1) / `Sender` (1.2); the rest are `soap:Server` /
 * `Receiver`. The fault string is the error's message — except for a 500, whose message may carry internals
 * and is replaced by the generic one, as in HTTP error replies — and the detail holds the code:
 * `<detail><mf:code xmlns:mf="urn:mediary:fault">MEDIARY_…</mf:code></detail>`. The reply is a new message
 * (no backend headers leak) with HTTP status 500 and the version's content type.
 *
 * @example
 * ```ts
 * proxyService({
 *   name: 'QuoteService',
 *   steps: [soapUnwrap({ into: 'json' }), call('quotes'), jsonToXml({ mode: 'plain', root: 'quote' }), soapWrap({ version: '1.1' }), respond()],
 *   onError: [soapFaultReply({ version: '1.1' })],
 * });
 * ```
 */
export function soapFaultReply<V extends Vars = Vars>(options: SoapFaultReplyOptions = {}): Mediator<V> {
  return defineMediator<V>('soapFaultReply', (ctx) => {
    const error = ctx.error ?? coreErrors.INTERNAL();
    const fromVars = ctx.vars.soapVersion;
    const version = options.version ?? (fromVars === '1.2' || fromVars === '1.1' ? fromVars : '1.1');
    const client = error.status < 500;
    const message = error.status === 500 ? coreErrors.INTERNAL.message : error.message;
    const detail = { code: error.code };
    const fault =
      version === '1.1'
        ? buildFault({ version, code: client ? 'Client' : 'Server', message, detail })
        : buildFault({ version, code: client ? 'Sender' : 'Receiver', message, detail });
    ctx.message = createMessage({
      text: fault,
      contentType: soapHeaders(version)['content-type'] ?? 'text/xml; charset=utf-8',
      status: FAULT_STATUS,
      limits: ctx.message.limits,
    });
    return 'respond';
  });
}
