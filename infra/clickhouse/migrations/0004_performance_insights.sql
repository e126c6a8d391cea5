-- Insights from workflow.insights.v1, one row per change (opened, updated, resolved) so analysts see
-- how an episode evolved; performance_insights_current holds each insight's latest change. The seed
-- columns (insight_id, workflow_id, insight_type, description, confidence, impact_score,
-- generated_at) keep their names. Changes of one insight share a Kafka partition (keyed by tenant),
-- so the source offset orders them; ReplacingMergeTree on the source position collapses a replayed
-- insert whose dedup token differs.
CREATE TABLE IF NOT EXISTS {db}.performance_insights
(
    insight_id        String,
    tenant_id         LowCardinality(String),
    workflow_id       Nullable(String),
    insight_type      LowCardinality(String),
    change            LowCardinality(String),
    state             LowCardinality(String),
    scope             LowCardinality(String),
    series_key        String,
    step_id           Nullable(String),
    service           LowCardinality(Nullable(String)),
    metric            LowCardinality(String),
    observed          Float64,
    expected          Float64,
    lower_bound       Float64,
    upper_bound       Float64,
    score             Float64,
    severity          LowCardinality(String),
    confidence        Float64,
    impact_score      Float64,
    impact_unit       LowCardinality(String),
    contributors      Array(Tuple(dimension String, value String, share Float64)),
    related_workflows Array(String),
    description       String,
    window_start      DateTime64(3, 'UTC'),
    window_end        DateTime64(3, 'UTC'),
    opened_at         DateTime64(3, 'UTC'),
    resolved_at       Nullable(DateTime64(3, 'UTC')),
    generated_at      DateTime64(3, 'UTC'),
    source_partition  UInt16,
    source_offset     UInt64,
    loaded_at         DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(opened_at)
ORDER BY (tenant_id, insight_id, source_partition, source_offset)
TTL toDateTime(opened_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- The latest change of every insight: its current state, severity, impact and members.
CREATE VIEW IF NOT EXISTS {db}.performance_insights_current AS
SELECT *
FROM {db}.performance_insights FINAL
ORDER BY tenant_id, insight_id, source_offset DESC
LIMIT 1 BY insight_id;
