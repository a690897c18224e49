import { describe, expect, it } from 'vitest';
import type { MessageContext } from './context.js';
import { createEngine, type Engine } from './engine.js';
import { coreErrors } from './errors.js';
import { silentLogger } from './logger.js';
import { defineMediator, type Mediator } from './mediator.js';
import { drop, respond, retrySequence, setBody, setVar, throwError } from './mediators/basic.js';
import { createMessage } from './message.js';
import { runSteps, sequence } from './sequence.js';

function newEngine(): Engine {
  return createEngine({ name: 'sequence-tests', logger: silentLogger });
}

type Seen = { code: string | undefined; message: string | undefined };

/** A step that records what the handler saw. */
function record(seen: Seen[]): Mediator {
  return defineMediator('record', (ctx) => {
    seen.push({ code: ctx.error?.code, message: ctx.error?.message });
  });
}

const fail = (status = 502) => throwError({ message: 'backend said no', status });

describe('sequence', () => {
  it('runs steps in order and stops at the first that responds or drops', async () => {
    const order: string[] = [];
    const step = (name: string) => defineMediator(name, () => void order.push(name));
    const engine = newEngine();
    const responded = await engine.dispatch(sequence([step('a'), respond(), step('b')]), createMessage());
    expect(responded.ok && responded.outcome).toBe('respond');
    const dropped = await engine.dispatch(sequence([drop(), step('c')]), createMessage());
    expect(dropped.ok && dropped.outcome).toBe('drop');
    const continued = await engine.dispatch(sequence([step('d')]), createMessage());
    expect(continued.ok && continued.outcome).toBeUndefined();
    expect(order).toEqual(['a', 'd']);
  });

  it('accepts plain functions as steps, sync or async', async () => {
    const engine = newEngine();
    const exchange = await engine.dispatch(
      sequence([
        (ctx) => {
          ctx.vars.a = 1;
        },
        async (ctx) => {
          ctx.vars.b = (ctx.vars.a as number) + 1;
          return 'respond';
        },
      ]),
      createMessage(),
    );
    expect(exchange.ok && exchange.outcome).toBe('respond');
    expect(exchange.context.vars).toEqual({ a: 1, b: 2 });
  });

  it('carries a name and an id for events and step replacement', () => {
    const s = sequence([], { name: 'reserve', id: 'r1' });
    expect([s.name, s.id]).toEqual(['reserve', 'r1']);
    expect(sequence([]).name).toBe('sequence');
  });

  it('runs a sequence registered on the engine by name', async () => {
    const engine = newEngine();
    engine.addSequence('stamp', [setVar('stamped', true)]);
    engine.addRoute({ id: 'r', steps: [sequence('stamp'), respond()] });
    const exchange = await engine.dispatch('r', createMessage());
    expect(exchange.ok && exchange.context.vars.stamped).toBe(true);
    expect(sequence('stamp').name).toBe('sequence:stamp');
  });

  it('fails with MEDIARY_SEQUENCE_NOT_FOUND when a referenced sequence is missing', async () => {
    const exchange = await newEngine().dispatch(sequence([sequence('nope')]), createMessage());
    expect(!exchange.ok && exchange.error.code).toBe('MEDIARY_SEQUENCE_NOT_FOUND');
  });

  it('runs steps with runSteps and returns the first outcome', async () => {
    const ctx = { engine: { observed: false } } as unknown as MessageContext;
    expect(await runSteps([respond(), drop()], ctx)).toBe('respond');
    expect(await runSteps([], ctx)).toBeUndefined();
  });
});

