-- Every execution event, one row each, as loaded by the archive loader.
-- ReplacingMergeTree on the natural key: a replayed insert whose dedup token differs still
-- collapses to one row at merge time; `FINAL` (or the workflow_executions_v view) shows it
-- deduplicated at query time.
CREATE TABLE IF NOT EXISTS {db}.workflow_executions
(
    event_id          String,
    event_type        LowCardinality(String),
    occurred_at       DateTime64(3, 'UTC'),
    tenant_id         LowCardinality(String),
    user_id           Nullable(String),
    workflow_id       String,
    workflow_version  UInt32,
    execution_id      String,
    step_id           Nullable(String),
    service           LowCardinality(Nullable(String)),
    action            LowCardinality(Nullable(String)),
    attempt           UInt16,
    duration_ms       Nullable(UInt64),
    cost_micros       Nullable(UInt64),
    error_class       LowCardinality(Nullable(String)),
    error_code        Nullable(String),
    error_http_status Nullable(UInt16),
    error_message     Nullable(String),
    error_retryable   Nullable(Bool),
    attributes        Map(String, String),
    source_partition  UInt16,
    source_offset     UInt64,
    ingested_at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (tenant_id, workflow_id, occurred_at, event_id)
TTL toDateTime(occurred_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- The analysts' entry point: one row per event, whatever merges have or have not run.
CREATE VIEW IF NOT EXISTS {db}.workflow_executions_v AS
SELECT * FROM {db}.workflow_executions FINAL;
