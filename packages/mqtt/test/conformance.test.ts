import { serviceGate, uniqueName } from '@mediary/testing';
import { describeTransportConformance, type TransportFixture } from '@mediary/testing/conformance';
import { describe } from 'vitest';
import { type MqttConnection, mqttConnection, mqttSource } from '../src/index.js';
import { allOf, collect, plainClient, removeSessions, startProxy } from './support.js';

const mqtt = await serviceGate('mqtt');

/**
 * MQTT runs the shared contract with persistent sessions and QoS 1/2 (QoS 0 has no acknowledgement, and a
 * clean session cannot redeliver). What does not fit MQTT is adapted here:
 * - `requeue` is `redeliver`: MQTT has no NACK, so the source leaves the message unacknowledged and
 *   reconnects, and the broker sends it again to the same session;
 * - `prefetch`: MQTT.js handles one message at a time per connection, so `prefetch: n` is n connections
 *   in one shared subscription (`$share/<group>/<topic>`), each taking one message at a time;
 * - pending messages: the broker has no per-topic depth to ask, so they are counted on the wire, as
 *   publishes the broker accepted minus PUBACK/PUBREC packets the consumers sent through a proxy;
 * - headers travel as MQTT 5 user properties; MQTT 3.1.1 has none.
 */
describe.skipIf(!mqtt.available)('mqtt source', () => {
  const fixture = (protocolVersion: 4 | 5, qos: 1 | 2) => async (): Promise<TransportFixture> => {
    const topic = uniqueName('conformance/mqtt');
    const deadLetterTopic = `${topic}/dead`;
    const proxy = await startProxy(mqtt.url);
    const dead = await collect(mqtt.url, deadLetterTopic);
    const publisher = await plainClient(mqtt.url, { protocolVersion });
    const connections: MqttConnection[] = [];
    let published = 0;
    return {
      createSource(spec) {
        const group = uniqueName('g');
        const sources = Array.from({ length: spec.prefetch }, (_, i) => {
          const connection = mqttConnection({
            url: proxy.url,
            clientId: uniqueName(`c${i}`),
            clean: false,
            protocolVersion,
            reconnectPeriodMs: 50,
            maxReconnectPeriodMs: 200,
          });
          connections.push(connection);
          return mqttSource({
            connection,
            topic: spec.prefetch === 1 ? topic : `$share/${group}/${topic}`,
            qos,
            route: spec.steps,
            onFailure: spec.onFailure === 'requeue' ? 'redeliver' : 'dead-letter',
            deadLetterTopic,
            maxDeliveries: spec.maxDeliveries ?? 1000,
          });
        });
        return sources.length === 1 ? sources[0]! : allOf(`mqtt:${topic}`, sources);
      },
      async publish(body, headers) {
        await publisher.publishAsync(topic, body, {
          qos,
          ...(protocolVersion === 5 && headers ? { properties: { userProperties: headers } } : {}),
        });
        published++;
      },
      inspect: {
        pending: async () => published - proxy.acks,
        deadLettered: async () => dead.messages.length,
      },
      async cleanup() {
        await Promise.all(connections.map((c) => c.close()));
        await removeSessions(
          mqtt.url,
          connections.map((c) => c.clientId),
          protocolVersion,
        );
        await publisher.endAsync();
        await dead.close();
        await proxy.close();
      },
    };
  };

  describeTransportConformance('mqtt 5 QoS 1 persistent session', fixture(5, 1));
  describeTransportConformance('mqtt 5 QoS 2 persistent session', fixture(5, 2));
  describeTransportConformance('mqtt 3.1.1 QoS 1 persistent session', fixture(4, 1), {
    capabilities: { headers: false },
  });
});
