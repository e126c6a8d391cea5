-- Workflow definitions as their event log (workflow.definitions.v1, one row per event) and the
-- projection as views over it: replaying the topic into the table rebuilds every view exactly.
-- Events of a tenant share a Kafka partition, so the source offset orders a workflow's events;
-- current_version and latest_version are the workflow's state after each event.
CREATE TABLE IF NOT EXISTS {db}.workflow_definition_events
(
    event_id         String,
    event_type       LowCardinality(String),
    occurred_at      DateTime64(3, 'UTC'),
    tenant_id        LowCardinality(String),
    workflow_id      String,
    version          UInt32,
    current_version  UInt32,
    latest_version   UInt32,
    command_id       Nullable(String),
    name             String,
    definition       String,
    diff             String,
    reason           String,
    user_id          String,
    rating           UInt8,
    comment          String,
    body             String,
    source_partition UInt16,
    source_offset    UInt64,
    loaded_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant_id, workflow_id, event_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- Every version: its definition (JSON), the diff from the version it replaced, why it was published.
CREATE VIEW IF NOT EXISTS {db}.workflow_versions AS
SELECT workflow_id, tenant_id, version, name, definition, diff, reason, occurred_at AS published_at, event_id
FROM {db}.workflow_definition_events FINAL
WHERE event_type IN ('WorkflowCreated', 'WorkflowVersionPublished');

-- One row per workflow: the version that runs (lower than the latest after a rollback), its name,
-- and the feedback so far.
CREATE VIEW IF NOT EXISTS {db}.workflows AS
SELECT w.workflow_id AS workflow_id, w.tenant_id AS tenant_id, v.name AS name,
       w.current_version AS current_version, w.latest_version AS latest_version,
       w.created_at AS created_at, w.updated_at AS updated_at,
       w.feedback_count AS feedback_count, w.average_rating AS average_rating
FROM
(
    SELECT workflow_id, any(tenant_id) AS tenant_id,
           argMax(current_version, source_offset) AS current_version,
           argMax(latest_version, source_offset) AS latest_version,
           min(occurred_at) AS created_at, max(occurred_at) AS updated_at,
           countIf(event_type = 'FeedbackRecorded') AS feedback_count,
           avgIf(rating, event_type = 'FeedbackRecorded') AS average_rating
    FROM {db}.workflow_definition_events FINAL
    GROUP BY workflow_id
) AS w
LEFT JOIN {db}.workflow_versions AS v ON v.workflow_id = w.workflow_id AND v.version = w.current_version;

CREATE VIEW IF NOT EXISTS {db}.workflow_feedback AS
SELECT event_id, workflow_id, tenant_id, version, user_id, rating, comment, occurred_at AS recorded_at
FROM {db}.workflow_definition_events FINAL
WHERE event_type = 'FeedbackRecorded';

-- One row per command (a redelivered command's repeated result collapses into it).
CREATE TABLE IF NOT EXISTS {db}.command_results
(
    command_id       String,
    command_type     LowCardinality(String),
    tenant_id        LowCardinality(String),
    user_id          String,
    status           LowCardinality(String),
    error_code       Nullable(String),
    error_message    Nullable(String),
    workflow_id      Nullable(String),
    version          Nullable(UInt32),
    issued_at        DateTime64(3, 'UTC'),
    completed_at     DateTime64(3, 'UTC'),
    body             String,
    source_partition UInt16,
    source_offset    UInt64,
    loaded_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant_id, command_id)
SETTINGS non_replicated_deduplication_window = 10000;
