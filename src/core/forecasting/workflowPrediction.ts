// Performance and cost prediction for one workflow: hourly forecasts (executions, success rate, p95
// latency, cost per run) over the horizon with 95% intervals from the forecasting core, the calls
// each service will get per hour against its documented rate limit ("slack will throttle on Monday
// at 09:00 UTC"), the projected cost, and concrete suggestions. Pure: history comes in as data.
import { documentedLimit } from '../generation/serviceReliability.ts';
import type { WorkflowDefinition } from '../generation/workflowDefinition.ts';
import { defaultCatalog } from '../services/serviceCatalog.ts';
import { forecast, type ForecastResult } from './forecast.ts';

/** Hourly history, oldest first; null where nothing was recorded (no runs: executions 0). */
export interface HourlyHistory {
  readonly start: number;
  readonly executions: readonly number[];
  readonly successRate: readonly (number | null)[];
  readonly p95Ms: readonly (number | null)[];
  readonly costPerRunMicros: readonly (number | null)[];
}

export interface SeriesForecast {
  readonly point: number[];
  readonly lo: number[];
  readonly hi: number[];
  readonly method: string;
  readonly note?: string;
}

export interface ThrottleRisk {
  readonly service: string;
  readonly limitPerHour: number;
  readonly limitText: string;
  /** Busiest forecast hour: calls expected (point and upper bound). */
  readonly peakCallsPerHour: number;
  readonly peakUpperPerHour: number;
  readonly peakAt: number;
  /** First hour whose expected calls exceed the limit; null when none does. */
  readonly throttleAt: number | null;
  /** First hour whose upper bound (95%) exceeds the limit; null when none does. */
  readonly mayThrottleAt: number | null;
  readonly message: string;
}

export interface Improvement {
  readonly kind: 'batching' | 'throttle' | 'cost' | 'reliability';
  readonly service: string | null;
  readonly message: string;
  readonly estimatedSavingMicros?: number;
}

