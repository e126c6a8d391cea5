// Shared builders for the metrics unit tests: literal events, fast-check arbitraries, and a naive
// reference aggregation to check the operator's numbers against.

import fc from 'fast-check';
import type { MetricEventType, MetricInput } from '../../../src/core/metrics/metricInput.ts';
import { WindowOperator } from '../../../src/core/metrics/windowOperator.ts';
import type { WindowOperatorState } from '../../../src/core/metrics/windowOperator.ts';
import type { WindowMetrics } from '../../../src/core/metrics/metricWindow.ts';

/** A minute-aligned epoch. */
export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
export const MINUTE = 60_000;

export function ev(partial: Partial<MetricInput> & Pick<MetricInput, 'type' | 'occurredAt'>): MetricInput {
  const isStep = partial.type.startsWith('STEP_');
  const failed = partial.type.endsWith('_FAILED');
  return {
    tenantId: 't1',
    workflowId: 'wf',
    workflowVersion: 1,
    stepId: isStep ? 'step' : null,
    service: isStep ? 'svc' : null,
    attempt: 1,
    durationMs: null,
    costMicros: null,
    error: failed ? { class: 'Timeout' } : null,
    ...partial,
  };
}

const TYPES: readonly MetricEventType[] = [
  'WORKFLOW_STARTED',
  'WORKFLOW_COMPLETED',
  'WORKFLOW_FAILED',
  'STEP_STARTED',
  'STEP_COMPLETED',
  'STEP_FAILED',
  'STEP_RETRIED',
];

/** An event plus an arrival jitter in [0, maxJitter], used to derive an arrival order. */
export interface JitteredEvent {
  readonly event: MetricInput;
  readonly jitter: number;
}

export function jitteredEventArb(spanMs: number, maxJitter: number): fc.Arbitrary<JitteredEvent> {
  return fc
    .record({
      type: fc.constantFrom(...TYPES),
      at: fc.integer({ min: 0, max: spanMs - 1 }),
      tenant: fc.constantFrom('t1', 't2'),
      workflow: fc.constantFrom('wf-a', 'wf-b', 'wf/c'),
      version: fc.integer({ min: 1, max: 3 }),
      step: fc.constantFrom('s1', 's2', 's3'),
      service: fc.constantFrom('svc-x', 'svc-y', null),
      duration: fc.option(fc.integer({ min: 0, max: 120_000 }), { freq: 4 }),
      cost: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { freq: 4 }),
      errorClass: fc.constantFrom('Timeout', 'RateLimited', 'Upstream5xx', 'Validation', 'AuthExpired'),
      jitter: fc.integer({ min: 0, max: maxJitter }),
    })
    .map((r) => {
      const isStep = r.type.startsWith('STEP_');
      return {
        jitter: r.jitter,
        event: {
          type: r.type,
          occurredAt: T0 + r.at,
          tenantId: r.tenant,
          workflowId: r.workflow,
          workflowVersion: r.version,
          stepId: isStep ? r.step : null,
          service: isStep ? r.service : null,
          attempt: 1,
          durationMs: r.duration,
          costMicros: r.cost,
          error: r.type.endsWith('_FAILED') ? { class: r.errorClass } : null,
        },
      };
    });
}

/** Events sorted by event time (ties by position): the in-order arrival. */
export function inEventTimeOrder(items: readonly JitteredEvent[]): MetricInput[] {
  return items
    .map((x, i) => ({ x, i }))
    .sort((a, b) => a.x.event.occurredAt - b.x.event.occurredAt || a.i - b.i)
    .map(({ x }) => x.event);
}

/**
 * Arrival order by event time + jitter. With jitter < allowed lateness no event can be late: everything
 * that arrived before e has time <= t(e) + jitter(e) < t(e) + lateness, so the watermark stays below t(e).
 */
export function inJitteredOrder(items: readonly JitteredEvent[]): MetricInput[] {
  return items
    .map((x, i) => ({ x, i }))
    .sort((a, b) => a.x.event.occurredAt + a.x.jitter - (b.x.event.occurredAt + b.x.jitter) || a.i - b.i)
    .map(({ x }) => x.event);
}

/** An event far enough ahead that every window up to `lastEventAt` closes (its own stays open). */
export function closingEvent(lastEventAt: number, allowedLatenessMs: number, windowMs = MINUTE): MetricInput {
  return ev({
    type: 'WORKFLOW_STARTED',
    occurredAt: lastEventAt + allowedLatenessMs + 2 * windowMs,
    tenantId: 'zz-sentinel',
  });
}

