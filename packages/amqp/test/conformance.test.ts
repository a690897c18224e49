import { serviceGate, uniqueName } from '@mediary/testing';
import {
  describeTransportConformance,
  type TransportFixture,
  useSharedService,
} from '@mediary/testing/conformance';
import { afterAll, beforeAll, describe } from 'vitest';
import { amqpConnection, amqpSource, type QueueDeclaration } from '../src/index.js';
import { type Admin, heldMessages, openAdmin } from './support.js';

const amqp = await serviceGate('amqp');

describe.skipIf(!amqp.available)('amqp source', () => {
  useSharedService('amqp');
  let admin: Admin;
  beforeAll(async () => {
    admin = await openAdmin(amqp.url);
  });
  afterAll(async () => {
    await admin?.close();
  });

  /** A fresh queue with a dead-letter queue; `queue` adds arguments (a quorum queue, say). */
  const fixture =
    (queueOptions: QueueDeclaration['queue'] = {}) =>
    async (): Promise<TransportFixture> => {
      const queue = uniqueName('conformance');
      const dlx = `${queue}.dlx`;
      const dead = `${queue}.dead`;
      const declare: QueueDeclaration = { queue: queueOptions, deadLetter: { exchange: dlx, queue: dead } };
      const connection = amqpConnection({ url: amqp.url, name: queue });
      // Declared up front the same way the source declares it, so publishing never races the source.
      await admin.channel.assertExchange(dlx, 'fanout', { durable: true });
      await admin.channel.assertQueue(dead, { durable: true });
      await admin.channel.bindQueue(dead, dlx, '');
      await admin.channel.assertQueue(queue, { durable: true, deadLetterExchange: dlx, ...queueOptions });
      return {
        createSource: (spec) =>
          amqpSource({
            connection,
            queue,
            route: spec.steps,
            prefetch: spec.prefetch,
            onFailure: spec.onFailure,
            ...(spec.maxDeliveries === undefined ? {} : { maxDeliveries: spec.maxDeliveries }),
            declare,
          }),
        publish: (body, headers) => admin.publish(queue, body, headers ? { headers } : {}),
        inspect: {
          pending: () => heldMessages(queue),
          deadLettered: () => admin.ready(dead),
        },
        cleanup: async () => {
          await connection.close();
          await admin.deleteQueues(queue, dead);
          await admin.deleteExchanges(dlx);
        },
      };
    };

  describeTransportConformance('amqp classic queue', fixture());
  // Quorum queues publish their message counts every 5 s, so `rabbitmqctl` sees an ack (or its absence)
  // only that much later: the suite waits longer before asserting that nothing changed.
  describeTransportConformance('amqp quorum queue', fixture({ arguments: { 'x-queue-type': 'quorum' } }), {
    quietMs: 5500,
    waitMs: 15_000,
  });
});
