-- Closed 1-minute windows from workflow.metrics.v1. Service windows arrive as partials, one per
-- input partition (input_partition); workflow_metrics_1m_merged and the longer views sum them. A correction re-emits a window with a higher
-- version; ReplacingMergeTree(version) keeps the highest, and the *_v view reads it with FINAL.
CREATE TABLE IF NOT EXISTS {db}.workflow_metrics_1m
(
    scope               LowCardinality(String),
    key                 String,
    tenant_id           LowCardinality(String),
    workflow_id         Nullable(String),
    step_id             Nullable(String),
    service             LowCardinality(Nullable(String)),
    window_start        DateTime64(3, 'UTC'),
    window_end          DateTime64(3, 'UTC'),
    version             UInt32,
    input_partition     UInt16,
    executions          UInt64,
    successes           UInt64,
    failures            UInt64,
    success_rate        Nullable(Float64),
    retries             UInt64,
    p50_ms              Nullable(Float64),
    p95_ms              Nullable(Float64),
    p99_ms              Nullable(Float64),
    duration_bins       Map(Int32, UInt64),
    duration_zero_count UInt64,
    sketch_alpha        Float64,
    duration_sum        Float64,
    cost_micros_sum     UInt64,
    cost_per_run_micros Nullable(UInt64),
    error_classes       Map(String, UInt64),
    late_events         UInt64,
    event_count         UInt64,
    workflow_versions   Map(String, UInt64),
    source_partition    UInt16,
    source_offset       UInt64,
    loaded_at           DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(window_start)
ORDER BY (scope, key, window_start, input_partition)
TTL toDateTime(window_start) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- Latest version of every (partial) window.
CREATE VIEW IF NOT EXISTS {db}.workflow_metrics_1m_v AS
SELECT * FROM {db}.workflow_metrics_1m FINAL;
