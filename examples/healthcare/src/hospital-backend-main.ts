/**
 * Runs the mock hospital backend on its own, for manual runs against the example or another integration:
 * `PORT=9090 tsx src/hospital-backend-main.ts` (`PORT` defaults to 9090, `HOST` to 127.0.0.1).
 *
 * @module
 */
import { startHospitalBackend } from './hospital-backend.js';

const port = Number(process.env.PORT ?? 9090);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, got ${process.env.PORT}`);
  process.exit(1);
}

const backend = await startHospitalBackend({ port, host: process.env.HOST ?? '127.0.0.1' });
console.log(`hospital backend listening on ${backend.url}`);

function stop(signal: NodeJS.Signals): void {
  console.log(`hospital backend stopping (${signal})`);
  backend.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('hospital backend failed to close', error);
      process.exit(1);
    },
  );
}

process.once('SIGINT', stop);
process.once('SIGTERM', stop);
