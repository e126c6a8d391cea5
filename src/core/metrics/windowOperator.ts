// The metrics operator of one input partition: folds execution events into tumbling event-time
// windows for three scopes (workflow, service, step), closes a window once the partition watermark
// passes its end, and corrects closed windows with late events for a bounded horizon.
//
// Lifecycle of a window [start, end):
//   open        end > watermark: events fold in silently.
//   closed      end <= watermark: emitted once as version 1; kept while watermark - end <= horizon,
//               and every late event folded into it re-emits it as version + 1.
//   evicted     watermark - end > horizon: dropped; events for it are too late, returned to the
//               caller (tooLateEvents) and counted, never folded.
// Windows are emitted when the watermark crosses a multiple of emitEveryMs (1 s by default), which
// includes every window end: closing and the corrections that land before the next crossing
// coalesce into one record. Emission points are thus set by the event sequence alone, never by how
// it is cut into batches or calls, so a replay reproduces the emitted records (and their versions)
// one for one, while a window corrected by a burst of late events is emitted once per step of the
// watermark instead of once per event. With emitEveryMs 0 every call emits what it changed.
// Whether an event is on time, late or too late depends only on the event sequence.
//
// State is mutated in place and returned (copying per event would defeat the throughput target);
// treat the passed-in state as consumed. Nothing here reads a clock: wall time comes in via advance.

import { ConfigError, ValidationError } from '../../errors.ts';
import { z } from 'zod';
import { DEFAULT_SKETCH_ALPHA, DEFAULT_SKETCH_MAX_BINS, DDSketch } from './ddSketch.ts';
import type { MetricInput } from './metricInput.ts';
import {
  WindowAggregate,
  compareAggregates,
  isStepEvent,
  stepOutcome,
  workflowOutcome,
} from './metricWindow.ts';
import type { WindowAggregateJSON, WindowLimits, WindowMetrics } from './metricWindow.ts';
import { WatermarkTracker } from './watermarkTracker.ts';
import type { WatermarkOptions } from './watermarkTracker.ts';

export interface WindowOperatorConfig extends WindowLimits, WatermarkOptions {
  /** Tumbling window length. Default 60 000 (1 minute). */
  readonly windowMs: number;
  /** Watermark = max event time - allowedLatenessMs. Default 10 000. */
  readonly allowedLatenessMs: number;
  /** Idle partitions advance to now - idleTimeoutMs; null disables. Default 30 000. */
  readonly idleTimeoutMs: number | null;
  /**
   * Event times more than this ahead of the last advance() tick do not push the watermark further
   * (guards against producers with clocks in the future); null disables. Default null.
   */
  readonly maxEventTimeAheadMs: number | null;
  /** Closed windows accept corrections while watermark - windowEnd <= this. Default 3 600 000. */
  readonly correctionHorizonMs: number;
  /**
   * Changed windows are emitted when the watermark crosses a multiple of this (a divisor of
   * windowMs, so closings are never delayed); late corrections wait for the next crossing. 0 emits
   * at the end of every call. Default 1 000.
   */
  readonly emitEveryMs: number;
}

export const DEFAULT_WINDOW_OPERATOR_CONFIG: WindowOperatorConfig = {
  windowMs: 60_000,
  allowedLatenessMs: 10_000,
  idleTimeoutMs: 30_000,
  maxEventTimeAheadMs: null,
  correctionHorizonMs: 3_600_000,
  emitEveryMs: 1_000,
  topErrorClasses: 10,
  maxTrackedErrorClasses: 256,
  sketchAlpha: DEFAULT_SKETCH_ALPHA,
  sketchMaxBins: DEFAULT_SKETCH_MAX_BINS,
};

export interface WindowOperatorResult<E> {
  /** The same state object, updated. */
  readonly state: WindowOperatorState;
  /** New and corrected windows, ordered by windowStart, scope, key. */
  readonly emitted: WindowMetrics[];
  /** Events beyond the correction horizon, not folded: archive them. */
  readonly tooLateEvents: E[];
}

export interface WindowOperatorSnapshot {
  readonly format: 'pulse.metrics.window-operator.v1';
  readonly windowMs: number;
  readonly maxEventTime: number | null;
  readonly watermark: number | null;
  readonly lastOffset: string | null;
  readonly lateEvents: number;
  readonly tooLateEvents: number;
  /** Open and kept closed windows, ordered by windowStart then identity. */
  readonly windows: readonly WindowAggregateJSON[];
  /** Windows changed since the last emission ([windowStart, id]), emitted at the next crossing. */
  readonly pending?: readonly (readonly [number, string])[];
}

