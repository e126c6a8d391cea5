// The execution event: the zod mirror of schemas/workflow.executions.v1.avsc. A contract test
// (test/unit/contracts) keeps the two in step; this one validates at every edge (SDK, consumer).
import { z } from 'zod';

export const executionEventTypes = [
  'WORKFLOW_STARTED',
  'WORKFLOW_COMPLETED',
  'WORKFLOW_FAILED',
  'STEP_STARTED',
  'STEP_COMPLETED',
  'STEP_FAILED',
  'STEP_RETRIED',
] as const;

export type ExecutionEventType = (typeof executionEventTypes)[number];

const STEP_TYPES: ReadonlySet<string> = new Set([
  'STEP_STARTED',
  'STEP_COMPLETED',
  'STEP_FAILED',
  'STEP_RETRIED',
]);
const FAILED_TYPES: ReadonlySet<string> = new Set(['WORKFLOW_FAILED', 'STEP_FAILED']);

const id = z.string().min(1).max(256);
const int32 = z.number().int().min(-2147483648).max(2147483647);

export const executionErrorSchema = z.object({
  class: z.string().min(1).max(64),
  code: z.string().max(256).nullable().default(null),
  httpStatus: z.number().int().min(100).max(599).nullable().default(null),
  message: z.string().max(8192),
  retryable: z.boolean(),
});

export const executionEventSchema = z
  .object({
    eventId: id,
    type: z.enum(executionEventTypes),
    // Event time as epoch milliseconds; years 2000..2100 catch seconds-vs-millis mix-ups.
    occurredAt: z.number().int().min(946684800000).max(4102444800000),
    tenantId: id,
    userId: id.nullable().default(null),
    workflowId: id,
    workflowVersion: int32.min(1),
    executionId: id,
    stepId: id.nullable().default(null),
    service: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'service must be a catalog id (lower-case kebab-case)')
      .max(128)
      .nullable()
      .default(null),
    action: z.string().max(256).nullable().default(null),
    attempt: int32.min(1).default(1),
    durationMs: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable().default(null),
    costMicros: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable().default(null),
    error: executionErrorSchema.nullable().default(null),
    attributes: z.record(z.string(), z.string()).default({}),
  })
  .superRefine(
    (event, ctx) => {
      if (STEP_TYPES.has(event.type) && !event.stepId) {
        ctx.addIssue({ code: 'custom', path: ['stepId'], message: `${event.type} needs a stepId` });
      }
      if (FAILED_TYPES.has(event.type) && !event.error) {
        ctx.addIssue({ code: 'custom', path: ['error'], message: `${event.type} needs an error` });
      }
    },
    // Run the cross-field rules even when other fields failed, so every failing field is named.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

/** A validated execution event, as on the wire. */
export type ExecutionEvent = z.output<typeof executionEventSchema>;
/** What a producer may hand in: optional fields may be left out. */
export type ExecutionEventInput = z.input<typeof executionEventSchema>;

export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

export function validateExecutionEvent(input: unknown): Validation<ExecutionEvent> {
  const result = executionEventSchema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}
