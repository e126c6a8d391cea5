// One event-time window of one key: the mutable aggregate the operator folds events into, and the
// WindowMetrics record it emits. Every field is a commutative fold (integer counts and sums, min/max,
// DDSketch buckets, counting maps), so the same multiset of events gives the same record in any order.
//
// What an event contributes, per scope (every folded event also counts in eventCount and
// workflowVersions):
//
//   event type           workflow scope                          step and service scopes
//   WORKFLOW_STARTED     -                                       (not folded)
//   WORKFLOW_COMPLETED   execution, success, duration, cost      (not folded)
//   WORKFLOW_FAILED      execution, failure, duration, cost,     (not folded)
//                        error class
//   STEP_STARTED         -                                       -
//   STEP_COMPLETED       -                                       execution, success, duration, cost
//   STEP_FAILED          -                                       execution, failure, duration, cost,
//                                                                error class
//   STEP_RETRIED         retry                                   retry
//
// Step-scope executions are attempts: a step that fails, is retried and succeeds counts 2 executions
// (1 failure, 1 success) and 1 retry. Cost is taken from the terminal events of the scope's own level
// only (a workflow's terminal event carries the run's cost), so nothing is counted twice.

import { DDSketch } from './ddSketch.ts';
import type { DDSketchJSON } from './ddSketch.ts';
import type { MetricInput } from './metricInput.ts';

export type MetricScope = 'workflow' | 'service' | 'step';

export interface WindowMetrics {
  readonly scope: MetricScope;
  /** tenantId/workflowId, tenantId/service or tenantId/workflowId/stepId. */
  readonly key: string;
  readonly tenantId: string;
  readonly workflowId: string | null;
  readonly stepId: string | null;
  readonly service: string | null;
  /** Inclusive start, epoch ms. */
  readonly windowStart: number;
  /** Exclusive end, epoch ms. */
  readonly windowEnd: number;
  /** 1 on first emission, +1 per correction; the latest version supersedes earlier ones. */
  readonly version: number;
  readonly executions: number;
  readonly successes: number;
  readonly failures: number;
  /** successes / executions, null when there were no executions. */
  readonly successRate: number | null;
  readonly retries: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly durationSketch: DDSketchJSON;
  readonly costMicrosSum: number;
  /** round(costMicrosSum / executions), null when there were no executions. */
  readonly costPerRunMicros: number | null;
  /** Failure count by error class: the top N classes plus 'other'. */
  readonly errorClasses: Record<string, number>;
  /** Events folded after the window had been emitted (corrections). */
  readonly lateEvents: number;
  readonly eventCount: number;
  /** Folded events by workflow version (decimal string). */
  readonly workflowVersions: Record<string, number>;
}

/**
 * Guards records read back from workflow.metrics.v1: the Avro schema validated them, this catches a
 * foreign schema on the topic.
 */
export function isWindowRecord(value: unknown): value is WindowMetrics & { inputPartition: number } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.scope === 'string' &&
    typeof v.key === 'string' &&
    typeof v.tenantId === 'string' &&
    typeof v.windowStart === 'number' &&
    typeof v.windowEnd === 'number' &&
    typeof v.version === 'number' &&
    typeof v.inputPartition === 'number' &&
    typeof v.executions === 'number' &&
    typeof v.failures === 'number' &&
    typeof v.durationSketch === 'object' &&
    typeof v.errorClasses === 'object' &&
    typeof v.workflowVersions === 'object'
  );
}

/** What an event means for one scope (numeric constants keep the hot path branch-cheap). */
export const OUTCOME_NONE = 0;
export const OUTCOME_SUCCESS = 1;
export const OUTCOME_FAILURE = 2;
export const OUTCOME_RETRY = 3;
export type Outcome = 0 | 1 | 2 | 3;

export function workflowOutcome(type: MetricInput['type']): Outcome {
  switch (type) {
    case 'WORKFLOW_COMPLETED':
      return OUTCOME_SUCCESS;
    case 'WORKFLOW_FAILED':
      return OUTCOME_FAILURE;
    case 'STEP_RETRIED':
      return OUTCOME_RETRY;
    default:
      return OUTCOME_NONE;
  }
}

