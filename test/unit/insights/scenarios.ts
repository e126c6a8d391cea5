// Scenario streams shared by the insight tests.

import { InsightEngine } from '../../../src/core/insights/insightEngine.ts';
import type { InsightEngineConfigInput, InsightWindow } from '../../../src/core/insights/insightEngine.ts';
import type { Insight } from '../../../src/core/insights/insight.ts';
import { DAY, HOUR, MINUTE, T0, random, simulate } from './syntheticWindows.ts';
import type { Conditions, WorkflowProfile } from './syntheticWindows.ts';

export const STORM_FROM = T0 + 150 * MINUTE;
export const STORM_TO = STORM_FROM + 15 * MINUTE;
export const STORM_END = STORM_TO + 25 * MINUTE;

export const workflowIds = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `wf-${String(i).padStart(2, '0')}`);

/**
 * `workflows` workflows of tenant t1, 10 runs a minute each, calling an HTTP API and then Slack, with
 * 1% background timeouts at the HTTP step. From STORM_FROM to STORM_TO the first `stormed` of them
 * hit Slack rate limits: 60% of their runs fail at the Slack step with `rate_limit`.
 */
export function slackStorm(workflows: number, stormed: number, seed = 7): InsightWindow[] {
  const profiles: WorkflowProfile[] = workflowIds(workflows).map((workflowId, i) => ({
    tenantId: 't1',
    workflowId,
    partition: i % 3,
    steps: [
      { stepId: 'fetch', service: 'http', medianMs: 150 },
      { stepId: 'notify', service: 'slack', medianMs: 250 },
    ],
    at: (t): Conditions => {
      const storm = i < stormed && t >= STORM_FROM && t < STORM_TO;
      return {
        runsPerMinute: 10,
        failureRate: storm ? 0.6 : 0.01,
        failingStep: storm ? 1 : 0,
        errorClass: storm ? 'rate_limit' : 'timeout',
        version: 1,
        costPerRunMicros: 1500,
      };
    },
  }));
  return simulate(profiles, T0, STORM_END, seed);
}

/**
 * One workflow, 20 runs a minute; from `from` for `minutes` minutes 40% of its runs fail with
 * `upstream_5xx` (workflow windows only).
 */
export function failureSpike(from = T0 + 3 * HOUR, minutes = 12, seed = 3): InsightWindow[] {
  const profile: WorkflowProfile = {
    tenantId: 't1',
    workflowId: 'billing',
    partition: 0,
    steps: [{ stepId: 'charge', service: 'stripe', medianMs: 300 }],
    at: (t) => {
      const spike = t >= from && t < from + minutes * MINUTE;
      return {
        runsPerMinute: 20,
        failureRate: spike ? 0.4 : 0.01,
        failingStep: 0,
        errorClass: spike ? 'upstream_5xx' : 'timeout',
        version: 1,
        costPerRunMicros: 2000,
      };
    },
  };
  return simulate([profile], T0, from + (minutes + 30) * MINUTE, seed, { steps: false });
}

export const DEPLOY = T0 + 3 * HOUR;

/** `orders` runs 20 times a minute; version 2, published at DEPLOY, makes its enrich step 5.5x slower. */
export function orders(regress: boolean): WorkflowProfile {
  return {
    tenantId: 't1',
    workflowId: 'orders',
    partition: 0,
    steps: [
      { stepId: 'load', service: 'postgres', medianMs: 120 },
      { stepId: 'enrich', service: 'openai', medianMs: 250 },
    ],
    at: (t) => ({
      runsPerMinute: 20,
      failureRate: 0.01,
      failingStep: 1,
      errorClass: 'timeout',
      version: t >= DEPLOY ? 2 : 1,
      costPerRunMicros: 2000,
      slowStep: regress && t >= DEPLOY ? { index: 1, factor: 5.5 } : undefined,
    }),
  };
}

/** An hour of `orders` after a regressing version 2 (with three hours of history before). */
export function versionRegression(): InsightWindow[] {
  return simulate([orders(true)], T0, DEPLOY + 60 * MINUTE, 11);
}

export const NIGHTLY_DAYS = 16;
export const SURPRISE_DAY = NIGHTLY_DAYS - 1;

/**
 * `nightly-sync` runs 5 times a minute, and 60 times a minute during its 02:00-03:00 UTC batch,
 * every day. On the last day a second, unscheduled peak runs at 14:00.
 */
const nightly: WorkflowProfile = {
  tenantId: 't1',
  workflowId: 'nightly-sync',
  partition: 0,
  steps: [{ stepId: 'export', service: 'salesforce', medianMs: 400 }],
  at: (t) => {
    const hour = (t % DAY) / HOUR;
    const day = Math.floor((t - T0) / DAY);
    const batch = hour >= 2 && hour < 3;
    const unscheduled = day === SURPRISE_DAY && hour >= 14 && hour < 15;
    return {
      runsPerMinute: batch || unscheduled ? 60 : 5,
      failureRate: 0.01,
      failingStep: 0,
      errorClass: 'timeout',
      version: 1,
      costPerRunMicros: 1000,
    };
  },
};

