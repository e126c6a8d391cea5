// Turns closed metric windows into insights: per workflow and per (workflow, step) series it watches
// four metrics — failure rate, p95 latency, throughput (runs per minute, both directions) and cost
// per run — each with the shared AnomalyDetector, and lets the shared alert hysteresis decide when an
// insight opens, escalates and resolves. Failures shared by many workflows become one incident
// (IncidentGrouper) instead of one insight per workflow.
//
// Per window, in order:
//  1. duplicates (same window, version not higher) are ignored; corrections (higher version of a
//     window already seen) replace the window's numbers and adjust the impact of open insights, but
//     never feed a detector again, so they cannot open or re-open anything;
//  2. throughput: minutes without a window had no runs (the metrics core emits nothing for them),
//     so the gap is fed as zeros; then the window's runs per minute. A Poisson test against the
//     expected count gates the detector's deviation, so a quiet series dropping from 1 run to 0 is
//     not a drop;
//  3. failure rate, latency and cost are judged on pools of at least `minExecutions` runs (quiet
//     series pool consecutive windows): p95 of 2 runs is noise. The failure rate's deviation is
//     capped by an exact binomial test against the expected rate (at least the long-run rate and
//     `minFailureRate`): 1 failure in 2 runs is never significant. Most workflows rarely fail, so
//     most points are 0 and the detector's median and MAD say little: past its warm-up, a binomial
//     excess also counts as the level;
//  4. the hysteresis opens on k of n anomalous points (level and deviation both high), resolves on m
//     normal ones, and grades severity. An open insight holds while its value is still materially
//     and significantly off the expected value: the detector gets used to a long anomaly, the
//     insight should not (a regression that persists resolves only once the baseline has moved);
//  5. failure insights, and every step insight, are held until the incident grouper has closed their
//     minute (settleMs behind the newest window): then they are linked to an open incident (failure
//     insights whose workflow and error class it covers) or to the open workflow insight of the same
//     kind (step insights), or emitted. Linked insights stay silent for their whole episode.
//
// State is mutated in place (like the window operator's); `snapshot()` gives plain JSON and
// `restore()` continues with exactly the same outputs. Nothing reads a clock: time is the windows'.

import { z } from 'zod';
import { ValidationError } from '../../errors.ts';
import { DEFAULT_DETECTOR_CONFIG } from '../detection/anomalyDetector.ts';
import type { DetectorConfig, DetectorOutput } from '../detection/anomalyDetector.ts';
import { DEFAULT_ALERT_HYSTERESIS_CONFIG, alertHysteresis } from '../detection/alertHysteresis.ts';
import type { AlertHysteresisConfig, AlertObservation } from '../detection/alertHysteresis.ts';
import { DDSketch } from '../metrics/ddSketch.ts';
import type { WindowMetrics } from '../metrics/metricWindow.ts';
import {
  binomialUpperLogTail,
  poissonLowerLogTail,
  poissonUpperLogTail,
  tailDeviation,
} from './countTails.ts';
import { attributeVersion, contributorsOf, describe } from './describeInsight.ts';
import { DEFAULT_INCIDENT_GROUPER_CONFIG, IncidentGrouper, IncidentGrouperState } from './incidentGrouper.ts';
import type { IncidentGrouperConfig, IncidentGrouperSnapshot } from './incidentGrouper.ts';
import { SERIES_INSIGHT_KINDS, insightId, insightSeverity } from './insight.ts';
import type { ImpactUnit, Insight, InsightChange, InsightMetric, SeriesInsightKind } from './insight.ts';
import {
  createSeries,
  restoreSeries,
  seriesId,
  seriesSnapshotSchema,
  snapshotSeries,
} from './insightSeries.ts';
import type { OpenInsight, SeriesSnapshot, SeriesState, WindowEntry } from './insightSeries.ts';

/** A window as the metrics processor emits it (service windows carry their input partition). */
export type InsightWindow = WindowMetrics & { readonly inputPartition?: number };

