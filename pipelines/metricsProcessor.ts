// Metrics processor: workflow.executions.v1 → tumbling 1-minute event-time windows by workflow,
// by service and by (workflow, step) → workflow.metrics.v1 (closed windows; corrections carry a
// higher version). Window logic lives in src/core/metrics; this file declares the stage.
import { validateDecodedExecutionEvent, type ExecutionEvent } from '../src/core/executionEvent.ts';
import type { WindowMetrics } from '../src/core/metrics/metricWindow.ts';
import {
  WindowOperator,
  type WindowOperatorConfig,
  type WindowOperatorState,
} from '../src/core/metrics/windowOperator.ts';
import type { ProcessorDefinition } from '../src/pipeline/processorDefinition.ts';
import { EXECUTIONS_TOPIC, METRICS_TOPIC } from '../src/topology/topics.ts';

export function metricsProcessor(
  config: Partial<WindowOperatorConfig> = {},
): ProcessorDefinition<WindowOperatorState, ExecutionEvent, WindowMetrics> {
  const operator = new WindowOperator(config);
  return {
    name: 'metrics-processor',
    input: EXECUTIONS_TOPIC,
    output: METRICS_TOPIC,
    parse(decoded) {
      const result = validateDecodedExecutionEvent(decoded);
      return result.ok
        ? { ok: true, value: result.value }
        : { ok: false, reason: result.problems[0]?.path ?? 'invalid' };
    },
    initialState: () => operator.initialState(),
    apply(state, event, offset) {
      // One event at a time: emissions then depend on the input order only, never on how the
      // consumer happened to batch it, so a replay reproduces them record for record.
      const result = operator.apply(state, event, offset);
      return { outputs: result.emitted, discarded: result.tooLateEvents.length };
    },
    tick:
      operator.config.idleTimeoutMs === null
        ? null
        : (state, nowMs) => ({ outputs: operator.advance(state, nowMs).emitted }),
    snapshot: (state) => operator.snapshot(state),
    restore: (json) => operator.restore(json),
    // Workflow and step windows are whole on one input partition (the input is keyed by
    // workflowId); a service's events spread over partitions, so each partition emits a partial
    // service window, told apart by inputPartition and summed by the ClickHouse views.
    outputKey: (w, inputPartition) =>
      w.scope === 'service' ? `${w.scope}|${w.key}|${inputPartition}` : `${w.scope}|${w.key}`,
    outputValue: (w, inputPartition) => ({ ...w, inputPartition }),
    watermark: (state) => state.watermark,
  };
}
