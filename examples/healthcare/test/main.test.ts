/**
 * Every example runs as a test: `src/main.ts` is started the way the README says (tsx on the source), talks
 * to a mock hospital this test starts, serves T1, and exits 0 on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startHospitalBackend } from '../src/hospital-backend.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A port that was free a moment ago (the child binds it itself, so port 0 cannot be used). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startMain(env: Record<string, string>): Started {
  const child = spawn(tsx, ['--conditions=@mediary/source', 'src/main.ts'], {
    cwd: exampleDir,
    env: { ...process.env, MEDIARY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
  });
  return { child, output: () => output, exit };
}

async function waitForOutput(started: Started, text: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!started.output().includes(text)) {
    if (started.child.exitCode !== null) {
      throw new Error(
        `main exited with ${started.child.exitCode} before printing ${text}:\n${started.output()}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`main did not print ${text} in time:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('src/main.ts', () => {
  it('prints the URLs it serves, answers T1, and exits 0 on SIGTERM', async () => {
    const hospital = await startHospitalBackend();
    cleanup.push(() => hospital.close());
    const port = await freePort();
    const main = startMain({ HTTP_PORT: String(port), HOSPITAL_URL: hospital.url });

    await waitForOutput(main, 'healthcare: ready');
    const base = `http://127.0.0.1:${port}`;
    const lines = main.output().split('\n');
    for (const route of [
      `GET  ${base}/healthcare/querydoctor/{category}`,
      `POST ${base}/healthcare/categories/{category}/reserve`,
      `POST ${base}/healthcare/v2/categories/{category}/reserve`,
      `POST ${base}/healthcare/v3/categories/{category}/reserve`,
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

    main.child.kill('SIGTERM');
    expect(await main.exit).toEqual({ code: 0, signal: null });
    expect(main.output()).toContain('healthcare: stopped');
  });

  it('refuses to start with an invalid environment, naming the variable', async () => {
    const main = startMain({ HTTP_PORT: 'eighty', HOSPITAL_URL: 'ftp://example' });
    expect((await main.exit).code).toBe(1);
    expect(main.output()).toContain('HTTP_PORT');
    expect(main.output()).toContain('HOSPITAL_URL');
  });
});
