import { createMessage } from '@mediary/core';
import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { toHeaders, toMessage } from './mapping.js';

describe('NATS mapping', () => {
  it('turns NATS headers into lower-cased message headers, leaving out the server’s own', () => {
    const h = headers();
    h.set('X-Order', '42');
    h.append('Tag', 'a');
    h.append('Tag', 'b');
    h.set('Content-Type', 'application/json');
    h.set('Nats-Msg-Id', 'm1');
    const message = toMessage({ data: Buffer.from('{"a":1}'), headers: h });
    expect(message.headers.toObject()).toEqual({
      'x-order': '42',
      tag: 'a, b',
      'content-type': 'application/json',
    });
    expect(message.contentType).toBe('application/json');
    expect(message.bodyState).toBe('bytes');
  });

  it('publishes headers without hop-by-hop ones and without Nats- ones', () => {
    const message = createMessage({
      text: 'x',
      headers: { 'x-trace': 't', 'content-length': '1', 'nats-expected-stream': 's' },
    });
    const h = toHeaders(message);
    expect(h?.keys().sort()).toEqual(['content-type', 'x-trace']);
  });

  it('sends no headers at all when there are none to send', () => {
    expect(toHeaders(createMessage({ body: new Uint8Array(1) }))).toBeUndefined();
  });

  it('publishes only included headers, minus excluded ones', () => {
    const message = createMessage({ body: 'x', headers: { a: '1', b: '2', c: '3' } });
    expect(toHeaders(message, { include: ['a', 'B'], exclude: ['b'] })?.keys()).toEqual(['a']);
  });
});
