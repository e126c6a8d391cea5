// Reading performance_insights back in the insight tests.
import type { InsightRow as LoadedInsightRow } from '../../pipelines/insightsLoader.ts';
import type { PulseProcess } from '../../src/pipeline/pulseProcess.ts';

/** The columns the tests read, as the loader wrote them (times as ClickHouse prints them). */
export type InsightRow = Pick<
  LoadedInsightRow,
  | 'insight_id'
  | 'tenant_id'
  | 'workflow_id'
  | 'insight_type'
  | 'change'
  | 'state'
  | 'service'
  | 'series_key'
  | 'severity'
  | 'description'
  | 'related_workflows'
  | 'contributors'
  | 'opened_at'
  | 'resolved_at'
  | 'source_offset'
>;

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