/** 16 days of `nightly-sync` workflow windows (about 23k). */
export function nightlyPeak(): InsightWindow[] {
  return simulate([nightly], T0, T0 + NIGHTLY_DAYS * DAY, 5, { steps: false });
}

/**
 * The windows as workflow.metrics.v1 carries them: each with the partition that computed it (the
 * storm's workflows wf-NN sit on partition NN % 3, others on 0), and each partition's last record of
 * a minute with that partition's watermark (the minute's end); without watermarks if told so.
 */
export function asMetricsTopic(
  windows: readonly InsightWindow[],
  withWatermarks = true,
): (InsightWindow & { inputPartition: number; closedBefore: number | null })[] {
  const partitionOf = (w: InsightWindow): number =>
    w.inputPartition ?? Number(/\/wf-(\d+)/.exec(w.key)?.[1] ?? 0) % 3;
  const last = new Map<string, number>();
  windows.forEach((w, i) => last.set(`${w.windowStart}/${partitionOf(w)}`, i));
  return windows.map((w, i) => ({
    ...w,
    inputPartition: partitionOf(w),
    closedBefore: withWatermarks && last.get(`${w.windowStart}/${partitionOf(w)}`) === i ? w.windowEnd : null,
  }));
}

export function run(
  windows: readonly InsightWindow[],
  config: InsightEngineConfigInput = {},
): { engine: InsightEngine; insights: Insight[]; perWindow: Insight[][] } {
  const engine = new InsightEngine(config);
  const state = engine.initialState();
  const perWindow = windows.map((w) => engine.apply(state, w));
  return { engine, insights: perWindow.flat(), perWindow };
}

// A noisy but normal week for 10 differently shaped workflows (workflow windows only).

const hourOf = (t: number): number => (t % DAY) / HOUR;
const dayOf = (t: number): number => Math.floor((t - T0) / DAY);
const businessHours = (t: number): boolean => hourOf(t) >= 9 && hourOf(t) < 17;
const weekend = (t: number): boolean => dayOf(t) % 7 >= 5;

function normal(over: Partial<Conditions>): Conditions {
  return {
    runsPerMinute: 10,
    failureRate: 0.02,
    failingStep: 0,
    errorClass: 'timeout',
    version: 1,
    costPerRunMicros: 1500,
    ...over,
  };
}

/** Arrival rate multiplier that wanders (log random walk pulled back to 1): bursty, overdispersed. */
function wandering(seed: number): (t: number) => number {
  const r = random(seed);
  let level = 1;
  return () => {
    level = Math.max(0.2, Math.min(3, level * Math.exp(0.15 * r.gaussian())));
    level += 0.05 * (1 - level);
    return level;
  };
}

const SERIES: readonly (readonly [string, () => (t: number) => Conditions])[] = [
  ['steady-high-volume', () => () => normal({ runsPerMinute: 40 })],
  ['low-volume', () => () => normal({ runsPerMinute: 0.5, failureRate: 0.05 })],
  ['business-hours', () => (t) => normal({ runsPerMinute: businessHours(t) && !weekend(t) ? 40 : 4 })],
  [
    'bursty-arrivals',
    () => {
      const level = wandering(4);
      return (t) => normal({ runsPerMinute: 10 * level(t) });
    },
  ],
  ['heavy-tailed-latency', () => () => normal({ runsPerMinute: 15, latencySigma: 0.9 })],
  ['weekly-pattern', () => (t) => normal({ runsPerMinute: weekend(t) ? 3 : 15 })],
  ['high-failure-rate', () => () => normal({ runsPerMinute: 20, failureRate: 0.12 })],
  ['very-low-volume', () => () => normal({ runsPerMinute: 0.1 })],
  ['growing', () => (t) => normal({ runsPerMinute: 8 * (1 + (0.6 * (t - T0)) / (7 * DAY)) })],
  [
    'load-dependent-latency',
    () => (t) =>
      normal({
        runsPerMinute: businessHours(t) ? 30 : 6,
        slowStep: businessHours(t) ? { index: 0, factor: 1.8 } : undefined,
      }),
  ],
];

export const NOISY_SERIES: readonly string[] = SERIES.map(([name]) => name);

/** Week of 1-minute workflow windows of noisy series `i` (seeded by its index by default). */
export function noisyWeek(i: number, seed = 100 + i): InsightWindow[] {
  const entry = SERIES[i];
  if (entry === undefined) throw new RangeError(`no noisy series ${i}`);
  const [name, at] = entry;
  const profile: WorkflowProfile = {
    tenantId: 't1',
    workflowId: name,
    partition: 0,
    steps: [{ stepId: 'main', service: 'http', medianMs: 300 }],
    at: at(),
  };
  return simulate([profile], T0, T0 + 7 * DAY, seed, { steps: false });
}
