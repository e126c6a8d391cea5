// Insights loader: workflow.insights.v1 (read committed) → ClickHouse performance_insights, one row
// per insight change.
import type { SourcePosition } from '../src/core/executionRow.ts';
import type { Insight } from '../src/core/insights/insight.ts';
import type { LoaderDefinition } from '../src/pipeline/loaderDefinition.ts';
import { INSIGHTS_DLQ_TOPIC, INSIGHTS_TOPIC } from '../src/topology/topics.ts';

export interface InsightRow {
  insight_id: string;
  tenant_id: string;
  workflow_id: string | null;
  insight_type: string;
  change: string;
  state: string;
  scope: string;
  series_key: string;
  step_id: string | null;
  service: string | null;
  metric: string;
  observed: number;
  expected: number;
  lower_bound: number;
  upper_bound: number;
  score: number;
  severity: string;
  confidence: number;
  impact_score: number;
  impact_unit: string;
  contributors: { dimension: string; value: string; share: number }[];
  related_workflows: string[];
  description: string;
  window_start: string;
  window_end: string;
  opened_at: string;
  resolved_at: string | null;
  generated_at: string;
  source_partition: number;
  source_offset: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();
// ClickHouse's JSON input has no NaN or Infinity; a non-finite figure is stored as 0.
const finite = (v: number): number => (Number.isFinite(v) ? v : 0);

function isInsight(value: unknown): value is Insight {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.insightId === 'string' &&
    typeof v.kind === 'string' &&
    typeof v.tenantId === 'string' &&
    typeof v.windowStart === 'number' &&
    typeof v.openedAt === 'number' &&
    typeof v.impact === 'object' &&
    Array.isArray(v.contributors)
  );
}

export function insightRow(insight: Insight, source: SourcePosition): InsightRow {
  return {
    insight_id: insight.insightId,
    tenant_id: insight.tenantId,
    workflow_id: insight.workflowId,
    insight_type: insight.kind,
    change: insight.change,
    state: insight.state,
    scope: insight.scope,
    series_key: insight.key,
    step_id: insight.stepId,
    service: insight.service,
    metric: insight.metric,
    observed: finite(insight.observed),
    expected: finite(insight.expected),
    lower_bound: finite(insight.lower),
    upper_bound: finite(insight.upper),
    score: finite(insight.score),
    severity: insight.severity,
    confidence: finite(insight.confidence),
    impact_score: finite(insight.impact.value),
    impact_unit: insight.impact.unit,
    contributors: insight.contributors.map((c) => ({
      dimension: c.dimension,
      value: c.value,
      share: c.share,
    })),
    related_workflows: [...(insight.relatedWorkflows ?? [])],
    description: insight.description,
    window_start: iso(insight.windowStart),
    window_end: iso(insight.windowEnd),
    opened_at: iso(insight.openedAt),
    resolved_at: insight.resolvedAt === null ? null : iso(insight.resolvedAt),
    // When the insight was published: the record's Kafka timestamp (stable across reloads).
    generated_at: iso(source.timestamp ?? insight.windowEnd),
    source_partition: source.partition,
    source_offset: source.offset,
  };
}

export const insightsLoader: LoaderDefinition<InsightRow> = {
  name: 'insights-loader',
  input: INSIGHTS_TOPIC,
  deadLetters: INSIGHTS_DLQ_TOPIC,
  table: 'performance_insights',
  transform(decoded, source) {
    if (!isInsight(decoded)) {
      return {
        ok: false,
        errorClass: 'ValidationError',
        reason: 'not-an-insight',
        message: 'record is not an Insight',
      };
    }
    return { ok: true, row: insightRow(decoded, source) };
  },
};
