-- Troubleshooting sessions from workflow.troubleshooting.v1: the latest revision of each session
-- (ReplacingMergeTree(revision); read with FINAL). Seed columns session_id, workflow_id,
-- issues_detected, recommendations, resolution_status, start_time, end_time keep their names.
CREATE TABLE IF NOT EXISTS {db}.troubleshooting_sessions
(
    session_id        String,
    tenant_id         LowCardinality(String),
    workflow_id       String,
    revision          UInt32,
    resolution_status LowCardinality(String),
    start_time        DateTime64(3, 'UTC'),
    updated_at        DateTime64(3, 'UTC'),
    end_time          Nullable(DateTime64(3, 'UTC')),
    issues_detected   String,
    recommendations   String,
    evidence          String,
    actions_taken     String,
    verification      String,
    source_partition  UInt16,
    source_offset     UInt64,
    loaded_at         DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY (tenant_id, session_id)
SETTINGS non_replicated_deduplication_window = 10000;
