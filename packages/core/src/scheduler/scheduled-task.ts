/**
 * Scheduled tasks (WSO2's scheduled tasks, Camel's timer and cron components): inject a message into a
 * sequence every so often or on a cron expression. Cron expressions are read by croner (5 fields, or 6 with
 * seconds first), but the timers are the engine's clock: the next run is computed from `clock.now()` and
 * waited for with a clock timer, so a fake clock drives a schedule exactly.
 *
 * A run that is still going when the next one is due makes that tick skipped (counted in `stats.skipped`)
 * unless `allowOverlap` is set. `count` limits the runs (skipped ticks do not count). Runs are dispatched
 * through the engine (route id `task:<name>`, transport `timer`), so the bus and logs see them.
 *
 * @module
 */
import { Cron } from 'croner';
import { z } from 'zod';
import type { TimerHandle } from '../clock.js';
import { toSteps } from '../eip/internal/targets.js';
import type { Engine, Source } from '../engine.js';
import { toMediaryError } from '../errors.js';
import type { Mediator, Step } from '../mediator.js';
import { createMessage, Message, type MessageInit } from '../message.js';
import { sequence } from '../sequence.js';
import { schedulerErrors } from './errors.js';

/** What a message factory is told about the run it builds a message for. */
export interface TaskTick {
  /** The engine-clock time the run was due. */
  readonly fireTime: number;
  /** 1 for the first run. */
  readonly run: number;
}

/** The serialisable part of {@link ScheduledTaskOptions}. */
export const scheduledTaskOptionsSchema = z
  .object({
    name: z.string().min(1),
    /** Run every this many ms (fixed rate). Give `every` or `cron`. */
    every: z.number().positive().finite().optional(),
    /** With `every`: wait before the first run. Default 0 (the first run is right after start). */
    delayMs: z.number().min(0).finite().default(0),
    /** A cron expression (`'*\/5 * * * * *'` every five seconds, `'0 * * * *'` hourly). */
    cron: z.string().min(1).optional(),
    /** The cron expression's time zone (IANA name). Default: the process's local time. */
    timezone: z.string().min(1).optional(),
    /** Stop after this many runs. */
    count: z.number().int().min(1).optional(),
    /** Start a run even while the previous one is still going. Default false (the tick is skipped). */
    allowOverlap: z.boolean().default(false),
  })
  .refine((o) => (o.every === undefined) !== (o.cron === undefined), {
    message: 'give exactly one of every and cron',
  });

export interface ScheduledTaskOptions extends z.input<typeof scheduledTaskOptionsSchema> {
  /** Steps, a mediator, or the name of a sequence registered on the engine. */
  readonly sequence: readonly Step[] | Mediator | string;
  /** The message each run starts with: fixed, or built per run. Default: an empty message. */
  readonly message?:
    | MessageInit
    | ((tick: TaskTick) => MessageInit | Message | Promise<MessageInit | Message>);
  /** The engine to use when `start()` is called without one. */
  readonly engine?: Engine;
}

/** Counters since creation. */
export interface TaskStats {
  runs: number;
  skipped: number;
  failures: number;
}

