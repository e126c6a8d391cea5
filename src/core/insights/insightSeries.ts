// The state the insight engine keeps per workflow or (workflow, step) series: recent windows (for
// corrections, pooling and attribution), one detector per metric, one alert state machine per
// insight kind, and the open insight of each kind. Live state holds detector objects; the snapshot
// form is plain JSON and round-trips exactly.

import { z } from 'zod';
import { AnomalyDetector } from '../detection/anomalyDetector.ts';
import type { DetectorConfig, DetectorSnapshot } from '../detection/anomalyDetector.ts';
import { INITIAL_ALERT_HYSTERESIS_STATE } from '../detection/alertHysteresis.ts';
import type { AlertHysteresisState, AlertSeverity } from '../detection/alertHysteresis.ts';
import type { DDSketchJSON } from '../metrics/ddSketch.ts';
import { alertStateSchema } from './incidentGrouper.ts';
import { SERIES_INSIGHT_KINDS } from './insight.ts';
import type { InsightContributor, SeriesInsightKind } from './insight.ts';

export type SeriesScope = 'workflow' | 'step';
export type SeriesMetric = 'failure' | 'latency' | 'throughput' | 'cost';
export const SERIES_METRICS: readonly SeriesMetric[] = ['failure', 'latency', 'throughput', 'cost'];

/** One received window, reduced to what the engine reads later. */
export interface WindowEntry {
  readonly windowStart: number;
  readonly windowEnd: number;
  version: number;
  executions: number;
  failures: number;
  p95Ms: number | null;
  costMicrosSum: number;
  errorClasses: [string, number][];
  workflowVersions: [string, number][];
  /** Kept only until the window's pool is scored (pooled p95 merges the sketches). */
  sketch: DDSketchJSON | null;
  /** The window's pool has been scored; the expectations below are what its impact was measured by. */
  scored: boolean;
  expectedFailureRate: number | null;
  expectedCostPerRun: number | null;
  /** The pool's p95 was above normal: its runs count as affected. */
  slow: boolean;
  /** Expected executions in this window (null if the throughput detector did not see it). */
  expectedExecutions: number | null;
}

export type Visibility = 'pending' | 'visible' | 'linked';

export interface OpenInsight {
  readonly insightId: string;
  readonly openedAt: number;
  /** First windowStart whose numbers count toward the impact. */
  readonly from: number;
  severity: AlertSeverity;
  /** Peak detector level while open. */
  score: number;
  confidence: number;
  impact: number;
  observed: number;
  expected: number;
  lower: number;
  upper: number;
  windowStart: number;
  windowEnd: number;
  /** Value and expected value of the point that opened it (what "back to normal" means). */
  readonly openedObserved: number;
  readonly openedExpected: number;
  contributors: InsightContributor[];
  /** Workflow version the regression is attributed to. */
  readonly version: string | null;
  /** Failures by class in the opening point (to link failure insights to incidents). */
  readonly errorClasses: [string, number][];
  visibility: Visibility;
  linkedTo: string | null;
  /** windowStart the incident grouper must have closed before a pending insight is released. */
  readonly releaseAt: number;
}

export interface KindMachine {
  alert: AlertHysteresisState;
  open: OpenInsight | null;
}

export interface Expectation {
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
}

export interface SeriesState {
  /** scope NUL key */
  readonly id: string;
  readonly scope: SeriesScope;
  readonly key: string;
  readonly tenantId: string;
  readonly workflowId: string;
  readonly stepId: string | null;
  service: string | null;
  windowMs: number;
  /** windowStart of the first window received. */
  firstStart: number;
  /** windowStart of the newest window received. */
  lastStart: number;
  /** Newest windowStart the throughput detector has seen (a received window or a gap filled with 0). */
  filledThrough: number;
  /** Received windows, ascending, within the retention. */
  readonly entries: WindowEntry[];
  /** windowStart of the first window of the pool not scored yet; null when none. */
  poolFrom: number | null;
  /** Exponentially weighted failed runs and runs: the long-run failure rate. */
  failedEw: number;
  runsEw: number;
  /** Workflow version -> windowStart it was first seen (-Infinity: there from the start). */
  readonly versions: Map<string, number>;
  hasCost: boolean;
  readonly detectors: Record<SeriesMetric, AnomalyDetector>;
  readonly last: Record<SeriesMetric, Expectation | null>;
  readonly machines: Record<SeriesInsightKind, KindMachine>;
}

