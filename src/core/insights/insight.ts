// What the insight engine tells people: one record per change of an insight (opened, updated,
// resolved), self-contained so a consumer can show it without looking anything else up. The id is a
// hash of what identifies the episode (kind, scope, key, the window it opened in), so replaying the
// same windows reproduces the same ids and a consumer can upsert by id.

import type { AlertSeverity } from '../detection/alertHysteresis.ts';

export type InsightKind =
  'failure_rate' | 'latency_p95' | 'throughput_drop' | 'throughput_spike' | 'cost_per_run' | 'incident';

/** The kinds one workflow or step series raises on its own (incidents span series). */
export type SeriesInsightKind = Exclude<InsightKind, 'incident'>;

export const SERIES_INSIGHT_KINDS: readonly SeriesInsightKind[] = [
  'failure_rate',
  'latency_p95',
  'throughput_drop',
  'throughput_spike',
  'cost_per_run',
];

export type InsightState = 'open' | 'resolved';
/** What this record reports: the episode began, changed (severity, impact, members) or ended. */
export type InsightChange = 'opened' | 'updated' | 'resolved';
export type InsightSeverity = 'info' | 'warning' | 'critical';
export type InsightScope = 'workflow' | 'step' | 'service';
export type ContributorDimension = 'step' | 'service' | 'error_class' | 'workflow_version';

/** Unit of `observed`, `expected`, `lower` and `upper`. */
export type InsightMetric =
  'failure_rate' | 'p95_ms' | 'executions_per_minute' | 'cost_per_run_micros' | 'affected_workflows';

export interface InsightContributor {
  readonly dimension: ContributorDimension;
  readonly value: string;
  /** Share of the anomaly (or of the failures) this value accounts for, in [0, 1]. */
  readonly share: number;
}

/**
 * How much the episode cost so far: failed runs (failure rate, incident), runs that ran slow
 * (latency), runs missing or extra against the expected throughput, cost above the expected cost.
 */
export type ImpactUnit =
  'failed_runs' | 'affected_runs' | 'missing_runs' | 'extra_runs' | 'extra_cost_micros';

export interface InsightImpact {
  readonly unit: ImpactUnit;
  readonly value: number;
}

export interface Insight {
  readonly insightId: string;
  readonly kind: InsightKind;
  readonly state: InsightState;
  readonly change: InsightChange;
  readonly scope: InsightScope;
  /** tenantId/workflowId, tenantId/workflowId/stepId, or tenantId/service/errorClass (incidents). */
  readonly key: string;
  readonly tenantId: string;
  readonly workflowId: string | null;
  readonly stepId: string | null;
  readonly service: string | null;
  readonly metric: InsightMetric;
  /** The latest window (or pooled span of windows) the record describes. */
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly observed: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  /** Anomaly level in [0, 1]. */
  readonly score: number;
  readonly severity: InsightSeverity;
  /** In [0, 1]: how consistent the evidence is, discounted for a young baseline. */
  readonly confidence: number;
  readonly impact: InsightImpact;
  /** Top contributing dimensions, largest share first. */
  readonly contributors: readonly InsightContributor[];
  readonly description: string;
  /** Event time (windowStart) of the window the episode opened in. */
  readonly openedAt: number;
  /** Event time (windowEnd) of the window that confirmed the end; null while open. */
  readonly resolvedAt: number | null;
  /** Incidents: the affected workflow ids, sorted. */
  readonly relatedWorkflows?: readonly string[];
}

export function insightSeverity(severity: AlertSeverity): InsightSeverity {
  return severity === 'critical' ? 'critical' : severity === 'major' ? 'warning' : 'info';
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;
const utf8 = new TextEncoder();

/** FNV-1a, 64 bit, as 16 hex digits: stable across processes and versions of the runtime. */
export function fnv1a64(text: string): string {
  let h = FNV_OFFSET;
  for (const byte of utf8.encode(text)) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  return h.toString(16).padStart(16, '0');
}

/** Deterministic id of one episode: the same windows always give the same id. */
export function insightId(kind: InsightKind, scope: InsightScope, key: string, openedAt: number): string {
  return `ins_${fnv1a64(`${kind}\0${scope}\0${key}\0${openedAt}`)}`;
}

// Number formatting for descriptions: short, human, and identical on every machine (no locale).

function trimmed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** 420 -> "420 ms", 1870 -> "1.9 s", 95_000 -> "1.6 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trimmed(ms / 1000, ms < 10_000 ? 1 : 0)} s`;
  return `${trimmed(ms / 60_000, 1)} min`;
}

/** 0.0213 -> "2.1%", 0.5 -> "50%". */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return 'n/a';
  const pct = rate * 100;
  return `${trimmed(pct, pct < 10 ? 1 : 0)}%`;
}

/** A count with at most one decimal, thousands grouped with commas. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) < 10 && !Number.isInteger(value) ? 1 : 0;
  const [whole = '0', fraction] = Math.abs(value).toFixed(digits).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const text = fraction === undefined || /^0+$/.test(fraction) ? grouped : `${grouped}.${fraction}`;
  return value < 0 ? `-${text}` : text;
}

/** Event time as "2025-01-01 12:03 UTC". */
export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
