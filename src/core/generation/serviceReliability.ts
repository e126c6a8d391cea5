// Live per-service reliability, as the metrics pipeline reports it, and what generation reads from
// it: a failure rate it can trust, how much of it retries can fix, whether the service is in a
// rate-limit storm, and catalog defaults when nothing was observed.
import { z } from 'zod';
import type { Service } from '../services/serviceCatalog.ts';
import { retryableClasses, isErrorClass } from '../troubleshooting/errorClass.ts';
import type { Evidence } from './workflowDefinition.ts';

export const serviceReliabilitySchema = z.strictObject({
  /** Step executions observed in the window. */
  executions: z.number().int().nonnegative(),
  /** Share of those executions (calls) that failed, 0..1. */
  failureRate: z.number().min(0).max(1),
  p95Ms: z.number().nonnegative(),
  /** Error classes of the failures, each with its share of the failures (0..1). */
  dominantErrorClasses: z.array(
    z.strictObject({ class: z.string().min(1), share: z.number().min(0).max(1) }),
  ),
  /** Share of the failures classified rate_limit, 0..1. */
  rateLimitShare: z.number().min(0).max(1),
  /** Length of the observation window (evidence says "over the last N h"). */
  windowHours: z.number().positive().optional(),
  /** End of the observation window, epoch ms; stats older than STALE_AFTER_MS are not acted on. */
  observedAt: z.number().int().nonnegative().optional(),
  /** Observed average cost of one call, micro-dollars (overrides the catalog estimate). */
  costPerCallMicros: z.number().nonnegative().optional(),
});

export type ServiceReliability = z.infer<typeof serviceReliabilitySchema>;

/** Fewer executions than this are blended with the prior and never flagged as a storm. */
export const MIN_EXECUTIONS = 30;
/** Prior failure rate of a step call on a service with no data, and its weight in executions. */
export const PRIOR_FAILURE_RATE = 0.01;
const PRIOR_WEIGHT = 30;
/** Share of prior failures assumed retryable (timeouts, 5xx, rate limits dominate SaaS failures). */
const PRIOR_RETRYABLE_SHARE = 0.5;
/** A storm: at least this failure rate ... */
export const STORM_FAILURE_RATE = 0.1;
/** ... with at least this share of the failures being rate_limit. */
export const STORM_RATE_LIMIT_SHARE = 0.5;
/** Degraded: failures this frequent make a fallback worth its extra connection (hybrid). */
export const DEGRADED_FAILURE_RATE = 0.1;
/** Stats whose window ended longer ago than this describe a past incident, not the service now. */
export const STALE_AFTER_MS = 6 * 3_600_000;

export interface DocumentedLimit {
  /** The tightest documented request rate, per second. */
  readonly requestsPerSecond?: number;
  /** A documented cap on concurrent requests. */
  readonly maxConcurrent?: number;
  /** Human form of the tightest limit ("1 per second"). */
  readonly text?: string;
}

export interface ReliabilityAssessment {
  readonly service: string;
  readonly status: 'observed' | 'few_executions' | 'no_data' | 'stale';
  /** Failure rate of one call used for prediction (blended with the prior for few executions). */
  readonly failureRate: number;
  /** Share of failures a retry can fix (rate_limit, timeout, network, upstream_5xx). */
  readonly retryableShare: number;
  readonly p95Ms: number;
  readonly costPerCallMicros: number;
  readonly executions: number;
  /** Live signals settings act on (never set for few, stale or missing data). */
  readonly rateLimitStorm: boolean;
  readonly timeoutDominated: boolean;
  readonly nonRetryableDominated: boolean;
  readonly degraded: boolean;
  readonly limit: DocumentedLimit;
  readonly evidence: readonly Evidence[];
}

// Catalog estimates when nothing was observed. Latency: typical p95 of one call by category (LLM
// and scraping calls are slow). Cost: a platform task costs about 100 micro-dollars; paid APIs add
// their typical per-call price (an LLM call of a few thousand tokens, a scrape, an SMS).
const DEFAULT_P95_MS = 1000;
const P95_BY_CATEGORY: Readonly<Record<string, number>> = {
  ai: 8000,
  scraping: 10_000,
  search: 2000,
  'data-api': 1500,
  database: 300,
  storage: 2000,
  media: 15_000,
};
const PLATFORM_CALL_MICROS = 100;
const COST_BY_CATEGORY: Readonly<Record<string, number>> = {
  ai: 2000,
  scraping: 1000,
  search: 500,
  'data-api': 300,
  media: 3000,
};
const COST_BY_ROLE: Readonly<Record<string, number>> = { sms: 7900 };