// All windows of one window start, nested by id so the hot path looks up the event's own strings
// (hashed once each) instead of building composite keys per event.
interface WindowBucket {
  readonly start: number;
  readonly end: number;
  closed: boolean;
  readonly tenants: Map<string, TenantWindows>;
}

interface TenantWindows {
  readonly workflows: Map<string, WorkflowWindows>;
  readonly services: Map<string, WindowAggregate>;
}

// Every step event also folds into its workflow, so a step window never exists without this one.
interface WorkflowWindows {
  readonly workflow: WindowAggregate;
  readonly steps: Map<string, WindowAggregate>;
}

function forEachAggregate(bucket: WindowBucket, visit: (agg: WindowAggregate) => void): void {
  for (const tenant of bucket.tenants.values()) {
    for (const w of tenant.workflows.values()) {
      visit(w.workflow);
      for (const step of w.steps.values()) visit(step);
    }
    for (const service of tenant.services.values()) visit(service);
  }
}

export class WindowOperatorState {
  readonly clock: WatermarkTracker;
  readonly buckets = new Map<number, WindowBucket>();
  /** Offset of the last event applied, for committing alongside a snapshot. */
  lastOffset: string | null = null;
  /** Events folded into already-closed windows, in total. */
  lateEvents = 0;
  /** Events beyond the correction horizon, in total. */
  tooLateEvents = 0;
  // Smallest end among open buckets / closed buckets: cheap per-event tests for "anything to do?".
  nextCloseEnd = Infinity;
  nextEvictEnd = Infinity;
  // Windows to (re-)emit at the end of the current call.
  readonly dirty = new Set<WindowAggregate>();
  // A held window was evicted between two steps: emit now, so that nothing held is outside `buckets`.
  evictedHeld = false;
  // Events arrive mostly in the current minute: skip the bucket lookup for them.
  lastBucket: WindowBucket | null = null;

  constructor(clock: WatermarkTracker) {
    this.clock = clock;
  }

  /** Current watermark, null before the first event or idle advance. */
  get watermark(): number | null {
    return this.clock.watermark === -Infinity ? null : this.clock.watermark;
  }

  /** Number of windows held (open and kept closed), all scopes. */
  get windowCount(): number {
    let n = 0;
    for (const b of this.buckets.values()) forEachAggregate(b, () => n++);
    return n;
  }
}

const NO_EVENTS: never[] = [];

export class WindowOperator {
  readonly config: WindowOperatorConfig;

  constructor(config: Partial<WindowOperatorConfig> = {}) {
    this.config = checkConfig({ ...DEFAULT_WINDOW_OPERATOR_CONFIG, ...config });
  }

  initialState(): WindowOperatorState {
    return new WindowOperatorState(new WatermarkTracker(this.config));
  }

  /** Applies one event read at `offset`. */
  apply<E extends MetricInput>(
    state: WindowOperatorState,
    event: E,
    offset?: string,
  ): WindowOperatorResult<E> {
    checkEventTime(event, 0);
    const tooLate: E[] = [];
    const before = state.clock.watermark;
    this.#fold(state, event, tooLate);
    if (offset !== undefined) state.lastOffset = offset;
    const emitted = this.#due(state, before, state.clock.watermark) ? this.#emit(state) : [];
    return { state, emitted, tooLateEvents: tooLate };
  }

