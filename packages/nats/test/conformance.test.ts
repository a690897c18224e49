import { serviceGate, uniqueName } from '@mediary/testing';
import { describeTransportConformance, type TransportFixture } from '@mediary/testing/conformance';
import { RetentionPolicy } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe } from 'vitest';
import { jetStreamSource, natsConnection } from '../src/index.js';
import { type Admin, openAdmin, streamName } from './support.js';

const nats = await serviceGate('nats');

/**
 * JetStream runs the shared contract through a durable pull consumer: `requeue` is `nak` (redelivered at
 * once here), `dead-letter` is `term` after publishing to a dead-letter subject that a second stream
 * captures, `maxDeliveries` is the consumer's `max_deliver`, `prefetch` its `max_ack_pending`, and the
 * pending count is what a work-queue stream still holds (acknowledged and terminated messages leave it;
 * the consumer's own `num_pending + num_ack_pending` counts a message given back at shutdown twice on
 * nats-server 2.9).
 *
 * Core NATS subjects are not run against this contract: core NATS has no acknowledgement, no redelivery
 * and keeps nothing for an absent subscriber (see `core.test.ts` for what it does do).
 */
describe.skipIf(!nats.available)('jetstream source', () => {
  let admin: Admin;
  beforeAll(async () => {
    admin = await openAdmin(nats.url);
  });
  afterAll(async () => {
    await admin?.close();
  });

  const fixture = async (): Promise<TransportFixture> => {
    const unique = uniqueName('c');
    const stream = streamName('CONF', unique);
    const dead = `${stream}_DEAD`;
    const subject = `${stream}.in`;
    const deadSubject = `${stream}.dead`;
    const durable = 'conformance';
    // A work-queue stream holds exactly the messages not yet acknowledged or terminated: the pending count.
    await admin.jsm.streams.add({ name: stream, subjects: [subject], retention: RetentionPolicy.Workqueue });
    await admin.jsm.streams.add({ name: dead, subjects: [deadSubject] });
    const connection = natsConnection({ servers: nats.url, name: unique, reconnectTimeWaitMs: 50 });
    return {
      createSource: (spec) =>
        jetStreamSource({
          connection,
          stream,
          durable,
          route: spec.steps,
          prefetch: spec.prefetch,
          onFailure: spec.onFailure === 'requeue' ? 'nak' : 'term',
          maxDeliver: spec.maxDeliveries ?? 1000,
          nakDelayMs: 0,
          deadLetterSubject: deadSubject,
        }),
      publish: (body, headers) => admin.publish(subject, body, headers),
      inspect: {
        pending: () => admin.messages(stream),
        deadLettered: () => admin.messages(dead),
      },
      async cleanup() {
        await connection.close();
        await admin.deleteStreams(stream, dead);
      },
    };
  };

  describeTransportConformance('nats jetstream', fixture);
});