describe('sequence error handling', () => {
  it('runs the sequence error handler, which sees ctx.error.code and message', async () => {
    const seen: Seen[] = [];
    const protectedSeq = sequence([fail()], {
      onError: [record(seen), setBody({ handled: true }, { status: 503 }), respond()],
    });
    const exchange = await newEngine().dispatch(protectedSeq, createMessage());
    expect(exchange.ok && exchange.outcome).toBe('respond');
    expect(seen).toEqual([{ code: 'MEDIARY_RAISED', message: 'backend said no' }]);
    expect(exchange.message.status).toBe(503);
    expect(await exchange.message.json()).toEqual({ handled: true });
  });

  it('runs the nearest handler: the inner sequence handles, so the route handler does not run', async () => {
    const inner: Seen[] = [];
    const outer: Seen[] = [];
    const engine = newEngine();
    engine.addRoute({
      id: 'r',
      steps: [sequence([fail()], { onError: [record(inner), respond()] })],
      onError: [record(outer), respond()],
    });
    await engine.dispatch('r', createMessage());
    expect(inner).toHaveLength(1);
    expect(outer).toHaveLength(0);
  });

  it('runs the route handler when the failing sequence has none', async () => {
    const outer: Seen[] = [];
    const engine = newEngine();
    engine.addRoute({ id: 'r', steps: [sequence([fail(400)])], onError: [record(outer), drop()] });
    const exchange = await engine.dispatch('r', createMessage());
    expect(exchange.ok && exchange.outcome).toBe('drop');
    expect(outer).toEqual([{ code: 'MEDIARY_RAISED', message: 'backend said no' }]);
  });

  it('re-throws when a handler falls through, so the next handler out sees the same error', async () => {
    const inner: Seen[] = [];
    const outer: Seen[] = [];
    const engine = newEngine();
    engine.addRoute({
      id: 'r',
      steps: [sequence([fail()], { onError: [record(inner)] })],
      onError: [record(outer)],
    });
    const exchange = await engine.dispatch('r', createMessage());
    expect(inner).toHaveLength(1);
    expect(outer).toEqual([{ code: 'MEDIARY_RAISED', message: 'backend said no' }]);
    expect(!exchange.ok && [exchange.error.code, exchange.error.status]).toEqual(['MEDIARY_RAISED', 502]);
  });

  it('sends an error thrown inside a handler to the next level out, without running the handler again', async () => {
    let innerRuns = 0;
    const outer: Seen[] = [];
    const engine = newEngine();
    engine.addRoute({
      id: 'r',
      steps: [
        sequence([fail()], {
          onError: [
            () => {
              innerRuns++;
            },
            throwError(coreErrors.NOT_FOUND_TEMPLATE, { name: 'from-handler' }),
          ],
        }),
      ],
      onError: [record(outer), respond()],
    });
    const exchange = await engine.dispatch('r', createMessage());
    expect(exchange.ok).toBe(true);
    expect(innerRuns).toBe(1);
    expect(outer).toEqual([
      { code: 'MEDIARY_TEMPLATE_NOT_FOUND', message: 'No template is named from-handler' },
    ]);
  });

  it('fails the message when the route handler itself throws, having run it once', async () => {
    let runs = 0;
    const engine = newEngine();
    engine.addRoute({
      id: 'r',
      steps: [fail()],
      onError: [
        () => {
          runs++;
        },
        throwError({ message: 'handler broke', status: 500 }),
      ],
    });
    const exchange = await engine.dispatch('r', createMessage());
    expect(runs).toBe(1);
    expect(!exchange.ok && exchange.error.message).toBe('handler broke');
  });

  it("re-runs the sequence on 'retry' and succeeds when an attempt does", async () => {
    let attempts = 0;
    const flaky = defineMediator('flaky', () => {
      attempts++;
      if (attempts < 3) throw coreErrors.ENDPOINT_FAILED({ endpoint: 'x', reason: 'flaky' });
    });
    const errorsSeen: Array<string | undefined> = [];
    const exchange = await newEngine().dispatch(
      sequence([flaky, respond()], {
        onError: [(ctx) => void errorsSeen.push(ctx.error?.code), retrySequence()],
        maxRetries: 3,
      }),
      createMessage(),
    );
    expect(exchange.ok && exchange.outcome).toBe('respond');
    expect(attempts).toBe(3);
    expect(errorsSeen).toEqual(['MEDIARY_ENDPOINT_FAILED', 'MEDIARY_ENDPOINT_FAILED']);
    expect(exchange.context.error).toBeUndefined();
  });

  it('gives up with MEDIARY_RETRY_EXHAUSTED after maxRetries re-runs, keeping the last error as cause', async () => {
    let attempts = 0;
    const exchange = await newEngine().dispatch(
      sequence(
        [
          () => {
            attempts++;
            throw coreErrors.ENDPOINT_TIMEOUT({ endpoint: 'x', timeoutMs: 10 });
          },
        ],
        { onError: [retrySequence()], maxRetries: 2 },
      ),
      createMessage(),
    );
    expect(attempts).toBe(3);
    expect(exchange.ok).toBe(false);
    if (!exchange.ok) {
      expect(exchange.error.code).toBe('MEDIARY_RETRY_EXHAUSTED');
      expect(exchange.error.message).toBe('The error handler asked to retry more than 2 times');
      expect(coreErrors.ENDPOINT_TIMEOUT.is(exchange.error.cause)).toBe(true);
    }
  });

  it('retries three times by default', async () => {
    let attempts = 0;
    await newEngine().dispatch(
      sequence([() => void attempts++, fail()], { onError: retrySequence() }),
      createMessage(),
    );
    expect(attempts).toBe(4);
  });

  it('shows a non-Mediary throw to the handler as MEDIARY_INTERNAL without its message', async () => {
    const seen: Seen[] = [];
    const exchange = await newEngine().dispatch(
      sequence(
        [
          () => {
            throw new TypeError('secret internals');
          },
        ],
        { onError: [record(seen)] },
      ),
      createMessage(),
    );
    expect(seen).toEqual([{ code: 'MEDIARY_INTERNAL', message: 'An internal error occurred' }]);
    expect(!exchange.ok && (exchange.error.cause as Error).message).toBe('secret internals');
  });

  it("fails with MEDIARY_INTERNAL when 'retry' is returned outside an error handler", async () => {
    const exchange = await newEngine().dispatch(sequence([retrySequence()]), createMessage());
    expect(!exchange.ok && exchange.error.code).toBe('MEDIARY_INTERNAL');
  });
});