export interface WorkflowPrediction {
  readonly horizonHours: number;
  readonly start: number;
  readonly executions: SeriesForecast | null;
  readonly successRate: SeriesForecast | null;
  readonly p95Ms: SeriesForecast | null;
  readonly costPerRunMicros: SeriesForecast | null;
  readonly expectedRuns: number;
  readonly projectedCostMicros: { readonly point: number; readonly lo: number; readonly hi: number };
  readonly throttleRisks: readonly ThrottleRisk[];
  readonly improvements: readonly Improvement[];
  /** In [0, 1]: lower for short history and wide intervals. */
  readonly confidence: number;
  readonly notes: readonly string[];
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const hourName = (t: number): string => {
  const d = new Date(t);
  return `${DAYS[d.getUTCDay()] ?? ''} ${String(d.getUTCHours()).padStart(2, '0')}:00 UTC`;
};

function seriesForecast(
  values: readonly (number | null)[],
  h: number,
  notes: string[],
  name: string,
): SeriesForecast | null {
  if (values.filter((v) => v !== null).length < 3) {
    notes.push(`${name}: too little history to forecast`);
    return null;
  }
  // Daily seasonality; the core picks the method by rolling-origin backtest.
  const result: ForecastResult = forecast(values, h, 24);
  if (result.note !== undefined) notes.push(`${name}: ${result.note}`);
  const clamp = (xs: number[]): number[] => xs.map((x) => Math.max(0, x));
  return {
    point: clamp(result.point),
    lo: clamp(result.lo),
    hi: clamp(result.hi),
    method: result.method,
    ...(result.note !== undefined ? { note: result.note } : {}),
  };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : sum(v) / v.length;
};

export function predictWorkflowLoad(
  definition: WorkflowDefinition,
  history: HourlyHistory,
  horizonHours: number,
): WorkflowPrediction {
  const notes: string[] = [];
  const h = Math.max(1, Math.min(24 * 31, Math.round(horizonHours)));
  const start = history.start + history.executions.length * 3_600_000;
  const executions = seriesForecast(history.executions, h, notes, 'executions');
  const successRate = seriesForecast(history.successRate, h, notes, 'success rate');
  const p95Ms = seriesForecast(history.p95Ms, h, notes, 'p95 latency');
  const costPerRun = seriesForecast(history.costPerRunMicros, h, notes, 'cost per run');
  const meanCost = mean(history.costPerRunMicros) ?? definition.prediction.costPerRunMicros;
  const runs = executions?.point ?? [];
  const costAt = (i: number): number => costPerRun?.point[i] ?? meanCost;
  const projectedCostMicros = {
    point: Math.round(sum(runs.map((r, i) => r * costAt(i)))),
    lo: Math.round(sum((executions?.lo ?? []).map((r, i) => r * costAt(i)))),
    hi: Math.round(sum((executions?.hi ?? []).map((r, i) => r * costAt(i)))),
  };

  const catalog = defaultCatalog();
  const throttleRisks: ThrottleRisk[] = [];
  const improvements: Improvement[] = [];
  const callsPerRun = new Map<string, number>();
  for (const step of definition.steps) {
    // A batched step makes one call per batch; retries add calls on failure.
    const perRun =
      (step.batchSize === null ? 1 : 1 / step.batchSize) * (1 + (1 - definition.prediction.successRate));
    callsPerRun.set(step.service, (callsPerRun.get(step.service) ?? 0) + perRun);
  }
  if (executions !== null) {
    for (const [service, perRun] of callsPerRun) {
      const limit = documentedLimit(catalog.byId.get(service));
      if (limit.requestsPerSecond === undefined) continue;
      const perHour = limit.requestsPerSecond * 3600;
      const calls = executions.point.map((r) => r * perRun);
      const upper = executions.hi.map((r) => r * perRun);
      const peak = calls.reduce((best, c, i) => (c > (calls[best] ?? -1) ? i : best), 0);
      const first = calls.findIndex((c) => c > perHour);
      const throttleAt = first === -1 ? null : start + first * 3_600_000;
      const firstUpper = upper.findIndex((c) => c > perHour);
      const mayThrottleAt = firstUpper === -1 ? null : start + firstUpper * 3_600_000;
      const risk: ThrottleRisk = {
        service,
        limitPerHour: Math.round(perHour),
        limitText: limit.text ?? `${limit.requestsPerSecond}/s`,
        peakCallsPerHour: Math.round(calls[peak] ?? 0),
        peakUpperPerHour: Math.round(upper[peak] ?? 0),
        peakAt: start + peak * 3_600_000,
        throttleAt,
        mayThrottleAt,
        message:
          throttleAt !== null
            ? `${service} will throttle on ${hourName(throttleAt)}: about ${Math.round(calls[first] ?? 0)} calls expected that hour against a documented limit of ${Math.round(perHour)}/h (${limit.text ?? ''})`
            : mayThrottleAt !== null
              ? `${service} may throttle on ${hourName(mayThrottleAt)}: up to ${Math.round(upper[firstUpper] ?? 0)} calls that hour (95% bound) against a documented limit of ${Math.round(perHour)}/h (${limit.text ?? ''})`
              : `${service}: peak ${Math.round(calls[peak] ?? 0)} calls/h (${hourName(start + peak * 3_600_000)}) stays under its documented limit (${limit.text ?? ''})`,
      };
      throttleRisks.push(risk);
      if (throttleAt !== null) {
        const step = definition.steps.find((s) => s.service === service);
        improvements.push({
          kind: step?.batchSize === null ? 'batching' : 'throttle',
          service,
          message:
            step?.batchSize === null
              ? `Batch the ${service} calls (e.g. 10 per request) or queue them: the forecast peak exceeds ${service}'s limit from ${hourName(throttleAt)}.`
              : `Lower ${service} concurrency and spread the batch over the hour: the forecast peak exceeds its limit from ${hourName(throttleAt)}.`,
        });
      }
    }
  }
  const sr = mean(successRate?.point ?? []);
  if (sr !== null && sr < 0.95) {
    improvements.push({
      kind: 'reliability',
      service: null,
      message: `Forecast success rate ${(sr * 100).toFixed(1)}%: troubleshoot the failing steps (pulse command / troubleshooting API) before the load grows.`,
    });
  }
  if (definition.strategy !== 'cost' && projectedCostMicros.point > 0) {
    const retryShare = 1 - (sr ?? definition.prediction.successRate);
    const saving = Math.round(projectedCostMicros.point * Math.min(0.3, Math.max(0.05, retryShare)));
    improvements.push({
      kind: 'cost',
      service: null,
      message: `The cost strategy (fewer retries, batching where supported) would save about ${(saving / 1e6).toFixed(2)} USD over the next ${h} h.`,
      estimatedSavingMicros: saving,
    });
  }
  const observedHours = history.executions.filter((x) => x > 0).length;
  const width =
    executions === null || sum(executions.point) === 0
      ? 1
      : Math.min(1, (sum(executions.hi) - sum(executions.lo)) / (2 * sum(executions.point)));
  const confidence =
    Math.round(Math.max(0.05, Math.min(1, observedHours / (24 * 14)) * (1 - 0.5 * width)) * 1000) / 1000;
  if (observedHours < 48) notes.push(`only ${observedHours} hours with runs: forecasts are rough`);
  return {
    horizonHours: h,
    start,
    executions,
    successRate,
    p95Ms,
    costPerRunMicros: costPerRun,
    expectedRuns: Math.round(sum(runs)),
    projectedCostMicros,
    throttleRisks,
    improvements,
    confidence,
    notes,
  };
}