export interface InsightEngineConfig {
  readonly detector: DetectorConfig;
  readonly alerting: AlertHysteresisConfig;
  /** Also watch (workflow, step) series. */
  readonly trackSteps: boolean;
  /** Runs a point needs before failure rate, latency and cost are judged; quieter windows pool. */
  readonly minExecutions: number;
  /** A pool is judged after this long even if it has fewer runs (if it has any). */
  readonly maxPoolMs: number;
  /** Floor of the failure rate the binomial test expects. */
  readonly minFailureRate: number;
  /** Memory (runs) of the long-run failure rate. */
  readonly failureRateMemoryRuns: number;
  /** Floor of the expected runs per window in the Poisson test. */
  readonly minExpectedRuns: number;
  /** A change smaller than this fraction of the expected value is not an insight, however unusual. */
  readonly minRelativeChange: {
    readonly latency: number;
    readonly cost: number;
    readonly throughput: number;
  };
  /** A version first seen at most this long before a regression opens may be named as its cause. */
  readonly versionLookbackMs: number;
  /** ...if it carries at least this share of the events since it appeared. */
  readonly minVersionShare: number;
  /** Windows kept per series for corrections and attribution (covers the correction horizon). */
  readonly retainMs: number;
  /** Silence longer than this stops being fed to the throughput detector as zeros. */
  readonly maxGapFillMs: number;
  /** A series silent this long with nothing open is forgotten by `advance` (its detectors are dropped). */
  readonly forgetSeriesMs: number;
  /** Detector points after which confidence is no longer discounted for a young baseline. */
  readonly maturityPoints: number;
  /** Minutes are grouped into incidents once the newest window is this far ahead of them. */
  readonly settleMs: number;
  readonly incidents: IncidentGrouperConfig;
}

export const DEFAULT_INSIGHT_ENGINE_CONFIG: InsightEngineConfig = {
  detector: DEFAULT_DETECTOR_CONFIG,
  alerting: DEFAULT_ALERT_HYSTERESIS_CONFIG,
  trackSteps: true,
  minExecutions: 10,
  maxPoolMs: 3_600_000,
  minFailureRate: 0.01,
  failureRateMemoryRuns: 5000,
  minExpectedRuns: 0.5,
  minRelativeChange: { latency: 0.25, cost: 0.2, throughput: 0.3 },
  versionLookbackMs: 30 * 60_000,
  minVersionShare: 0.5,
  retainMs: 2 * 3_600_000,
  maxGapFillMs: 24 * 3_600_000,
  forgetSeriesMs: 8 * 24 * 3_600_000,
  maturityPoints: 1440,
  settleMs: 120_000,
  incidents: DEFAULT_INCIDENT_GROUPER_CONFIG,
};

export interface InsightEngineConfigInput extends Partial<Omit<InsightEngineConfig, 'incidents'>> {
  readonly incidents?: Partial<IncidentGrouperConfig>;
}

export class InsightEngineState {
  readonly series = new Map<string, SeriesState>();
  /** Workflow key -> ids of its step series (for step contributors). */
  readonly stepsOf = new Map<string, string[]>();
  readonly incidents: IncidentGrouperState;
  /** Newest windowStart seen. */
  clock: number | null = null;
  /** Insights held until the grouper has closed their minute. */
  pending: { series: string; kind: SeriesInsightKind }[] = [];

  constructor(incidents: IncidentGrouperState) {
    this.incidents = incidents;
  }
}

export interface InsightEngineSnapshot {
  readonly format: 'pulse.insights.engine.v1';
  readonly clock: number | null;
  readonly pending: readonly { readonly series: string; readonly kind: SeriesInsightKind }[];
  readonly stepsOf: readonly (readonly [string, readonly string[]])[];
  readonly series: readonly SeriesSnapshot[];
  readonly incidents: IncidentGrouperSnapshot;
}

/** What one scored point means for one insight kind. */
interface PointReport {
  readonly observation: AlertObservation;
  readonly observed: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** windowStart of the first window the point covers. */
  readonly from: number;
  readonly impact: number;
  readonly errorClasses: [string, number][];
  readonly points: number;
}

const METRIC: Record<SeriesInsightKind, InsightMetric> = {
  failure_rate: 'failure_rate',
  latency_p95: 'p95_ms',
  throughput_drop: 'executions_per_minute',
  throughput_spike: 'executions_per_minute',
  cost_per_run: 'cost_per_run_micros',
};

const IMPACT: Record<SeriesInsightKind, ImpactUnit> = {
  failure_rate: 'failed_runs',
  latency_p95: 'affected_runs',
  throughput_drop: 'missing_runs',
  throughput_spike: 'extra_runs',
  cost_per_run: 'extra_cost_micros',
};

