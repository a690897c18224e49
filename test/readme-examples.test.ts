/**
 * The code shown in README.md and packages/core/README.md, run as tests, so the documentation stays true.
 */
import {
  call,
  choice,
  createEngine,
  createMessage,
  functionEndpoint,
  jsonata,
  respond,
  setVar,
  silentLogger,
  throwError,
  validate,
} from '@mediary/core';
import { httpApi, httpServer } from '@mediary/http';
import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

describe('README examples', () => {
  it('routes a reservation by hospital to the mocked backend, as the root README shows', async () => {
    await using h = await createHarness((engine) => {
      engine.addEndpoint(functionEndpoint('reserve', () => ({ status: 500 })));
      const reserve = [
        validate(z.object({ hospital: z.string() }).passthrough()),
        choice({
          on: jsonata('payload.hospital'),
          cases: [
            {
              equals: 'grand oak community hospital',
              steps: [setVar('hospitalId', 'grandoaks')],
            },
            { equals: 'clemency medical center', steps: [setVar('hospitalId', 'clemency')] },
          ],
          otherwise: [throwError({ message: 'unknown hospital', status: 400 })],
        }),
        call('reserve'),
        respond(),
      ];
      engine.use(
        httpServer({
          port: 0,
          apis: [
            httpApi({
              name: 'healthcare',
              context: '/healthcare',
              resources: [{ method: 'POST', path: '/categories/{category}/reserve', steps: reserve }],
            }),
          ],
        }),
      );
    });
    h.mock('reserve').reply((call) => ({ json: { appointmentNumber: 1, hospitalId: call.vars.hospitalId } }));
    const server = h.engine.routes.length;
    expect(server).toBe(1);

    const ok = await h.send(h.engine.routes[0]!.id, { json: { hospital: 'clemency medical center' } });
    expect(ok.ok && (await ok.message.json())).toEqual({ appointmentNumber: 1, hospitalId: 'clemency' });
    const unknown = await h.send(h.engine.routes[0]!.id, { json: { hospital: 'nowhere' } });
    expect(unknown.ok || unknown.error.status).toBe(400);
    h.mock('reserve').expectCalled(1);
  });

  it('runs the minimal example of packages/core/README.md', async () => {
    const engine = createEngine({ name: 'orders', logger: silentLogger });
    engine.addEndpoint(
      functionEndpoint('warehouse', async (message) => ({
        json: { accepted: (await message.json<{ id: string }>()).id },
      })),
    );
    engine.addRoute({
      id: 'orders',
      steps: [
        setVar('kind', async (ctx) => (await ctx.message.json<{ kind: string }>()).kind),
        choice({
          on: (ctx) => ctx.vars.kind,
          cases: [{ equals: 'stock', steps: [call('warehouse')] }],
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a Mediary template, filled per message.
          otherwise: [throwError({ message: 'unknown order kind ${vars.kind}', status: 400 })],
        }),
        respond(),
      ],
    });

    const exchange = await engine.dispatch('orders', createMessage({ json: { id: 'o-1', kind: 'stock' } }));
    expect(exchange.ok && (await exchange.message.json())).toEqual({ accepted: 'o-1' });
    const bad = await engine.dispatch('orders', createMessage({ json: { id: 'o-2', kind: 'gift' } }));
    expect(bad.ok || bad.error.message).toBe('unknown order kind gift');
  });
});