/** A scheduled task: register it with `engine.addSource(task)`. */
export interface ScheduledTask extends Source {
  readonly stats: Readonly<TaskStats>;
  /** When the next run is due (engine clock), or `undefined` when none is scheduled. */
  readonly nextRunAt: number | undefined;
  start(engine?: Engine): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Creates a scheduled task.
 *
 * @example
 * engine.addSource(scheduledTask({ name: 'heartbeat', every: 30_000, sequence: [call('monitor')] }));
 * engine.addSource(scheduledTask({ name: 'nightly', cron: '0 2 * * *', sequence: 'export-orders' }));
 */
export function scheduledTask(options: ScheduledTaskOptions): ScheduledTask {
  const { name } = options;
  const { next, settings } = scheduleOf(options);
  const target =
    typeof options.sequence === 'string'
      ? sequence(options.sequence)
      : toSteps(options.sequence, `task:${name}`);
  const runner: Mediator = { name: `task:${name}`, id: `task:${name}`, run: (ctx) => target.run(ctx) };
  const stats: TaskStats = { runs: 0, skipped: 0, failures: 0 };
  const active = new Set<Promise<void>>();
  let engine = options.engine;
  let timer: TimerHandle | undefined;
  let nextRunAt: number | undefined;
  let started = false;

  const schedule = (after: number, first: boolean) => {
    if (!engine || !started) return;
    if (settings.count !== undefined && stats.runs >= settings.count) {
      nextRunAt = undefined;
      return;
    }
    const at = next(after, first);
    if (at === undefined) {
      nextRunAt = undefined;
      return;
    }
    const { clock } = engine;
    nextRunAt = at;
    timer = clock.setTimeout(() => fire(at), Math.max(0, at - clock.now()));
  };

  const fire = (fireTime: number) => {
    timer = undefined;
    if (!engine || !started) return;
    const overlapping = active.size > 0 && !settings.allowOverlap;
    if (overlapping) {
      stats.skipped++;
      engine.log.debug('scheduled run skipped: the previous run is still going', { task: name, fireTime });
    } else {
      stats.runs++;
      const run = execute(engine, fireTime, stats.runs);
      active.add(run);
      void run.finally(() => active.delete(run));
    }
    schedule(Math.max(fireTime, engine.clock.now()), false);
  };

  const execute = async (runtime: Engine, fireTime: number, run: number) => {
    try {
      const message = await buildMessage(options.message, { fireTime, run }, runtime);
      const exchange = await runtime.dispatch(runner, message, {
        transport: { name: 'timer', params: {}, query: {}, props: { task: name, fireTime, run } },
      });
      if (!exchange.ok) stats.failures++;
    } catch (error) {
      stats.failures++;
      runtime.bus.emit('source:error', { source: `task:${name}`, error: toMediaryError(error) });
    }
  };

  return {
    name: `task:${name}`,
    stats,
    get nextRunAt() {
      return nextRunAt;
    },
    async start(given?: Engine) {
      engine = given ?? engine;
      if (!engine) throw schedulerErrors.NO_ENGINE({ name });
      if (started) return;
      started = true;
      schedule(engine.clock.now(), true);
    },
    async stop() {
      started = false;
      if (timer !== undefined) engine?.clock.clearTimeout(timer);
      timer = undefined;
      nextRunAt = undefined;
    },
    async close() {
      await Promise.allSettled([...active]);
    },
  };
}

/** The schedule as a function: the next due time after `from` (the first one when `first`). */
function scheduleOf(options: ScheduledTaskOptions): {
  readonly next: (from: number, first: boolean) => number | undefined;
  readonly settings: z.output<typeof scheduledTaskOptionsSchema>;
} {
  const parsed = scheduledTaskOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw schedulerErrors.INVALID(
      { name: options.name, reason: z.prettifyError(parsed.error).replace(/\n/g, '; ') },
      { cause: parsed.error },
    );
  }
  const settings = parsed.data;
  const { name, every, cron, delayMs } = settings;
  if (every !== undefined) {
    return { settings, next: (from, first) => (first ? from + delayMs : from + every) };
  }
  let pattern: Cron;
  try {
    // Paused: croner only computes dates here; the engine's clock does the waiting.
    pattern = new Cron(cron!, {
      paused: true,
      ...(settings.timezone ? { timezone: settings.timezone } : {}),
    });
  } catch (error) {
    throw schedulerErrors.INVALID({ name, reason: (error as Error).message }, { cause: error });
  }
  return { settings, next: (from) => pattern.nextRun(new Date(from))?.getTime() };
}

async function buildMessage(
  init: ScheduledTaskOptions['message'],
  tick: TaskTick,
  engine: Engine,
): Promise<Message> {
  const made = typeof init === 'function' ? await init(tick) : init;
  if (made instanceof Message) return made;
  return createMessage({ limits: engine.limits, ...made });
}