export function stepOutcome(type: MetricInput['type']): Outcome {
  switch (type) {
    case 'STEP_COMPLETED':
      return OUTCOME_SUCCESS;
    case 'STEP_FAILED':
      return OUTCOME_FAILURE;
    case 'STEP_RETRIED':
      return OUTCOME_RETRY;
    default:
      return OUTCOME_NONE;
  }
}

/** Only step events feed the step and service scopes. */
export function isStepEvent(type: MetricInput['type']): boolean {
  return type.startsWith('STEP_');
}

export const UNKNOWN_ERROR_CLASS = 'unknown';
export const OTHER_ERROR_CLASS = 'other';

export interface WindowLimits {
  readonly sketchAlpha: number;
  readonly sketchMaxBins: number;
  /** Distinct error classes tracked exactly per window; further new classes count as 'other'. */
  readonly maxTrackedErrorClasses: number;
  /** Error classes shown individually in WindowMetrics; the rest are summed into 'other'. */
  readonly topErrorClasses: number;
}

export interface WindowAggregateJSON {
  readonly scope: MetricScope;
  readonly tenantId: string;
  readonly workflowId: string | null;
  readonly stepId: string | null;
  readonly service: string | null;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly version: number;
  readonly executions: number;
  readonly successes: number;
  readonly failures: number;
  readonly retries: number;
  readonly costMicrosSum: number;
  readonly lateEvents: number;
  readonly eventCount: number;
  readonly durations: DDSketchJSON | null;
  readonly errorClasses: readonly (readonly [string, number])[];
  readonly errorOverflow: number;
  readonly workflowVersions: readonly (readonly [number, number])[];
}

export class WindowAggregate {
  readonly scope: MetricScope;
  /** Collision-free identity (tenant and ids joined by NUL), also the deterministic sort key. */
  readonly id: string;
  readonly tenantId: string;
  readonly workflowId: string | null;
  readonly stepId: string | null;
  readonly service: string | null;
  readonly windowStart: number;
  readonly windowEnd: number;
  version = 0;
  executions = 0;
  successes = 0;
  failures = 0;
  retries = 0;
  costMicrosSum = 0;
  lateEvents = 0;
  eventCount = 0;
  /** Created on the first duration; most windows of quiet keys have none or few. */
  durations: DDSketch | null = null;
  readonly errorClasses = new Map<string, number>();
  errorOverflow = 0;
  readonly workflowVersions = new Map<number, number>();

  constructor(
    scope: MetricScope,
    tenantId: string,
    workflowId: string | null,
    stepId: string | null,
    service: string | null,
    windowStart: number,
    windowEnd: number,
  ) {
    this.scope = scope;
    this.tenantId = tenantId;
    this.workflowId = workflowId;
    this.stepId = stepId;
    this.service = service;
    this.windowStart = windowStart;
    this.windowEnd = windowEnd;
    this.id = aggregateId(scope, tenantId, scope === 'service' ? service : workflowId, stepId);
  }

  static forEvent(
    scope: MetricScope,
    event: MetricInput,
    windowStart: number,
    windowEnd: number,
  ): WindowAggregate {
    switch (scope) {
      case 'workflow':
        return new WindowAggregate(
          scope,
          event.tenantId,
          event.workflowId,
          null,
          null,
          windowStart,
          windowEnd,
        );
      case 'service':
        return new WindowAggregate(scope, event.tenantId, null, null, event.service, windowStart, windowEnd);
      case 'step':
        return new WindowAggregate(
          scope,
          event.tenantId,
          event.workflowId,
          event.stepId,
          null,
          windowStart,
          windowEnd,
        );
    }
  }

