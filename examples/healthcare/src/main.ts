/**
 * Runs the healthcare example: `pnpm start` (or `tsx --conditions=@mediary/source src/main.ts`).
 *
 * Reads the environment (see `config.ts`), starts the bundled mock hospital on 127.0.0.1:9090 unless
 * `HOSPITAL_URL` points at another one, opens the T5 message stores `STORE_URL` names (in memory when
 * unset), serves the routes, prints their URLs once ready, and on SIGINT or SIGTERM stops taking requests,
 * lets the ones in flight finish, closes the stores and the mock and exits with 0.
 *
 * @module
 */
import { isMediaryError } from '@mediary/core';
import { BUNDLED_HOSPITAL, type HealthcareConfig, loadConfig } from './config.js';
import { type HospitalBackend, startHospitalBackend } from './hospital-backend.js';
import { createHealthcareIntegration, HEALTHCARE_ROUTES } from './integration.js';
import { openReservationStores, type ReservationStores } from './stores.js';

function fail(message: string, error: unknown): never {
  console.error(message);
  const issues = isMediaryError(error) ? error.details.issues : undefined;
  if (Array.isArray(issues)) for (const issue of issues) console.error(`  - ${String(issue)}`);
  else console.error(`  ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

let config: HealthcareConfig;
try {
  config = loadConfig();
} catch (error) {
  fail('healthcare: invalid configuration', error);
}

let mock: HospitalBackend | undefined;
if (config.hospitalUrl === undefined) {
  try {
    mock = await startHospitalBackend(BUNDLED_HOSPITAL);
  } catch (error) {
    fail(
      `healthcare: could not start the bundled hospital mock on ${BUNDLED_HOSPITAL.host}:${BUNDLED_HOSPITAL.port} (set HOSPITAL_URL to use another backend)`,
      error,
    );
  }
}
const hospitalUrl = config.hospitalUrl ?? mock!.url;

let stores: ReservationStores;
// While a store waits for its database or broker, only timers of the system clock are pending, and those
// never hold the process open: without this one, node would end here with exit code 13 and no word.
const keepAlive = setInterval(() => {}, 60_000);
try {
  stores = await openReservationStores({
    url: config.storeUrl,
    queue: config.storeQueue,
    table: config.storeTable,
  });
} catch (error) {
  await mock?.close();
  fail('healthcare: could not open the message store (STORE_URL)', error);
} finally {
  clearInterval(keepAlive);
}

const { engine, server } = createHealthcareIntegration({
  hospitalUrl,
  port: config.httpPort,
  host: config.httpHost,
  backendTimeoutMs: config.backendTimeoutMs,
  reservationStores: stores,
  forwardIntervalMs: config.forwardIntervalMs,
  forwardMaxAttempts: config.forwardMaxAttempts,
});
try {
  await engine.start();
} catch (error) {
  // A failed start has stopped the engine already, which closed the stores.
  await mock?.close();
  fail(`healthcare: could not start on ${config.httpHost}:${config.httpPort}`, error);
}

console.log(`healthcare: hospital backend ${hospitalUrl}${mock ? ' (bundled mock)' : ''}`);
console.log(`healthcare: message store ${stores.description}`);
for (const route of HEALTHCARE_ROUTES) console.log(`${route.method.padEnd(4)} ${server.url}${route.path}`);
console.log('healthcare: ready');

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    // A second Ctrl-C means "now": skip the drain.
    console.error(`healthcare: ${signal} again, exiting without draining`);
    process.exit(1);
  }
  stopping = true;
  console.log(`healthcare: ${signal}, stopping`);
  await engine.stop();
  await mock?.close();
  console.log('healthcare: stopped');
  process.exit(0);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stop(signal).catch((error: unknown) => fail('healthcare: could not stop cleanly', error));
  });
}
