// The prediction attached to a generated workflow: success rate, cost per run and p95 latency.
//
// One call fails with probability f; a failure is retryable with probability r (rate_limit,
// timeout, network, upstream_5xx) and then retried, up to n attempts; a non-retryable failure
// ends the step. Attempts are taken as independent (backoff with jitter and Retry-After spread
// them out), so
//   P(step succeeds)  = (1 - f) * (1 - (f r)^n) / (1 - f r)
//   E[attempts]       = (1 - (f r)^n) / (1 - f r)
// A fallback runs when the primary finally fails. The run succeeds when every step does (the
// trigger is not counted: a missed event is no failed run). Cost sums expected calls times the
// observed (else catalog) cost per call, divided by the batch size for batched steps. p95 sums
// step p95s, adds one retry (delay + p95) where a retry is likely (f r > 5%), the batch flush
// wait for batched steps, and the fallback's p95 where the fallback is likely (> 5%).
import type { ReliabilityAssessment } from './serviceReliability.ts';
import type { Evidence, Prediction, RetryPolicy } from './workflowDefinition.ts';

export interface StepForecast {
  readonly stepId: string;
  readonly retry: RetryPolicy;
  readonly batchSize: number | null;
  readonly assessment: ReliabilityAssessment;
  readonly fallback?: ReliabilityAssessment;
}

/** How long a batched record waits for its batch to fill or flush. */
export const BATCH_FLUSH_MS = 1000;
const LIKELY = 0.05;

export function stepSuccessProbability(
  failureRate: number,
  retryableShare: number,
  maxAttempts: number,
): number {
  const f = clamp01(failureRate);
  const q = f * clamp01(retryableShare);
  const n = Math.max(1, Math.floor(maxAttempts));
  if (q >= 1) return 0;
  return ((1 - f) * (1 - q ** n)) / (1 - q);
}

export function expectedAttempts(failureRate: number, retryableShare: number, maxAttempts: number): number {
  const q = clamp01(failureRate) * clamp01(retryableShare);
  const n = Math.max(1, Math.floor(maxAttempts));
  if (q >= 1) return n;
  return (1 - q ** n) / (1 - q);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0));
}

/** Predicts a run from its steps; `evidence` is carried as given (deduplicated). */
export function predictWorkflow(steps: readonly StepForecast[], evidence: readonly Evidence[]): Prediction {
  let success = 1;
  let cost = 0;
  let p95 = 0;
  for (const s of steps) {
    const a = s.assessment;
    const n = s.retry.maxAttempts;
    const primary = stepSuccessProbability(a.failureRate, a.retryableShare, n);
    const batch = s.batchSize ?? 1;
    let stepCost = (expectedAttempts(a.failureRate, a.retryableShare, n) * a.costPerCallMicros) / batch;
    let stepSuccess = primary;
    let stepP95 = a.p95Ms;
    if (a.failureRate * a.retryableShare > LIKELY) stepP95 += s.retry.initialDelayMs + a.p95Ms;
    if (s.batchSize !== null) stepP95 += BATCH_FLUSH_MS;
    if (s.fallback) {
      const fb = s.fallback;
      const fbSuccess = stepSuccessProbability(fb.failureRate, fb.retryableShare, n);
      stepSuccess = primary + (1 - primary) * fbSuccess;
      stepCost +=
        ((1 - primary) * expectedAttempts(fb.failureRate, fb.retryableShare, n) * fb.costPerCallMicros) /
        batch;
      if (1 - primary > LIKELY) stepP95 += fb.p95Ms;
    }
    success *= stepSuccess;
    cost += stepCost;
    p95 += stepP95;
  }
  const seen = new Set<string>();
  const unique = evidence.filter((e) => {
    const key = `${e.service}|${e.kind}|${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    successRate: Math.round(clamp01(success) * 10_000) / 10_000,
    costPerRunMicros: Math.round(cost),
    p95Ms: Math.round(p95),
    evidence: unique,
  };
}
