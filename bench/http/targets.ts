/**
 * What the runner measures. A target is one server answering one scenario; adding a server to the
 * benchmark is adding one entry to {@link defaultTargets} (usually with {@link scriptTarget}).
 *
 * @module
 */
import { spawnServer } from './child-process.js';

/** The three scenarios of SCENARIOS.md section 3. */
export type Scenario = 'pass' | 'cbr' | 'xml';

export const SCENARIOS: readonly Scenario[] = ['pass', 'cbr', 'xml'];

/** A started target. */
export interface StartedTarget {
  readonly url: string;
  /** The serving process, when it is a child process: the memory mode reads its peak RSS. */
  readonly pid?: number;
  close(): Promise<void>;
}

/** One server answering one scenario. */
export interface BenchTarget {
  /** Unique, shown in tables: `baseline-pass`, `mediary-pass`, … */
  readonly name: string;
  readonly scenario: Scenario;
  /** The path load is sent to, e.g. `/pass`. */
  readonly path: string;
  /** Starts the server; it must call the upstream at `upstreamUrl`. */
  start(upstreamUrl: string): Promise<StartedTarget>;
  /** The denominator of the "÷ baseline" ratio for its scenario (one per scenario). */
  readonly baseline?: boolean;
  /** Not a proxy (e.g. `direct`): measured for reference, left out of the memory mode. */
  readonly reference?: boolean;
}

/** CPU the server under test is pinned to (the load generator and upstream share the other). */
export const SERVER_CPU = Number(process.env.BENCH_SERVER_CPU ?? 1);

export interface ScriptTargetOptions {
  readonly name: string;
  readonly scenario: Scenario;
  readonly path: string;
  /** A script that serves once started with `UPSTREAM` and `PORT` and prints the ready line. */
  readonly script: URL;
  readonly baseline?: boolean;
  /** Extra environment for the script. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * A target served by a script started with `UPSTREAM` and `PORT=0` in a child process pinned to
 * {@link SERVER_CPU}.
 *
 * @example
 * scriptTarget({
 *   name: 'mediary-pass',
 *   scenario: 'pass',
 *   path: '/pass',
 *   script: new URL('./mediary-server.ts', import.meta.url),
 * });
 */
export function scriptTarget(options: ScriptTargetOptions): BenchTarget {
  return {
    name: options.name,
    scenario: options.scenario,
    path: options.path,
    ...(options.baseline ? { baseline: true } : {}),
    start: (upstreamUrl) =>
      spawnServer(options.script, {
        name: options.name,
        env: { ...options.env, UPSTREAM: upstreamUrl },
        cpu: SERVER_CPU,
      }),
  };
}

const here = (file: string) => new URL(file, import.meta.url);

/** `direct`: the upstream itself on the server CPU, the ceiling no proxy can beat. */
export const directTarget: BenchTarget = {
  name: 'direct',
  scenario: 'pass',
  path: '/echo',
  reference: true,
  start: () => spawnServer(here('./upstream.ts'), { name: 'direct', cpu: SERVER_CPU }),
};

export const baselineTargets: readonly BenchTarget[] = [
  scriptTarget({
    name: 'baseline-pass',
    scenario: 'pass',
    path: '/pass',
    script: here('./baseline-pass.ts'),
    baseline: true,
  }),
  scriptTarget({
    name: 'baseline-cbr',
    scenario: 'cbr',
    path: '/cbr',
    script: here('./baseline-cbr.ts'),
    baseline: true,
  }),
  scriptTarget({
    name: 'baseline-xml',
    scenario: 'xml',
    path: '/xml',
    script: here('./baseline-xml.ts'),
    baseline: true,
  }),
];

const mediaryServer = here('../server/main.ts');

/**
 * Mediary's benchmark server (`bench/server/main.ts`), one process per scenario serving that route only
 * (`ROUTES`), as the baselines do. `mediary-cbr` routes by peeking at the one field (`jsonField`);
 * `mediary-cbr-parse` parses the whole body, as the baseline does.
 */
export const mediaryTargets: readonly BenchTarget[] = [
  scriptTarget({
    name: 'mediary-pass',
    scenario: 'pass',
    path: '/pass',
    script: mediaryServer,
    env: { ROUTES: 'pass' },
  }),
  scriptTarget({
    name: 'mediary-cbr',
    scenario: 'cbr',
    path: '/cbr',
    script: mediaryServer,
    env: { ROUTES: 'cbr' },
  }),
  scriptTarget({
    name: 'mediary-cbr-parse',
    scenario: 'cbr',
    path: '/cbr',
    script: mediaryServer,
    env: { ROUTES: 'cbr', CBR_MODE: 'parse' },
  }),
  scriptTarget({
    name: 'mediary-xml',
    scenario: 'xml',
    path: '/xml',
    script: mediaryServer,
    env: { ROUTES: 'xml' },
  }),
];

/** Everything the runner measures by default. */
export const defaultTargets: readonly BenchTarget[] = [directTarget, ...baselineTargets, ...mediaryTargets];
