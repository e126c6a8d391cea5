// Synthetic window streams for the insight tests: seeded, deterministic, shaped like the metrics
// processor's output (step windows without a service, service windows partial per input partition,
// each minute ordered service < step < workflow as the operator emits them).

import { DDSketch } from '../../../src/core/metrics/ddSketch.ts';
import { windowMetrics } from '../../../src/core/metrics/metricWindow.ts';
import type { InsightWindow } from '../../../src/core/insights/insightEngine.ts';
import type { Insight } from '../../../src/core/insights/insight.ts';
import { seededRandom } from '../../../src/core/seededRandom.ts';

/** Monday 2025-01-06 00:00 UTC. */
export const T0 = Date.UTC(2025, 0, 6);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const uniform = seededRandom;

export interface Random {
  readonly u: () => number;
  gaussian(): number;
  poisson(lambda: number): number;
  logNormal(median: number, sigma: number): number;
}

export function random(seed: number): Random {
  const u = uniform(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  return {
    u,
    gaussian,
    poisson(lambda) {
      if (lambda <= 0) return 0;
      if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian()));
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = u();
      while (p > limit) {
        k++;
        p *= u();
      }
      return k;
    },
    logNormal(median, sigma) {
      return median * Math.exp(sigma * gaussian());
    },
  };
}

const LIMITS = { sketchAlpha: 0.01, sketchMaxBins: 2048, maxTrackedErrorClasses: 256, topErrorClasses: 10 };

export interface WindowSpec {
  readonly scope: 'workflow' | 'step' | 'service';
  readonly tenantId?: string;
  readonly workflowId?: string | null;
  readonly stepId?: string | null;
  readonly service?: string | null;
  readonly windowStart: number;
  readonly windowMs?: number;
  readonly version?: number;
  readonly executions: number;
  readonly failures?: number;
  readonly durations?: readonly number[];
  readonly costMicrosSum?: number;
  readonly errorClasses?: Readonly<Record<string, number>>;
  /** Workflow version -> events. Default: version 1 with two events per run. */
  readonly workflowVersions?: Readonly<Record<string, number>>;
  readonly inputPartition?: number;
}

/** A WindowMetrics record built by the metrics core's own derivation. */
export function makeWindow(spec: WindowSpec): InsightWindow {
  let durations: DDSketch | null = null;
  for (const d of spec.durations ?? []) {
    durations ??= new DDSketch({ alpha: LIMITS.sketchAlpha, maxBins: LIMITS.sketchMaxBins });
    durations.add(Math.round(d));
  }
  const versions = spec.workflowVersions ?? { '1': Math.max(1, 2 * spec.executions) };
  let eventCount = 0;
  for (const n of Object.values(versions)) eventCount += n;
  const failures = spec.failures ?? 0;
  const metrics = windowMetrics({
    scope: spec.scope,
    tenantId: spec.tenantId ?? 't1',
    workflowId: spec.scope === 'service' ? null : (spec.workflowId ?? 'wf'),
    stepId: spec.scope === 'step' ? (spec.stepId ?? 'step') : null,
    service: spec.scope === 'service' ? (spec.service ?? 'svc') : (spec.service ?? null),
    windowStart: spec.windowStart,
    windowEnd: spec.windowStart + (spec.windowMs ?? MINUTE),
    version: spec.version ?? 1,
    executions: spec.executions,
    successes: spec.executions - failures,
    failures,
    retries: 0,
    durations,
    costMicrosSum: spec.costMicrosSum ?? 0,
    errorClasses: new Map(Object.entries(spec.errorClasses ?? (failures > 0 ? { unknown: failures } : {}))),
    errorOverflow: 0,
    lateEvents: 0,
    eventCount,
    workflowVersions: new Map(Object.entries(versions).map(([k, v]) => [Number(k), v])),
    limits: LIMITS,
  });
  return spec.inputPartition === undefined ? metrics : { ...metrics, inputPartition: spec.inputPartition };
}

export interface StepProfile {
  readonly stepId: string;
  readonly service: string;
  readonly medianMs: number;
}

/** What is going on in one workflow at a given minute. */
export interface Conditions {
  readonly runsPerMinute: number;
  /** Chance a run fails, and the step (index) and class it fails with. */
  readonly failureRate: number;
  readonly failingStep: number;
  readonly errorClass: string;
  readonly version: number;
  /** Multiplies every duration of this step (by index). */
  readonly slowStep?: { readonly index: number; readonly factor: number };
  readonly costPerRunMicros: number;
  readonly latencySigma?: number;
}

export interface WorkflowProfile {
  readonly tenantId: string;
  readonly workflowId: string;
  readonly steps: readonly StepProfile[];
  /** Input partition the workflow's events land in. */
  readonly partition: number;
  readonly at: (t: number) => Conditions;
}

interface Acc {
  executions: number;
  failures: number;
  durations: number[];
  cost: number;
  classes: Map<string, number>;
}

const newAcc = (): Acc => ({ executions: 0, failures: 0, durations: [], cost: 0, classes: new Map() });
const MAX_SAMPLES = 40;

function accAdd(acc: Acc, durationMs: number, failedClass: string | null, cost: number): void {
  acc.executions++;
  // A capped sample of durations keeps long streams fast; the p95 of 40 draws is still the p95.
  if (acc.durations.length < MAX_SAMPLES) acc.durations.push(durationMs);
  acc.cost += cost;
  if (failedClass !== null) {
    acc.failures++;
    acc.classes.set(failedClass, (acc.classes.get(failedClass) ?? 0) + 1);
  }
}

