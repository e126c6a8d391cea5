// The Slack rate-limit storm as execution events, for the insight tests and the insight latency
// benchmark: deterministic per seed.
import type { ExecutionEventInput } from '../executionEvent.ts';
import { seededRandom } from '../seededRandom.ts';

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