  fold(event: MetricInput, outcome: Outcome, limits: WindowLimits): void {
    this.eventCount++;
    const v = event.workflowVersion;
    this.workflowVersions.set(v, (this.workflowVersions.get(v) ?? 0) + 1);
    if (outcome === OUTCOME_NONE) return;
    if (outcome === OUTCOME_RETRY) {
      this.retries++;
      return;
    }
    this.executions++;
    if (outcome === OUTCOME_SUCCESS) {
      this.successes++;
    } else {
      this.failures++;
      this.countError(event.error?.class ?? UNKNOWN_ERROR_CLASS, 1, limits.maxTrackedErrorClasses);
    }
    const d = event.durationMs;
    // Whole ms keeps the sketch's sum an exact integer, hence order-insensitive.
    if (d !== null && d >= 0 && d < Infinity) {
      (this.durations ??= new DDSketch({ alpha: limits.sketchAlpha, maxBins: limits.sketchMaxBins })).add(
        Math.round(d),
      );
    }
    const c = event.costMicros;
    if (c !== null && Number.isFinite(c)) this.costMicrosSum += Math.round(c);
  }

  countError(errorClass: string, count: number, maxTracked: number): void {
    const known = this.errorClasses.get(errorClass);
    if (known !== undefined) this.errorClasses.set(errorClass, known + count);
    else if (this.errorClasses.size < maxTracked) this.errorClasses.set(errorClass, count);
    else this.errorOverflow += count;
  }

  toMetrics(limits: WindowLimits): WindowMetrics {
    return windowMetrics({
      scope: this.scope,
      tenantId: this.tenantId,
      workflowId: this.workflowId,
      stepId: this.stepId,
      service: this.service,
      windowStart: this.windowStart,
      windowEnd: this.windowEnd,
      version: this.version,
      executions: this.executions,
      successes: this.successes,
      failures: this.failures,
      retries: this.retries,
      durations: this.durations,
      costMicrosSum: this.costMicrosSum,
      errorClasses: this.errorClasses,
      errorOverflow: this.errorOverflow,
      lateEvents: this.lateEvents,
      eventCount: this.eventCount,
      workflowVersions: this.workflowVersions,
      limits,
    });
  }

  toJSON(): WindowAggregateJSON {
    return {
      scope: this.scope,
      tenantId: this.tenantId,
      workflowId: this.workflowId,
      stepId: this.stepId,
      service: this.service,
      windowStart: this.windowStart,
      windowEnd: this.windowEnd,
      version: this.version,
      executions: this.executions,
      successes: this.successes,
      failures: this.failures,
      retries: this.retries,
      costMicrosSum: this.costMicrosSum,
      lateEvents: this.lateEvents,
      eventCount: this.eventCount,
      durations: this.durations === null ? null : this.durations.toJSON(),
      errorClasses: [...this.errorClasses].sort(byKey),
      errorOverflow: this.errorOverflow,
      workflowVersions: [...this.workflowVersions].sort(byNumericKey),
    };
  }

  static fromJSON(json: WindowAggregateJSON): WindowAggregate {
    const a = new WindowAggregate(
      json.scope,
      json.tenantId,
      json.workflowId,
      json.stepId,
      json.service,
      json.windowStart,
      json.windowEnd,
    );
    a.version = json.version;
    a.executions = json.executions;
    a.successes = json.successes;
    a.failures = json.failures;
    a.retries = json.retries;
    a.costMicrosSum = json.costMicrosSum;
    a.lateEvents = json.lateEvents;
    a.eventCount = json.eventCount;
    a.durations = json.durations === null ? null : DDSketch.fromJSON(json.durations);
    for (const [k, v] of json.errorClasses) a.errorClasses.set(k, v);
    a.errorOverflow = json.errorOverflow;
    for (const [k, v] of json.workflowVersions) a.workflowVersions.set(k, v);
    return a;
  }
}

export function aggregateId(
  scope: MetricScope,
  tenantId: string,
  primary: string | null,
  stepId: string | null,
): string {
  return scope === 'step'
    ? `${scope}\0${tenantId}\0${primary}\0${stepId}`
    : `${scope}\0${tenantId}\0${primary}`;
}