export interface MinuteOptions {
  /** Emit step windows (and service windows derived from them). Default true. */
  readonly steps?: boolean;
  readonly windowMs?: number;
}

/**
 * One window period of a set of workflows: service, step and workflow windows in the operator's
 * emission order. Runs execute their steps in order up to the failing one.
 */
export function simulateMinute(
  profiles: readonly WorkflowProfile[],
  t: number,
  rng: Random,
  options: MinuteOptions = {},
): InsightWindow[] {
  const windowMs = options.windowMs ?? MINUTE;
  const withSteps = options.steps ?? true;
  const minutes = windowMs / MINUTE;
  const services = new Map<string, Acc & { tenantId: string; partition: number; service: string }>();
  const steps: InsightWindow[] = [];
  const workflows: InsightWindow[] = [];
  for (const p of profiles) {
    const c = p.at(t);
    const runs = rng.poisson(c.runsPerMinute * minutes);
    const wf = newAcc();
    const stepAcc = p.steps.map(() => newAcc());
    for (let r = 0; r < runs; r++) {
      const fails = rng.u() < c.failureRate;
      // Durations only while some sample still takes them (keeps long, busy streams fast).
      const sampling =
        wf.durations.length < MAX_SAMPLES ||
        (withSteps && stepAcc.some((a) => a.durations.length < MAX_SAMPLES));
      let total = 0;
      for (let i = 0; i < p.steps.length; i++) {
        const step = p.steps[i];
        if (step === undefined) continue;
        const factor = c.slowStep !== undefined && c.slowStep.index === i ? c.slowStep.factor : 1;
        const d = sampling ? rng.logNormal(step.medianMs * factor, c.latencySigma ?? 0.25) : 0;
        total += d;
        const failedHere = fails && i === c.failingStep;
        const acc = stepAcc[i];
        if (acc !== undefined) accAdd(acc, d, failedHere ? c.errorClass : null, 0);
        if (failedHere) break;
      }
      accAdd(wf, total, fails ? c.errorClass : null, c.costPerRunMicros);
    }
    if (runs === 0) continue;
    const versions = { [String(c.version)]: runs * (2 + 2 * p.steps.length) };
    if (withSteps) {
      p.steps.forEach((step, i) => {
        const acc = stepAcc[i];
        if (acc === undefined || acc.executions === 0) return;
        steps.push(
          makeWindow({
            scope: 'step',
            tenantId: p.tenantId,
            workflowId: p.workflowId,
            stepId: step.stepId,
            windowStart: t,
            windowMs,
            executions: acc.executions,
            failures: acc.failures,
            durations: acc.durations,
            errorClasses: Object.fromEntries(acc.classes),
            workflowVersions: { [String(c.version)]: acc.executions * 2 },
          }),
        );
        const key = `${p.tenantId}\0${step.service}\0${p.partition}`;
        let s = services.get(key);
        if (s === undefined) {
          s = { ...newAcc(), tenantId: p.tenantId, partition: p.partition, service: step.service };
          services.set(key, s);
        }
        s.executions += acc.executions;
        s.failures += acc.failures;
        if (s.durations.length < MAX_SAMPLES) s.durations.push(...acc.durations.slice(0, 5));
        for (const [k, n] of acc.classes) s.classes.set(k, (s.classes.get(k) ?? 0) + n);
      });
    }
    workflows.push(
      makeWindow({
        scope: 'workflow',
        tenantId: p.tenantId,
        workflowId: p.workflowId,
        windowStart: t,
        windowMs,
        executions: wf.executions,
        failures: wf.failures,
        durations: wf.durations,
        costMicrosSum: wf.cost,
        errorClasses: Object.fromEntries(wf.classes),
        workflowVersions: versions,
      }),
    );
  }
  const serviceWindows = [...services.values()].map((s) =>
    makeWindow({
      scope: 'service',
      tenantId: s.tenantId,
      service: s.service,
      windowStart: t,
      windowMs,
      executions: s.executions,
      failures: s.failures,
      durations: s.durations,
      errorClasses: Object.fromEntries(s.classes),
      inputPartition: s.partition,
    }),
  );
  const byKey = (a: InsightWindow, b: InsightWindow): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  return [...serviceWindows.sort(byKey), ...steps.sort(byKey), ...workflows.sort(byKey)];
}

/** Every window period of [from, to). */
export function simulate(
  profiles: readonly WorkflowProfile[],
  from: number,
  to: number,
  seed: number,
  options: MinuteOptions = {},
): InsightWindow[] {
  const rng = random(seed);
  const step = options.windowMs ?? MINUTE;
  const out: InsightWindow[] = [];
  for (let t = from; t < to; t += step) out.push(...simulateMinute(profiles, t, rng, options));
  return out;
}

export function opened(insights: readonly Insight[], kind?: Insight['kind']): Insight[] {
  return insights.filter((i) => i.change === 'opened' && (kind === undefined || i.kind === kind));
}

export function resolved(insights: readonly Insight[], kind?: Insight['kind']): Insight[] {
  return insights.filter((i) => i.change === 'resolved' && (kind === undefined || i.kind === kind));
}
