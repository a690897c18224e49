// Runs every vitest project once and prints CI's closing line ("N passed, N failed, N skipped")
// from vitest's JSON report, then exits with vitest's own status.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const report = '.vitest-results.json';
rmSync(report, { force: true });
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
const run = spawnSync('pnpm', ['exec', ...args, ...process.argv.slice(2)], { stdio: 'inherit' });

let line = 'the test run wrote no report';
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  line = `${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
} catch {}
console.log(line);
process.exit(run.status ?? 1);