export type Step =
  | { readonly kind: 'batch'; readonly events: readonly MetricInput[] }
  | { readonly kind: 'advance'; readonly now: number };

export interface RunOutput {
  readonly state: WindowOperatorState;
  readonly emitted: WindowMetrics[];
  readonly tooLate: MetricInput[];
}

/** Feeds steps to the operator, applying one-event batches via apply() to exercise both paths. */
export function runSteps(
  operator: WindowOperator,
  steps: readonly Step[],
  state = operator.initialState(),
): RunOutput {
  const emitted: WindowMetrics[] = [];
  const tooLate: MetricInput[] = [];
  let s = state;
  for (const step of steps) {
    const r =
      step.kind === 'advance'
        ? operator.advance(s, step.now)
        : step.events.length === 1 && step.events[0] !== undefined
          ? operator.apply(s, step.events[0])
          : operator.applyBatch(s, step.events);
    s = r.state;
    emitted.push(...r.emitted);
    tooLate.push(...r.tooLateEvents);
  }
  return { state: s, emitted, tooLate };
}

/** Cuts `events` into consecutive batches of the given sizes (cycled). */
export function chunk(events: readonly MetricInput[], sizes: readonly number[]): Step[] {
  const steps: Step[] = [];
  let i = 0;
  let k = 0;
  while (i < events.length) {
    const size = Math.max(1, sizes.length === 0 ? events.length : (sizes[k++ % sizes.length] ?? 1));
    steps.push({ kind: 'batch', events: events.slice(i, i + size) });
    i += size;
  }
  return steps;
}

export interface ExpectedWindow {
  scope: 'workflow' | 'service' | 'step';
  key: string;
  windowStart: number;
  executions: number;
  successes: number;
  failures: number;
  retries: number;
  costMicrosSum: number;
  eventCount: number;
  errorClasses: Record<string, number>;
  workflowVersions: Record<string, number>;
  durations: number[];
}

/** Naive, obviously-correct aggregation following the documented contribution table. */
export function referenceAggregation(
  events: readonly MetricInput[],
  windowMs = MINUTE,
): Map<string, ExpectedWindow> {
  const out = new Map<string, ExpectedWindow>();
  const touch = (scope: ExpectedWindow['scope'], key: string, windowStart: number): ExpectedWindow => {
    const id = `${windowStart}|${scope}|${key}`;
    let w = out.get(id);
    if (w === undefined) {
      w = {
        scope,
        key,
        windowStart,
        executions: 0,
        successes: 0,
        failures: 0,
        retries: 0,
        costMicrosSum: 0,
        eventCount: 0,
        errorClasses: {},
        workflowVersions: {},
        durations: [],
      };
      out.set(id, w);
    }
    return w;
  };
  for (const e of events) {
    const windowStart = Math.floor(e.occurredAt / windowMs) * windowMs;
    const targets: [ExpectedWindow, string, string, string][] = [
      [
        touch('workflow', `${e.tenantId}/${e.workflowId}`, windowStart),
        'WORKFLOW_COMPLETED',
        'WORKFLOW_FAILED',
        'STEP_RETRIED',
      ],
    ];
    if (e.type.startsWith('STEP_')) {
      if (e.service !== null) {
        targets.push([
          touch('service', `${e.tenantId}/${e.service}`, windowStart),
          'STEP_COMPLETED',
          'STEP_FAILED',
          'STEP_RETRIED',
        ]);
      }
      if (e.stepId !== null) {
        targets.push([
          touch('step', `${e.tenantId}/${e.workflowId}/${e.stepId}`, windowStart),
          'STEP_COMPLETED',
          'STEP_FAILED',
          'STEP_RETRIED',
        ]);
      }
    }
    for (const [w, ok, failed, retried] of targets) {
      w.eventCount++;
      w.workflowVersions[String(e.workflowVersion)] =
        (w.workflowVersions[String(e.workflowVersion)] ?? 0) + 1;
      if (e.type === retried) w.retries++;
      if (e.type === ok || e.type === failed) {
        w.executions++;
        if (e.type === ok) w.successes++;
        else {
          w.failures++;
          const c = e.error?.class ?? 'unknown';
          w.errorClasses[c] = (w.errorClasses[c] ?? 0) + 1;
        }
        if (e.durationMs !== null) w.durations.push(e.durationMs);
        if (e.costMicros !== null) w.costMicrosSum += e.costMicros;
      }
    }
  }
  return out;
}

/** Deep equality of JSON-shaped values, key order included (our records are built in a fixed order). */
export function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The exact lower quantile with the DDSketch rank convention. */
export function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] ?? Number.NaN;
}
