// What the demo reads back from the pipeline (ClickHouse, through the writer session the demo's
// pipeline owns) and how it prints it. Nothing here invents a figure: every line is a row.
import type { ClickHouseStore } from '../../../adapters/clickhouse/clickhouseStore.ts';

export interface InsightRow {
  insight_id: string;
  tenant_id: string;
  workflow_id: string | null;
  insight_type: string;
  state: string;
  severity: string;
  service: string | null;
  metric: string;
  description: string;
  related_workflows: string[];
}

export interface SessionRow {
  session_id: string;
  tenant_id: string;
  workflow_id: string;
  resolution_status: string;
  issues_detected: string;
  recommendations: string;
  actions_taken: string;
}

export interface StatusRow {
  events: string;
  runs: string;
  failed: string;
  windows: string;
  last_window: string;
  open: string;
  insights: string;
}

export class DemoView {
  readonly #store: ClickHouseStore;
  readonly #db: string;

  constructor(store: ClickHouseStore, database: string) {
    this.#store = store;
    this.#db = database;
  }

  /** Every insight as it stands now (its latest change). */
  insights(): Promise<InsightRow[]> {
    return this.#store.query<InsightRow>(
      `SELECT insight_id, tenant_id, workflow_id, insight_type, state, severity, service, metric, description,
              related_workflows
       FROM ${this.#db}.performance_insights_current ORDER BY opened_at`,
    );
  }

  sessions(): Promise<SessionRow[]> {
    return this.#store.query<SessionRow>(
      `SELECT session_id, tenant_id, workflow_id, resolution_status, issues_detected, recommendations, actions_taken
       FROM ${this.#db}.troubleshooting_sessions FINAL ORDER BY start_time`,
    );
  }

  /** The latest failed step attempts of a workflow, as the error logs a user would paste. */
  async errorLogs(
    tenantId: string,
    workflowId: string,
  ): Promise<
    {
      service: string | null;
      stepId: string | null;
      log: string;
      httpStatus: number | null;
      occurredAt: number;
    }[]
  > {
    const rows = await this.#store.query<{
      service: string | null;
      step_id: string | null;
      message: string | null;
      code: string | null;
      http_status: number | string | null;
      at: number | string;
    }>(
      `SELECT service, step_id, error_message AS message, error_code AS code, error_http_status AS http_status,
              toUnixTimestamp64Milli(occurred_at) AS at
       FROM ${this.#db}.workflow_executions_v
       WHERE tenant_id = {tenant:String} AND workflow_id = {workflow:String} AND event_type = 'STEP_FAILED'
       ORDER BY occurred_at DESC LIMIT 10`,
      { tenant: tenantId, workflow: workflowId },
    );
    return rows.map((r) => ({
      service: r.service,
      stepId: r.step_id,
      log: `${r.code ?? 'error'}: ${r.message ?? 'failed'}`,
      httpStatus: r.http_status === null ? null : Number(r.http_status),
      occurredAt: Number(r.at),
    }));
  }

  /** The definition of one version of a workflow once the definitions loader has it. */
  async definition(workflowId: string, version: number): Promise<unknown> {
    const [row] = await this.#store.query<{ definition: string }>(
      `SELECT definition FROM ${this.#db}.workflow_versions
       WHERE workflow_id = {workflow:String} AND version = {version:UInt32} LIMIT 1`,
      { workflow: workflowId, version },
    );
    return row === undefined ? undefined : (JSON.parse(row.definition) as unknown);
  }

  /** Latest 1-hour window of a workflow in ClickHouse (ms), or null. */
  async lastHourlyWindow(tenantId: string, workflowId: string): Promise<number | null> {
    const [row] = await this.#store.query<{ n: string; last: number | string }>(
      `SELECT count() AS n, toUnixTimestamp(max(window_start)) * 1000 AS last FROM ${this.#db}.workflow_metrics_1h
       WHERE scope = 'workflow' AND key = {key:String}`,
      { key: `${tenantId}/${workflowId}` },
    );
    return row === undefined || Number(row.n) === 0 ? null : Number(row.last);
  }

  async status(): Promise<StatusRow | undefined> {
    const [row] = await this.#store.query<StatusRow>(
      `SELECT e.events AS events, e.runs AS runs, e.failed AS failed, m.n AS windows, m.last AS last_window,
              i.open AS open, i.all AS insights
       FROM (SELECT count() AS events, countIf(event_type IN ('WORKFLOW_COMPLETED', 'WORKFLOW_FAILED')) AS runs,
                    countIf(event_type = 'WORKFLOW_FAILED') AS failed FROM ${this.#db}.workflow_executions_v) AS e
       CROSS JOIN (SELECT count() AS n, if(count() = 0, 'none yet', toString(max(window_start))) AS last
                   FROM ${this.#db}.workflow_metrics_1m_v) AS m
       CROSS JOIN (SELECT countIf(state = 'open') AS open, count() AS all FROM ${this.#db}.performance_insights_current) AS i`,
    );
    return row;
  }
}

const HOUR = 3_600_000;

export function utcMinute(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/** A compact summary of a `predict` result body. */
export function forecastSummary(prediction: {
  horizonHours: number;
  start: number;
  executions: { point: number[]; lo: number[]; hi: number[]; method: string } | null;
  p95Ms: { point: number[]; lo: number[]; hi: number[] } | null;
  expectedRuns: number;
  projectedCostMicros: { point: number; lo: number; hi: number };
  throttleRisks: { message: string }[];
  improvements: { message: string }[];
  confidence: number;
}): string[] {
  const e = prediction.executions;
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const lines: string[] = [];
  if (e === null) {
    lines.push(`no executions forecast (too little history)`);
  } else {
    const peak = e.point.reduce((best, v, i) => (v > (e.point[best] ?? -1) ? i : best), 0);
    const peakAt = new Date(prediction.start + peak * HOUR);
    lines.push(
      `${Math.round(sum(e.point)).toLocaleString('en-US')} runs expected over ${String(prediction.horizonHours)} h ` +
        `(95% interval ${Math.round(sum(e.lo)).toLocaleString('en-US')}–${Math.round(sum(e.hi)).toLocaleString('en-US')}; method ${e.method}), ` +
        `peak ${Math.round(e.point[peak] ?? 0)}/h (${Math.round(e.lo[peak] ?? 0)}–${Math.round(e.hi[peak] ?? 0)}) ` +
        `${peakAt.toUTCString().slice(0, 3)} ${peakAt.toISOString().slice(11, 16)} UTC`,
    );
  }
  const p = prediction.p95Ms;
  if (p !== null && p.point.length > 0) {
    const mean = (xs: number[]): number => sum(xs) / xs.length;
    lines.push(
      `p95 latency ${Math.round(mean(p.point))} ms (${Math.round(mean(p.lo))}–${Math.round(mean(p.hi))}); ` +
        `cost ${(prediction.projectedCostMicros.point / 1e6).toFixed(2)} USD; confidence ${prediction.confidence.toFixed(2)}`,
    );
  }
  const risk = prediction.throttleRisks[0];
  if (risk !== undefined) lines.push(risk.message);
  const improvement = prediction.improvements[0];
  if (improvement !== undefined) lines.push(`suggests: ${improvement.message}`);
  return lines;
}
