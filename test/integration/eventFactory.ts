// Realistic execution events for tests and benchmarks, deterministic per seed.
import type { ExecutionEventInput } from '../../src/core/executionEvent.ts';

export function makeEvents(
  count: number,
  runId: string,
  startMs = Date.now() - 60_000,
): ExecutionEventInput[] {
  const services = ['slack', 'gmail', 'stripe', 'salesforce', 'hubspot', 'notion', 'github', 'openai'];
  const types = [
    'WORKFLOW_STARTED',
    'STEP_STARTED',
    'STEP_COMPLETED',
    'STEP_FAILED',
    'WORKFLOW_COMPLETED',
  ] as const;
  return Array.from({ length: count }, (_, i) => {
    const type = types[i % types.length] ?? 'STEP_COMPLETED';
    const isStep = type.startsWith('STEP_');
    return {
      eventId: `${runId}-${i}`,
      type,
      occurredAt: startMs + i,
      tenantId: `tenant-${i % 3}`,
      workflowId: `wf-${i % 50}`,
      workflowVersion: 1 + (i % 2),
      executionId: `${runId}-x-${Math.floor(i / 5)}`,
      stepId: isStep ? `step-${i % 4}` : null,
      service: isStep ? (services[i % services.length] ?? 'slack') : null,
      durationMs: type === 'STEP_COMPLETED' || type === 'STEP_FAILED' ? 50 + (i % 900) : null,
      costMicros: type === 'STEP_COMPLETED' ? 10 * (i % 7) : null,
      error:
        type === 'STEP_FAILED'
          ? {
              class: 'rate_limit',
              code: 'ratelimited',
              httpStatus: 429,
              message: 'Too Many Requests',
              retryable: true,
            }
          : null,
    };
  });
}

/**
 * A deterministic stream for the metrics processor: event time advances steadily, every 50th
 * event arrives 30 s late (a correction inside the horizon) and every 997th two hours late
 * (beyond it: counted, not folded).
 */
export function makeMetricEvents(
  count: number,
  runId: string,
  startMs: number,
  spacingMs = 2,
): ExecutionEventInput[] {
  return makeEvents(count, runId, startMs).map((event, i) => {
    const base = startMs + i * spacingMs;
    const occurredAt = i % 997 === 996 ? base - 7_200_000 : i % 50 === 49 ? base - 30_000 : base;
    return { ...event, occurredAt };
  });
}
