import { describe, expect, it } from 'vitest';
import { defineMediator, toMediator } from './mediator.js';

describe('mediators', () => {
  it('are a name, an optional id and a function', () => {
    const run = () => undefined;
    expect(defineMediator('stamp', run)).toEqual({ name: 'stamp', run });
    expect(defineMediator('stamp', run, { id: 's1' })).toEqual({ name: 'stamp', id: 's1', run });
  });

  it('can be plain functions, which keep their own name', () => {
    function audit() {}
    expect(toMediator(audit).name).toBe('audit');
    expect(toMediator(() => undefined).name).toBe('step');
    const mediator = defineMediator('m', () => 'drop');
    expect(toMediator(mediator)).toBe(mediator);
  });
});
