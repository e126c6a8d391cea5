// What the dashboard reads from ClickHouse: fleet KPIs and their series, per-service figures,
// insights, workflows and one workflow's drill-down (windows, versions, insights, troubleshooting
// sessions, the latest forecast). Every read is bounded (a time range and a LIMIT) and takes its
// values as query parameters. Quantiles over several windows come from the merged DDSketch
// (pulseSketchQuantile), never from averaging per-window p95s.
import type { ClickHouseStore } from './clickhouseStore.ts';

const HOUR_MS = 3_600_000;

export interface Kpis {
  readonly executions: number;
  readonly successes: number;
  readonly failures: number;
  /** successes ÷ executions; null without executions */
  readonly successRate: number | null;
  readonly p95Ms: number | null;
  readonly costUsd: number;
}

export interface SeriesPoint {
  /** bucket start, ms */
  readonly t: number;
  readonly executions: number;
  readonly failures: number;
  readonly p95Ms: number | null;
  readonly costUsd: number;
}

export interface ServiceFigures extends Kpis {
  readonly service: string;
}

export interface Overview {
  readonly from: number;
  readonly to: number;
  /** bucket width of `series`, ms */
  readonly stepMs: number;
  readonly kpis: Kpis;
  readonly series: SeriesPoint[];
  readonly services: ServiceFigures[];
}

/** An insight as the live stream sends it (camelCase, ms), so the page merges both by insightId. */
export interface InsightView {
  readonly insightId: string;
  readonly kind: string;
  readonly state: string;
  readonly severity: string;
  readonly tenantId: string;
  readonly workflowId: string | null;
  readonly service: string | null;
  readonly metric: string;
  readonly description: string;
  readonly relatedWorkflows: string[];
  readonly openedAt: number;
  readonly resolvedAt: number | null;
}

export interface WorkflowSummary {
  readonly workflowId: string;
  readonly tenantId: string;
  readonly name: string | null;
  readonly currentVersion: number;
  readonly latestVersion: number;
  readonly createdAt: number;
  readonly executions: number;
  readonly successRate: number | null;
  readonly p95Ms: number | null;
}

export interface WorkflowDetail {
  readonly workflow: WorkflowSummary;
  readonly kpis: Kpis;
  readonly series: SeriesPoint[];
  readonly stepMs: number;
  readonly versions: {
    version: number;
    name: string;
    publishedAt: number;
    reason: string;
    definition: unknown;
  }[];
  readonly insights: InsightView[];
  readonly sessions: SessionView[];
  /** the body of the latest predict command for this workflow, or null */
  readonly forecast: { commandId: string; completedAt: number; prediction: unknown } | null;
}

export interface SessionView {
  readonly sessionId: string;
  readonly status: string;
  readonly startTime: number;
  readonly endTime: number | null;
  readonly hypotheses: unknown;
  readonly recommendations: unknown;
  readonly actions: unknown;
  readonly verification: unknown;
}

