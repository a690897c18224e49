/**
 * The request side of an exchange: the endpoint URL split into a fixed origin and a path template, the
 * default method, the body to send, and where template variables come from.
 *
 * @module
 */
import type { BodySource, Message, MessageContext } from '@mediary/core';
import { inboundStream } from '../../internal/inbound-body.js';
import { httpClientErrors } from '../errors.js';
import { parseUriTemplate, type UriTemplate } from '../uri-template.js';

/** An HTTP method is a token (RFC 9110 §9.1). */
export const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Splits the URL into a fixed origin and a template for path and query. */
export function splitUrl(url: string): { origin: string; path: UriTemplate } {
  const match = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!match) throw httpClientErrors.URL_INVALID({ url, reason: 'it must start with http:// or https://' });
  const [, scheme, authority = '', rest = ''] = match;
  if (/[{}]/.test(authority)) {
    throw httpClientErrors.URL_INVALID({
      url,
      reason: 'scheme, host and port cannot hold template variables',
    });
  }
  if (authority.includes('@')) {
    throw httpClientErrors.URL_INVALID({
      url,
      reason: 'credentials in the URL are not allowed: use the auth option',
    });
  }
  let origin: string;
  try {
    origin = new URL(`${scheme}://${authority}`).origin;
  } catch (error) {
    throw httpClientErrors.URL_INVALID({ url, reason: 'the host is not valid' }, { cause: error });
  }
  const template = rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest;
  return { origin, path: parseUriTemplate(template) };
}

export function defaultMethod(message: Message, ctx: MessageContext): string {
  const inbound = ctx.transport.props.method;
  if (ctx.transport.name === 'http' && typeof inbound === 'string' && METHOD_TOKEN.test(inbound)) {
    return inbound.toUpperCase();
  }
  return message.isEmpty ? 'GET' : 'POST';
}

/**
 * The body to send: an unread stream as it is (pass-through), anything else as bytes. A GET or HEAD whose
 * stream declares no length carries no body: that is how an HTTP request without one arrives; a GET never sends
 * a body held in memory. Synchronous unless the body has to become bytes first.
 */
export function requestBody(
  message: Message,
  method: string,
): Uint8Array | BodySource | undefined | Promise<Uint8Array> {
  if (message.isEmpty || method === 'HEAD') return undefined;
  // A body left in memory by earlier steps (a previous call's reply) is not a GET's to send.
  if (method === 'GET' && message.bodyState !== 'stream') return undefined;
  if (message.bodyState !== 'stream') return message.bytes();
  const length = message.headers.get('content-length');
  if (length === '0') return undefined;
  if (method === 'GET' && length === undefined) return undefined;
  const body = message.stream();
  // The inbound request stream itself, when nobody read it: undici pipes a stream cheaper than it iterates.
  return inboundStream(body) ?? body;
}

/** `{x}` comes from the message's variables, else from the inbound path parameters. */
export function lookup(ctx: MessageContext, variable: string): unknown {
  const value = Object.hasOwn(ctx.vars, variable) ? ctx.vars[variable] : undefined;
  if (value !== undefined) return value;
  return Object.hasOwn(ctx.transport.params, variable) ? ctx.transport.params[variable] : undefined;
}
