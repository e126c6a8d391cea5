// Per-step settings by strategy, then adjusted by live reliability.
//
// Strategy baselines (STRATEGY_PROFILES):
// - performance: 2 attempts, fixed 200 ms backoff, no jitter, Retry-After not awaited (fail fast),
//   concurrency up to 10, no batching (a batch waits to fill), timeout max(10 s, 2 x p95), no fallback.
// - cost: 3 attempts, exponential 1 s..30 s with jitter, Retry-After honoured, concurrency 3,
//   batches of 50 where the action takes batches (fewer billed calls), timeout max(30 s, 3 x p95),
//   no fallback (a second connection and its calls cost), cheaper services/models suggested.
// - reliability: 5 attempts, exponential 2 s..120 s with jitter, Retry-After honoured,
//   concurrency 2, no batching (one bad record does not fail fifty), timeout max(60 s, 3 x p95),
//   a fallback where a same-category service with an equivalent action fails at most half as often.
// - hybrid: 3 attempts, exponential 1 s..60 s with jitter, Retry-After honoured, concurrency 5,
//   batches of 10 where supported, timeout max(30 s, 3 x p95), a fallback only for a degraded
//   service (>= 10% failures) with a clearly better alternative.
// Concurrency never exceeds a documented concurrent-request cap, nor max(2, documented requests
// per second) (the platform's throttle paces calls; more in flight only queues).
//
// Live reliability (only from fresh data with >= MIN_EXECUTIONS executions):
// - rate-limit storm (>= 10% failures, >= half of them rate_limit): exponential backoff with
//   jitter from max(2 x base, provider throttle) ms, max delay doubled, Retry-After honoured,
//   at least 4 attempts, concurrency halved and at most the documented rate per second and the
//   provider's throttle concurrency, batching on where supported (fewer calls into the limit);
// - timeouts dominate: timeout max(2 x base, 4 x p95);
// - non-retryable failures dominate (auth, validation, ...): at most 2 attempts, since retrying
//   cannot fix them; the evidence says what to fix.
import type { Operation, Service } from '../services/serviceCatalog.ts';
import { detectProvider } from '../troubleshooting/detectProvider.ts';
import { defaultThrottle } from '../troubleshooting/providerProfiles.ts';
import { actionVerb, objectStems, supportsBatching } from './operationVocabulary.ts';
import type { ReliabilityAssessment } from './serviceReliability.ts';
import type { Evidence, RetryPolicy, Strategy } from './workflowDefinition.ts';

export interface StrategyProfile {
  readonly retry: RetryPolicy;
  readonly concurrency: number;
  /** Batch size where the action takes batches; null: never batch. */
  readonly batchSize: number | null;
  readonly timeoutMs: number;
  /** Timeout is at least this multiple of the step's p95. */
  readonly timeoutP95Factor: number;
  readonly fallback: 'never' | 'when_better' | 'when_degraded';
}

export const STRATEGY_PROFILES: Readonly<Record<Strategy, StrategyProfile>> = {
  performance: {
    retry: {
      maxAttempts: 2,
      backoff: 'fixed',
      initialDelayMs: 200,
      maxDelayMs: 1000,
      jitter: false,
      respectRetryAfter: false,
    },
    concurrency: 10,
    batchSize: null,
    timeoutMs: 10_000,
    timeoutP95Factor: 2,
    fallback: 'never',
  },
  cost: {
    retry: {
      maxAttempts: 3,
      backoff: 'exponential',
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      jitter: true,
      respectRetryAfter: true,
    },
    concurrency: 3,
    batchSize: 50,
    timeoutMs: 30_000,
    timeoutP95Factor: 3,
    fallback: 'never',
  },
  reliability: {
    retry: {
      maxAttempts: 5,
      backoff: 'exponential',
      initialDelayMs: 2000,
      maxDelayMs: 120_000,
      jitter: true,
      respectRetryAfter: true,
    },
    concurrency: 2,
    batchSize: null,
    timeoutMs: 60_000,
    timeoutP95Factor: 3,
    fallback: 'when_better',
  },
  hybrid: {
    retry: {
      maxAttempts: 3,
      backoff: 'exponential',
      initialDelayMs: 1000,
      maxDelayMs: 60_000,
      jitter: true,
      respectRetryAfter: true,
    },
    concurrency: 5,
    batchSize: 10,
    timeoutMs: 30_000,
    timeoutP95Factor: 3,
    fallback: 'when_degraded',
  },
};

/** The documented rules of a strategy, for the rationale. */
export function strategyRule(strategy: Strategy): string {
  const p = STRATEGY_PROFILES[strategy];
  const r = p.retry;
  const backoff =
    r.backoff === 'fixed'
      ? `fixed ${r.initialDelayMs} ms backoff`
      : `exponential backoff ${r.initialDelayMs}..${r.maxDelayMs} ms${r.jitter ? ' with jitter' : ''}`;
  const fallback = {
    never: 'no fallbacks',
    when_better: 'fallbacks to a same-category service that fails at most half as often',
    when_degraded: 'fallbacks only for degraded services (>= 10% failures)',
  }[p.fallback];
  return (
    `strategy ${strategy}: ${r.maxAttempts} attempts, ${backoff}, Retry-After ${r.respectRetryAfter ? 'honoured' : 'not awaited'}, ` +
    `concurrency up to ${p.concurrency}, ${p.batchSize === null ? 'no batching' : `batches of ${p.batchSize} where supported`}, ` +
    `timeout max(${p.timeoutMs / 1000} s, ${p.timeoutP95Factor} x p95), ${fallback}`
  );
}

