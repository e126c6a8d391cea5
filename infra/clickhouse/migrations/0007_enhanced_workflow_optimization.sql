-- Predictions from predict commands (workflow.optimizations.v1). Seed columns optimization_id,
-- workflow_id, strategy, improvements, applied_changes, confidence_score, created_at keep their names.
CREATE TABLE IF NOT EXISTS {db}.enhanced_workflow_optimization
(
    optimization_id  String,
    tenant_id        LowCardinality(String),
    workflow_id      Nullable(String),
    strategy         LowCardinality(String),
    horizon_hours    UInt32,
    improvements     String,
    applied_changes  String,
    confidence_score Float64,
    created_at       DateTime64(3, 'UTC'),
    prediction       String,
    source_partition UInt16,
    source_offset    UInt64,
    loaded_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant_id, optimization_id)
SETTINGS non_replicated_deduplication_window = 10000;
