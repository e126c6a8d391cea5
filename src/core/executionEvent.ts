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

/** Event types that belong to a step (and need a stepId). */
export const STEP_TYPES: ReadonlySet<string> = new Set([
  'STEP_STARTED',
  'STEP_COMPLETED',
  'STEP_FAILED',
  'STEP_RETRIED',
]);
/** Event types that report a failure (and need an error). */
export const FAILED_TYPES: ReadonlySet<string> = new Set(['WORKFLOW_FAILED', 'STEP_FAILED']);

/** A service must be a catalog id (lower-case kebab-case). */
export const SERVICE_ID = /^[a-z0-9][a-z0-9-]*$/;
/** Event time bounds, epoch ms: years 2000..2100 catch seconds-vs-millis mix-ups. */
export const MIN_TIME = 946684800000;
export const MAX_TIME = 4102444800000;

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
    occurredAt: z.number().int().min(MIN_TIME).max(MAX_TIME),
    tenantId: id,
    userId: id.nullable().default(null),
    workflowId: id,
    workflowVersion: int32.min(1),
    executionId: id,
    stepId: id.nullable().default(null),
    service: z
      .string()
      .regex(SERVICE_ID, 'service must be a catalog id (lower-case kebab-case)')
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

const EVENT_KEYS = 16;
const ERROR_KEYS = 5;
const TYPES: ReadonlySet<string> = new Set(executionEventTypes);

const isId = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= 256;
const isOptId = (v: unknown): boolean => v === null || isId(v);
const isInt = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isOptCount = (v: unknown): boolean => v === null || isInt(v, 0, Number.MAX_SAFE_INTEGER);

function isValidError(e: unknown): boolean {
  if (e === null) return true;
  if (typeof e !== 'object') return false;
  const x = e as Record<string, unknown>;
  return (
    Object.keys(x).length === ERROR_KEYS &&
    typeof x.class === 'string' &&
    x.class.length >= 1 &&
    x.class.length <= 64 &&
    (x.code === null || (typeof x.code === 'string' && x.code.length <= 256)) &&
    (x.httpStatus === null || isInt(x.httpStatus, 100, 599)) &&
    typeof x.message === 'string' &&
    x.message.length <= 8192 &&
    typeof x.retryable === 'boolean'
  );
}

function isStringMap(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  for (const value of Object.values(v)) if (typeof value !== 'string') return false;
  return true;
}

/**
 * The hot-path check of a decoded record: the same rules as `executionEventSchema`, written out
 * by hand because zod's generality costs several microseconds per event in the processors. It
 * accepts only records with exactly the contract's fields; anything else (a newer schema's extra
 * field, a failure) goes through zod, which gives the detailed problems. A property test keeps
 * the two in agreement.
 */
export function validateDecodedExecutionEvent(input: unknown): Validation<ExecutionEvent> {
  if (typeof input === 'object' && input !== null && Object.keys(input).length === EVENT_KEYS) {
    const e = input as Record<string, unknown>;
    const type = e.type;
    if (
      isId(e.eventId) &&
      typeof type === 'string' &&
      TYPES.has(type) &&
      isInt(e.occurredAt, MIN_TIME, MAX_TIME) &&
      isId(e.tenantId) &&
      isOptId(e.userId) &&
      isId(e.workflowId) &&
      isInt(e.workflowVersion, 1, 2147483647) &&
      isId(e.executionId) &&
      isOptId(e.stepId) &&
      (e.service === null ||
        (typeof e.service === 'string' && e.service.length <= 128 && SERVICE_ID.test(e.service))) &&
      (e.action === null || (typeof e.action === 'string' && e.action.length <= 256)) &&
      isInt(e.attempt, 1, 2147483647) &&
      isOptCount(e.durationMs) &&
      isOptCount(e.costMicros) &&
      isValidError(e.error) &&
      isStringMap(e.attributes) &&
      !(STEP_TYPES.has(type) && e.stepId === null) &&
      !(FAILED_TYPES.has(type) && e.error === null)
    ) {
      return { ok: true, value: input as ExecutionEvent };
    }
  }
  return validateExecutionEvent(input);
}
