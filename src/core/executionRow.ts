// How an execution event lands in ClickHouse `workflow_executions`.
import type { ExecutionEvent } from './executionEvent.ts';

export interface SourcePosition {
  readonly partition: number;
  readonly offset: string;
  /** The record's Kafka timestamp (epoch ms), when the loader knows it. */
  readonly timestamp?: number;
}

export interface ExecutionRow {
  event_id: string;
  event_type: string;
  occurred_at: string;
  tenant_id: string;
  user_id: string | null;
  workflow_id: string;
  workflow_version: number;
  execution_id: string;
  step_id: string | null;
  service: string | null;
  action: string | null;
  attempt: number;
  duration_ms: number | null;
  cost_micros: number | null;
  error_class: string | null;
  error_code: string | null;
  error_http_status: number | null;
  error_message: string | null;
  error_retryable: boolean | null;
  attributes: Record<string, string>;
  source_partition: number;
  source_offset: string;
}

export function executionRow(event: ExecutionEvent, source: SourcePosition): ExecutionRow {
  return {
    event_id: event.eventId,
    event_type: event.type,
    // ISO-8601 in UTC keeps the milliseconds whatever the server's input format settings.
    occurred_at: new Date(event.occurredAt).toISOString(),
    tenant_id: event.tenantId,
    user_id: event.userId,
    workflow_id: event.workflowId,
    workflow_version: event.workflowVersion,
    execution_id: event.executionId,
    step_id: event.stepId,
    service: event.service,
    action: event.action,
    attempt: event.attempt,
    duration_ms: event.durationMs,
    cost_micros: event.costMicros,
    error_class: event.error?.class ?? null,
    error_code: event.error?.code ?? null,
    error_http_status: event.error?.httpStatus ?? null,
    error_message: event.error?.message ?? null,
    error_retryable: event.error?.retryable ?? null,
    attributes: event.attributes,
    source_partition: source.partition,
    source_offset: source.offset,
  };
}
