// Realistic execution events for tests and benchmarks, deterministic per seed.
import { seededRandom } from '../../src/core/seededRandom.ts';
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

/**
 * The Slack rate-limit storm as execution events: `workflows` workflows of one tenant, 10 runs a
 * minute each, fetching over HTTP (1% background timeouts) and then posting to Slack. From minute
 * `stormFrom` for `stormMinutes` minutes, 60% of the runs fail at Slack with a 429 rate limit.
 * `minutes` minutes in all, from `startMs` (a minute boundary). Sorted by event time.
 */
export function makeStormEvents(options: {
  runId: string;
  tenantId: string;
  startMs: number;
  minutes: number;
  workflows: number;
  stormFrom: number;
  stormMinutes: number;
  seed?: number;
}): ExecutionEventInput[] {
  const rnd = seededRandom(options.seed ?? 17);
  const lognormal = (median: number): number =>
    Math.round(
      median * Math.exp(0.3 * Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd())),
    );
  const events: ExecutionEventInput[] = [];
  let n = 0;
  for (let m = 0; m < options.minutes; m++) {
    const storm = m >= options.stormFrom && m < options.stormFrom + options.stormMinutes;
    for (let w = 0; w < options.workflows; w++) {
      const workflowId = `wf-${String(w).padStart(2, '0')}`;
      for (let r = 0; r < 10; r++) {
        const executionId = `${options.runId}-${workflowId}-${m}-${r}`;
        const base = {
          tenantId: options.tenantId,
          workflowId,
          workflowVersion: 1,
          executionId,
        };
        const start = options.startMs + m * 60_000 + Math.floor(rnd() * 50_000);
        const fetchMs = lognormal(150);
        const fetchFails = rnd() < 0.01;
        const slackMs = lognormal(250);
        const slackFails = !fetchFails && storm && rnd() < 0.6;
        const error = fetchFails
          ? {
              class: 'timeout',
              code: 'ETIMEDOUT',
              httpStatus: null,
              message: 'request timed out',
              retryable: true,
            }
          : slackFails
            ? {
                class: 'rate_limit',
                code: 'ratelimited',
                httpStatus: 429,
                message: 'ratelimited',
                retryable: true,
              }
            : null;
        const step = (stepId: string, service: string, at: number, durationMs: number, failed: boolean) => ({
          ...base,
          eventId: `${options.runId}-${n++}`,
          type: failed ? ('STEP_FAILED' as const) : ('STEP_COMPLETED' as const),
          occurredAt: at,
          stepId,
          service,
          durationMs,
          costMicros: failed ? null : 500,
          error: failed ? error : null,
        });
        events.push({
          ...base,
          eventId: `${options.runId}-${n++}`,
          type: 'WORKFLOW_STARTED',
          occurredAt: start,
          stepId: null,
          service: null,
          durationMs: null,
          costMicros: null,
          error: null,
        });
        events.push(step('fetch', 'http', start + fetchMs, fetchMs, fetchFails));
        const end = fetchFails ? start + fetchMs : start + fetchMs + slackMs;
        if (!fetchFails) events.push(step('notify', 'slack', end, slackMs, slackFails));
        events.push({
          ...base,
          eventId: `${options.runId}-${n++}`,
          type: error === null ? 'WORKFLOW_COMPLETED' : 'WORKFLOW_FAILED',
          occurredAt: end + 1,
          stepId: null,
          service: null,
          durationMs: end + 1 - start,
          costMicros: 1500,
          error,
        });
      }
    }
  }
  return events.sort((a, b) => a.occurredAt - b.occurredAt);
}
