// Archive loader: workflow.executions.v1 → ClickHouse workflow_executions, one row per event.
import { validateDecodedExecutionEvent } from '../src/core/executionEvent.ts';
import { executionRow, type ExecutionRow } from '../src/core/executionRow.ts';
import type { LoaderDefinition } from '../src/pipeline/loaderDefinition.ts';
import { EXECUTIONS_DLQ_TOPIC, EXECUTIONS_TOPIC } from '../src/topology/topics.ts';

export const archiveLoader: LoaderDefinition<ExecutionRow> = {
  name: 'archive-loader',
  input: EXECUTIONS_TOPIC,
  deadLetters: EXECUTIONS_DLQ_TOPIC,
  table: 'workflow_executions',
  transform(decoded, source) {
    const result = validateDecodedExecutionEvent(decoded);
    if (!result.ok) {
      return {
        ok: false,
        errorClass: 'ValidationError',
        reason: result.problems.map((p) => p.path || '(root)').join(','),
        message: result.problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; '),
      };
    }
    return { ok: true, row: executionRow(result.value, source) };
  },
};