export interface StepSettings {
  readonly retry: RetryPolicy;
  readonly concurrency: number;
  readonly batchSize: number | null;
  readonly timeoutMs: number;
  /** What live reliability changed, for the rationale. */
  readonly notes: readonly string[];
}

const MAX_TIMEOUT_MS = 900_000;
const MAX_DELAY_MS = 900_000;
/** Batch size used when a storm turns batching on for a strategy that does not batch. */
const STORM_BATCH_SIZE = 20;

function healthyConcurrencyCap(a: ReliabilityAssessment): number {
  let cap = a.limit.maxConcurrent ?? Infinity;
  if (a.limit.requestsPerSecond !== undefined)
    cap = Math.min(cap, Math.max(2, Math.ceil(a.limit.requestsPerSecond)));
  return Math.max(1, Math.floor(cap));
}

/** Settings of one step: the strategy baseline, then what the live signals call for. */
export function stepSettings(
  strategy: Strategy,
  serviceId: string,
  op: Operation | undefined,
  a: ReliabilityAssessment,
): StepSettings {
  const p = STRATEGY_PROFILES[strategy];
  const batchable = op !== undefined && supportsBatching(op);
  const retry: { -readonly [K in keyof RetryPolicy]: RetryPolicy[K] } = { ...p.retry };
  let concurrency = Math.min(p.concurrency, healthyConcurrencyCap(a));
  let batchSize = batchable ? p.batchSize : null;
  let timeoutMs = Math.min(MAX_TIMEOUT_MS, Math.max(p.timeoutMs, Math.ceil(a.p95Ms * p.timeoutP95Factor)));
  const notes: string[] = [];

  if (a.rateLimitStorm) {
    const throttle = detectProvider(serviceId, '')?.throttle ?? defaultThrottle;
    const before = concurrency;
    retry.backoff = 'exponential';
    retry.jitter = true;
    retry.respectRetryAfter = true;
    retry.maxAttempts = Math.max(retry.maxAttempts, 4);
    retry.initialDelayMs = Math.max(p.retry.initialDelayMs * 2, throttle.initialDelayMs);
    retry.maxDelayMs = Math.min(
      MAX_DELAY_MS,
      Math.max(p.retry.maxDelayMs * 2, throttle.maxDelayMs, retry.initialDelayMs),
    );
    let cap = Math.min(Math.floor(before / 2), throttle.concurrency, a.limit.maxConcurrent ?? Infinity);
    if (a.limit.requestsPerSecond !== undefined) cap = Math.min(cap, Math.floor(a.limit.requestsPerSecond));
    concurrency = Math.max(1, cap);
    if (batchable) batchSize ??= STORM_BATCH_SIZE;
    notes.push(
      `${serviceId}: rate-limit storm -> exponential backoff ${retry.initialDelayMs}..${retry.maxDelayMs} ms with jitter, ` +
        `Retry-After honoured, ${retry.maxAttempts} attempts, concurrency ${before} -> ${concurrency}` +
        (a.limit.text ? ` (documented limit ${a.limit.text})` : '') +
        (batchable ? `, batches of ${batchSize ?? STORM_BATCH_SIZE} to make fewer calls` : ''),
    );
  }
  if (a.timeoutDominated) {
    const before = timeoutMs;
    timeoutMs = Math.min(MAX_TIMEOUT_MS, Math.max(timeoutMs * 2, Math.ceil(a.p95Ms * 4)));
    notes.push(`${serviceId}: timeouts dominate its failures -> timeout ${before} -> ${timeoutMs} ms`);
  }
  if (a.nonRetryableDominated && !a.rateLimitStorm) {
    const before = retry.maxAttempts;
    retry.maxAttempts = Math.min(retry.maxAttempts, 2);
    if (before !== retry.maxAttempts) {
      notes.push(
        `${serviceId}: most failures are not retryable -> ${before} -> ${retry.maxAttempts} attempts; fix the cause instead`,
      );
    }
  }
  return { retry, concurrency, batchSize, timeoutMs, notes };
}

/** An equivalent action on another service: same action id, or same verb group sharing an object word. */
export function equivalentAction(op: Operation, other: Service): Operation | undefined {
  const same = other.actions.find((o) => o.id === op.id);
  if (same) return same;
  const verb = actionVerb(op);
  const objects = objectStems(op);
  return other.actions.find(
    (o) =>
      actionVerb(o) === verb && (objects.length === 0 || objectStems(o).some((s) => objects.includes(s))),
  );
}

export interface Alternative {
  readonly service: Service;
  readonly op: Operation;
  readonly assessment: ReliabilityAssessment;
  /** Times the user used it before (a connection likely exists). */
  readonly used: number;
}

