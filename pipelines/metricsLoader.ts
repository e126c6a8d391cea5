// Metrics loader: workflow.metrics.v1 (read committed) → ClickHouse workflow_metrics_1m.
import { isWindowRecord } from '../src/core/metrics/metricWindow.ts';
import { metricsRow, type MetricsRow } from '../src/core/metrics/metricsRow.ts';
import type { LoaderDefinition } from '../src/pipeline/loaderDefinition.ts';
import { METRICS_DLQ_TOPIC, METRICS_TOPIC } from '../src/topology/topics.ts';

export const metricsLoader: LoaderDefinition<MetricsRow> = {
  name: 'metrics-loader',
  input: METRICS_TOPIC,
  deadLetters: METRICS_DLQ_TOPIC,
  table: 'workflow_metrics_1m',
  transform(decoded, source) {
    // The record was validated by its Avro schema; this guards against a foreign schema on the topic.
    if (!isWindowRecord(decoded)) {
      return {
        ok: false,
        errorClass: 'ValidationError',
        reason: 'not-a-window',
        message: 'record is not a WindowMetrics',
      };
    }
    return { ok: true, row: metricsRow(decoded, source) };
  },
};
