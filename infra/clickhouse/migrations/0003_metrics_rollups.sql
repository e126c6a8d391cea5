-- Longer views merged from the 1-minute windows: counts add up, sketches merge bucket by bucket
-- (sumMap), and quantiles are read from the merged sketch with DDSketch's rank rule, so a 1-hour
-- p95 keeps the sketch's relative-error bound instead of averaging 1-minute p95s.
-- Aggregates are referred to by their aliases (success_rate = successes / executions).
-- Bucket i holds values in (γ^(i-1), γ^i], γ = (1+α)/(1-α); its representative value is 2γ^i/(γ+1).
-- One row per series and minute, service partials summed.
CREATE VIEW IF NOT EXISTS {db}.workflow_metrics_1m_merged AS
SELECT scope, key, any(tenant_id) AS tenant_id, any(workflow_id) AS workflow_id, any(step_id) AS step_id,
       any(service) AS service,
       window_start,
       sum(executions) AS executions, sum(successes) AS successes, sum(failures) AS failures,
       if(executions > 0, successes / executions, NULL) AS success_rate,
       sum(retries) AS retries,
       sumMap(duration_bins) AS duration_bins, sum(duration_zero_count) AS duration_zero_count,
       any(sketch_alpha) AS sketch_alpha,
       sum(cost_micros_sum) AS cost_micros_sum,
       if(executions > 0, round(cost_micros_sum / executions), NULL) AS cost_per_run_micros,
       sumMap(error_classes) AS error_classes, sum(late_events) AS late_events, sum(event_count) AS event_count,
       sumMap(workflow_versions) AS workflow_versions
FROM {db}.workflow_metrics_1m FINAL
GROUP BY scope, key, window_start;

CREATE VIEW IF NOT EXISTS {db}.workflow_metrics_5m AS
SELECT scope, key, any(tenant_id) AS tenant_id, any(workflow_id) AS workflow_id, any(step_id) AS step_id,
       any(service) AS service,
       toStartOfInterval(window_start, INTERVAL 5 MINUTE) AS window_start,
       sum(executions) AS executions, sum(successes) AS successes, sum(failures) AS failures,
       if(executions > 0, successes / executions, NULL) AS success_rate,
       sum(retries) AS retries,
       sumMap(duration_bins) AS duration_bins, sum(duration_zero_count) AS duration_zero_count,
       any(sketch_alpha) AS sketch_alpha,
       sum(cost_micros_sum) AS cost_micros_sum,
       if(executions > 0, round(cost_micros_sum / executions), NULL) AS cost_per_run_micros,
       sumMap(error_classes) AS error_classes, sum(late_events) AS late_events, sum(event_count) AS event_count
FROM {db}.workflow_metrics_1m FINAL
GROUP BY scope, key, window_start;

CREATE VIEW IF NOT EXISTS {db}.workflow_metrics_1h AS
SELECT scope, key, any(tenant_id) AS tenant_id, any(workflow_id) AS workflow_id, any(step_id) AS step_id,
       any(service) AS service,
       toStartOfHour(window_start) AS window_start,
       sum(executions) AS executions, sum(successes) AS successes, sum(failures) AS failures,
       if(executions > 0, successes / executions, NULL) AS success_rate,
       sum(retries) AS retries,
       sumMap(duration_bins) AS duration_bins, sum(duration_zero_count) AS duration_zero_count,
       any(sketch_alpha) AS sketch_alpha,
       sum(cost_micros_sum) AS cost_micros_sum,
       if(executions > 0, round(cost_micros_sum / executions), NULL) AS cost_per_run_micros,
       sumMap(error_classes) AS error_classes, sum(late_events) AS late_events, sum(event_count) AS event_count
FROM {db}.workflow_metrics_1m FINAL
GROUP BY scope, key, window_start;

-- Rolling 24 hours ending now, one row per series.
CREATE VIEW IF NOT EXISTS {db}.workflow_metrics_24h AS
SELECT scope, key, any(tenant_id) AS tenant_id, any(workflow_id) AS workflow_id, any(step_id) AS step_id,
       any(service) AS service,
       min(window_start) AS first_window, max(window_end) AS last_window_end,
       sum(executions) AS executions, sum(successes) AS successes, sum(failures) AS failures,
       if(executions > 0, successes / executions, NULL) AS success_rate,
       sum(retries) AS retries,
       sumMap(duration_bins) AS duration_bins, sum(duration_zero_count) AS duration_zero_count,
       any(sketch_alpha) AS sketch_alpha,
       sum(cost_micros_sum) AS cost_micros_sum,
       sumMap(error_classes) AS error_classes, sum(event_count) AS event_count
FROM {db}.workflow_metrics_1m FINAL
WHERE window_start >= now64(3) - INTERVAL 24 HOUR
GROUP BY scope, key;

-- Quantile q of a merged sketch (the rank rule of src/core/metrics/ddSketch.ts).
CREATE FUNCTION IF NOT EXISTS pulseSketchQuantile AS (bins, zero_count, alpha, q) ->
    if(zero_count + arraySum(mapValues(bins)) = 0, NULL,
       if(zero_count > q * (zero_count + arraySum(mapValues(bins)) - 1), 0,
          2 * pow((1 + alpha) / (1 - alpha),
                  arrayElement(mapKeys(bins),
                               arrayFirstIndex(c -> c > q * (zero_count + arraySum(mapValues(bins)) - 1) - zero_count,
                                               arrayCumSum(mapValues(bins)))))
            / ((1 + alpha) / (1 - alpha) + 1)));