export function seriesId(scope: SeriesScope, key: string): string {
  return `${scope}\0${key}`;
}

export function createSeries(
  scope: SeriesScope,
  key: string,
  tenantId: string,
  workflowId: string,
  stepId: string | null,
  detector: DetectorConfig,
): SeriesState {
  return {
    id: seriesId(scope, key),
    scope,
    key,
    tenantId,
    workflowId,
    stepId,
    service: null,
    windowMs: 60_000,
    firstStart: -Infinity,
    lastStart: -Infinity,
    filledThrough: -Infinity,
    entries: [],
    poolFrom: null,
    failedEw: 0,
    runsEw: 0,
    versions: new Map(),
    hasCost: false,
    detectors: {
      failure: new AnomalyDetector(detector),
      latency: new AnomalyDetector(detector),
      throughput: new AnomalyDetector(detector),
      cost: new AnomalyDetector(detector),
    },
    last: { failure: null, latency: null, throughput: null, cost: null },
    machines: {
      failure_rate: { alert: INITIAL_ALERT_HYSTERESIS_STATE, open: null },
      latency_p95: { alert: INITIAL_ALERT_HYSTERESIS_STATE, open: null },
      throughput_drop: { alert: INITIAL_ALERT_HYSTERESIS_STATE, open: null },
      throughput_spike: { alert: INITIAL_ALERT_HYSTERESIS_STATE, open: null },
      cost_per_run: { alert: INITIAL_ALERT_HYSTERESIS_STATE, open: null },
    },
  };
}

// JSON has no -Infinity: "not yet" times are stored as null.
const toJsonTime = (t: number): number | null => (Number.isFinite(t) ? t : null);
const fromJsonTime = (t: number | null): number => t ?? -Infinity;

export interface SeriesSnapshot {
  readonly scope: SeriesScope;
  readonly key: string;
  readonly tenantId: string;
  readonly workflowId: string;
  readonly stepId: string | null;
  readonly service: string | null;
  readonly windowMs: number;
  readonly firstStart: number | null;
  readonly lastStart: number | null;
  readonly filledThrough: number | null;
  readonly entries: readonly WindowEntry[];
  readonly poolFrom: number | null;
  readonly failedEw: number;
  readonly runsEw: number;
  readonly versions: readonly (readonly [string, number | null])[];
  readonly hasCost: boolean;
  readonly detectors: Record<SeriesMetric, DetectorSnapshot>;
  readonly last: Record<SeriesMetric, Expectation | null>;
  readonly machines: Record<SeriesInsightKind, KindMachine>;
}

export function snapshotSeries(s: SeriesState): SeriesSnapshot {
  return {
    scope: s.scope,
    key: s.key,
    tenantId: s.tenantId,
    workflowId: s.workflowId,
    stepId: s.stepId,
    service: s.service,
    windowMs: s.windowMs,
    firstStart: toJsonTime(s.firstStart),
    lastStart: toJsonTime(s.lastStart),
    filledThrough: toJsonTime(s.filledThrough),
    entries: structuredClone(s.entries),
    poolFrom: s.poolFrom,
    failedEw: s.failedEw,
    runsEw: s.runsEw,
    versions: [...s.versions].map(([v, first]) => [v, toJsonTime(first)] as const),
    hasCost: s.hasCost,
    detectors: {
      failure: s.detectors.failure.snapshot(),
      latency: s.detectors.latency.snapshot(),
      throughput: s.detectors.throughput.snapshot(),
      cost: s.detectors.cost.snapshot(),
    },
    last: structuredClone(s.last),
    machines: structuredClone(s.machines),
  };
}