export function catalogP95Ms(service: Service | undefined): number {
  return (service && P95_BY_CATEGORY[service.category]) ?? DEFAULT_P95_MS;
}

export function catalogCostPerCallMicros(service: Service | undefined): number {
  if (!service) return PLATFORM_CALL_MICROS;
  const byRole = Math.max(0, ...(service.roles ?? []).map((r) => COST_BY_ROLE[r] ?? 0));
  return PLATFORM_CALL_MICROS + Math.max(byRole, COST_BY_CATEGORY[service.category] ?? 0);
}

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86_400,
  week: 604_800,
  month: 2_592_000,
};

function windowSeconds(per: string): number | undefined {
  const m = /^(?:(\d+(?:\.\d+)?)\s+)?([a-z]+?)s?$/.exec(per.trim().toLowerCase());
  if (!m?.[2]) return undefined;
  const unit = UNIT_SECONDS[m[2]];
  return unit === undefined ? undefined : unit * Number(m[1] ?? 1);
}

/** The tightest documented limit of a service (catalog `rateLimits`). */
export function documentedLimit(service: Service | undefined): DocumentedLimit {
  let best: { rps: number; text: string } | undefined;
  let maxConcurrent: number | undefined;
  for (const rl of service?.rateLimits ?? []) {
    if (rl.per === 'concurrent') {
      maxConcurrent = Math.min(maxConcurrent ?? Infinity, rl.limit);
      continue;
    }
    const seconds = windowSeconds(rl.per);
    if (seconds === undefined) continue;
    const rps = rl.limit / seconds;
    if (!best || rps < best.rps) best = { rps, text: `${rl.limit} per ${rl.per}` };
  }
  return {
    ...(best ? { requestsPerSecond: best.rps, text: best.text } : {}),
    ...(maxConcurrent === undefined ? {} : { maxConcurrent }),
  };
}

function pct(x: number): string {
  const p = x * 100;
  return `${p >= 1 || p === 0 ? Math.round(p) : p.toFixed(1)}%`;
}

function windowText(stats: ServiceReliability): string {
  return stats.windowHours === undefined ? 'in the observed window' : `over the last ${stats.windowHours} h`;
}

function retryableShareOf(stats: ServiceReliability): number {
  let share = 0;
  for (const c of stats.dominantErrorClasses) {
    if (c.class !== 'rate_limit' && isErrorClass(c.class) && retryableClasses.has(c.class)) share += c.share;
  }
  // rate_limit is counted from rateLimitShare, which every producer fills, so it is not doubled.
  return Math.min(1, share + stats.rateLimitShare);
}

function classShare(stats: ServiceReliability, cls: string): number {
  return stats.dominantErrorClasses.filter((c) => c.class === cls).reduce((a, c) => a + c.share, 0);
}

/**
 * Reads one service's stats. `stats` undefined means no data: the catalog defaults are used and
 * the evidence says so. Few executions are blended with the prior (PRIOR_WEIGHT pseudo-executions
 * at PRIOR_FAILURE_RATE) so one failure in three calls does not read as a 33% failure rate.
 */
