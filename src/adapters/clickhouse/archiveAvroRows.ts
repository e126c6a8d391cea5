// The archive's rows as Avro (see avroRowFile.ts): workflow_executions is the execution event
// field for field, so each row is the Kafka record's own body, read by chDB, with the event's v2
// schema as the file's and the columns selected from its fields. The JSON path (the loader
// definition's `transform`, used with a ClickHouse server) and this one store the same rows; the
// integration test in test/integration/archiveAvroRows.test.ts compares them column by column.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { validateDecodedExecutionEvent } from '../../core/executionEvent.ts';
import { validationFailure, type AvroRowsDefinition } from '../../pipeline/loaderDefinition.ts';
import { archiveBodyCheck } from '../registry/metricInputReader.ts';
import type { AvroRecordSchema } from './avroRowFile.ts';

const v2Schema = JSON.parse(
  readFileSync(
    path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      '../../../schemas/workflow.executions.v2.avsc',
    ),
    'utf8',
  ),
) as AvroRecordSchema;
const v2Type = avro.Type.forSchema(v2Schema as unknown as avro.Schema);

/** v1 is v2 without the trailing region: a v1 body and a null region is a v2 body. */
const NULL_REGION = Buffer.from([0]);
const AS_IS = Buffer.alloc(0);

export const archiveAvroRows: AvroRowsDefinition = {
  schema: v2Schema,
  select: {
    event_id: 'eventId',
    event_type: 'toString(type)',
    // timestamp-millis: chDB reads it as DateTime64(3), the same instant as the column's UTC one.
    occurred_at: 'occurredAt',
    tenant_id: 'tenantId',
    user_id: 'userId',
    workflow_id: 'workflowId',
    workflow_version: 'workflowVersion',
    execution_id: 'executionId',
    step_id: 'stepId',
    service: 'service',
    action: 'action',
    attempt: 'attempt',
    duration_ms: 'durationMs',
    cost_micros: 'costMicros',
    // ["null", ExecutionError] reads as a Nullable(Tuple): each element is null with the error.
    error_class: 'error.class',
    error_code: 'error.code',
    error_http_status: 'error.httpStatus',
    error_message: 'error.message',
    error_retryable: 'error.retryable',
    attributes: 'attributes',
    source_partition: 'sourcePartition',
    source_offset: 'sourceOffset',
  },
  reader(writerSchema) {
    const check = archiveBodyCheck(writerSchema);
    if (check === null) return null;
    const suffix =
      (writerSchema as AvroRecordSchema).fields.length === v2Schema.fields.length ? AS_IS : NULL_REGION;
    return (buffer, start) => (check(buffer, start) ? suffix : undefined);
  },
  encode(decoded) {
    const result = validateDecodedExecutionEvent(decoded);
    if (!result.ok) return validationFailure(result.problems);
    const region = (decoded as { region?: unknown }).region;
    return {
      ok: true,
      row: v2Type.toBuffer({ ...result.value, region: typeof region === 'string' ? region : null }),
    };
  },
};
