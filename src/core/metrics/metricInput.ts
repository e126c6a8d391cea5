// The slice of an execution event the metrics core reads. Structural on purpose: a validated
// ExecutionEvent (src/core/executionEvent.ts) is assignable to it, and tests can build small literals.

export type MetricEventType =
  | 'WORKFLOW_STARTED'
  | 'WORKFLOW_COMPLETED'
  | 'WORKFLOW_FAILED'
  | 'STEP_STARTED'
  | 'STEP_COMPLETED'
  | 'STEP_FAILED'
  | 'STEP_RETRIED';

export interface MetricInput {
  readonly type: MetricEventType;
  /** Event time, epoch milliseconds (an integer once validated). */
  readonly occurredAt: number;
  readonly tenantId: string;
  readonly workflowId: string;
  readonly workflowVersion: number;
  readonly stepId: string | null;
  readonly service: string | null;
  readonly attempt: number;
  /** Non-negative; rounded to whole milliseconds when folded. */
  readonly durationMs: number | null;
  /** Non-negative; rounded to whole micros when folded. */
  readonly costMicros: number | null;
  readonly error: { readonly class: string } | null;
}
