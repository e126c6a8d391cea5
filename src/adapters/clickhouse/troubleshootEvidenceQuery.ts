// What the pipeline recorded about a failing workflow, for root-cause analysis and for verifying a
// fix: failed step attempts by step, service and error class (since when, on which version), the
// run failure rate now and before, and the tenant's other workflows failing the same way.
import type { FailureGroup, RecordedEvidence } from '../../core/troubleshooting/troubleshootAnalysis.ts';
import type { ClickHouseStore } from './clickhouseStore.ts';

type Num = string | number;

export async function troubleshootEvidence(
  reader: ClickHouseStore,
  database: string,
  tenantId: string,
  workflowId: string,
  now: number,
  windowHours = 1,
): Promise<RecordedEvidence> {
  const from = now - windowHours * 3_600_000;
  const params = {
    tenant: tenantId,
    workflow: workflowId,
    from,
    to: now,
    before: from - windowHours * 3_600_000,
  };
  const table = `${database}.workflow_executions_v`;
  const window = `occurred_at >= fromUnixTimestamp64Milli({from:Int64}) AND occurred_at < fromUnixTimestamp64Milli({to:Int64})`;
  const [failures, runs, others] = await Promise.all([
    reader.query<{
      step_id: string | null;
      service: string | null;
      error_class: string | null;
      error_code: string | null;
      http_status: Num | null;
      message: string | null;
      failures: Num;
      first_seen: Num;
      last_seen: Num;
      max_version: Num;
    }>(
      `SELECT step_id, service, error_class, any(error_code) AS error_code, any(error_http_status) AS http_status,
              any(error_message) AS message, count() AS failures,
              toUnixTimestamp64Milli(min(occurred_at)) AS first_seen, toUnixTimestamp64Milli(max(occurred_at)) AS last_seen,
              max(workflow_version) AS max_version
       FROM ${table}
       WHERE tenant_id = {tenant:String} AND workflow_id = {workflow:String} AND event_type = 'STEP_FAILED' AND ${window}
       GROUP BY step_id, service, error_class ORDER BY failures DESC LIMIT 20`,
      params,
    ),
    reader.query<{ runs: Num; failed: Num; base_runs: Num; base_failed: Num }>(
      `SELECT countIf(occurred_at >= fromUnixTimestamp64Milli({from:Int64})) AS runs,
              countIf(occurred_at >= fromUnixTimestamp64Milli({from:Int64}) AND event_type = 'WORKFLOW_FAILED') AS failed,
              countIf(occurred_at < fromUnixTimestamp64Milli({from:Int64})) AS base_runs,
              countIf(occurred_at < fromUnixTimestamp64Milli({from:Int64}) AND event_type = 'WORKFLOW_FAILED') AS base_failed
       FROM ${table}
       WHERE tenant_id = {tenant:String} AND workflow_id = {workflow:String}
         AND event_type IN ('WORKFLOW_COMPLETED', 'WORKFLOW_FAILED')
         AND occurred_at >= fromUnixTimestamp64Milli({before:Int64}) AND occurred_at < fromUnixTimestamp64Milli({to:Int64})`,
      params,
    ),
    reader.query<{ service: string; error_class: string; workflows: Num }>(
      `SELECT service, error_class, uniqExact(workflow_id) AS workflows
       FROM ${table}
       WHERE tenant_id = {tenant:String} AND workflow_id != {workflow:String} AND event_type = 'STEP_FAILED'
         AND service IS NOT NULL AND error_class IS NOT NULL AND ${window}
       GROUP BY service, error_class`,
      params,
    ),
  ]);
  const r = runs[0];
  return {
    windowHours,
    runs: Number(r?.runs ?? 0),
    failedRuns: Number(r?.failed ?? 0),
    baselineRuns: Number(r?.base_runs ?? 0),
    baselineFailedRuns: Number(r?.base_failed ?? 0),
    failures: failures.map((f): FailureGroup => ({
      stepId: f.step_id,
      service: f.service,
      errorClass: f.error_class,
      errorCode: f.error_code,
      httpStatus: f.http_status === null ? null : Number(f.http_status),
      message: f.message,
      failures: Number(f.failures),
      firstSeen: Number(f.first_seen),
      lastSeen: Number(f.last_seen),
      maxVersion: Number(f.max_version),
    })),
    otherWorkflows: others.map((o) => ({
      service: o.service,
      errorClass: o.error_class,
      workflows: Number(o.workflows),
    })),
  };
}

/** Runs of a workflow version (or later) since a time: what the verifier reports. */
export async function runsSince(
  reader: ClickHouseStore,
  database: string,
  tenantId: string,
  workflowId: string,
  minVersion: number,
  since: number,
): Promise<{ runs: number; failedRuns: number }> {
  const [row] = await reader.query<{ runs: Num; failed: Num }>(
    `SELECT count() AS runs, countIf(event_type = 'WORKFLOW_FAILED') AS failed
     FROM ${database}.workflow_executions_v
     WHERE tenant_id = {tenant:String} AND workflow_id = {workflow:String} AND workflow_version >= {version:UInt32}
       AND event_type IN ('WORKFLOW_COMPLETED', 'WORKFLOW_FAILED') AND occurred_at >= fromUnixTimestamp64Milli({since:Int64})`,
    { tenant: tenantId, workflow: workflowId, version: minVersion, since },
  );
  return { runs: Number(row?.runs ?? 0), failedRuns: Number(row?.failed ?? 0) };
}

/** Sessions waiting for a verdict, with what the verifier needs to look at. */
export async function sessionsToVerify(
  reader: ClickHouseStore,
  database: string,
): Promise<
  { sessionId: string; tenantId: string; workflowId: string; appliedVersion: number; publishedAt: number }[]
> {
  const rows = await reader.query<{
    session_id: string;
    tenant_id: string;
    workflow_id: string;
    verification: string;
  }>(
    `SELECT session_id, tenant_id, workflow_id, verification FROM ${database}.troubleshooting_sessions FINAL
     WHERE resolution_status = 'verifying'`,
  );
  return rows.flatMap((r) => {
    const v = JSON.parse(r.verification) as { appliedVersion?: number; publishedAt?: number } | null;
    if (v?.appliedVersion === undefined || v.publishedAt === undefined) return [];
    return [
      {
        sessionId: r.session_id,
        tenantId: r.tenant_id,
        workflowId: r.workflow_id,
        appliedVersion: v.appliedVersion,
        publishedAt: v.publishedAt,
      },
    ];
  });
}