export function assessReliability(
  serviceId: string,
  service: Service | undefined,
  stats: ServiceReliability | undefined,
  now: number,
): ReliabilityAssessment {
  const limit = documentedLimit(service);
  const limitNote = limit.text ? ` (documented limit ${limit.text})` : '';
  const base = {
    service: serviceId,
    p95Ms: catalogP95Ms(service),
    costPerCallMicros: catalogCostPerCallMicros(service),
    limit,
    rateLimitStorm: false,
    timeoutDominated: false,
    nonRetryableDominated: false,
    degraded: false,
  };
  if (!stats || stats.executions === 0) {
    return {
      ...base,
      status: 'no_data',
      failureRate: PRIOR_FAILURE_RATE,
      retryableShare: PRIOR_RETRYABLE_SHARE,
      executions: 0,
      evidence: [
        {
          service: serviceId,
          kind: 'no_data',
          message: `${serviceId}: no executions observed; using catalog defaults${limitNote}`,
          executions: 0,
        },
      ],
    };
  }
  const observed = {
    executions: stats.executions,
    failureRate: stats.failureRate,
    p95Ms: stats.p95Ms,
    rateLimitShare: stats.rateLimitShare,
  };
  const retryableShare = retryableShareOf(stats);
  const p95Ms = stats.p95Ms > 0 ? stats.p95Ms : base.p95Ms;
  const costPerCallMicros = stats.costPerCallMicros ?? base.costPerCallMicros;
  if (stats.executions < MIN_EXECUTIONS) {
    const failures = stats.failureRate * stats.executions;
    const failureRate = (failures + PRIOR_FAILURE_RATE * PRIOR_WEIGHT) / (stats.executions + PRIOR_WEIGHT);
    return {
      ...base,
      status: 'few_executions',
      failureRate,
      retryableShare: stats.failureRate > 0 ? retryableShare : PRIOR_RETRYABLE_SHARE,
      p95Ms,
      costPerCallMicros,
      executions: stats.executions,
      evidence: [
        {
          service: serviceId,
          kind: 'few_executions',
          message: `${serviceId}: only ${stats.executions} executions ${windowText(stats)}; failure rate ${pct(stats.failureRate)} blended with the catalog prior to ${pct(failureRate)}, catalog defaults for settings${limitNote}`,
          ...observed,
        },
      ],
    };
  }
  const stale = stats.observedAt !== undefined && now - stats.observedAt > STALE_AFTER_MS;
  const rateLimitCallShare = stats.failureRate * stats.rateLimitShare;
  const storm = stats.failureRate >= STORM_FAILURE_RATE && stats.rateLimitShare >= STORM_RATE_LIMIT_SHARE;
  const timeoutShare = classShare(stats, 'timeout');
  const timeouts = stats.failureRate >= STORM_FAILURE_RATE && timeoutShare >= 0.5;
  const nonRetryable = stats.failureRate >= STORM_FAILURE_RATE && retryableShare < 0.5;
  const evidence: Evidence[] = [];
  const head = `${serviceId}: ${stats.executions} executions ${windowText(stats)}`;
  if (stale) {
    const hours = Math.round((now - (stats.observedAt ?? now)) / 3_600_000);
    evidence.push({
      service: serviceId,
      kind: 'stale',
      message: `${head}, last observed ${hours} h ago; too old to act on, settings use catalog defaults${limitNote}`,
      ...observed,
    });
  } else if (storm) {
    evidence.push({
      service: serviceId,
      kind: 'rate_limit_storm',
      message: `${serviceId}: ${pct(rateLimitCallShare)} of calls failed with rate_limit ${windowText(stats)} (${stats.executions} executions${limit.text ? `; documented limit ${limit.text}` : ''})`,
      ...observed,
    });
  } else if (timeouts) {
    evidence.push({
      service: serviceId,
      kind: 'timeouts',
      message: `${serviceId}: ${pct(stats.failureRate * timeoutShare)} of calls timed out ${windowText(stats)} (p95 ${Math.round(stats.p95Ms)} ms)`,
      ...observed,
    });
  } else if (nonRetryable) {
    const top = [...stats.dominantErrorClasses].sort((a, b) => b.share - a.share)[0];
    evidence.push({
      service: serviceId,
      kind: 'non_retryable_failures',
      message: `${serviceId}: ${pct(stats.failureRate)} of calls failed ${windowText(stats)}, mostly ${top?.class ?? 'unclassified'} errors that retries cannot fix`,
      ...observed,
    });
  } else {
    evidence.push({
      service: serviceId,
      kind: 'observed',
      message: `${head}: ${pct(stats.failureRate)} failed, p95 ${Math.round(stats.p95Ms)} ms`,
      ...observed,
    });
  }
  return {
    ...base,
    status: stale ? 'stale' : 'observed',
    failureRate: stats.failureRate,
    retryableShare,
    p95Ms,
    costPerCallMicros,
    executions: stats.executions,
    rateLimitStorm: !stale && storm,
    timeoutDominated: !stale && timeouts,
    nonRetryableDominated: !stale && nonRetryable,
    degraded: !stale && stats.failureRate >= DEGRADED_FAILURE_RATE,
    evidence,
  };
}
