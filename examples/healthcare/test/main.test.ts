/**
 * Every example runs as a test: `src/main.ts` is started the way the README says (tsx on the source), talks
 * to a mock hospital this test starts, serves T1, and exits 0 on SIGTERM.
 */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startHospitalBackend } from '../src/hospital-backend.js';
import { type MainProcess, startMain as spawnMain } from './main-process.js';
import { freePort } from './support.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function startMain(env: Record<string, string>): MainProcess {
  const main = spawnMain(env);
  cleanup.push(() => main.kill());
  return main;
}

describe('src/main.ts', () => {
  it('prints the URLs it serves, answers T1, and exits 0 on SIGTERM', async () => {
    const hospital = await startHospitalBackend();
    cleanup.push(() => hospital.close());
    const port = await freePort();
    const main = startMain({ HTTP_PORT: String(port), HOSPITAL_URL: hospital.url, STORE_URL: '' });

    await main.waitFor('healthcare: ready');
    const base = `http://127.0.0.1:${port}`;
    const lines = main.output().split('\n');
    for (const route of [
      `GET  ${base}/healthcare/querydoctor/{category}`,
      `POST ${base}/healthcare/categories/{category}/reserve`,
      `POST ${base}/healthcare/v2/categories/{category}/reserve`,
      `POST ${base}/healthcare/v3/categories/{category}/reserve`,
      `POST ${base}/healthcare/async/categories/{category}/reserve`,
      `GET  ${base}/healthcare/async/stats`,
      `GET  ${base}/healthcare/fees/{appointmentNumber}`,
      `POST ${base}/services/HealthcareService`,
      `GET  ${base}/services/HealthcareService?wsdl`,
      `GET  ${base}/health/live`,
      `GET  ${base}/health/ready`,
    ]) {
      expect(lines).toContain(route);
    }

    const reply = await request(`${base}/healthcare/querydoctor/surgery`);
    expect(reply.statusCode).toBe(200);
    expect(Array.isArray(await reply.body.json())).toBe(true);
    expect(hospital.calls.map((c) => c.path)).toContain('/healthcare/surgery');
    expect(main.output()).toContain('healthcare: message store in memory');

    main.child.kill('SIGTERM');
    expect(await main.exit).toEqual({ code: 0, signal: null });
    expect(main.output()).toContain('healthcare: stopped');
  });

  it('exits 1 naming STORE_URL when the message store does not answer', async () => {
    const port = await freePort();
    const main = startMain({
      HTTP_PORT: String(port),
      HOSPITAL_URL: 'http://127.0.0.1:9',
      // Nothing listens on port 1: the store keeps trying for its connect timeout (10 s), then gives up.
      STORE_URL: 'postgres://postgres:secret@127.0.0.1:1/healthcare',
    });
    expect((await main.exit).code).toBe(1);
    expect(main.output()).toContain('could not open the message store (STORE_URL)');
    expect(main.output()).toContain('cannot be used');
    expect(main.output()).not.toContain('secret');
  }, 25_000);

  it('refuses to start with an invalid environment, naming the variable', async () => {
    const main = startMain({ HTTP_PORT: 'eighty', HOSPITAL_URL: 'ftp://example' });
    expect((await main.exit).code).toBe(1);
    expect(main.output()).toContain('HTTP_PORT');
    expect(main.output()).toContain('HOSPITAL_URL');
  });
});