export function metricsKey(
  scope: MetricScope,
  tenantId: string,
  workflowId: string | null,
  stepId: string | null,
  service: string | null,
): string {
  switch (scope) {
    case 'workflow':
      return `${tenantId}/${workflowId}`;
    case 'service':
      return `${tenantId}/${service}`;
    case 'step':
      return `${tenantId}/${workflowId}/${stepId}`;
  }
}

export interface WindowParts {
  readonly scope: MetricScope;
  readonly tenantId: string;
  readonly workflowId: string | null;
  readonly stepId: string | null;
  readonly service: string | null;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly version: number;
  readonly executions: number;
  readonly successes: number;
  readonly failures: number;
  readonly retries: number;
  readonly durations: DDSketch | null;
  readonly costMicrosSum: number;
  readonly errorClasses: ReadonlyMap<string, number>;
  /** Failures whose class is not in errorClasses; reported under 'other'. */
  readonly errorOverflow: number;
  readonly lateEvents: number;
  readonly eventCount: number;
  readonly workflowVersions: ReadonlyMap<number, number>;
  readonly limits: WindowLimits;
}

/** Derives a WindowMetrics record; shared by the operator and rollups so both derive alike. */
export function windowMetrics(p: WindowParts): WindowMetrics {
  const d = p.durations;
  const hasRuns = p.executions > 0;
  return {
    scope: p.scope,
    key: metricsKey(p.scope, p.tenantId, p.workflowId, p.stepId, p.service),
    tenantId: p.tenantId,
    workflowId: p.workflowId,
    stepId: p.stepId,
    service: p.service,
    windowStart: p.windowStart,
    windowEnd: p.windowEnd,
    version: p.version,
    executions: p.executions,
    successes: p.successes,
    failures: p.failures,
    successRate: hasRuns ? p.successes / p.executions : null,
    retries: p.retries,
    p50Ms: d === null ? null : d.quantile(0.5),
    p95Ms: d === null ? null : d.quantile(0.95),
    p99Ms: d === null ? null : d.quantile(0.99),
    durationSketch: d === null ? emptySketchJSON(p.limits) : d.toJSON(),
    costMicrosSum: p.costMicrosSum,
    costPerRunMicros: hasRuns ? Math.round(p.costMicrosSum / p.executions) : null,
    errorClasses: topErrorClasses(p.errorClasses, p.errorOverflow, p.limits.topErrorClasses),
    lateEvents: p.lateEvents,
    eventCount: p.eventCount,
    // Object.fromEntries defines own properties, so odd keys (e.g. '__proto__') survive.
    workflowVersions: Object.fromEntries(
      [...p.workflowVersions].sort(byNumericKey).map(([k, v]) => [String(k), v]),
    ),
  };
}

function emptySketchJSON(limits: WindowLimits): DDSketchJSON {
  return new DDSketch({ alpha: limits.sketchAlpha, maxBins: limits.sketchMaxBins }).toJSON();
}

/** Top `n` classes by count (ties by name), everything else summed under 'other'. */
export function topErrorClasses(
  classes: ReadonlyMap<string, number>,
  overflow: number,
  n: number,
): Record<string, number> {
  const ranked = [...classes].filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]));
  const kept = new Map(ranked.slice(0, n));
  let other = overflow;
  for (let i = n; i < ranked.length; i++) other += ranked[i]?.[1] ?? 0;
  if (other > 0) kept.set(OTHER_ERROR_CLASS, (kept.get(OTHER_ERROR_CLASS) ?? 0) + other);
  return Object.fromEntries(kept);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byKey(a: readonly [string, number], b: readonly [string, number]): number {
  return cmp(a[0], b[0]);
}

function byNumericKey(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0];
}

/** Deterministic emission order: window start, then scope, then identity. */
export function compareAggregates(a: WindowAggregate, b: WindowAggregate): number {
  return a.windowStart - b.windowStart || cmp(a.id, b.id);
}