const round = (v: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
const finiteOr = (v: number, fallback: number): number => (Number.isFinite(v) ? v : fallback);

export class InsightEngine {
  readonly config: InsightEngineConfig;
  readonly grouper: IncidentGrouper;

  constructor(config: InsightEngineConfigInput = {}) {
    const { incidents, ...rest } = config;
    this.config = {
      ...DEFAULT_INSIGHT_ENGINE_CONFIG,
      ...rest,
      incidents: { ...DEFAULT_INCIDENT_GROUPER_CONFIG, ...incidents },
    };
    const c = this.config;
    if (!(c.minExecutions >= 1 && c.maxPoolMs > 0 && c.retainMs >= c.maxPoolMs && c.settleMs >= 0)) {
      throw new RangeError(
        'InsightEngine: minExecutions >= 1, maxPoolMs > 0, retainMs >= maxPoolMs, settleMs >= 0',
      );
    }
    this.grouper = new IncidentGrouper(this.config.incidents);
  }

  initialState(): InsightEngineState {
    return new InsightEngineState(this.grouper.initialState());
  }

  /**
   * Applies one closed window (any scope; service windows only feed incident grouping). Windows of
   * one series must come in windowStart order; series may interleave. Returns the insights opened,
   * updated or resolved by it (including held ones it releases).
   */
  apply(state: InsightEngineState, window: InsightWindow): Insight[] {
    checkWindow(window);
    const out: Insight[] = [];
    this.grouper.observe(state.incidents, window);
    if (
      window.workflowId !== null &&
      (window.scope === 'workflow' ||
        (window.scope === 'step' && this.config.trackSteps && window.stepId !== null))
    ) {
      this.#applySeries(state, window, out);
    }
    state.clock = Math.max(state.clock ?? -Infinity, window.windowStart);
    this.#closeMinutes(state, state.clock - this.config.settleMs, out);
    return out;
  }

  /**
   * Event-time progress without windows: every window ending at or before `closedBefore` has been
   * delivered (the processor's watermark across all partitions). Series silent since then get their
   * runs-per-minute fed as zeros (a workflow that stopped running is a throughput drop), and
   * incidents are evaluated up to it. Series silent for `forgetSeriesMs` with nothing open are dropped.
   * Call it with the processor's watermark, e.g. once a minute.
   */
  advance(state: InsightEngineState, closedBefore: number): Insight[] {
    if (!Number.isFinite(closedBefore))
      throw new RangeError(`advance needs a finite time, got ${closedBefore}`);
    const out: Insight[] = [];
    for (const [id, s] of state.series) {
      if (
        s.lastStart < closedBefore - this.config.forgetSeriesMs &&
        SERIES_INSIGHT_KINDS.every((k) => s.machines[k].open === null)
      ) {
        state.series.delete(id);
        const parent = `${s.tenantId}/${s.workflowId}`;
        const steps = state.stepsOf.get(parent)?.filter((x) => x !== id);
        if (steps === undefined || steps.length === 0) state.stepsOf.delete(parent);
        else state.stepsOf.set(parent, steps);
        continue;
      }
      if (Number.isFinite(s.lastStart)) this.#fillThroughput(state, s, closedBefore - s.windowMs, out);
    }
    this.#closeMinutes(state, closedBefore - this.config.incidents.windowMs, out);
    return out;
  }

  snapshot(state: InsightEngineState): InsightEngineSnapshot {
    return {
      format: 'pulse.insights.engine.v1',
      clock: state.clock,
      pending: state.pending.map((p) => ({ ...p })),
      stepsOf: [...state.stepsOf].map(([k, ids]) => [k, [...ids]] as const),
      series: [...state.series.values()].map(snapshotSeries),
      incidents: this.grouper.snapshot(state.incidents),
    };
  }

  /** Rebuilds state from `snapshot()` output (e.g. parsed from a store); throws ValidationError. */
  restore(json: unknown): InsightEngineState {
    const parsed = snapshotSchema.safeParse(json);
    if (!parsed.success) {
      throw new ValidationError(
        'insight engine snapshot',
        parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      );
    }
    const snap = parsed.data;
    const state = new InsightEngineState(this.grouper.restore(snap.incidents));
    state.clock = snap.clock;
    state.pending = snap.pending.map((p) => ({ ...p }));
    for (const [k, ids] of snap.stepsOf) state.stepsOf.set(k, [...ids]);
    for (const s of snap.series) {
      const series = restoreSeries(s);
      state.series.set(series.id, series);
    }
    return state;
  }

  #applySeries(state: InsightEngineState, w: InsightWindow, out: Insight[]): void {
    const scope = w.scope === 'step' ? 'step' : 'workflow';
    const id = seriesId(scope, w.key);
    let s = state.series.get(id);
    if (s === undefined) {
      s = createSeries(
        scope,
        w.key,
        w.tenantId,
        w.workflowId ?? '',
        scope === 'step' ? w.stepId : null,
        this.config.detector,
      );
      state.series.set(id, s);
      if (scope === 'step') {
        const workflowKey = `${w.tenantId}/${w.workflowId ?? ''}`;
        const ids = state.stepsOf.get(workflowKey) ?? [];
        ids.push(id);
        state.stepsOf.set(workflowKey, ids);
      }
    }
    if (w.windowStart <= s.lastStart) {
      this.#correct(s, w, out);
      return;
    }
    const first = !Number.isFinite(s.lastStart);
    s.windowMs = w.windowEnd - w.windowStart;
    this.#fillThroughput(state, s, w.windowStart - s.windowMs, out);
    const entry = toEntry(w);
    s.entries.push(entry);
    if (first) s.firstStart = w.windowStart;
    if (w.service !== null) s.service = w.service;
    s.hasCost ||= w.costMicrosSum > 0;
    for (const v of Object.keys(w.workflowVersions)) {
      if (!s.versions.has(v)) s.versions.set(v, first ? -Infinity : w.windowStart);
    }
    // Only the latest versions matter for attribution; a long-lived workflow must not grow the map.
    while (s.versions.size > 16) {
      const oldest = [...s.versions].sort((a, b) => a[1] - b[1])[0];
      if (oldest === undefined) break;
      s.versions.delete(oldest[0]);
    }
    s.lastStart = w.windowStart;

    if (w.windowStart > s.filledThrough) {
      this.#feedThroughput(state, s, w.windowStart, w.executions, entry, out);
      s.filledThrough = w.windowStart;
    }

    s.poolFrom ??= w.windowStart;
    // The pool is the tail of the entries (windows arrive in order).
    let head = s.entries.length;
    while (head > 0 && (s.entries[head - 1]?.windowStart ?? -Infinity) >= s.poolFrom) head--;
    const pool = s.entries.slice(head);
    let runs = 0;
    for (const e of pool) runs += e.executions;
    if (runs >= this.config.minExecutions || w.windowEnd - s.poolFrom >= this.config.maxPoolMs) {
      if (runs > 0) this.#scorePool(state, s, pool, out);
      for (const e of pool) {
        e.scored = true;
        e.sketch = null;
      }
      s.poolFrom = null;
    }

    // Keep the retention, but never drop windows of the pool still being collected.
    const keepFrom = Math.min(s.lastStart - this.config.retainMs, s.poolFrom ?? Infinity);
    let drop = 0;
    while (drop < s.entries.length && (s.entries[drop]?.windowStart ?? Infinity) < keepFrom) drop++;
    if (drop > 0) s.entries.splice(0, drop);
  }

  // Minutes between the last one fed and `through` (inclusive) had no window: no runs.
  #fillThroughput(state: InsightEngineState, s: SeriesState, through: number, out: Insight[]): void {
    if (!Number.isFinite(s.filledThrough)) return;
    const limit = Math.min(through, s.lastStart + this.config.maxGapFillMs);
    for (let t = s.filledThrough + s.windowMs; t <= limit; t += s.windowMs) {
      this.#feedThroughput(state, s, t, 0, null, out);
      s.filledThrough = t;
    }
  }

  #feedThroughput(
    state: InsightEngineState,
    s: SeriesState,
    t: number,
    executions: number,
    entry: WindowEntry | null,
    out: Insight[],
  ): void {
    const c = this.config;
    const minutes = s.windowMs / 60_000;
    const rate = executions / minutes;
    const o = s.detectors.throughput.update({ timestamp: t, value: rate });
    const expected = Math.max(0, finiteOr(o.expected, rate));
    s.last.throughput = bounds(o, expected, 0, Infinity);
    const expectedRuns = expected * minutes;
    if (entry !== null) entry.expectedExecutions = expectedRuns;
    // The count must also be beyond counting noise (Poisson) and a material change.
    const lambda = Math.max(expectedRuns, c.minExpectedRuns);
    let up = 0;
    let down = 0;
    if (o.deviation > 0 && rate > expected * (1 + c.minRelativeChange.throughput)) {
      up = Math.min(o.deviation, tailDeviation(poissonUpperLogTail(executions, lambda)));
    } else if (o.deviation < 0 && rate < expected * (1 - c.minRelativeChange.throughput)) {
      down = -Math.min(-o.deviation, tailDeviation(poissonLowerLogTail(executions, lambda)));
    }
    const base = {
      observed: rate,
      expected,
      lower: Math.max(0, finiteOr(o.lower, expected)),
      upper: finiteOr(o.upper, expected),
      windowStart: t,
      windowEnd: t + s.windowMs,
      from: t,
      errorClasses: [],
      points: s.detectors.throughput.points,
    };
    this.#observe(
      state,
      s,
      'throughput_spike',
      {
        ...base,
        observation: { timestamp: t, level: o.level, deviation: up },
        impact: Math.max(0, executions - expectedRuns),
      },
      out,
    );
    this.#observe(
      state,
      s,
      'throughput_drop',
      {
        ...base,
        observation: { timestamp: t, level: o.level, deviation: down },
        impact: Math.max(0, expectedRuns - executions),
      },
      out,
    );
  }

  // Failure rate, latency and cost of one pool of windows with enough runs.
  #scorePool(state: InsightEngineState, s: SeriesState, pool: readonly WindowEntry[], out: Insight[]): void {
    const c = this.config;
    const last = pool[pool.length - 1];
    const head = pool[0];
    if (last === undefined || head === undefined) return;
    let runs = 0;
    let failures = 0;
    let cost = 0;
    const classes = new Map<string, number>();
    for (const e of pool) {
      runs += e.executions;
      failures += e.failures;
      cost += e.costMicrosSum;
      for (const [k, n] of e.errorClasses) classes.set(k, (classes.get(k) ?? 0) + n);
    }
    const t = last.windowStart;
    const span = { windowStart: head.windowStart, windowEnd: last.windowEnd, from: head.windowStart };
    const errorClasses = [...classes];

    // Failure rate: the detector's view, capped by how unlikely the count is for the expected rate.
    const rate = failures / runs;
    const fo = s.detectors.failure.update({ timestamp: t, value: rate });
    const longRun = (s.failedEw + 1) / (s.runsEw + 1 / c.minFailureRate);
    const p0 = Math.min(0.999, Math.max(finiteOr(fo.expected, 0), longRun, c.minFailureRate));
    s.last.failure = bounds(fo, p0, 0, 1);
    const binomial = tailDeviation(binomialUpperLogTail(failures, runs, p0));
    const failureDeviation = fo.deviation > 0 ? Math.min(fo.deviation, binomial) : 0;
    // Most workflows rarely fail: most points are 0, the detector's median and MAD are 0 and its
    // calibrated surprise says little. Past its warm-up, an exact binomial excess is a level of its
    // own (z = minDeviation -> 0.5, twice that -> 1); the deviation still needs both to agree.
    const countLevel =
      s.detectors.failure.points > this.config.detector.warmup
        ? Math.min(1, binomial / (2 * c.alerting.minDeviation))
        : 0;
    const decay = Math.exp(-runs / c.failureRateMemoryRuns);
    s.failedEw = s.failedEw * decay + failures;
    s.runsEw = s.runsEw * decay + runs;
    let excessFailures = 0;
    for (const e of pool) {
      e.expectedFailureRate = p0;
      excessFailures += failureImpact(e);
    }
    this.#observe(
      state,
      s,
      'failure_rate',
      {
        observation: { timestamp: t, level: Math.max(fo.level, countLevel), deviation: failureDeviation },
        observed: rate,
        expected: p0,
        lower: Math.max(0, finiteOr(fo.lower, p0)),
        upper: Math.min(1, Math.max(p0, finiteOr(fo.upper, p0))),
        ...span,
        impact: excessFailures,
        errorClasses,
        points: s.detectors.failure.points,
      },
      out,
    );

    // p95 latency: one window's own p95, or the merged sketch of the pool's windows.
    const p95 = pool.length === 1 ? head.p95Ms : pooledP95(pool);
    if (p95 !== null) {
      const lo = s.detectors.latency.update({ timestamp: t, value: p95 });
      const expected = finiteOr(lo.expected, p95);
      s.last.latency = bounds(lo, expected, 0, Infinity);
      const slow = lo.deviation > 0 && p95 > expected * (1 + c.minRelativeChange.latency);
      let affected = 0;
      for (const e of pool) {
        e.slow = slow;
        affected += slow ? e.executions : 0;
      }
      this.#observe(
        state,
        s,
        'latency_p95',
        {
          observation: { timestamp: t, level: lo.level, deviation: slow ? lo.deviation : 0 },
          observed: p95,
          expected,
          lower: Math.max(0, finiteOr(lo.lower, expected)),
          upper: finiteOr(lo.upper, expected),
          ...span,
          impact: affected,
          errorClasses,
          points: s.detectors.latency.points,
        },
        out,
      );
    }

    // Cost per run, for series that report costs at all.
    if (s.hasCost) {
      const perRun = cost / runs;
      const co = s.detectors.cost.update({ timestamp: t, value: perRun });
      const expected = finiteOr(co.expected, perRun);
      s.last.cost = bounds(co, expected, 0, Infinity);
      const higher = co.deviation > 0 && perRun > expected * (1 + c.minRelativeChange.cost);
      let extra = 0;
      for (const e of pool) {
        e.expectedCostPerRun = expected;
        extra += costImpact(e);
      }
      this.#observe(
        state,
        s,
        'cost_per_run',
        {
          observation: { timestamp: t, level: co.level, deviation: higher ? co.deviation : 0 },
          observed: perRun,
          expected,
          lower: Math.max(0, finiteOr(co.lower, expected)),
          upper: finiteOr(co.upper, expected),
          ...span,
          impact: extra,
          errorClasses,
          points: s.detectors.cost.points,
        },
        out,
      );
    }
  }

  #observe(
    state: InsightEngineState,
    s: SeriesState,
    kind: SeriesInsightKind,
    p: PointReport,
    out: Insight[],
  ): void {
    const machine = s.machines[kind];
    const c = this.config.alerting;
    // The detector gets used to a long anomaly and its level fades; an open insight holds as long as
    // the value is still materially and significantly off the (slowly adapting) expected value.
    const observation =
      machine.alert.status === 'open' && Math.abs(p.observation.deviation) >= c.minDeviation
        ? { ...p.observation, level: Math.max(p.observation.level, c.holdLevel) }
        : p.observation;
    const r = alertHysteresis(machine.alert, observation, c);
    machine.alert = r.state;
    let opened = false;
    for (const t of r.transitions) {
      if (t.kind === 'opened') {
        machine.open = this.#open(state, s, kind, p, t.severity);
        opened = true;
        if (machine.open.visibility === 'visible')
          out.push(this.#insight(s, kind, machine.open, 'opened', null));
        else state.pending.push({ series: s.id, kind });
        continue;
      }
      const open = machine.open;
      if (open === null) continue;
      refresh(open, p);
      if (t.kind === 'escalated') {
        open.severity = t.severity;
        if (open.visibility === 'visible') out.push(this.#insight(s, kind, open, 'updated', null));
      } else {
        // A held insight ending before its release is released first, so it is linked or shown whole.
        if (open.visibility === 'pending') this.#release(state, s, kind, out);
        if (open.visibility === 'visible') out.push(this.#insight(s, kind, open, 'resolved', p.windowEnd));
        machine.open = null;
      }
    }
    if (!opened && machine.open !== null && r.transitions.length === 0) refresh(machine.open, p);
  }

  #open(
    state: InsightEngineState,
    s: SeriesState,
    kind: SeriesInsightKind,
    p: PointReport,
    severity: OpenInsight['severity'],
  ): OpenInsight {
    const c = this.config;
    const openedAt = p.windowStart;
    const attributable = kind !== 'throughput_spike';
    const version = attributable
      ? attributeVersion(s, p.observation.timestamp, c.versionLookbackMs, c.minVersionShare)
      : null;
    const steps =
      s.scope === 'workflow'
        ? (state.stepsOf.get(s.key) ?? []).map((id) => state.series.get(id)).filter((x) => x !== undefined)
        : [];
    const contributors = contributorsOf(kind, s, steps, p.from, p.observation.timestamp, version);
    const held = kind === 'failure_rate' || s.scope === 'step';
    const recent = s.machines[kind].alert.recent;
    const agreement = recent.filter(Boolean).length / Math.max(1, c.alerting.openWindow);
    const maturity = 0.5 + 0.5 * Math.min(1, p.points / c.maturityPoints);
    return {
      insightId: insightId(kind, s.scope, s.key, openedAt),
      openedAt,
      from: p.from,
      severity,
      score: p.observation.level,
      confidence: round(Math.min(1, agreement) * maturity),
      impact: p.impact,
      observed: p.observed,
      expected: p.expected,
      lower: p.lower,
      upper: p.upper,
      windowStart: p.windowStart,
      windowEnd: p.windowEnd,
      openedObserved: p.observed,
      openedExpected: p.expected,
      contributors,
      version: version?.version ?? null,
      errorClasses: p.errorClasses,
      visibility: held ? 'pending' : 'visible',
      linkedTo: null,
      releaseAt: p.observation.timestamp,
    };
  }

  // Evaluates incident minutes up to `through`, then releases held insights whose minute is closed.
  #closeMinutes(state: InsightEngineState, through: number, out: Insight[]): void {
    out.push(...this.grouper.closeThrough(state.incidents, through));
    const closed = state.incidents.closedThrough;
    if (closed === null || state.pending.length === 0) return;
    const keep: InsightEngineState['pending'] = [];
    for (const p of state.pending) {
      const open = state.series.get(p.series)?.machines[p.kind].open;
      if (open === undefined || open === null || open.visibility !== 'pending') continue;
      if (open.releaseAt > closed) {
        keep.push(p);
        continue;
      }
      const s = state.series.get(p.series);
      if (s !== undefined) this.#release(state, s, p.kind, out);
    }
    state.pending = keep;
  }

  #release(state: InsightEngineState, s: SeriesState, kind: SeriesInsightKind, out: Insight[]): void {
    const open = s.machines[kind].open;
    if (open === null || open.visibility !== 'pending') return;
    let link: string | null = null;
    if (kind === 'failure_rate') {
      link = this.grouper.openIncidentFor(state.incidents, s.tenantId, s.workflowId, open.errorClasses);
    }
    if (link === null && s.scope === 'step') {
      const parent = state.series.get(seriesId('workflow', `${s.tenantId}/${s.workflowId}`));
      link = parent?.machines[kind].open?.insightId ?? null;
    }
    if (link !== null) {
      open.visibility = 'linked';
      open.linkedTo = link;
      return;
    }
    open.visibility = 'visible';
    out.push(this.#insight(s, kind, open, 'opened', null));
  }

  // A higher version of a window already applied: new numbers, impact adjusted, nothing re-scored.
  #correct(s: SeriesState, w: InsightWindow, out: Insight[]): void {
    const entry = s.entries.find((e) => e.windowStart === w.windowStart);
    if (entry === undefined || w.version <= entry.version) return;
    const before = { ...entry };
    const after = toEntry(w);
    entry.version = after.version;
    entry.executions = after.executions;
    entry.failures = after.failures;
    entry.p95Ms = after.p95Ms;
    entry.costMicrosSum = after.costMicrosSum;
    entry.errorClasses = after.errorClasses;
    entry.workflowVersions = after.workflowVersions;
    if (!entry.scored) entry.sketch = after.sketch;
    s.hasCost ||= w.costMicrosSum > 0;
    for (const kind of SERIES_INSIGHT_KINDS) {
      const open = s.machines[kind].open;
      if (open === null || entry.windowStart < open.from) continue;
      const counted =
        kind === 'throughput_drop' || kind === 'throughput_spike'
          ? entry.expectedExecutions !== null
          : entry.scored;
      if (!counted) continue;
      const delta = impactOf(kind, entry) - impactOf(kind, before);
      if (delta === 0) continue;
      open.impact += delta;
      if (open.visibility === 'visible') out.push(this.#insight(s, kind, open, 'updated', null));
    }
  }

  #insight(
    s: SeriesState,
    kind: SeriesInsightKind,
    open: OpenInsight,
    change: InsightChange,
    resolvedAt: number | null,
  ): Insight {
    const resolved = change === 'resolved';
    return {
      insightId: open.insightId,
      kind,
      state: resolved ? 'resolved' : 'open',
      change,
      scope: s.scope,
      key: s.key,
      tenantId: s.tenantId,
      workflowId: s.workflowId,
      stepId: s.stepId,
      service: s.service,
      metric: METRIC[kind],
      windowStart: open.windowStart,
      windowEnd: open.windowEnd,
      observed: round(open.observed, 6),
      expected: round(open.expected, 6),
      lower: round(open.lower, 6),
      upper: round(open.upper, 6),
      score: round(open.score),
      severity: insightSeverity(open.severity),
      confidence: open.confidence,
      impact: { unit: IMPACT[kind], value: round(open.impact, 2) },
      contributors: open.contributors,
      description: describe(
        kind,
        s,
        {
          observed: open.observed,
          expected: open.expected,
          impact: open.impact,
          openedObserved: open.openedObserved,
          openedExpected: open.openedExpected,
        },
        open.contributors,
        open.version,
        resolved,
      ),
      openedAt: open.openedAt,
      resolvedAt,
    };
  }
}