/**
 * Same-category services with an equivalent action and fresh observed stats, best first.
 * `assess` reads a service's stats; only services present in the reliability data are candidates.
 */
export function alternativesFor(
  service: Service,
  op: Operation,
  candidates: readonly Service[],
  assess: (s: Service) => ReliabilityAssessment,
  used: (id: string) => number,
): Alternative[] {
  const out: Alternative[] = [];
  for (const other of candidates) {
    if (other.id === service.id || other.category !== service.category) continue;
    const eq = equivalentAction(op, other);
    if (!eq) continue;
    const assessment = assess(other);
    if (assessment.status !== 'observed') continue;
    out.push({ service: other, op: eq, assessment, used: used(other.id) });
  }
  return out.sort(
    (x, y) =>
      x.assessment.failureRate - y.assessment.failureRate ||
      y.used - x.used ||
      x.service.id.localeCompare(y.service.id),
  );
}

export interface FallbackChoice {
  readonly service: string;
  readonly action: string;
  readonly note: string;
  readonly evidence: Evidence;
}

const FALLBACK_MIN_GAIN = 0.02;

/** A fallback by the strategy's rule, or undefined. The primary needs fresh observed stats to compare. */
export function chooseFallback(
  strategy: Strategy,
  primary: ReliabilityAssessment,
  alternatives: readonly Alternative[],
): FallbackChoice | undefined {
  const rule = STRATEGY_PROFILES[strategy].fallback;
  if (rule === 'never' || primary.status !== 'observed') return undefined;
  if (rule === 'when_degraded' && !primary.degraded) return undefined;
  const best = alternatives.find(
    (alt) =>
      !alt.assessment.rateLimitStorm &&
      alt.assessment.failureRate <= primary.failureRate / 2 &&
      primary.failureRate - alt.assessment.failureRate >= FALLBACK_MIN_GAIN,
  );
  if (!best) return undefined;
  const pctOf = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const comparison =
    `${pctOf(best.assessment.failureRate)} failures over ${best.assessment.executions} executions ` +
    `vs ${pctOf(primary.failureRate)} for ${primary.service}` +
    (best.used > 0 ? `; you used it ${best.used} times` : '');
  const message = `${best.service.id}: ${comparison}; fallback for ${primary.service}`;
  return {
    service: best.service.id,
    action: best.op.id,
    note: `${primary.service}: fallback to ${best.service.id} ${best.op.id} (${comparison})`,
    evidence: {
      service: best.service.id,
      kind: 'fallback',
      message,
      executions: best.assessment.executions,
      failureRate: best.assessment.failureRate,
      p95Ms: best.assessment.p95Ms,
    },
  };
}

export interface CostSuggestion {
  readonly stepId: string;
  readonly kind: 'cheaper_service' | 'cheaper_model';
  readonly message: string;
  readonly service?: string;
  readonly action?: string;
  readonly savingPerCallMicros?: number;
}

// Smaller tiers of the same provider; prices change, so these are suggestions, never set silently.
const SMALLER_MODELS: Readonly<Record<string, string>> = {
  openai: 'gpt-4o-mini',
  anthropic: 'a Claude Haiku model',
  'google-gemini': 'a Gemini Flash model',
  mistral: 'mistral-small',
  groq: 'a smaller Llama model',
};

/**
 * Cost strategy suggestions for one step: a same-category service with an equivalent action
 * whose observed cost per call is at least 20% lower and whose failure rate is not more than 2
 * points worse; for an LLM step with a model input, a smaller model tier.
 */
export function costSuggestions(
  stepId: string,
  service: Service,
  op: Operation,
  primary: ReliabilityAssessment,
  alternatives: readonly Alternative[],
): CostSuggestion[] {
  const out: CostSuggestion[] = [];
  const cheaper = alternatives
    .filter(
      (alt) =>
        alt.assessment.costPerCallMicros <= primary.costPerCallMicros * 0.8 &&
        alt.assessment.failureRate <= primary.failureRate + 0.02,
    )
    .sort((x, y) => x.assessment.costPerCallMicros - y.assessment.costPerCallMicros)[0];
  if (cheaper) {
    const saving = Math.round(primary.costPerCallMicros - cheaper.assessment.costPerCallMicros);
    out.push({
      stepId,
      kind: 'cheaper_service',
      service: cheaper.service.id,
      action: cheaper.op.id,
      savingPerCallMicros: saving,
      message: `${stepId}: ${cheaper.service.name} "${cheaper.op.name}" costs ${Math.round(cheaper.assessment.costPerCallMicros)} vs ${Math.round(primary.costPerCallMicros)} micro-$ per call with a similar failure rate`,
    });
  }
  if (service.category === 'ai' && op.inputs.includes('model')) {
    const model = SMALLER_MODELS[service.id] ?? 'a smaller model tier';
    out.push({
      stepId,
      kind: 'cheaper_model',
      service: service.id,
      message: `${stepId}: use ${model} unless an evaluation shows the larger model is needed (LLM calls dominate the run cost)`,
    });
  }
  return out;
}
