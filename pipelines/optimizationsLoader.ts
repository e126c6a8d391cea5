// Optimizations loader: workflow.optimizations.v1 (read committed) → ClickHouse
// enhanced_workflow_optimization.
import type { LoaderDefinition } from '../src/pipeline/loaderDefinition.ts';
import { OPTIMIZATIONS_DLQ_TOPIC, OPTIMIZATIONS_TOPIC } from '../src/topology/topics.ts';
import type { OptimizationRecord } from './commandProcessor.ts';

export interface OptimizationRow {
  optimization_id: string;
  tenant_id: string;
  workflow_id: string | null;
  strategy: string;
  horizon_hours: number;
  improvements: string;
  applied_changes: string;
  confidence_score: number;
  created_at: string;
  prediction: string;
  source_partition: number;
  source_offset: string;
}

function isOptimization(value: unknown): value is OptimizationRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.optimizationId === 'string' && typeof v.predictionJson === 'string';
}

export const optimizationsLoader: LoaderDefinition<OptimizationRow> = {
  name: 'optimizations-loader',
  input: OPTIMIZATIONS_TOPIC,
  deadLetters: OPTIMIZATIONS_DLQ_TOPIC,
  table: 'enhanced_workflow_optimization',
  transform(decoded, source) {
    if (!isOptimization(decoded)) {
      return {
        ok: false,
        errorClass: 'ValidationError',
        reason: 'not-an-optimization',
        message: 'record is not an optimization',
      };
    }
    const o = decoded;
    return {
      ok: true,
      row: {
        optimization_id: o.optimizationId,
        tenant_id: o.tenantId,
        workflow_id: o.workflowId,
        strategy: o.strategy,
        horizon_hours: o.horizonHours,
        improvements: o.improvementsJson,
        applied_changes: o.appliedChangesJson,
        confidence_score: o.confidenceScore,
        created_at: new Date(o.createdAt).toISOString(),
        prediction: o.predictionJson,
        source_partition: source.partition,
        source_offset: source.offset,
      },
    };
  },
};