function refresh(open: OpenInsight, p: PointReport): void {
  open.score = Math.max(open.score, p.observation.level);
  open.impact += p.impact;
  open.observed = p.observed;
  open.expected = p.expected;
  open.lower = p.lower;
  open.upper = p.upper;
  open.windowStart = p.windowStart;
  open.windowEnd = p.windowEnd;
}

function bounds(
  o: DetectorOutput,
  expected: number,
  min: number,
  max: number,
): { expected: number; lower: number; upper: number } {
  return {
    expected,
    lower: Math.min(max, Math.max(min, finiteOr(o.lower, expected))),
    upper: Math.min(max, Math.max(min, finiteOr(o.upper, expected))),
  };
}

function failureImpact(e: WindowEntry): number {
  return Math.max(0, e.failures - (e.expectedFailureRate ?? 0) * e.executions);
}

function costImpact(e: WindowEntry): number {
  return e.expectedCostPerRun === null
    ? 0
    : Math.max(0, e.costMicrosSum - e.expectedCostPerRun * e.executions);
}

// What one window adds to the impact of an open insight of a kind (so corrections can adjust it).
function impactOf(kind: SeriesInsightKind, e: WindowEntry): number {
  switch (kind) {
    case 'failure_rate':
      return failureImpact(e);
    case 'latency_p95':
      return e.slow ? e.executions : 0;
    case 'throughput_drop':
      return e.expectedExecutions === null ? 0 : Math.max(0, e.expectedExecutions - e.executions);
    case 'throughput_spike':
      return e.expectedExecutions === null ? 0 : Math.max(0, e.executions - e.expectedExecutions);
    case 'cost_per_run':
      return costImpact(e);
  }
}

