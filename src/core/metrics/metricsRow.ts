// How a closed window lands in ClickHouse `workflow_metrics_1m`. The duration sketch is stored as
// a bucket map (bucket index → count) so that longer views merge it with sumMap and read
// quantiles from the merged buckets.
import type { DDSketchJSON } from './ddSketch.ts';
import type { WindowMetrics } from './metricWindow.ts';

export interface MetricsRow {
  scope: string;
  key: string;
  tenant_id: string;
  workflow_id: string | null;
  step_id: string | null;
  service: string | null;
  window_start: string;
  window_end: string;
  version: number;
  input_partition: number;
  executions: number;
  successes: number;
  failures: number;
  success_rate: number | null;
  retries: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  duration_bins: Record<string, number>;
  duration_zero_count: number;
  sketch_alpha: number;
  duration_sum: number;
  cost_micros_sum: number;
  cost_per_run_micros: number | null;
  error_classes: Record<string, number>;
  late_events: number;
  event_count: number;
  workflow_versions: Record<string, number>;
  source_partition: number;
  source_offset: string;
}

/** Expands the compact sketch form (`-k` = k empty buckets) into bucket index → count. */
export function sketchBuckets(sketch: DDSketchJSON): Record<string, number> {
  const buckets: Record<string, number> = {};
  let index = sketch.offset;
  for (const entry of sketch.bins) {
    if (entry < 0) {
      index += -entry;
      continue;
    }
    if (entry > 0) buckets[String(index)] = entry;
    index++;
  }
  return buckets;
}

export function metricsRow(
  w: WindowMetrics & { inputPartition: number },
  source: { partition: number; offset: string },
): MetricsRow {
  return {
    scope: w.scope,
    key: w.key,
    tenant_id: w.tenantId,
    workflow_id: w.workflowId,
    step_id: w.stepId,
    service: w.service,
    window_start: new Date(w.windowStart).toISOString(),
    window_end: new Date(w.windowEnd).toISOString(),
    version: w.version,
    input_partition: w.inputPartition,
    executions: w.executions,
    successes: w.successes,
    failures: w.failures,
    success_rate: w.successRate,
    retries: w.retries,
    p50_ms: w.p50Ms,
    p95_ms: w.p95Ms,
    p99_ms: w.p99Ms,
    duration_bins: sketchBuckets(w.durationSketch),
    duration_zero_count: w.durationSketch.zeroCount,
    sketch_alpha: w.durationSketch.alpha,
    duration_sum: w.durationSketch.sum,
    cost_micros_sum: w.costMicrosSum,
    cost_per_run_micros: w.costPerRunMicros,
    error_classes: w.errorClasses,
    late_events: w.lateEvents,
    event_count: w.eventCount,
    workflow_versions: w.workflowVersions,
    source_partition: source.partition,
    source_offset: source.offset,
  };
}
