// The inverse of metricsRow(): a `workflow_metrics_1m` row as a JSON query returns it, back into the
// window the insight engine consumes. ClickHouse's JSON formats quote 64-bit integers unless told not
// to (output_format_json_quote_64bit_integers), print DateTime64 as 'YYYY-MM-DD HH:MM:SS.mmm' and maps
// as objects with string keys, so counts are accepted as numbers or decimal strings.
//
// What does not round-trip: the sketch's `min` and `max` (not stored) and `maxBins` (not stored; the
// metrics processor's default is assumed). min and max are recovered exactly where the stored
// quantiles pin them (a quantile the sketch clamped to its min or max, the exact extreme ranks of
// 1- and 2-run windows, the sum of a 2-run window); otherwise the representative value of the
// lowest/highest bucket stands in, within the sketch's relative accuracy of the true value. Only a
// pooled p95 that lands in a window's extreme bucket can see the difference.

import { z } from 'zod';
import { ValidationError } from '../../errors.ts';
import { DEFAULT_SKETCH_MAX_BINS } from '../metrics/ddSketch.ts';
import type { DDSketchJSON } from '../metrics/ddSketch.ts';
import type { InsightWindow } from './insightEngine.ts';

/** A non-negative safe integer, as a JSON number or a decimal string (quoted UInt64). */
const count = z
  .union([z.number(), z.string().regex(/^\d+$/, 'expected a non-negative integer')])
  .transform(Number)
  .pipe(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));

const finite = z.number().refine(Number.isFinite, 'expected a finite number');

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/;

/** DateTime64(3, 'UTC') as printed by ClickHouse (or ISO with 'T'/'Z') → epoch ms. */
const dateTime = z.string().transform((text, ctx) => {
  const m = DATE_TIME.exec(text);
  if (m === null) {
    ctx.addIssue({ code: 'custom', message: `expected 'YYYY-MM-DD HH:MM:SS.mmm' (UTC), got "${text}"` });
    return z.NEVER;
  }
  const [, y, mo, d, h, mi, s, frac = ''] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return ms + Number(frac.padEnd(3, '0').slice(0, 3));
});

const rowSchema = z
  .object({
    scope: z.enum(['workflow', 'step', 'service']),
    key: z.string().min(1),
    tenant_id: z.string(),
    workflow_id: z.string().nullable(),
    step_id: z.string().nullable(),
    service: z.string().nullable(),
    window_start: dateTime,
    window_end: dateTime,
    version: count,
    input_partition: count,
    executions: count,
    successes: count,
    failures: count,
    success_rate: finite.nullable(),
    retries: count,
    p50_ms: finite.nullable(),
    p95_ms: finite.nullable(),
    p99_ms: finite.nullable(),
    duration_bins: z.record(z.string().regex(/^-?\d+$/, 'expected an integer bucket index'), count),
    duration_zero_count: count,
    sketch_alpha: finite.refine((a) => a > 0 && a < 1, 'expected a number in (0, 1)'),
    duration_sum: finite.nonnegative(),
    cost_micros_sum: count,
    cost_per_run_micros: count.nullable(),
    error_classes: z.record(z.string(), count),
    late_events: count,
    event_count: count,
    workflow_versions: z.record(z.string(), count),
  })
  // The engine rejects these with a RangeError that cannot name the column; name it here.
  .superRefine((r, ctx) => {
    if (r.window_end <= r.window_start)
      ctx.addIssue({ code: 'custom', path: ['window_end'], message: 'must be after window_start' });
    if (r.failures > r.executions)
      ctx.addIssue({ code: 'custom', path: ['failures'], message: 'must not exceed executions' });
  });

export interface WindowFromRowOptions {
  /** maxBins of the rebuilt sketches (not stored); the metrics processor's default. */
  readonly sketchMaxBins?: number;
}