function pooledP95(pool: readonly WindowEntry[]): number | null {
  let merged: DDSketch | null = null;
  for (const e of pool) {
    if (e.sketch === null || (e.sketch.bins.length === 0 && e.sketch.zeroCount === 0)) continue;
    const sketch = DDSketch.fromJSON(e.sketch);
    if (merged === null) merged = sketch;
    else merged.merge(sketch);
  }
  return merged === null ? null : merged.quantile(0.95);
}

function toEntry(w: InsightWindow): WindowEntry {
  return {
    windowStart: w.windowStart,
    windowEnd: w.windowEnd,
    version: w.version,
    executions: w.executions,
    failures: w.failures,
    p95Ms: w.p95Ms,
    costMicrosSum: w.costMicrosSum,
    errorClasses: Object.entries(w.errorClasses).filter(([, n]) => n > 0),
    workflowVersions: Object.entries(w.workflowVersions).filter(([, n]) => n > 0),
    sketch: w.executions > 0 ? w.durationSketch : null,
    scored: false,
    expectedFailureRate: null,
    expectedCostPerRun: null,
    slow: false,
    expectedExecutions: null,
  };
}

function checkWindow(w: InsightWindow): void {
  const ok =
    Number.isFinite(w.windowStart) &&
    Number.isFinite(w.windowEnd) &&
    w.windowEnd > w.windowStart &&
    Number.isInteger(w.version) &&
    w.executions >= 0 &&
    w.failures >= 0 &&
    w.failures <= w.executions &&
    Number.isFinite(w.costMicrosSum);
  if (!ok) {
    throw new RangeError(
      `InsightEngine: malformed window ${w.scope} ${w.key} [${w.windowStart}, ${w.windowEnd})`,
    );
  }
}

const snapshotSchema = z.object({
  format: z.literal('pulse.insights.engine.v1'),
  clock: z.number().nullable(),
  pending: z.array(
    z.object({
      series: z.string(),
      kind: z.enum(['failure_rate', 'latency_p95', 'throughput_drop', 'throughput_spike', 'cost_per_run']),
    }),
  ),
  stepsOf: z.array(z.tuple([z.string(), z.array(z.string())])),
  series: z.array(seriesSnapshotSchema),
  // Validated by IncidentGrouper.restore.
  incidents: z.custom<IncidentGrouperSnapshot>((v) => typeof v === 'object' && v !== null),
});