  /**
   * Applies events in order; `lastOffset` is the offset of the last one. Emits exactly what applying
   * them one at a time would (with emitEveryMs 0: once, at the end of the batch).
   */
  applyBatch<E extends MetricInput>(
    state: WindowOperatorState,
    events: readonly E[],
    lastOffset?: string,
  ): WindowOperatorResult<E> {
    // Validate up front so a bad event cannot leave the state half-applied.
    for (let i = 0; i < events.length; i++) checkEventTime(events[i] as E, i);
    const tooLate: E[] = [];
    const emitted: WindowMetrics[] = [];
    const every = this.config.emitEveryMs;
    for (let i = 0; i < events.length; i++) {
      const before = state.clock.watermark;
      this.#fold(state, events[i] as E, tooLate);
      if (every > 0 && this.#due(state, before, state.clock.watermark)) {
        for (const w of this.#emit(state)) emitted.push(w);
      }
    }
    if (every === 0) for (const w of this.#emit(state)) emitted.push(w);
    if (lastOffset !== undefined) state.lastOffset = lastOffset;
    return { state, emitted, tooLateEvents: tooLate };
  }

  /** Wall-clock tick (call it periodically, e.g. every second): idle advancement and closing. */
  advance(state: WindowOperatorState, nowMs: number): WindowOperatorResult<never> {
    if (!Number.isFinite(nowMs)) throw new RangeError(`advance needs a finite nowMs, got ${nowMs}`);
    const before = state.clock.watermark;
    const w = state.clock.tick(nowMs);
    if (w >= state.nextCloseEnd || w - state.nextEvictEnd > this.config.correctionHorizonMs)
      this.#sweep(state, w);
    const emitted = this.#due(state, before, w) ? this.#emit(state) : [];
    return { state, emitted, tooLateEvents: NO_EVENTS };
  }

  /**
   * Whether the watermark's move from `before` to `after` is an emission point: it crossed a step,
   * or it evicted a window that was waiting for one (both follow from the event sequence alone).
   */
  #due(state: WindowOperatorState, before: number, after: number): boolean {
    const every = this.config.emitEveryMs;
    return every === 0 || state.evictedHeld || Math.floor(after / every) > Math.floor(before / every);
  }

  snapshot(state: WindowOperatorState): WindowOperatorSnapshot {
    const aggregates: WindowAggregate[] = [];
    for (const b of state.buckets.values()) forEachAggregate(b, (a) => aggregates.push(a));
    aggregates.sort(compareAggregates);
    const clock = state.clock.toJSON();
    return {
      format: 'pulse.metrics.window-operator.v1',
      windowMs: this.config.windowMs,
      maxEventTime: clock.maxEventTime,
      watermark: clock.watermark,
      lastOffset: state.lastOffset,
      lateEvents: state.lateEvents,
      tooLateEvents: state.tooLateEvents,
      windows: aggregates.map((a) => a.toJSON()),
      pending: [...state.dirty].sort(compareAggregates).map((a) => [a.windowStart, a.id] as const),
    };
  }

  /** Rebuilds state from `snapshot()` output (e.g. parsed from Redis); throws ValidationError. */
  restore(json: unknown): WindowOperatorState {
    const parsed = snapshotSchema.safeParse(json);
    if (!parsed.success) {
      throw new ValidationError(
        'window operator snapshot',
        parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      );
    }
    const snap = parsed.data;
    if (snap.windowMs !== this.config.windowMs) {
      throw new ConfigError(
        `snapshot has windowMs ${snap.windowMs}, operator is configured for ${this.config.windowMs}`,
      );
    }
    const clock = WatermarkTracker.fromJSON(snap, this.config);
    const state = new WindowOperatorState(clock);
    state.lastOffset = snap.lastOffset;
    state.lateEvents = snap.lateEvents;
    state.tooLateEvents = snap.tooLateEvents;
    const invalid = (i: number, message: string): ValidationError =>
      new ValidationError('window operator snapshot', [{ path: `windows.${i}`, message }]);
    // Workflow windows first: step windows hang off them.
    const order = snap.windows.map((_, i) => i);
    order.sort((a, b) => scopeRank(snap.windows[a]?.scope) - scopeRank(snap.windows[b]?.scope) || a - b);
    for (const i of order) {
      const w = snap.windows[i] as WindowAggregateJSON;
      if (
        w.windowEnd - w.windowStart !== this.config.windowMs ||
        w.windowStart % this.config.windowMs !== 0
      ) {
        throw invalid(i, `window [${w.windowStart}, ${w.windowEnd}) is not aligned to windowMs`);
      }
      const agg = WindowAggregate.fromJSON(w);
      const bucket = this.#bucketFor(state, w.windowStart);
      if (bucket.closed) agg.durations?.trim();
      const tenant = tenantWindows(bucket, agg.tenantId);
      if (agg.scope === 'service') {
        tenant.services.set(agg.service ?? '', agg);
        continue;
      }
      const workflowId = agg.workflowId ?? '';
      const workflow = tenant.workflows.get(workflowId);
      if (agg.scope === 'workflow') {
        tenant.workflows.set(workflowId, {
          workflow: agg,
          steps: workflow?.steps ?? new Map<string, WindowAggregate>(),
        });
      } else if (workflow === undefined) {
        throw invalid(i, 'step window without its workflow window');
      } else {
        workflow.steps.set(agg.stepId ?? '', agg);
      }
    }
    const pending = new Set((snap.pending ?? []).map(([start, id]) => `${start}\u0000${id}`));
    if (pending.size > 0) {
      for (const bucket of state.buckets.values()) {
        forEachAggregate(bucket, (agg) => {
          if (pending.delete(`${agg.windowStart}\u0000${agg.id}`)) state.dirty.add(agg);
        });
      }
      // Held windows that left the horizon are emitted at eviction, so a snapshot never lists one
      // it lacks; snapshots written before that rule (b3be0fa) may, and restore without it.
    }
    return state;
  }

  #fold<E extends MetricInput>(state: WindowOperatorState, e: E, tooLate: E[]): void {
    const t = e.occurredAt;
    const windowMs = this.config.windowMs;
    const start = t - (((t % windowMs) + windowMs) % windowMs);
    const clock = state.clock;
    const late = start + windowMs <= clock.watermark;
    if (late && clock.watermark - (start + windowMs) > this.config.correctionHorizonMs) {
      state.tooLateEvents++;
      tooLate.push(e);
      clock.observe(t);
      return;
    }
    let bucket = state.lastBucket;
    if (bucket === null || bucket.start !== start) {
      bucket = this.#bucketFor(state, start);
      state.lastBucket = bucket;
    }
    const limits = this.config;
    const tenant = tenantWindows(bucket, e.tenantId);
    let workflow = tenant.workflows.get(e.workflowId);
    if (workflow === undefined) {
      workflow = { workflow: WindowAggregate.forEvent('workflow', e, start, bucket.end), steps: new Map() };
      tenant.workflows.set(e.workflowId, workflow);
    }
    workflow.workflow.fold(e, workflowOutcome(e.type), limits);
    if (late) this.#markLate(state, workflow.workflow);
    if (isStepEvent(e.type)) {
      const outcome = stepOutcome(e.type);
      if (e.service !== null) {
        let agg = tenant.services.get(e.service);
        if (agg === undefined) {
          agg = WindowAggregate.forEvent('service', e, start, bucket.end);
          tenant.services.set(e.service, agg);
        }
        agg.fold(e, outcome, limits);
        if (late) this.#markLate(state, agg);
      }
      if (e.stepId !== null) {
        let agg = workflow.steps.get(e.stepId);
        if (agg === undefined) {
          agg = WindowAggregate.forEvent('step', e, start, bucket.end);
          workflow.steps.set(e.stepId, agg);
        }
        agg.fold(e, outcome, limits);
        if (late) this.#markLate(state, agg);
      }
    }
    if (late) state.lateEvents++;
    const w = clock.observe(t);
    if (w >= state.nextCloseEnd || w - state.nextEvictEnd > this.config.correctionHorizonMs)
      this.#sweep(state, w);
  }