export function restoreSeries(json: z.infer<typeof seriesSnapshotSchema>): SeriesState {
  const m = json.machines;
  return {
    id: seriesId(json.scope, json.key),
    scope: json.scope,
    key: json.key,
    tenantId: json.tenantId,
    workflowId: json.workflowId,
    stepId: json.stepId,
    service: json.service,
    windowMs: json.windowMs,
    firstStart: fromJsonTime(json.firstStart),
    lastStart: fromJsonTime(json.lastStart),
    filledThrough: fromJsonTime(json.filledThrough),
    entries: structuredClone(json.entries),
    poolFrom: json.poolFrom,
    failedEw: json.failedEw,
    runsEw: json.runsEw,
    versions: new Map(json.versions.map(([v, first]) => [v, fromJsonTime(first)])),
    hasCost: json.hasCost,
    detectors: {
      failure: AnomalyDetector.restore(json.detectors.failure),
      latency: AnomalyDetector.restore(json.detectors.latency),
      throughput: AnomalyDetector.restore(json.detectors.throughput),
      cost: AnomalyDetector.restore(json.detectors.cost),
    },
    last: structuredClone(json.last),
    machines: {
      failure_rate: structuredClone(m.failure_rate),
      latency_p95: structuredClone(m.latency_p95),
      throughput_drop: structuredClone(m.throughput_drop),
      throughput_spike: structuredClone(m.throughput_spike),
      cost_per_run: structuredClone(m.cost_per_run),
    },
  };
}

const finite = z.number().refine(Number.isFinite, 'must be finite');
const counts = z.array(z.tuple([z.string(), finite]));
const entrySchema = z.object({
  windowStart: finite,
  windowEnd: finite,
  version: z.number().int(),
  executions: finite,
  failures: finite,
  p95Ms: finite.nullable(),
  costMicrosSum: finite,
  errorClasses: counts,
  workflowVersions: counts,
  // Validated by DDSketch.fromJSON when a pool merges it.
  sketch: z.custom<DDSketchJSON>((v) => typeof v === 'object').nullable(),
  scored: z.boolean(),
  expectedFailureRate: finite.nullable(),
  expectedCostPerRun: finite.nullable(),
  slow: z.boolean(),
  expectedExecutions: finite.nullable(),
});
const contributorSchema = z.object({
  dimension: z.enum(['step', 'service', 'error_class', 'workflow_version']),
  value: z.string(),
  share: finite,
});
const openSchema = z.object({
  insightId: z.string(),
  openedAt: finite,
  from: finite,
  severity: z.enum(['minor', 'major', 'critical']),
  score: finite,
  confidence: finite,
  impact: finite,
  observed: finite,
  expected: finite,
  lower: finite,
  upper: finite,
  windowStart: finite,
  windowEnd: finite,
  openedObserved: finite,
  openedExpected: finite,
  contributors: z.array(contributorSchema),
  version: z.string().nullable(),
  errorClasses: counts,
  visibility: z.enum(['pending', 'visible', 'linked']),
  linkedTo: z.string().nullable(),
  releaseAt: finite,
});
const machineSchema = z.object({ alert: alertStateSchema, open: openSchema.nullable() });
const expectationSchema = z.object({ expected: finite, lower: finite, upper: finite }).nullable();
// Detector snapshots are validated by AnomalyDetector.restore.
const detectorSchema = z.custom<DetectorSnapshot>((v) => typeof v === 'object' && v !== null);

export const seriesSnapshotSchema = z.object({
  scope: z.enum(['workflow', 'step']),
  key: z.string(),
  tenantId: z.string(),
  workflowId: z.string(),
  stepId: z.string().nullable(),
  service: z.string().nullable(),
  windowMs: finite.refine((v) => v > 0, 'must be positive'),
  firstStart: finite.nullable(),
  lastStart: finite.nullable(),
  filledThrough: finite.nullable(),
  entries: z.array(entrySchema),
  poolFrom: finite.nullable(),
  failedEw: finite,
  runsEw: finite,
  versions: z.array(z.tuple([z.string(), finite.nullable()])),
  hasCost: z.boolean(),
  detectors: z.object({
    failure: detectorSchema,
    latency: detectorSchema,
    throughput: detectorSchema,
    cost: detectorSchema,
  }),
  last: z.object({
    failure: expectationSchema,
    latency: expectationSchema,
    throughput: expectationSchema,
    cost: expectationSchema,
  }),
  machines: z.object(
    Object.fromEntries(SERIES_INSIGHT_KINDS.map((k) => [k, machineSchema])) as Record<
      SeriesInsightKind,
      typeof machineSchema
    >,
  ),
});