/** What troubleshooting changed: a session's fix and the failure rate before, normally and after. */
export interface ImpactView {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly workflowId: string;
  readonly status: string;
  readonly startTime: number;
  readonly endTime: number | null;
  readonly rootCause: string | null;
  /** the version the session published as a fix, or null */
  readonly fixVersion: number | null;
  readonly fixService: string | null;
  readonly rolledBack: boolean;
  /** failed ÷ runs in the window the session looked at */
  readonly failureBefore: number | null;
  /** the workflow's normal failure rate, which the fix must come back to */
  readonly baseline: number | null;
  /** failed ÷ runs of the fixed version at the latest verification */
  readonly failureAfter: number | null;
  readonly runsAfter: number | null;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const textOrNull = (v: unknown): string | null =>
  v === null || v === undefined || v === '' ? null : text(v);
const json = (v: unknown): unknown => {
  try {
    return JSON.parse(String(v)) as unknown;
  } catch {
    return String(v);
  }
};

/** Figures merged over the rows of a group: counts add, the p95 comes from the summed sketch. */
const KPI_COLUMNS = `sum(executions) AS executions, sum(successes) AS successes, sum(failures) AS failures,
  pulseSketchQuantile(sumMap(duration_bins), sum(duration_zero_count), any(sketch_alpha), 0.95) AS p95_ms,
  sum(cost_micros_sum) / 1e6 AS cost_usd`;

function kpisOf(row: Record<string, unknown> | undefined): Kpis {
  const executions = num(row?.executions);
  const successes = num(row?.successes);
  return {
    executions,
    successes,
    failures: num(row?.failures),
    successRate: executions > 0 ? successes / executions : null,
    p95Ms: numOrNull(row?.p95_ms),
    costUsd: num(row?.cost_usd),
  };
}

function seriesOf(rows: Record<string, unknown>[]): SeriesPoint[] {
  return rows.map((r) => ({
    t: num(r.t),
    executions: num(r.executions),
    failures: num(r.failures),
    p95Ms: numOrNull(r.p95_ms),
    costUsd: num(r.cost_usd),
  }));
}

/** Buckets of a minute up to 3 h, of 5 minutes up to a day, of an hour beyond. */
export function stepFor(hours: number): number {
  return hours <= 3 ? 60_000 : hours <= 24 ? 5 * 60_000 : HOUR_MS;
}

function insightOf(r: Record<string, unknown>): InsightView {
  return {
    insightId: String(r.insight_id),
    kind: String(r.insight_type),
    state: String(r.state),
    severity: String(r.severity),
    tenantId: String(r.tenant_id),
    workflowId: textOrNull(r.workflow_id),
    service: textOrNull(r.service),
    metric: String(r.metric),
    description: String(r.description),
    relatedWorkflows: Array.isArray(r.related_workflows) ? r.related_workflows.map(String) : [],
    openedAt: num(r.opened_at),
    resolvedAt: numOrNull(r.resolved_at),
  };
}

const INSIGHT_COLUMNS = `insight_id, insight_type, state, severity, tenant_id, workflow_id, service, metric, description,
  related_workflows, toUnixTimestamp64Milli(opened_at) AS opened_at,
  if(resolved_at IS NULL, NULL, toUnixTimestamp64Milli(resolved_at)) AS resolved_at`;

export class DashboardReads {
  readonly #store: ClickHouseStore;
  readonly #db: string;

  constructor(store: ClickHouseStore) {
    this.#store = store;
    this.#db = store.target.database;
  }