/** A `workflow_metrics_1m` row (JSON query result) → the window; throws ValidationError naming the fields. */
export function windowFromRow(row: unknown, options: WindowFromRowOptions = {}): InsightWindow {
  const parsed = rowSchema.safeParse(row);
  if (!parsed.success) {
    throw new ValidationError(
      `workflow_metrics_1m row ${describeRow(row)}`,
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
  const r = parsed.data;
  return {
    scope: r.scope,
    key: r.key,
    tenantId: r.tenant_id,
    workflowId: r.workflow_id,
    stepId: r.step_id,
    service: r.service,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    version: r.version,
    executions: r.executions,
    successes: r.successes,
    failures: r.failures,
    successRate: r.success_rate,
    retries: r.retries,
    p50Ms: r.p50_ms,
    p95Ms: r.p95_ms,
    p99Ms: r.p99_ms,
    durationSketch: sketchFromBuckets({
      buckets: r.duration_bins,
      zeroCount: r.duration_zero_count,
      alpha: r.sketch_alpha,
      sum: r.duration_sum,
      maxBins: options.sketchMaxBins ?? DEFAULT_SKETCH_MAX_BINS,
      quantiles: [
        [0.5, r.p50_ms],
        [0.95, r.p95_ms],
        [0.99, r.p99_ms],
      ],
    }),
    costMicrosSum: r.cost_micros_sum,
    costPerRunMicros: r.cost_per_run_micros,
    errorClasses: r.error_classes,
    lateEvents: r.late_events,
    eventCount: r.event_count,
    workflowVersions: r.workflow_versions,
    inputPartition: r.input_partition,
  };
}

function describeRow(row: unknown): string {
  if (typeof row !== 'object' || row === null) return '(not an object)';
  const r = row as Record<string, unknown>;
  const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');
  return `${text(r.scope)} ${text(r.key)} @ ${text(r.window_start)}`;
}

export interface SketchBuckets {
  /** Bucket index (decimal string) → count, as `sketchBuckets()` writes them. */
  readonly buckets: Readonly<Record<string, number>>;
  readonly zeroCount: number;
  readonly alpha: number;
  readonly sum: number;
  readonly maxBins: number;
  /** Quantiles the sketch reported (q, value), used to pin min and max. */
  readonly quantiles?: readonly (readonly [number, number | null])[];
}

/** The compact DDSketchJSON of stored buckets (the inverse of `sketchBuckets`), min/max recovered. */
export function sketchFromBuckets(s: SketchBuckets): DDSketchJSON {
  const entries = Object.entries(s.buckets)
    .map(([k, c]) => [Number(k), c] as const)
    .filter(([, c]) => c > 0)
    .sort((a, b) => a[0] - b[0]);
  const bins: number[] = [];
  let previous: number | null = null;
  for (const [index, c] of entries) {
    // Same run-length form as DDSketch.toJSON: one empty bucket is 0, k > 1 empty buckets are -k.
    const gap = previous === null ? 0 : index - previous - 1;
    if (gap > 0) bins.push(gap === 1 ? 0 : -gap);
    bins.push(c);
    previous = index;
  }
  const extremes = recoverExtremes(s, entries);
  return {
    alpha: s.alpha,
    maxBins: s.maxBins,
    zeroCount: s.zeroCount,
    offset: entries[0]?.[0] ?? 0,
    bins,
    sum: s.sum,
    min: extremes.min,
    max: extremes.max,
  };
}

// DDSketch.quantile(q) is clamp(estimate, min, max), except at rank < 1 (exactly min) and rank >=
// count - 1 (exactly max). Recomputing the estimate with DDSketch's own arithmetic tells when a
// stored quantile was clamped, i.e. is min or max itself.
function recoverExtremes(
  s: SketchBuckets,
  entries: readonly (readonly [number, number])[],
): { min: number | null; max: number | null } {
  let binCount = 0;
  for (const [, c] of entries) binCount += c;
  const total = s.zeroCount + binCount;
  if (total === 0) return { min: null, max: null };
  const gamma = (1 + s.alpha) / (1 - s.alpha);
  const lnGamma = Math.log(gamma);
  const factor = 2 / (1 + gamma);
  const valueAt = (index: number): number => Math.exp(index * lnGamma) * factor;
  const lowest = entries[0];
  const highest = entries[entries.length - 1];
  let min: number | null = s.zeroCount > 0 ? 0 : null;
  let max: number | null = highest === undefined ? 0 : null;
  const seen: number[] = [];
  for (const [q, value] of s.quantiles ?? []) {
    if (value === null) continue;
    seen.push(value);
    const rank = q * (total - 1);
    if (rank < 1) min = value;
    if (rank >= total - 1) max = value;
    if (rank < 1 || rank >= total - 1) continue;
    let estimate = 0;
    if (rank >= s.zeroCount) {
      let cumulative = s.zeroCount;
      for (const [index, c] of entries) {
        cumulative += c;
        if (cumulative > rank) {
          estimate = valueAt(index);
          break;
        }
      }
    }
    if (value > estimate) min = value;
    else if (value < estimate) max = value;
  }
  // Two values: the sum gives the other one exactly.
  if (total === 2 && min !== null && max === null) max = s.sum - min;
  if (total === 2 && max !== null && min === null) min = s.sum - max;
  // Otherwise the extreme bucket's representative value, widened to cover every reported quantile.
  min ??= Math.min(lowest === undefined ? 0 : valueAt(lowest[0]), ...seen);
  max ??= Math.max(highest === undefined ? 0 : valueAt(highest[0]), ...seen);
  return { min, max };
}
