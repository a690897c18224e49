import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { functionEndpoint } from '../endpoint.js';
import { coreErrors } from '../errors.js';
import { createMessage } from '../message.js';
import { respond } from './basic.js';
import { call } from './call.js';

describe('call', () => {
  it('sends the current message and makes the reply the current message, status and headers included', async () => {
    await using h = await createHarness((engine) => {
      engine.addEndpoint(functionEndpoint('hospital', () => ({ json: { unused: true } })));
      engine.addRoute({ id: 'r', steps: [call('hospital'), respond()] });
    });
    h.mock('hospital').reply({ json: { appointment: 1 }, status: 201, headers: { 'x-from': 'backend' } });
    const result = await h.send('r', { json: { patient: 'Ann' }, headers: { 'x-trace': 't' } });
    expect(result.ok && result.outcome).toBe('respond');
    expect(await result.message.json()).toEqual({ appointment: 1 });
    expect(result.message.status).toBe(201);
    expect(result.message.headers.get('x-from')).toBe('backend');
    expect(h.mock('hospital').received()).toEqual({ patient: 'Ann' });
    expect(h.mock('hospital').calls[0]!.headers['x-trace']).toBe('t');
  });

  it('puts a JSON reply into a variable as a value and a text reply as text, leaving the message alone', async () => {
    await using h = await createHarness();
    h.mock('fees').reply({ json: { fee: 7000 } });
    h.mock('motd').reply({ text: 'hello' });
    h.mock('nothing').reply({ status: 204 });
    const result = await h.send(
      [
        call('fees', { into: { var: 'fee' } }),
        call('motd', { into: { var: 'motd' } }),
        call('nothing', { into: { var: 'none' } }),
      ],
      { json: { keep: true } },
    );
    expect(result.context.vars).toEqual({ fee: { fee: 7000 }, motd: 'hello', none: undefined });
    expect(await result.message.json()).toEqual({ keep: true });
  });

  it('builds a request body when asked: JSON, text or bytes, keeping headers but not content-length', async () => {
    await using h = await createHarness();
    const seen: Array<{ type: string | undefined; length: string | undefined; body: string }> = [];
    h.mock('sink').reply(async (recorded) => {
      seen.push({
        type: recorded.message.contentType,
        length: recorded.headers['content-length'],
        body: await recorded.message.text(),
      });
      return { status: 200 };
    });
    await h.send(
      [
        call('sink', { body: (ctx) => ({ fee: ctx.vars.fee }), into: { var: 'a' } }),
        call('sink', { body: () => 'plain', into: { var: 'b' } }),
        call('sink', { body: () => new Uint8Array([104, 105]), into: { var: 'c' } }),
      ],
      { json: { big: 'x' }, headers: { 'content-length': '11', 'x-keep': '1' } },
      { vars: { fee: 5 } },
    );
    expect(seen).toEqual([
      { type: 'application/json', length: undefined, body: '{"fee":5}' },
      { type: 'text/plain; charset=utf-8', length: undefined, body: 'plain' },
      { type: 'application/octet-stream', length: undefined, body: 'hi' },
    ]);
    expect(h.mock('sink').calls.every((c) => c.headers['x-keep'] === '1')).toBe(true);
  });

  it('calls an endpoint given as a value, with the message context and its signal', async () => {
    await using h = await createHarness();
    let signal: AbortSignal | undefined;
    const direct = functionEndpoint('direct', (message, ctx) => {
      signal = ctx.signal;
      return createMessage({ text: `got ${message.headers.get('x-a')}` });
    });
    const result = await h.send([call(direct)], { headers: { 'x-a': '1' } });
    expect(await result.message.text()).toBe('got 1');
    expect(signal).toBeInstanceOf(AbortSignal);
  });

  it('fails with the endpoint error, and with MEDIARY_ENDPOINT_NOT_FOUND for an unknown name', async () => {
    await using h = await createHarness();
    h.mock('down').fail(coreErrors.ENDPOINT_FAILED({ endpoint: 'down', reason: 'refused' }));
    const failed = await h.send([call('down')]);
    expect(!failed.ok && [failed.error.code, failed.error.status, failed.error.retryable]).toEqual([
      'MEDIARY_ENDPOINT_FAILED',
      502,
      true,
    ]);
    const missing = await h.send([call('nowhere')]);
    expect(!missing.ok && missing.error.code).toBe('MEDIARY_ENDPOINT_NOT_FOUND');
  });
});
