// The workflow definition: what generation produces, what the definition events carry and what the
// loader writes to workflow_versions. Zod is the one source of truth; the types are inferred.
//
// Input mappings are plain strings with `{{trigger.<field>}}` and `{{steps.<stepId>.output.<field>}}`
// placeholders. The schema checks that every step placeholder names an earlier step, so a
// definition that passes can be run top to bottom without forward references.
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../../errors.ts';

export const strategies = ['performance', 'cost', 'reliability', 'hybrid'] as const;
export type Strategy = (typeof strategies)[number];

export const evidenceKinds = [
  /** Observed stats used as they are. */
  'observed',
  /** Rate-limit storm: high failure rate dominated by rate_limit. */
  'rate_limit_storm',
  /** Failures dominated by classes retries cannot fix (auth, validation, ...). */
  'non_retryable_failures',
  /** Failures dominated by timeouts. */
  'timeouts',
  /** Too few executions to trust; blended with the catalog prior. */
  'few_executions',
  /** No executions observed: catalog defaults. */
  'no_data',
  /** Stats older than the freshness horizon: settings ignore them. */
  'stale',
  /** A fallback chosen because it fails less. */
  'fallback',
] as const;
export type EvidenceKind = (typeof evidenceKinds)[number];

const id = z.string().min(1).max(256);
const serviceId = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a catalog id (lower-case kebab-case)')
  .max(128);
const stepIdSchema = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case kebab-case')
  .max(128);
const ms = z.number().int().nonnegative().max(3_600_000);

export const retryPolicySchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(10),
    backoff: z.enum(['exponential', 'fixed']),
    initialDelayMs: ms,
    maxDelayMs: ms,
    jitter: z.boolean(),
    respectRetryAfter: z.boolean(),
  })
  .refine((r) => r.maxDelayMs >= r.initialDelayMs, {
    path: ['maxDelayMs'],
    message: 'must be at least initialDelayMs',
  });

export const workflowStepSchema = z.strictObject({
  stepId: stepIdSchema,
  service: serviceId,
  action: stepIdSchema,
  inputs: z.record(z.string(), z.string().max(8192)),
  retry: retryPolicySchema,
  concurrency: z.number().int().min(1).max(100),
  batchSize: z.number().int().min(2).max(1000).nullable(),
  timeoutMs: z.number().int().min(1000).max(900_000),
  fallback: z.strictObject({ service: serviceId, action: stepIdSchema }).optional(),
});

export const workflowTriggerSchema = z.strictObject({
  /** A catalog service, or the built-in `schedule` / `webhook`. */
  service: serviceId,
  event: stepIdSchema,
  config: z.record(z.string(), z.string().max(2048)),
});

export const evidenceSchema = z.strictObject({
  service: serviceId,
  kind: z.enum(evidenceKinds),
  message: z.string().min(1),
  executions: z.number().int().nonnegative().optional(),
  failureRate: z.number().min(0).max(1).optional(),
  p95Ms: z.number().nonnegative().optional(),
  rateLimitShare: z.number().min(0).max(1).optional(),
});

export const predictionSchema = z.strictObject({
  /** Probability that a run completes every step (after retries and fallbacks). */
  successRate: z.number().min(0).max(1),
  /** Expected cost of one run, micro-dollars (retries, fallbacks and batching included). */
  costPerRunMicros: z.number().int().nonnegative(),
  /** Sum of per-step p95 latencies plus the retry and batch waits a p95 run sees. */
  p95Ms: z.number().int().nonnegative(),
  evidence: z.array(evidenceSchema),
});

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const TRIGGER_REF = /^trigger\.[A-Za-z0-9_.-]+$/;
const STEP_REF = /^steps\.([a-z0-9]+(?:-[a-z0-9]+)*)\.output\.[A-Za-z0-9_.-]+$/;

export const workflowDefinitionSchema = z
  .strictObject({
    workflowId: id,
    tenantId: id,
    name: z.string().min(1).max(256),
    description: z.string().max(8192),
    version: z.number().int().min(1),
    trigger: workflowTriggerSchema,
    steps: z.array(workflowStepSchema).min(1).max(50),
    strategy: z.enum(strategies),
    prediction: predictionSchema,
    createdFrom: z.enum(['template', 'generated']),
  })
  .superRefine((def, ctx) => {
    const seen = new Set<string>();
    def.steps.forEach((step, index) => {
      if (seen.has(step.stepId)) {
        ctx.addIssue({ code: 'custom', path: ['steps', index, 'stepId'], message: 'duplicate stepId' });
      }
      for (const [name, value] of Object.entries(step.inputs)) {
        for (const ref of placeholders(value)) {
          const stepRef = STEP_REF.exec(ref);
          const ok = TRIGGER_REF.test(ref) || (stepRef?.[1] !== undefined && seen.has(stepRef[1]));
          if (!ok) {
            ctx.addIssue({
              code: 'custom',
              path: ['steps', index, 'inputs', name],
              message: `{{${ref}}} must name the trigger or an earlier step`,
            });
          }
        }
      }
      seen.add(step.stepId);
    });
  });

export type RetryPolicy = z.infer<typeof retryPolicySchema>;
export type WorkflowStep = z.infer<typeof workflowStepSchema>;
export type WorkflowTrigger = z.infer<typeof workflowTriggerSchema>;
export type Evidence = z.infer<typeof evidenceSchema>;
export type Prediction = z.infer<typeof predictionSchema>;
export type WorkflowDefinition = z.infer<typeof workflowDefinitionSchema>;

/** The placeholders (`trigger.email`, `steps.x.output.id`) inside one input value. */
export function placeholders(value: string): string[] {
  return [...value.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/** Validates a definition; throws ValidationError naming every failing field. */
export function parseWorkflowDefinition(value: unknown): WorkflowDefinition {
  const parsed = workflowDefinitionSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues: FieldIssue[] = parsed.error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
  }));
  throw new ValidationError('workflow definition', issues);
}
