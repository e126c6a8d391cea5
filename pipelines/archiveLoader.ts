// Archive loader: workflow.executions.v1 → ClickHouse workflow_executions, one row per event.
// With the embedded engine the rows go in as the records' own Avro bytes (`avroRows`); `transform`
// builds the same rows as objects for a ClickHouse server.
import { archiveAvroRows } from '../src/adapters/clickhouse/archiveAvroRows.ts';
import { validateDecodedExecutionEvent } from '../src/core/executionEvent.ts';
import { executionRow, type ExecutionRow } from '../src/core/executionRow.ts';
import { validationFailure, type LoaderDefinition } from '../src/pipeline/loaderDefinition.ts';
import { EXECUTIONS_DLQ_TOPIC, EXECUTIONS_TOPIC } from '../src/topology/topics.ts';

export const archiveLoader: LoaderDefinition<ExecutionRow> = {
  name: 'archive-loader',
  input: EXECUTIONS_TOPIC,
  deadLetters: EXECUTIONS_DLQ_TOPIC,
  table: 'workflow_executions',
  transform(decoded, source) {
    const result = validateDecodedExecutionEvent(decoded);
    if (!result.ok) return validationFailure(result.problems);
    return { ok: true, row: executionRow(result.value, source) };
  },
  avroRows: archiveAvroRows,
};
