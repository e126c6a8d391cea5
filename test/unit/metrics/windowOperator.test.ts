import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateExecutionEvent } from '../../../src/core/executionEvent.ts';
import type { ExecutionEvent } from '../../../src/core/executionEvent.ts';
import { DDSketch } from '../../../src/core/metrics/ddSketch.ts';
import type { MetricInput } from '../../../src/core/metrics/metricInput.ts';
import type { WindowMetrics } from '../../../src/core/metrics/metricWindow.ts';
import { WindowOperator } from '../../../src/core/metrics/windowOperator.ts';
import { ConfigError, ValidationError } from '../../../src/errors.ts';
import {
  MINUTE,
  T0,
  chunk,
  closingEvent,
  ev,
  exactQuantile,
  inEventTimeOrder,
  inJitteredOrder,
  jitteredEventArb,
  referenceAggregation,
  runSteps,
  sameJSON,
} from './metricEvents.ts';
import type { Step } from './metricEvents.ts';

const LATENESS = 10_000;

function find(records: readonly WindowMetrics[], scope: WindowMetrics['scope'], key: string): WindowMetrics {
  const hits = records.filter((r) => r.scope === scope && r.key === key);
  expect(hits).toHaveLength(1);
  return hits[0] as WindowMetrics;
}

describe('WindowOperator: what counts for what', () => {
  it('folds each event type into the scopes the contribution table names', () => {
    const op = new WindowOperator({ idleTimeoutMs: null });
    const at = (s: number): number => T0 + s * 1000;
    const events: MetricInput[] = [
      ev({ type: 'WORKFLOW_STARTED', occurredAt: at(1), workflowVersion: 2 }),
      ev({ type: 'STEP_STARTED', occurredAt: at(2), workflowVersion: 2 }),
      ev({
        type: 'STEP_FAILED',
        occurredAt: at(3),
        durationMs: 40,
        costMicros: 7,
        error: { class: 'RateLimited' },
        workflowVersion: 2,
      }),
      ev({ type: 'STEP_RETRIED', occurredAt: at(4), workflowVersion: 2 }),
      ev({
        type: 'STEP_COMPLETED',
        occurredAt: at(5),
        durationMs: 60,
        costMicros: 11,
        attempt: 2,
        workflowVersion: 2,
      }),
      ev({
        type: 'WORKFLOW_COMPLETED',
        occurredAt: at(6),
        durationMs: 5000,
        costMicros: 18,
        workflowVersion: 2,
      }),
      ev({
        type: 'WORKFLOW_FAILED',
        occurredAt: at(7),
        durationMs: 100,
        costMicros: 2,
        error: { class: 'Timeout' },
      }),
      // A step event without a service feeds workflow and step scopes only.
      ev({ type: 'STEP_COMPLETED', occurredAt: at(8), service: null, stepId: 'other-step', durationMs: 1 }),
    ];
    const { emitted } = runSteps(op, [
      { kind: 'batch', events },
      { kind: 'batch', events: [closingEvent(at(8), LATENESS)] },
    ]);

    const wf = find(emitted, 'workflow', 't1/wf');
    expect(wf).toMatchObject({
      tenantId: 't1',
      workflowId: 'wf',
      stepId: null,
      service: null,
      windowStart: T0,
      windowEnd: T0 + MINUTE,
      version: 1,
      executions: 2,
      successes: 1,
      failures: 1,
      successRate: 0.5,
      retries: 1,
      costMicrosSum: 20,
      costPerRunMicros: 10,
      errorClasses: { Timeout: 1 },
      lateEvents: 0,
      eventCount: 8,
      workflowVersions: { '1': 2, '2': 6 },
    });
    // Lower-quantile rank convention: with two durations every quantile below 1 is the smaller one.
    expect(wf.p50Ms).toBe(100);
    expect(wf.p99Ms).toBe(100);
    expect(DDSketch.fromJSON(wf.durationSketch).toJSON()).toMatchObject({ sum: 5100, min: 100, max: 5000 });

    const step = find(emitted, 'step', 't1/wf/step');
    expect(step).toMatchObject({
      workflowId: 'wf',
      stepId: 'step',
      service: null,
      executions: 2,
      successes: 1,
      failures: 1,
      retries: 1,
      costMicrosSum: 18,
      costPerRunMicros: 9,
      errorClasses: { RateLimited: 1 },
      eventCount: 4,
      workflowVersions: { '2': 4 },
    });
    expect(step.p50Ms).toBe(40);

    const svc = find(emitted, 'service', 't1/svc');
    expect(svc).toMatchObject({
      workflowId: null,
      stepId: null,
      service: 'svc',
      executions: 2,
      retries: 1,
      eventCount: 4,
    });
    expect(find(emitted, 'step', 't1/wf/other-step')).toMatchObject({
      executions: 1,
      successes: 1,
      successRate: 1,
    });
    expect(emitted.filter((r) => r.scope === 'service')).toHaveLength(1);
  });

  it('takes validated ExecutionEvents as they are and hands too-late ones back unchanged', () => {
    const parsed = validateExecutionEvent({
      eventId: 'e1',
      type: 'STEP_FAILED',
      occurredAt: T0 + 1000,
      tenantId: 't1',
      workflowId: 'wf',
      workflowVersion: 3,
      executionId: 'x1',
      stepId: 'fetch',
      service: 'slack',
      durationMs: 250,
      costMicros: 40,
      error: { class: 'RateLimited', message: 'slow down', retryable: true },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const event: ExecutionEvent = parsed.value;
    const op = new WindowOperator({ idleTimeoutMs: null, correctionHorizonMs: 0 });
    const { emitted, state } = runSteps(op, [
      { kind: 'batch', events: [event, closingEvent(event.occurredAt, LATENESS)] },
    ]);
    expect(find(emitted, 'service', 't1/slack')).toMatchObject({
      failures: 1,
      errorClasses: { RateLimited: 1 },
    });
    const tooLate = op.applyBatch(state, [event]).tooLateEvents;
    expect(tooLate).toEqual([event]);
    expect(tooLate[0]?.eventId).toBe('e1');
  });

  it('reports nulls for windows without executions', () => {
    const op = new WindowOperator({ idleTimeoutMs: null });
    const { emitted } = runSteps(op, [
      { kind: 'batch', events: [ev({ type: 'WORKFLOW_STARTED', occurredAt: T0 + 5 })] },
      { kind: 'batch', events: [closingEvent(T0, LATENESS)] },
    ]);
    expect(find(emitted, 'workflow', 't1/wf')).toMatchObject({
      executions: 0,
      successRate: null,
      costPerRunMicros: null,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
      eventCount: 1,
      errorClasses: {},
    });
  });

  it('keeps the top N error classes and sums the rest under "other"', () => {
    const op = new WindowOperator({ idleTimeoutMs: null, topErrorClasses: 2, maxTrackedErrorClasses: 3 });
    const classes = ['A', 'A', 'A', 'B', 'B', 'C', 'D', 'E'];
    const events = classes.map((c, i) =>
      ev({ type: 'WORKFLOW_FAILED', occurredAt: T0 + i, error: { class: c } }),
    );
    const { emitted } = runSteps(op, [
      { kind: 'batch', events },
      { kind: 'batch', events: [closingEvent(T0, LATENESS)] },
    ]);
    // C is tracked but outside the top 2; D and E exceed the tracked bound.
    expect(find(emitted, 'workflow', 't1/wf').errorClasses).toEqual({ A: 3, B: 2, other: 3 });
  });
});

describe('WindowOperator: order insensitivity (acceptance)', () => {
  const SPAN = 5 * MINUTE;

  it('any arrival order within the allowed lateness yields identical window results', () => {
    fc.assert(
      fc.property(
        fc.array(jitteredEventArb(SPAN, LATENESS - 1), { minLength: 1, maxLength: 250, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 8 }),
        fc.boolean(),
        (items, batchSizes, interleaveAdvances) => {
          const op = new WindowOperator({ idleTimeoutMs: null, allowedLatenessMs: LATENESS });
          const lastAt = Math.max(...items.map((x) => x.event.occurredAt));
          const closing = closingEvent(lastAt, LATENESS);

          const baseline = runSteps(op, [{ kind: 'batch', events: [...inEventTimeOrder(items), closing] }]);

          const arrival = inJitteredOrder(items);
          let steps: Step[] = chunk([...arrival, closing], batchSizes);
          // Wall-clock ticks are harmless when idle advancement is off; they must not change anything.
          if (interleaveAdvances)
            steps = steps.flatMap((s, i) => [s, { kind: 'advance' as const, now: T0 + i }]);
          const reordered = runSteps(op, steps);

          // Precondition of the property: nothing arrived late.
          expect(reordered.state.lateEvents).toBe(0);
          expect(reordered.tooLate).toEqual([]);
          expect(reordered.emitted.every((r) => r.version === 1 && r.lateEvents === 0)).toBe(true);
          // Identical records, in the identical order (compared as JSON: a diff of large records on
          // every shrink step would make a failing run crawl).
          expect(sameJSON(reordered.emitted, baseline.emitted)).toBe(true);
          expect(sameJSON(op.snapshot(reordered.state), op.snapshot(baseline.state))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('emits exactly the reference aggregation of every window', () => {
    fc.assert(
      fc.property(
        // A short span packs many events into each window, so windows see several error classes.
        fc.array(jitteredEventArb(2 * MINUTE, LATENESS - 1), { minLength: 1, maxLength: 300, size: 'max' }),
        (items) => {
          const op = new WindowOperator({ idleTimeoutMs: null });
          const lastAt = Math.max(...items.map((x) => x.event.occurredAt));
          const { emitted } = runSteps(op, [
            { kind: 'batch', events: inJitteredOrder(items) },
            { kind: 'batch', events: [closingEvent(lastAt, LATENESS)] },
          ]);
          const expected = referenceAggregation(items.map((x) => x.event));
          expect(emitted).toHaveLength(expected.size);
          for (const r of emitted) {
            const e = expected.get(`${r.windowStart}|${r.scope}|${r.key}`);
            expect(e).toBeDefined();
            if (e === undefined) continue;
            const { windowEnd, executions, successes, failures, retries, costMicrosSum, eventCount } = r;
            expect({
              windowEnd,
              executions,
              successes,
              failures,
              retries,
              costMicrosSum,
              eventCount,
            }).toEqual({
              windowEnd: r.windowStart + MINUTE,
              executions: e.executions,
              successes: e.successes,
              failures: e.failures,
              retries: e.retries,
              costMicrosSum: e.costMicrosSum,
              eventCount: e.eventCount,
            });
            expect(r.errorClasses).toEqual(e.errorClasses);
            expect(r.workflowVersions).toEqual(e.workflowVersions);
            expect(r.successRate).toBe(e.executions === 0 ? null : e.successes / e.executions);
            expect(DDSketch.fromJSON(r.durationSketch).count).toBe(e.durations.length);
            for (const [q, got] of [
              [0.5, r.p50Ms],
              [0.95, r.p95Ms],
              [0.99, r.p99Ms],
            ] as const) {
              if (e.durations.length === 0) {
                expect(got).toBeNull();
              } else {
                const exact = exactQuantile(e.durations, q);
                expect(Math.abs((got ?? NaN) - exact)).toBeLessThanOrEqual(0.01 * exact * (1 + 1e-9));
              }
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('WindowOperator: closing and corrections', () => {
  const at = (s: number): number => T0 + s * 1000;

  it('closes a window once the watermark reaches its end, not before', () => {
    const op = new WindowOperator({ emitEveryMs: 0, idleTimeoutMs: null });
    let r = op.apply(op.initialState(), ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(30) }), '1');
    expect(r.emitted).toEqual([]);
    // Event at 69 s: watermark 59 s, window [0 s, 60 s) stays open.
    r = op.apply(r.state, ev({ type: 'WORKFLOW_STARTED', occurredAt: at(69) }), '2');
    expect(r.emitted).toEqual([]);
    expect(r.state.watermark).toBe(at(59));
    // Event at 70 s: watermark 60 s = window end, it closes.
    r = op.apply(r.state, ev({ type: 'WORKFLOW_STARTED', occurredAt: at(70) }), '3');
    expect(r.emitted.map((x) => [x.key, x.windowStart, x.version, x.executions])).toEqual([
      ['t1/wf', T0, 1, 1],
    ]);
    expect(r.state.lastOffset).toBe('3');
    // From now on an event of that window is a correction, even right at the boundary.
    r = op.apply(r.state, ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(60) - 1 }), '4');
    expect(r.emitted.map((x) => [x.windowStart, x.version, x.executions, x.lateEvents])).toEqual([
      [T0, 2, 2, 1],
    ]);
  });

  it('a late event within the horizon re-emits the window as version 2 with corrected numbers', () => {
    const op = new WindowOperator({ emitEveryMs: 0, idleTimeoutMs: null });
    let r = op.applyBatch(op.initialState(), [
      ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(5), durationMs: 100, costMicros: 10 }),
      ev({ type: 'WORKFLOW_STARTED', occurredAt: at(75) }),
    ]);
    const v1 = find(r.emitted, 'workflow', 't1/wf');
    expect(v1).toMatchObject({ version: 1, executions: 1, failures: 0, lateEvents: 0, eventCount: 1 });

    r = op.apply(
      r.state,
      ev({ type: 'WORKFLOW_FAILED', occurredAt: at(30), durationMs: 900, costMicros: 30 }),
    );
    expect(r.emitted).toHaveLength(1);
    expect(r.emitted[0]).toMatchObject({
      windowStart: T0,
      version: 2,
      executions: 2,
      successes: 1,
      failures: 1,
      successRate: 0.5,
      costMicrosSum: 40,
      costPerRunMicros: 20,
      errorClasses: { Timeout: 1 },
      lateEvents: 1,
      eventCount: 2,
    });
    expect(r.emitted[0]?.durationSketch).toMatchObject({ sum: 1000, min: 100, max: 900 });
    expect(r.state.lateEvents).toBe(1);
    expect(r.tooLateEvents).toEqual([]);
  });

  it('coalesces corrections of one window within a batch into a single re-emission', () => {
    const op = new WindowOperator({ emitEveryMs: 0, idleTimeoutMs: null });
    const setup = (): ReturnType<WindowOperator['applyBatch']> =>
      op.applyBatch(op.initialState(), [
        ev({ type: 'STEP_COMPLETED', occurredAt: at(5) }),
        ev({ type: 'WORKFLOW_STARTED', occurredAt: at(75) }),
      ]);
    const late = [10, 20, 30].map((s) => ev({ type: 'STEP_COMPLETED', occurredAt: at(s) }));

    const batched = op.applyBatch(setup().state, late);
    expect(batched.emitted.map((x) => [x.scope, x.version, x.executions, x.lateEvents])).toEqual([
      ['service', 2, 0 + 4, 3],
      ['step', 2, 4, 3],
      ['workflow', 2, 0, 3],
    ]);

    // One event at a time: one re-emission each, ending with the same numbers at a higher version.
    let state = setup().state;
    const versions: number[] = [];
    let last: WindowMetrics[] = [];
    for (const e of late) {
      const r = op.apply(state, e);
      state = r.state;
      last = r.emitted;
      versions.push(find(r.emitted, 'step', 't1/wf/step').version);
    }
    expect(versions).toEqual([2, 3, 4]);
    expect(last.map(({ version: _v, ...rest }) => rest)).toEqual(
      batched.emitted.map(({ version: _v, ...rest }) => rest),
    );
  });

  it('a window closing and being corrected in the same batch is emitted once', () => {
    const op = new WindowOperator({ emitEveryMs: 0, idleTimeoutMs: null });
    const r = op.applyBatch(op.initialState(), [
      ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(5) }),
      ev({ type: 'WORKFLOW_STARTED', occurredAt: at(75) }),
      ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(6) }),
    ]);
    expect(r.emitted).toHaveLength(1);
    expect(r.emitted[0]).toMatchObject({ version: 1, executions: 2, lateEvents: 1 });
  });

  it('a late event for a window that had no events creates and emits it', () => {
    const op = new WindowOperator({ emitEveryMs: 0, idleTimeoutMs: null });
    let r = op.applyBatch(op.initialState(), [ev({ type: 'WORKFLOW_STARTED', occurredAt: at(200) })]);
    r = op.apply(r.state, ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(30), tenantId: 't9' }));
    expect(r.emitted).toHaveLength(1);
    expect(r.emitted[0]).toMatchObject({
      key: 't9/wf',
      windowStart: T0,
      version: 1,
      executions: 1,
      lateEvents: 1,
    });
  });

  it('beyond the correction horizon events are counted and returned, never folded', () => {
    const horizon = 5 * MINUTE;
    const op = new WindowOperator({ emitEveryMs: 0, idleTimeoutMs: null, correctionHorizonMs: horizon });
    let r = op.applyBatch(op.initialState(), [
      ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(5) }),
      ev({ type: 'WORKFLOW_STARTED', occurredAt: at(75) }),
    ]);
    expect(r.state.windowCount).toBe(1 + 1);
    // Watermark exactly horizon past the window end: still a correction.
    r = op.apply(
      r.state,
      ev({ type: 'WORKFLOW_STARTED', occurredAt: T0 + MINUTE + horizon + LATENESS, tenantId: 't2' }),
    );
    const boundary = op.apply(r.state, ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(1) }));
    expect(boundary.emitted).toMatchObject([{ windowStart: T0, version: 2, executions: 2 }]);
    // One millisecond further: the window is dropped and the next late event is too late.
    r = op.apply(
      boundary.state,
      ev({ type: 'WORKFLOW_STARTED', occurredAt: T0 + MINUTE + horizon + LATENESS + 1, tenantId: 't2' }),
    );
    expect(r.emitted).toEqual([]);
    const tooLateEvent = ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(2), durationMs: 5 });
    const dropped = op.applyBatch(r.state, [tooLateEvent, tooLateEvent]);
    expect(dropped.emitted).toEqual([]);
    expect(dropped.tooLateEvents).toEqual([tooLateEvent, tooLateEvent]);
    expect(dropped.state.tooLateEvents).toBe(2);
    expect(dropped.state.lateEvents).toBe(1);
    expect(op.snapshot(dropped.state).windows.some((w) => w.windowStart === T0)).toBe(false);
  });

  it('drops closed windows once they leave the horizon, bounding memory', () => {
    const op = new WindowOperator({ idleTimeoutMs: null, correctionHorizonMs: 10 * MINUTE });
    let state = op.initialState();
    const counts: number[] = [];
    for (let m = 0; m < 60; m++) {
      state = op.apply(state, ev({ type: 'WORKFLOW_COMPLETED', occurredAt: T0 + m * MINUTE })).state;
      counts.push(state.windowCount);
    }
    // Open + closed-within-horizon windows only: about horizon / window + 2.
    expect(Math.max(...counts)).toBeLessThanOrEqual(12);
    expect(counts.at(-1)).toBe(counts.at(-2));
  });

  it('rejects a non-finite event time before touching the state', () => {
    const op = new WindowOperator({ idleTimeoutMs: null });
    const state = op.initialState();
    expect(() =>
      op.applyBatch(state, [
        ev({ type: 'WORKFLOW_STARTED', occurredAt: T0 }),
        ev({ type: 'WORKFLOW_STARTED', occurredAt: NaN }),
      ]),
    ).toThrow(ValidationError);
    expect(state.windowCount).toBe(0);
    expect(state.watermark).toBeNull();
  });

  it('validates its configuration', () => {
    expect(() => new WindowOperator({ windowMs: 0 })).toThrow(ConfigError);
    expect(() => new WindowOperator({ allowedLatenessMs: -1 })).toThrow(ConfigError);
    expect(() => new WindowOperator({ idleTimeoutMs: 0 })).toThrow(ConfigError);
    expect(() => new WindowOperator({ maxEventTimeAheadMs: -1 })).toThrow(ConfigError);
    expect(() => new WindowOperator({ topErrorClasses: 5, maxTrackedErrorClasses: 4 })).toThrow(ConfigError);
    expect(() => new WindowOperator({ sketchAlpha: 2 })).toThrow(RangeError);
  });
});