  #markLate(state: WindowOperatorState, agg: WindowAggregate): void {
    agg.lateEvents++;
    state.dirty.add(agg);
  }

  #bucketFor(state: WindowOperatorState, start: number): WindowBucket {
    let bucket = state.buckets.get(start);
    if (bucket === undefined) {
      const end = start + this.config.windowMs;
      const closed = end <= state.clock.watermark;
      bucket = { start, end, closed, tenants: new Map() };
      state.buckets.set(start, bucket);
      if (closed) state.nextEvictEnd = Math.min(state.nextEvictEnd, end);
      else state.nextCloseEnd = Math.min(state.nextCloseEnd, end);
    }
    return bucket;
  }

  // Closes buckets the watermark has passed and drops those beyond the correction horizon.
  #sweep(state: WindowOperatorState, watermark: number): void {
    let nextClose = Infinity;
    let nextEvict = Infinity;
    for (const bucket of state.buckets.values()) {
      if (!bucket.closed) {
        if (bucket.end > watermark) {
          nextClose = Math.min(nextClose, bucket.end);
          continue;
        }
        bucket.closed = true;
        forEachAggregate(bucket, (agg) => {
          agg.durations?.trim();
          state.dirty.add(agg);
        });
      }
      if (watermark - bucket.end > this.config.correctionHorizonMs) {
        if (state.dirty.size > 0) {
          forEachAggregate(bucket, (agg) => {
            if (state.dirty.has(agg)) state.evictedHeld = true;
          });
        }
        state.buckets.delete(bucket.start);
        if (state.lastBucket === bucket) state.lastBucket = null;
      } else {
        nextEvict = Math.min(nextEvict, bucket.end);
      }
    }
    state.nextCloseEnd = nextClose;
    state.nextEvictEnd = nextEvict;
  }

  #emit(state: WindowOperatorState): WindowMetrics[] {
    if (state.dirty.size === 0) return [];
    const aggregates = [...state.dirty].sort(compareAggregates);
    state.dirty.clear();
    state.evictedHeld = false;
    const out: WindowMetrics[] = new Array<WindowMetrics>(aggregates.length);
    for (let i = 0; i < aggregates.length; i++) {
      const agg = aggregates[i] as WindowAggregate;
      agg.version++;
      out[i] = agg.toMetrics(this.config);
    }
    return out;
  }
}

