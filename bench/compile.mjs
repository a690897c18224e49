/**
 * Compiles a benchmark server script into one plain JavaScript file that `node` runs without a loader.
 *
 * Every server the benchmarks measure — Mediary's and the hand-written baselines alike — is compiled the
 * same way, by esbuild (the compiler tsup builds the published packages with), bundled with everything it
 * imports, Mediary's workspace sources included (`@mediary/source`). Running TypeScript through tsx instead
 * would measure tsx: its loader thread, and the `keepNames` helper it wraps around every function created
 * at run time, which cost Mediary's hot path about a fifth of its throughput and is in no build a user runs.
 *
 * Plain JavaScript so that it runs before anything is compiled:
 *
 *     node bench/compile.mjs bench/server/main.ts     # prints bench/.out/server-main.mjs
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const BENCH = dirname(fileURLToPath(import.meta.url));
/** Where compiled servers go (ignored by git). */
export const OUT_DIR = join(BENCH, '.out');

/** CommonJS dependencies bundled into an ES module still call `require` for node's built-ins. */
const REQUIRE_SHIM =
  "import { createRequire as __benchCreateRequire } from 'node:module';\n" +
  'const require = __benchCreateRequire(import.meta.url);';

/**
 * Compiles `script` (a path or file URL) and returns the path of the compiled file. The name keeps the
 * script's folder (`server/main.ts` → `server-main.mjs`) so scripts with the same name do not collide.
 *
 * @example
 * const file = await compileServer(new URL('./http/baseline-pass.ts', import.meta.url));
 * spawn('node', [file], { env: { UPSTREAM, PORT: '0' } });
 */
export async function compileServer(script) {
  const entry = script instanceof URL ? fileURLToPath(script) : resolve(script);
  const name = `${basename(dirname(entry))}-${basename(entry).replace(/\.[cm]?[jt]s$/, '')}.mjs`;
  const outfile = join(OUT_DIR, name);
  mkdirSync(OUT_DIR, { recursive: true });
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@mediary/source'],
    banner: { js: REQUIRE_SHIM },
    sourcemap: true,
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  const scripts = process.argv.slice(2);
  if (scripts.length === 0) {
    console.error('usage: node bench/compile.mjs <script.ts>...');
    process.exit(2);
  }
  for (const script of scripts) console.log(relative(process.cwd(), await compileServer(script)));
}
