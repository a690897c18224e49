import { createMessage } from '@mediary/core';
import type { IPublishPacket } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { payloadOf, toMessage, toPublishProperties } from './mapping.js';

function packet(properties?: IPublishPacket['properties']): IPublishPacket {
  return {
    cmd: 'publish',
    topic: 'a/b',
    payload: Buffer.from('{"x":1}'),
    qos: 1,
    dup: false,
    retain: false,
    messageId: 7,
    ...(properties ? { properties } : {}),
  };
}

describe('MQTT mapping', () => {
  it('turns user properties, content type, correlation data and response topic into headers', async () => {
    const message = toMessage(
      packet({
        userProperties: { 'X-Order': '42', tags: ['a', 'b'] },
        contentType: 'application/json',
        correlationData: Buffer.from('c-1'),
        responseTopic: 'replies/1',
      }),
    );
    expect(message.headers.toObject()).toEqual({
      'x-order': '42',
      tags: 'a, b',
      'correlation-id': 'c-1',
      'reply-to': 'replies/1',
      'content-type': 'application/json',
    });
    expect(await message.json()).toEqual({ x: 1 });
  });

  it('keeps the payload as bytes until somebody reads it', () => {
    expect(toMessage(packet()).bodyState).toBe('bytes');
  });

  it('maps headers back to publish properties, leaving out hop-by-hop headers', () => {
    const message = createMessage({
      text: 'hi',
      headers: {
        'x-trace': 't1',
        'correlation-id': 'c-2',
        'reply-to': 'r/2',
        'content-length': '2',
        host: 'h',
      },
    });
    expect(toPublishProperties(message)).toEqual({
      contentType: 'text/plain; charset=utf-8',
      correlationData: Buffer.from('c-2'),
      responseTopic: 'r/2',
      userProperties: { 'x-trace': 't1' },
    });
  });

  it('publishes only the included headers and none of the excluded ones', () => {
    const message = createMessage({ body: 'x', headers: { a: '1', b: '2', c: '3' } });
    expect(toPublishProperties(message, { include: ['A', 'b'], exclude: ['B'] })).toEqual({
      userProperties: { a: '1' },
    });
  });

  it('gives the payload as a Buffer over the same bytes', async () => {
    const payload = await payloadOf(createMessage({ body: new Uint8Array([1, 2, 3]) }));
    expect(Buffer.isBuffer(payload)).toBe(true);
    expect([...payload]).toEqual([1, 2, 3]);
  });
});