  /**
   * Fleet figures over the `hours` up to the latest closed window (not the wall clock: a backfill
   * or a paused producer still shows its data), per bucket and per service.
   */
  async overview(hours: number, tenantId: string | undefined): Promise<Overview> {
    const stepMs = stepFor(hours);
    const to = await this.#latestWindowEnd(tenantId);
    const from = to - hours * HOUR_MS;
    const params = { from: from / 1000, to: to / 1000, step: stepMs / 1000, tenant: tenantId ?? '' };
    const where = `window_start >= toDateTime64({from:Float64}, 3, 'UTC') AND window_start < toDateTime64({to:Float64}, 3, 'UTC')
      AND ({tenant:String} = '' OR tenant_id = {tenant:String})`;
    const source = `${this.#db}.workflow_metrics_1m FINAL`;
    const [totals, series, services] = await Promise.all([
      this.#store.query<Record<string, unknown>>(
        `SELECT ${KPI_COLUMNS} FROM ${source} WHERE scope = 'workflow' AND ${where}`,
        params,
      ),
      this.#store.query<Record<string, unknown>>(
        `SELECT toUnixTimestamp(toStartOfInterval(window_start, toIntervalSecond({step:UInt32}))) * 1000 AS t, ${KPI_COLUMNS}
         FROM ${source} WHERE scope = 'workflow' AND ${where} GROUP BY t ORDER BY t`,
        params,
      ),
      this.#store.query<Record<string, unknown>>(
        `SELECT service, ${KPI_COLUMNS} FROM ${source}
         WHERE scope = 'service' AND service IS NOT NULL AND ${where}
         GROUP BY service ORDER BY executions DESC LIMIT 100`,
        params,
      ),
    ]);
    return {
      from,
      to,
      stepMs,
      kpis: kpisOf(totals[0]),
      series: seriesOf(series),
      services: services.map((r) => ({ service: String(r.service), ...kpisOf(r) })),
    };
  }

  /** The latest change of the most recently opened insights, open ones first. */
  async insights(limit: number, tenantId: string | undefined): Promise<InsightView[]> {
    const rows = await this.#store.query<Record<string, unknown>>(
      `SELECT ${INSIGHT_COLUMNS} FROM ${this.#db}.performance_insights_current
       WHERE {tenant:String} = '' OR tenant_id = {tenant:String}
       ORDER BY state = 'open' DESC, opened_at DESC LIMIT {limit:UInt32}`,
      { limit, tenant: tenantId ?? '' },
    );
    return rows.map(insightOf);
  }

  /** Workflows with their last day of figures, busiest first. */
  async workflows(limit: number, tenantId: string | undefined): Promise<WorkflowSummary[]> {
    const to = await this.#latestWindowEnd(tenantId);
    const rows = await this.#store.query<Record<string, unknown>>(
      `SELECT w.workflow_id AS workflow_id, w.tenant_id AS tenant_id, w.name AS name,
              w.current_version AS current_version, w.latest_version AS latest_version,
              toUnixTimestamp64Milli(w.created_at) AS created_at,
              m.executions AS executions, m.successes AS successes, m.p95_ms AS p95_ms
       FROM ${this.#db}.workflows AS w
       LEFT JOIN (
         SELECT tenant_id, workflow_id, ${KPI_COLUMNS} FROM ${this.#db}.workflow_metrics_1m FINAL
         WHERE scope = 'workflow' AND window_start >= toDateTime64({from:Float64}, 3, 'UTC')
         GROUP BY tenant_id, workflow_id
       ) AS m ON m.workflow_id = w.workflow_id AND m.tenant_id = w.tenant_id
       WHERE {tenant:String} = '' OR w.tenant_id = {tenant:String}
       ORDER BY executions DESC, created_at DESC LIMIT {limit:UInt32}`,
      { from: (to - 24 * HOUR_MS) / 1000, tenant: tenantId ?? '', limit },
    );
    return rows.map(summaryOf);
  }

  /** One workflow: figures and windows over `hours`, versions, insights, sessions, forecast. */
  async workflow(workflowId: string, hours: number): Promise<WorkflowDetail | undefined> {
    const db = this.#db;
    const [head] = await this.#store.query<Record<string, unknown>>(
      `SELECT workflow_id, tenant_id, name, current_version, latest_version,
              toUnixTimestamp64Milli(created_at) AS created_at
       FROM ${db}.workflows WHERE workflow_id = {workflow:String} LIMIT 1`,
      { workflow: workflowId },
    );
    if (head === undefined) return undefined;
    const tenant = String(head.tenant_id);
    const stepMs = stepFor(hours);
    const to = await this.#latestWindowEnd(tenant);
    const params = {
      workflow: workflowId,
      tenant,
      key: `${tenant}/${workflowId}`,
      from: (to - hours * HOUR_MS) / 1000,
      step: stepMs / 1000,
    };
    const windows = `${db}.workflow_metrics_1m FINAL WHERE scope = 'workflow' AND key = {key:String}
      AND window_start >= toDateTime64({from:Float64}, 3, 'UTC')`;
    const [totals, series, versions, insights, sessions, forecasts] = await Promise.all([
      this.#store.query<Record<string, unknown>>(`SELECT ${KPI_COLUMNS} FROM ${windows}`, params),
      this.#store.query<Record<string, unknown>>(
        `SELECT toUnixTimestamp(toStartOfInterval(window_start, toIntervalSecond({step:UInt32}))) * 1000 AS t, ${KPI_COLUMNS}
         FROM ${windows} GROUP BY t ORDER BY t`,
        params,
      ),
      this.#store.query<Record<string, unknown>>(
        `SELECT version, name, toUnixTimestamp64Milli(published_at) AS published_at, reason, definition
         FROM ${db}.workflow_versions WHERE workflow_id = {workflow:String} ORDER BY version DESC LIMIT 50`,
        params,
      ),
      this.#store.query<Record<string, unknown>>(
        `SELECT ${INSIGHT_COLUMNS} FROM ${db}.performance_insights_current
         WHERE tenant_id = {tenant:String} AND (workflow_id = {workflow:String} OR has(related_workflows, {workflow:String}))
         ORDER BY opened_at DESC LIMIT 100`,
        params,
      ),
      this.#store.query<Record<string, unknown>>(
        `SELECT session_id, resolution_status, toUnixTimestamp64Milli(start_time) AS start_time,
                if(end_time IS NULL, NULL, toUnixTimestamp64Milli(end_time)) AS end_time,
                issues_detected, recommendations, actions_taken, verification
         FROM ${db}.troubleshooting_sessions FINAL
         WHERE tenant_id = {tenant:String} AND workflow_id = {workflow:String} ORDER BY start_time DESC LIMIT 20`,
        params,
      ),
      this.#store.query<Record<string, unknown>>(
        `SELECT command_id, toUnixTimestamp64Milli(completed_at) AS completed_at, body
         FROM ${db}.command_results FINAL
         WHERE command_type = 'predict' AND status = 'completed' AND workflow_id = {workflow:String}
         ORDER BY completed_at DESC LIMIT 1`,
        params,
      ),
    ]);
    const forecast = forecasts[0];
    return {
      workflow: summaryOf({ ...head, ...totals[0] }),
      kpis: kpisOf(totals[0]),
      series: seriesOf(series),
      stepMs,
      versions: versions.map((v) => ({
        version: num(v.version),
        name: String(v.name),
        publishedAt: num(v.published_at),
        reason: String(v.reason),
        definition: json(v.definition),
      })),
      insights: insights.map(insightOf),
      sessions: sessions.map((s) => ({
        sessionId: String(s.session_id),
        status: String(s.resolution_status),
        startTime: num(s.start_time),
        endTime: numOrNull(s.end_time),
        hypotheses: json(s.issues_detected),
        recommendations: json(s.recommendations),
        actions: json(s.actions_taken),
        verification: json(s.verification),
      })),
      forecast:
        forecast === undefined
          ? null
          : {
              commandId: String(forecast.command_id),
              completedAt: num(forecast.completed_at),
              prediction: json(forecast.body),
            },
    };
  }

  /** The latest troubleshooting sessions with what their fixes did to the failure rate. */
  async impact(limit: number, tenantId: string | undefined): Promise<ImpactView[]> {
    const rows = await this.#store.query<Record<string, unknown>>(
      `SELECT session_id, tenant_id, workflow_id, resolution_status, toUnixTimestamp64Milli(start_time) AS start_time,
              if(end_time IS NULL, NULL, toUnixTimestamp64Milli(end_time)) AS end_time,
              issues_detected, evidence, actions_taken, verification
       FROM ${this.#db}.troubleshooting_sessions FINAL
       WHERE {tenant:String} = '' OR tenant_id = {tenant:String}
       ORDER BY start_time DESC LIMIT {limit:UInt32}`,
      { limit, tenant: tenantId ?? '' },
    );
    return rows.map(impactOf);
  }

  /** End of the latest 1-minute window (ms), or now when there is none yet. */
  async #latestWindowEnd(tenantId: string | undefined): Promise<number> {
    const [row] = await this.#store.query<{ n: string; last: number | string }>(
      `SELECT count() AS n, toUnixTimestamp64Milli(max(window_end)) AS last FROM ${this.#db}.workflow_metrics_1m
       WHERE scope = 'workflow' AND ({tenant:String} = '' OR tenant_id = {tenant:String})`,
      { tenant: tenantId ?? '' },
    );
    return row === undefined || Number(row.n) === 0 ? Date.now() : Number(row.last);
  }
}