describe('WindowOperator: emission steps', () => {
  const at = (s: number): number => T0 + s * 1000;

  it('holds corrections until the watermark crosses the next step, then emits them as one record', () => {
    const op = new WindowOperator({ idleTimeoutMs: null }); // emitEveryMs 1 000
    let r = op.applyBatch(op.initialState(), [
      ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(5) }),
      ev({ type: 'WORKFLOW_STARTED', occurredAt: at(75) }),
    ]);
    // Watermark 65 s: the window end (60 s) is a step, so closing is never held back.
    expect(r.emitted).toMatchObject([{ windowStart: T0, version: 1, executions: 1 }]);
    r = op.apply(r.state, ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(10) }));
    r = op.apply(r.state, ev({ type: 'WORKFLOW_FAILED', occurredAt: at(20) }));
    // Watermark 65.5 s: still inside the step that began at 65 s.
    r = op.apply(r.state, ev({ type: 'WORKFLOW_STARTED', occurredAt: at(75.5) }));
    expect(r.emitted).toEqual([]);
    // Held corrections survive a snapshot.
    const restored = op.restore(JSON.parse(JSON.stringify(op.snapshot(r.state))) as unknown);
    r = op.apply(restored, ev({ type: 'WORKFLOW_STARTED', occurredAt: at(76) }));
    expect(r.emitted).toMatchObject([
      { windowStart: T0, version: 2, executions: 3, failures: 1, lateEvents: 2, eventCount: 3 },
    ]);
  });

  it('emits the same records whatever the batching: one call per event or any batches', () => {
    fc.assert(
      fc.property(
        // Jitter beyond the allowed lateness: windows are corrected, often several times a step.
        fc.array(jitteredEventArb(5 * MINUTE, 2 * MINUTE), { minLength: 1, maxLength: 250, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 10 }),
        (items, batchSizes) => {
          const op = new WindowOperator({ idleTimeoutMs: null });
          const events = inJitteredOrder(items);
          const oneByOne = runSteps(
            op,
            events.map((e) => ({ kind: 'batch' as const, events: [e] })),
          );
          const batched = runSteps(op, chunk(events, batchSizes));
          expect(sameJSON(batched.emitted, oneByOne.emitted)).toBe(true);
          expect(sameJSON(op.snapshot(batched.state), op.snapshot(oneByOne.state))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('emits a held correction when its window leaves the horizon between two steps', () => {
    const op = new WindowOperator({ idleTimeoutMs: null, correctionHorizonMs: MINUTE });
    let r = op.applyBatch(op.initialState(), [
      ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(5) }),
      // Watermark 120 s: the window [0, 60 s) is exactly one horizon behind, still correctable.
      ev({ type: 'WORKFLOW_STARTED', occurredAt: at(130) }),
    ]);
    r = op.apply(r.state, ev({ type: 'WORKFLOW_COMPLETED', occurredAt: at(10) }));
    expect(r.emitted).toEqual([]);
    // Watermark 120.001 s: inside the same step, but the window is evicted now. Held until the
    // next step, a restored run (whose snapshot lacks the window) could not have emitted it.
    r = op.apply(r.state, ev({ type: 'WORKFLOW_STARTED', occurredAt: at(130) + 1 }));
    expect(r.emitted).toMatchObject([{ windowStart: T0, version: 2, executions: 2, lateEvents: 1 }]);
    const snapshot = op.snapshot(r.state);
    expect(snapshot.pending).toEqual([]);
    // A snapshot of the earlier rule, listing the evicted window as held, still restores.
    const older = { ...snapshot, pending: [[T0, 'an evicted window']] };
    expect(() => op.restore(JSON.parse(JSON.stringify(older)) as unknown)).not.toThrow();
  });

  it('needs a step that divides the window, so that closing is never delayed', () => {
    expect(() => new WindowOperator({ emitEveryMs: 7_000 })).toThrow(ConfigError);
    expect(() => new WindowOperator({ emitEveryMs: -1 })).toThrow(ConfigError);
    expect(new WindowOperator({ emitEveryMs: 15_000 }).config.emitEveryMs).toBe(15_000);
  });
});

describe('WindowOperator: idle partitions', () => {
  const IDLE = 30_000;
  const WALL = T0 + 10 * MINUTE;

  it('advances an idle partition by wall clock and closes its windows', () => {
    const op = new WindowOperator({ emitEveryMs: 0, idleTimeoutMs: IDLE });
    let r = op.apply(op.initialState(), ev({ type: 'WORKFLOW_COMPLETED', occurredAt: T0 + 5000 }));
    expect(op.advance(r.state, WALL).emitted).toEqual([]); // activity seen: the idle clock starts now
    expect(op.advance(r.state, WALL + IDLE - 1).emitted).toEqual([]); // not idle long enough
    const closed = op.advance(r.state, WALL + IDLE);
    expect(closed.state.watermark).toBe(WALL);
    expect(closed.emitted).toMatchObject([{ key: 't1/wf', windowStart: T0, version: 1, executions: 1 }]);
    r = op.apply(closed.state, ev({ type: 'WORKFLOW_COMPLETED', occurredAt: T0 + 6000 }));
    expect(r.emitted).toMatchObject([{ version: 2, executions: 2, lateEvents: 1 }]);
  });

  it('never treats a busy partition as idle, however far wall clock is ahead of event time', () => {
    const op = new WindowOperator({ idleTimeoutMs: IDLE });
    let state = op.initialState();
    for (let i = 0; i < 10; i++) {
      state = op.apply(state, ev({ type: 'WORKFLOW_COMPLETED', occurredAt: T0 + i * 1000 })).state;
      // A backlog: events are hours behind the wall clock, ticks come far apart.
      expect(op.advance(state, WALL + i * 10 * IDLE).emitted).toEqual([]);
    }
    expect(state.watermark).toBe(T0 + 9000 - LATENESS);
  });

  it('does nothing when idle advancement is disabled', () => {
    const op = new WindowOperator({ idleTimeoutMs: null });
    const state = op.apply(op.initialState(), ev({ type: 'WORKFLOW_COMPLETED', occurredAt: T0 })).state;
    op.advance(state, WALL);
    expect(op.advance(state, WALL + 100 * IDLE).emitted).toEqual([]);
  });

  it('restarts the idle clock after a restore, so downtime is not mistaken for idleness', () => {
    const op = new WindowOperator({ idleTimeoutMs: IDLE });
    let state = op.apply(op.initialState(), ev({ type: 'WORKFLOW_COMPLETED', occurredAt: T0 })).state;
    state = op.advance(state, WALL).state;
    state = op.advance(state, WALL + 1).state;
    const restored = op.restore(JSON.parse(JSON.stringify(op.snapshot(state))) as unknown);
    // Without the restart this tick would close the window (an hour has passed since the last activity).
    expect(op.advance(restored, WALL + 60 * MINUTE).emitted).toEqual([]);
    expect(op.advance(restored, WALL + 60 * MINUTE + IDLE).emitted).toHaveLength(1);
  });
});

describe('WindowOperator: event times ahead of wall clock', () => {
  const WALL = T0 + 10 * MINUTE;
  const bogus = ev({ type: 'WORKFLOW_STARTED', occurredAt: WALL + 3 * 60 * MINUTE, tenantId: 'skewed' });
  const normal = ev({ type: 'WORKFLOW_COMPLETED', occurredAt: WALL + 1000 });

  it('without a cap, one future-stamped event makes the real events of its partition too late', () => {
    const op = new WindowOperator({ idleTimeoutMs: null });
    let state = op.advance(op.initialState(), WALL).state;
    state = op.apply(state, bogus).state;
    expect(op.apply(state, normal).tooLateEvents).toEqual([normal]);
  });

  it('with maxEventTimeAheadMs, such an event moves the watermark no further than wall clock allows', () => {
    const op = new WindowOperator({ idleTimeoutMs: null, maxEventTimeAheadMs: MINUTE });
    let state = op.advance(op.initialState(), WALL).state;
    state = op.apply(state, bogus).state;
    expect(state.watermark).toBe(WALL + MINUTE - LATENESS);
    const r = op.apply(state, normal);
    expect(r.tooLateEvents).toEqual([]);
    expect(r.state.lateEvents).toBe(0);
    // As wall clock moves on, the held-back event time counts again, up to the new cap.
    expect(op.advance(r.state, WALL + 5 * MINUTE).state.watermark).toBe(WALL + 6 * MINUTE - LATENESS);
    expect(op.advance(r.state, WALL + 5 * 60 * MINUTE).state.watermark).toBe(bogus.occurredAt - LATENESS);
  });
});

describe('WindowOperator: snapshot and restore', () => {
  it('restore + continue equals continue, and runs are deterministic', () => {
    const horizon = 3 * MINUTE;
    fc.assert(
      fc.property(
        // Jitter well past the allowed lateness and the horizon: on-time, late and too-late events.
        fc.array(jitteredEventArb(10 * MINUTE, 5 * MINUTE), { minLength: 1, maxLength: 200, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 6 }),
        fc.nat(),
        (items, batchSizes, cut) => {
          const op = new WindowOperator({ idleTimeoutMs: null, correctionHorizonMs: horizon });
          const steps = chunk(inJitteredOrder(items), batchSizes);
          const k = cut % (steps.length + 1);

          const straight = runSteps(op, steps);
          const again = runSteps(op, steps);
          expect(sameJSON(again.emitted, straight.emitted)).toBe(true);

          const first = runSteps(op, steps.slice(0, k));
          const json = JSON.parse(JSON.stringify(op.snapshot(first.state))) as unknown;
          const second = runSteps(op, steps.slice(k), op.restore(json));

          expect(sameJSON([...first.emitted, ...second.emitted], straight.emitted)).toBe(true);
          expect(sameJSON([...first.tooLate, ...second.tooLate], straight.tooLate)).toBe(true);
          expect(sameJSON(op.snapshot(second.state), op.snapshot(straight.state))).toBe(true);
          expect(second.state.tooLateEvents).toBe(straight.tooLate.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('restore + continue equals continue when the watermark sits on steps and horizon edges', () => {
    // Event times on a half-second grid with short windows and horizon: the watermark often rests
    // exactly on a step or one horizon past a window's end, where a held correction's window can
    // leave the horizon before the next step.
    fc.assert(
      fc.property(
        fc.array(jitteredEventArb(60_000, 12_000), { minLength: 1, maxLength: 200, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 6 }),
        fc.nat(),
        (items, batchSizes, cut) => {
          const op = new WindowOperator({
            idleTimeoutMs: null,
            windowMs: 4_000,
            allowedLatenessMs: 1_000,
            correctionHorizonMs: 4_000,
          });
          const onGrid = items.map((i) => ({
            ...i,
            event: { ...i.event, occurredAt: i.event.occurredAt - (i.event.occurredAt % 500) },
          }));
          const steps = chunk(inJitteredOrder(onGrid), batchSizes);
          const k = cut % (steps.length + 1);
          const straight = runSteps(op, steps);
          const first = runSteps(op, steps.slice(0, k));
          const json = JSON.parse(JSON.stringify(op.snapshot(first.state))) as unknown;
          const second = runSteps(op, steps.slice(k), op.restore(json));
          expect(sameJSON([...first.emitted, ...second.emitted], straight.emitted)).toBe(true);
          expect(sameJSON(op.snapshot(second.state), op.snapshot(straight.state))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects malformed snapshots and snapshots of another window length', () => {
    const op = new WindowOperator();
    const state = op.apply(
      op.initialState(),
      ev({ type: 'STEP_COMPLETED', occurredAt: T0, durationMs: 3 }),
    ).state;
    const snap = op.snapshot(state);
    expect(() => op.restore({ ...snap, windows: 'nope' })).toThrow(ValidationError);
    expect(() =>
      op.restore({ ...snap, windows: snap.windows.filter((w) => w.scope !== 'workflow') }),
    ).toThrow(ValidationError);
    expect(() => new WindowOperator({ windowMs: 5 * MINUTE }).restore(snap)).toThrow(ConfigError);
    expect(op.snapshot(op.restore(snap))).toEqual(snap);
  });
});
