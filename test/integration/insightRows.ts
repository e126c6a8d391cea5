// Reading performance_insights back in the insight tests.
import type { PulseProcess } from '../../src/pipeline/pulseProcess.ts';

export interface InsightRow {
  insight_id: string;
  tenant_id: string;
  workflow_id: string | null;
  insight_type: string;
  change: string;
  state: string;
  service: string | null;
  series_key: string;
  severity: string;
  description: string;
  related_workflows: string[];
  contributors: { dimension: string; value: string; share: number }[];
  opened_at: string;
  resolved_at: string | null;
  source_offset: string;
}

export const ms = (clickhouseTime: string): number => Date.parse(`${clickhouseTime.replace(' ', 'T')}Z`);

export async function insightRows(process: PulseProcess, db: string, where: string): Promise<InsightRow[]> {
  const store = process.store;
  if (store === undefined) throw new Error('this process owns ClickHouse');
  return store.query<InsightRow>(
    `SELECT insight_id, tenant_id, workflow_id, insight_type, change, state, service, series_key, severity,
            description, related_workflows, contributors, toString(opened_at) AS opened_at,
            toString(resolved_at) AS resolved_at, source_offset
     FROM ${db}.performance_insights FINAL WHERE ${where} ORDER BY source_partition, source_offset`,
  );
}
