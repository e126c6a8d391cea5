// The processors' hand-written check must agree with the zod contract on every input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  executionEventTypes,
  validateDecodedExecutionEvent,
  validateExecutionEvent,
} from '../../../src/core/executionEvent.ts';

const maybe = <T>(valid: fc.Arbitrary<T>, ...invalid: unknown[]): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });

const id = fc.string({ minLength: 1, maxLength: 12 });
const event = fc.record({
  eventId: maybe(id, '', 5, null, 'x'.repeat(257)),
  type: maybe(fc.constantFrom(...executionEventTypes), 'NOPE', null),
  occurredAt: maybe(fc.integer({ min: 946684800000, max: 4102444800000 }), 5, 1.5, -1, '2026'),
  tenantId: maybe(id, ''),
  userId: maybe(fc.option(id, { nil: null }), ''),
  workflowId: maybe(id, '', 3),
  workflowVersion: maybe(fc.integer({ min: 1, max: 50 }), 0, 1.5, 2147483648),
  executionId: maybe(id, ''),
  stepId: fc.option(id, { nil: null }),
  service: maybe(
    fc.option(fc.constantFrom('slack', 'google-sheets', 'x1'), { nil: null }),
    'Slack',
    '-x',
    '',
  ),
  action: maybe(fc.option(id, { nil: null }), 7),
  attempt: maybe(fc.integer({ min: 1, max: 5 }), 0),
  durationMs: maybe(fc.option(fc.nat(), { nil: null }), -1, 1.5),
  costMicros: maybe(fc.option(fc.nat(), { nil: null }), -3),
  error: fc.option(
    fc.record({
      class: maybe(fc.constantFrom('rate_limit', 'auth'), ''),
      code: fc.option(id, { nil: null }),
      httpStatus: maybe(fc.option(fc.integer({ min: 100, max: 599 }), { nil: null }), 99, 600),
      message: fc.string({ maxLength: 20 }),
      retryable: maybe(fc.boolean(), 'yes'),
    }),
    { nil: null },
  ),
  attributes: maybe(
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
    { a: 1 },
    null,
    [],
  ),
});

describe('validateDecodedExecutionEvent', () => {
  it('agrees with the zod contract', () => {
    fc.assert(
      fc.property(event, (input) => {
        const fast = validateDecodedExecutionEvent(input);
        const zod = validateExecutionEvent(input);
        expect(fast.ok).toBe(zod.ok);
        if (fast.ok && zod.ok) expect(fast.value).toEqual(zod.value);
      }),
      { numRuns: 3000 },
    );
  });

  it('sends a record with an extra field (a newer schema) through zod, which drops it', () => {
    const base = {
      eventId: 'e',
      type: 'WORKFLOW_STARTED',
      occurredAt: 1764115200000,
      tenantId: 't',
      userId: null,
      workflowId: 'w',
      workflowVersion: 1,
      executionId: 'x',
      stepId: null,
      service: null,
      action: null,
      attempt: 1,
      durationMs: null,
      costMicros: null,
      error: null,
      attributes: {},
    };
    const result = validateDecodedExecutionEvent({ ...base, region: 'eu' });
    expect(result.ok && 'region' in result.value).toBe(false);
  });
});
