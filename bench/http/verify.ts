/**
 * One functional check per target before it is measured: a fast server that answers wrongly must not
 * produce a number. Also used by the tests, which check the same properties over real sockets.
 *
 * @module
 */
import { request } from 'undici';
import type { Scenario } from './targets.js';
import { xmlToJson } from './xml.js';

/**
 * Sends `body` (JSON whose `route` is `"a"` or `"b"`) to `url` and returns what is wrong with the reply
 * for the scenario, or `undefined` when it is right: `pass` echoes the bytes, `cbr` echoes them with
 * `x-route` equal to the body's route, `xml` answers `application/xml` holding the same `route`.
 *
 * @example
 * const problem = await checkReply('cbr', `${proxy.url}/cbr`, jsonPayload(1024, 'b'));
 * if (problem) throw new Error(problem);
 */
export async function checkReply(scenario: Scenario, url: string, body: Buffer): Promise<string | undefined> {
  const sent = JSON.parse(body.toString('utf8')) as { route: string };
  const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const received = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200) return `status ${res.statusCode}: ${received.toString('utf8').slice(0, 200)}`;
  switch (scenario) {
    case 'pass':
      return received.equals(body) ? undefined : 'the reply body differs from the request body';
    case 'cbr':
      if (res.headers['x-route'] !== sent.route)
        return `x-route is ${String(res.headers['x-route'])}, not ${sent.route}`;
      return received.equals(body) ? undefined : 'the reply body differs from the request body';
    case 'xml': {
      const type = String(res.headers['content-type']);
      if (!type.startsWith('application/xml')) return `content-type is ${type}`;
      let doc: { root?: { route?: unknown } };
      try {
        doc = xmlToJson(received.toString('utf8')) as typeof doc;
      } catch (error) {
        return `the reply is not well-formed XML: ${String(error)}`;
      }
      return doc.root?.route === sent.route
        ? undefined
        : 'the XML does not carry the request data under <root>';
    }
  }
}
