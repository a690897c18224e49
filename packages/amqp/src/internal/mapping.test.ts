import { createMessage } from '@mediary/core';
import type { MessageProperties } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { toHeaderRecord, toMessage, toPublishOptions } from './mapping.js';

function properties(overrides: Partial<MessageProperties>): MessageProperties {
  return {
    contentType: undefined,
    contentEncoding: undefined,
    headers: undefined,
    deliveryMode: undefined,
    priority: undefined,
    correlationId: undefined,
    replyTo: undefined,
    expiration: undefined,
    messageId: undefined,
    timestamp: undefined,
    type: undefined,
    userId: undefined,
    appId: undefined,
    clusterId: undefined,
    ...overrides,
  };
}

describe('AMQP ↔ message mapping', () => {
  it('turns AMQP properties into headers under their usual names', () => {
    const headers = toHeaderRecord(
      properties({
        messageId: 'm-1',
        correlationId: 'c-1',
        replyTo: 'replies',
        timestamp: 1_767_225_600,
        type: 'order.created',
        appId: 'shop',
        priority: 5,
      }),
    );
    expect(headers).toEqual({
      'message-id': 'm-1',
      'correlation-id': 'c-1',
      'reply-to': 'replies',
      timestamp: '1767225600',
      type: 'order.created',
      'app-id': 'shop',
      priority: '5',
    });
  });

  it('turns custom AMQP header values into strings, hiding its own control headers', () => {
    const headers = toHeaderRecord(
      properties({
        headers: {
          'X-Tenant': 'acme',
          count: 3,
          flag: true,
          raw: Buffer.from('bytes'),
          nested: { a: [1, 'b'] },
          empty: null,
          'x-mediary-attempts': 2,
        },
      }),
    );
    expect(headers).toEqual({
      'x-tenant': 'acme',
      count: '3',
      flag: 'true',
      raw: 'bytes',
      nested: '{"a":[1,"b"]}',
    });
  });

  it('builds a message whose body is the delivery bytes, unparsed, with its content type', async () => {
    const message = toMessage({
      content: Buffer.from('{"a":1}'),
      properties: properties({ contentType: 'application/json', messageId: 'm-2' }),
    });
    expect(message.bodyState).toBe('bytes');
    expect(message.contentType).toBe('application/json');
    expect(message.headers.get('message-id')).toBe('m-2');
    expect(await message.json()).toEqual({ a: 1 });
  });

  it('publishes property headers as AMQP properties and the rest as the header table', () => {
    const message = createMessage({
      text: 'hi',
      headers: {
        'message-id': 'm-3',
        'correlation-id': 'c-3',
        priority: '7',
        timestamp: '1767225600',
        'x-tenant': 'acme',
        'content-length': '2',
        host: 'example.org',
        'x-delivery-count': '4',
        'x-mediary-attempts': '1',
      },
    });
    expect(toPublishOptions(message, { persistent: true })).toEqual({
      persistent: true,
      contentType: 'text/plain; charset=utf-8',
      messageId: 'm-3',
      correlationId: 'c-3',
      priority: 7,
      timestamp: 1_767_225_600,
      headers: { 'x-tenant': 'acme' },
    });
  });

  it('drops a numeric property whose header is not a number rather than sending it wrong', () => {
    const message = createMessage({ headers: { priority: 'high' } });
    expect(toPublishOptions(message, { persistent: false })).toEqual({ persistent: false });
  });

  it('limits the header table to the included headers, minus the excluded ones', () => {
    const message = createMessage({ headers: { 'x-a': '1', 'x-b': '2', 'x-c': '3', 'message-id': 'm' } });
    const options = toPublishOptions(message, {
      persistent: true,
      mandatory: true,
      headers: { include: ['X-A', 'x-b', 'message-id'], exclude: ['x-b'] },
    });
    expect(options).toEqual({ persistent: true, mandatory: true, messageId: 'm', headers: { 'x-a': '1' } });
  });

  it('publishes user-id only when included, since the broker refuses a user-id of another user', () => {
    const message = createMessage({ headers: { 'user-id': 'someone-else', 'x-a': '1' } });
    expect(toPublishOptions(message, { persistent: true })).toEqual({
      persistent: true,
      headers: { 'x-a': '1' },
    });
    expect(toPublishOptions(message, { persistent: true, headers: { include: ['user-id'] } })).toEqual({
      persistent: true,
      userId: 'someone-else',
    });
  });
});