function tenantWindows(bucket: WindowBucket, tenantId: string): TenantWindows {
  let tenant = bucket.tenants.get(tenantId);
  if (tenant === undefined) {
    tenant = { workflows: new Map(), services: new Map() };
    bucket.tenants.set(tenantId, tenant);
  }
  return tenant;
}

function scopeRank(scope: string | undefined): number {
  return scope === 'workflow' ? 0 : 1;
}

function checkEventTime(event: MetricInput, index: number): void {
  if (!Number.isFinite(event.occurredAt)) {
    throw new ValidationError('metric event', [
      { path: `${index}.occurredAt`, message: `expected finite epoch ms, got ${event.occurredAt}` },
    ]);
  }
}

function checkConfig(c: WindowOperatorConfig): WindowOperatorConfig {
  const positiveInt = (v: number): boolean => Number.isSafeInteger(v) && v > 0;
  const nonNegative = (v: number): boolean => Number.isFinite(v) && v >= 0;
  const problems: string[] = [];
  if (!positiveInt(c.windowMs)) problems.push(`windowMs must be a positive integer, got ${c.windowMs}`);
  if (!nonNegative(c.allowedLatenessMs))
    problems.push(`allowedLatenessMs must be >= 0, got ${c.allowedLatenessMs}`);
  if (c.idleTimeoutMs !== null && !(nonNegative(c.idleTimeoutMs) && c.idleTimeoutMs > 0)) {
    problems.push(`idleTimeoutMs must be > 0 or null, got ${c.idleTimeoutMs}`);
  }
  if (c.maxEventTimeAheadMs !== null && !nonNegative(c.maxEventTimeAheadMs)) {
    problems.push(`maxEventTimeAheadMs must be >= 0 or null, got ${c.maxEventTimeAheadMs}`);
  }
  if (!nonNegative(c.correctionHorizonMs))
    problems.push(`correctionHorizonMs must be >= 0, got ${c.correctionHorizonMs}`);
  if (!(c.emitEveryMs === 0 || (positiveInt(c.emitEveryMs) && c.windowMs % c.emitEveryMs === 0))) {
    problems.push(`emitEveryMs must be 0 or a divisor of windowMs (${c.windowMs}), got ${c.emitEveryMs}`);
  }
  if (!positiveInt(c.topErrorClasses))
    problems.push(`topErrorClasses must be a positive integer, got ${c.topErrorClasses}`);
  if (!positiveInt(c.maxTrackedErrorClasses) || c.maxTrackedErrorClasses < c.topErrorClasses) {
    problems.push(
      `maxTrackedErrorClasses must be an integer >= topErrorClasses, got ${c.maxTrackedErrorClasses}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(`window operator: ${problems.join('; ')}`);
  // The sketch validates its own options; fail here, at configuration time, rather than on the first event.
  new DDSketch({ alpha: c.sketchAlpha, maxBins: c.sketchMaxBins });
  return Object.freeze({ ...c });
}

const count = z.number().int().nonnegative();
const epochMs = z.number().int();
const id = z.string();

const aggregateSchema = z
  .object({
    scope: z.enum(['workflow', 'service', 'step']),
    tenantId: id,
    workflowId: id.nullable(),
    stepId: id.nullable(),
    service: id.nullable(),
    windowStart: epochMs,
    windowEnd: epochMs,
    version: count,
    executions: count,
    successes: count,
    failures: count,
    retries: count,
    costMicrosSum: z.number().int(),
    lateEvents: count,
    eventCount: count,
    durations: z.unknown().refine((v) => v === null || (typeof v === 'object' && !Array.isArray(v)), {
      message: 'expected a sketch or null',
    }),
    errorClasses: z.array(z.tuple([z.string(), count])),
    errorOverflow: count,
    workflowVersions: z.array(z.tuple([z.number().int(), count])),
  })
  .refine(
    (a) =>
      a.scope === 'workflow'
        ? a.workflowId !== null && a.stepId === null && a.service === null
        : a.scope === 'service'
          ? a.workflowId === null && a.stepId === null && a.service !== null
          : a.workflowId !== null && a.stepId !== null && a.service === null,
    { message: 'ids do not match the scope' },
  );

const snapshotSchema = z.object({
  format: z.literal('pulse.metrics.window-operator.v1'),
  windowMs: z.number().int().positive(),
  maxEventTime: z.number().nullable(),
  watermark: z.number().nullable(),
  lastOffset: z.string().nullable(),
  lateEvents: count,
  tooLateEvents: count,
  windows: z.array(aggregateSchema),
  // Absent in snapshots taken before emission steps: nothing was pending then.
  pending: z.array(z.tuple([z.number(), z.string()])).optional(),
});