function summaryOf(r: Record<string, unknown>): WorkflowSummary {
  const executions = num(r.executions);
  return {
    workflowId: String(r.workflow_id),
    tenantId: String(r.tenant_id),
    name: textOrNull(r.name),
    currentVersion: num(r.current_version),
    latestVersion: num(r.latest_version),
    createdAt: num(r.created_at),
    executions,
    successRate: executions > 0 ? num(r.successes) / executions : null,
    p95Ms: numOrNull(r.p95_ms),
  };
}

const rate = (failed: unknown, runs: unknown): number | null =>
  typeof failed === 'number' && typeof runs === 'number' && runs > 0 ? failed / runs : null;

function impactOf(r: Record<string, unknown>): ImpactView {
  const hypotheses = json(r.issues_detected);
  const evidence = json(r.evidence) as { recorded?: { runs?: unknown; failedRuns?: unknown } | null } | null;
  const actions = json(r.actions_taken);
  const verification = json(r.verification) as {
    baselineFailureRate?: unknown;
    checks?: { runs?: unknown; failureRate?: unknown }[];
  } | null;
  const list = Array.isArray(actions)
    ? (actions as { action?: unknown; version?: unknown; service?: unknown }[])
    : [];
  const fix = list.find((a) => a.action === 'published_version');
  const root = Array.isArray(hypotheses) ? (hypotheses[0] as { summary?: unknown } | undefined) : undefined;
  const last = verification?.checks?.at(-1);
  return {
    sessionId: text(r.session_id),
    tenantId: text(r.tenant_id),
    workflowId: text(r.workflow_id),
    status: text(r.resolution_status),
    startTime: num(r.start_time),
    endTime: numOrNull(r.end_time),
    rootCause: typeof root?.summary === 'string' ? root.summary : null,
    fixVersion: typeof fix?.version === 'number' ? fix.version : null,
    fixService: typeof fix?.service === 'string' ? fix.service : null,
    rolledBack: list.some((a) => a.action === 'rolled_back'),
    failureBefore: rate(evidence?.recorded?.failedRuns, evidence?.recorded?.runs),
    baseline: typeof verification?.baselineFailureRate === 'number' ? verification.baselineFailureRate : null,
    failureAfter: typeof last?.failureRate === 'number' ? last.failureRate : null,
    runsAfter: typeof last?.runs === 'number' ? last.runs : null,
  };
}
