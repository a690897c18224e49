import { describe, expect, it } from 'vitest';
import { type DeliveryKey, RedeliveryCounter } from './redeliveries.js';

const key = (over: Partial<DeliveryKey> = {}): DeliveryKey => ({
  topic: 't',
  messageId: 1,
  dup: false,
  payload: Buffer.from('p'),
  ...over,
});

describe('RedeliveryCounter', () => {
  it('counts redeliveries of a failing message by packet identifier and dup flag', () => {
    const counter = new RedeliveryCounter();
    expect(counter.deliveryOf(key())).toBe(1);
    counter.failed(key(), 1);
    expect(counter.deliveryOf(key({ dup: true }))).toBe(2);
    counter.failed(key({ dup: true }), 2);
    expect(counter.deliveryOf(key({ dup: true }))).toBe(3);
  });

  it('treats a delivery without dup as a new message even when its identifier failed before', () => {
    const counter = new RedeliveryCounter();
    counter.failed(key(), 1);
    expect(counter.deliveryOf(key({ dup: false }))).toBe(1);
    expect(counter.size).toBe(0);
  });

  it('treats a redelivery with another payload as a different message', () => {
    const counter = new RedeliveryCounter();
    counter.failed(key(), 1);
    expect(counter.deliveryOf(key({ dup: true, payload: Buffer.from('other') }))).toBe(1);
  });

  it('forgets a message once it is settled', () => {
    const counter = new RedeliveryCounter();
    counter.failed(key(), 1);
    counter.settled(key());
    expect(counter.deliveryOf(key({ dup: true }))).toBe(1);
  });

  it('keeps at most its limit of entries, dropping the oldest', () => {
    const counter = new RedeliveryCounter(2);
    for (let id = 1; id <= 3; id++) counter.failed(key({ messageId: id }), 1);
    expect(counter.size).toBe(2);
    expect(counter.deliveryOf(key({ messageId: 1, dup: true }))).toBe(1);
    expect(counter.deliveryOf(key({ messageId: 3, dup: true }))).toBe(2);
  });

  it('does not count QoS 0 messages, which have no identifier', () => {
    const counter = new RedeliveryCounter();
    counter.failed(key({ messageId: undefined }), 1);
    expect(counter.deliveryOf(key({ messageId: undefined, dup: true }))).toBe(1);
  });
});
