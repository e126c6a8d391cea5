// Hourly history of one workflow from the metrics pipeline, for prediction.
import type { HourlyHistory } from '../../core/forecasting/workflowPrediction.ts';
import type { ClickHouseStore } from './clickhouseStore.ts';

const HOUR = 3_600_000;

/**
 * The whole hours before `now`, at most `days` days, from the workflow's first hour with runs: an
 * hour without runs after that has 0 executions, but hours before it are not history (zeros there
 * would read as a quiet week and collapse the seasonal residuals, and so the intervals).
 */
export async function workflowHistory(
  reader: ClickHouseStore,
  database: string,
  tenantId: string,
  workflowId: string,
  now: number,
  days = 28,
): Promise<HourlyHistory> {
  const end = Math.floor(now / HOUR) * HOUR;
  const start = end - days * 24 * HOUR;
  const rows = await reader.query<{
    t: string | number;
    executions: string | number;
    success_rate: number | null;
    p95: number | null;
    cost: string | number | null;
  }>(
    `SELECT toUnixTimestamp(window_start) * 1000 AS t, executions, success_rate,
            pulseSketchQuantile(duration_bins, duration_zero_count, sketch_alpha, 0.95) AS p95,
            cost_per_run_micros AS cost
     FROM ${database}.workflow_metrics_1h
     WHERE scope = 'workflow' AND key = {key:String}
       AND window_start >= fromUnixTimestamp64Milli({from:Int64}) AND window_start < fromUnixTimestamp64Milli({to:Int64})`,
    { key: `${tenantId}/${workflowId}`, from: start, to: end },
  );
  const n = days * 24;
  const executions = new Array<number>(n).fill(0);
  const successRate = new Array<number | null>(n).fill(null);
  const p95Ms = new Array<number | null>(n).fill(null);
  const costPerRunMicros = new Array<number | null>(n).fill(null);
  for (const r of rows) {
    const i = Math.round((Number(r.t) - start) / HOUR);
    if (i < 0 || i >= n) continue;
    executions[i] = Number(r.executions);
    successRate[i] = r.success_rate;
    p95Ms[i] = r.p95;
    costPerRunMicros[i] = r.cost === null ? null : Number(r.cost);
  }
  const first = executions.findIndex((_e, i) => successRate[i] !== null || executions[i] !== 0);
  const from = first === -1 ? n : first;
  return {
    start: start + from * HOUR,
    executions: executions.slice(from),
    successRate: successRate.slice(from),
    p95Ms: p95Ms.slice(from),
    costPerRunMicros: costPerRunMicros.slice(from),
  };
}
