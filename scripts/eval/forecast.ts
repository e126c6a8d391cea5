// Backtest report for the forecasting engine: rolling-origin evaluation on the last windows of
// public NAB series (read at run time from ../shared) and deterministic synthetic
// workflow-execution series. Each evaluation window is forecast from the history before it, so
// the model selection inside `forecast` never sees the window it is scored on.
//
//   node scripts/eval/forecast.ts [--data ../shared/nab/data] [--windows 5] [--only SUBSTR] [--json]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { COMBINATION, forecast } from '../../src/core/forecasting/forecast.ts';
import type { ForecastResult } from '../../src/core/forecasting/forecast.ts';
import { forecasters } from '../../src/core/forecasting/forecasters.ts';
import { fillMissing, seasonalNaiveScale } from '../../src/core/forecasting/series.ts';
import { seededRandom } from '../../src/core/seededRandom.ts';

interface EvalSeries {
  readonly name: string;
  readonly y: number[];
  readonly m: number;
  readonly h: number;
}

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/nab/data' },
    windows: { type: 'string', default: '5' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    detail: { type: 'boolean', default: false },
    origins: { type: 'string' },
    inflation: { type: 'string' },
    margin: { type: 'string' },
  },
});
const repoRoot = resolve(import.meta.dirname, '..', '..');
const dataDir = resolve(repoRoot, args.data);
const windows = Number(args.windows);
const tuning = {
  ...(args.origins === undefined ? {} : { origins: Number(args.origins) }),
  ...(args.inflation === undefined ? {} : { inflation: Number(args.inflation) }),
  ...(args.margin === undefined ? {} : { combinationMargin: Number(args.margin) }),
};

/** Reads a NAB csv (timestamp,value) onto a regular grid of `minutes`, averaging within buckets. */
function readNab(file: string, minutes: number): number[] {
  const lines = readFileSync(join(dataDir, file), 'utf8').trim().split('\n').slice(1);
  const bucketMs = minutes * 60_000;
  const sums = new Map<number, { sum: number; count: number }>();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const line of lines) {
    const [stamp, value] = line.split(',');
    const time = Date.parse(`${stamp?.replace(' ', 'T') ?? ''}Z`);
    const v = Number(value);
    if (!Number.isFinite(time) || !Number.isFinite(v)) continue;
    const bucket = Math.floor(time / bucketMs);
    const acc = sums.get(bucket) ?? { sum: 0, count: 0 };
    acc.sum += v;
    acc.count += 1;
    sums.set(bucket, acc);
    first = Math.min(first, bucket);
    last = Math.max(last, bucket);
  }
  const grid: (number | null)[] = [];
  for (let b = first; b <= last; b++) {
    const acc = sums.get(b);
    grid.push(acc === undefined ? null : acc.sum / acc.count);
  }
  return fillMissing(grid).values;
}

const prng = seededRandom;

function poisson(lambda: number, rand: () => number): number {
  if (lambda > 50) {
    const u = Math.max(rand(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z));
  }
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

interface SyntheticSpec {
  readonly name: string;
  readonly seed: number;
  readonly base: number;
  readonly weeks: number;
  /** Relative growth per week. */
  readonly growth: number;
  readonly weekendDip: number;
  readonly outages: number;
}

/** Hourly workflow executions: business-hours daily cycle, weekend dip, growth, Poisson counts, outages. */
function synthetic(spec: SyntheticSpec): EvalSeries {
  const rand = prng(spec.seed);
  const n = spec.weeks * 168;
  const y: number[] = [];
  const outageStarts = new Set<number>();
  for (let i = 0; i < spec.outages; i++) outageStarts.add(Math.floor(rand() * (n - 200)));
  let outageLeft = 0;
  for (let t = 0; t < n; t++) {
    const hour = t % 24;
    const day = Math.floor(t / 24) % 7;
    const daily =
      0.35 + 0.65 * Math.exp(-((hour - 13) ** 2) / 18) + 0.1 * Math.sin((2 * Math.PI * hour) / 24);
    const weekly = day >= 5 ? 1 - spec.weekendDip : 1;
    const trend = 1 + (spec.growth * t) / 168;
    let lambda = spec.base * daily * weekly * trend;
    if (outageStarts.has(t)) outageLeft = 3 + Math.floor(rand() * 6);
    if (outageLeft > 0) {
      lambda *= 0.05;
      outageLeft--;
    }
    y.push(poisson(Math.max(lambda, 0), rand));
  }
  return { name: `synthetic/${spec.name}`, y, m: 24, h: 48 };
}

function buildSeries(): EvalSeries[] {
  const nab = (name: string, file: string, minutes: number, m: number, h: number): EvalSeries => ({
    name: `nab/${name}`,
    y: readNab(file, minutes),
    m,
    h,
  });
  return [
    nab('nyc_taxi@1h', 'realKnownCause/nyc_taxi.csv', 60, 24, 48),
    nab('nyc_taxi@30m', 'realKnownCause/nyc_taxi.csv', 30, 48, 48),
    nab('machine_temperature@1h', 'realKnownCause/machine_temperature_system_failure.csv', 60, 24, 48),
    nab('ambient_temperature@1h', 'realKnownCause/ambient_temperature_system_failure.csv', 60, 24, 48),
    nab('cpu_asg_misconfiguration@1h', 'realKnownCause/cpu_utilization_asg_misconfiguration.csv', 60, 24, 24),
    nab('ec2_request_latency@1h', 'realKnownCause/ec2_request_latency_system_failure.csv', 60, 24, 24),
    nab('art_daily_small_noise@5m', 'artificialNoAnomaly/art_daily_small_noise.csv', 5, 288, 144),
    nab('art_daily_small_noise@1h', 'artificialNoAnomaly/art_daily_small_noise.csv', 60, 24, 24),
    nab(
      'art_daily_perfect_square_wave@1h',
      'artificialNoAnomaly/art_daily_perfect_square_wave.csv',
      60,
      24,
      24,
    ),
    nab('art_noisy@1h', 'artificialNoAnomaly/art_noisy.csv', 60, 24, 24),
    nab('art_daily_jumpsup@1h', 'artificialWithAnomaly/art_daily_jumpsup.csv', 60, 24, 24),
    synthetic({
      name: 'busy-growing',
      seed: 1,
      base: 400,
      weeks: 8,
      growth: 0.03,
      weekendDip: 0.6,
      outages: 2,
    }),
    synthetic({ name: 'steady', seed: 2, base: 120, weeks: 6, growth: 0, weekendDip: 0.4, outages: 0 }),
    synthetic({
      name: 'sparse-counts',
      seed: 3,
      base: 3,
      weeks: 6,
      growth: 0.01,
      weekendDip: 0.8,
      outages: 1,
    }),
    synthetic({ name: 'declining', seed: 4, base: 60, weeks: 6, growth: -0.04, weekendDip: 0.3, outages: 3 }),
    synthetic({ name: 'short-4w', seed: 5, base: 200, weeks: 4, growth: 0.02, weekendDip: 0.5, outages: 1 }),
    synthetic({
      name: 'large-10w',
      seed: 6,
      base: 5000,
      weeks: 10,
      growth: 0.01,
      weekendDip: 0.5,
      outages: 2,
    }),
  ];
}

interface Scores {
  smape: number;
  mase: number;
  coverage: number;
  count: number;
}

function scoreWindow(
  history: readonly number[],
  truth: readonly number[],
  r: ForecastResult,
  m: number,
): Scores {
  const scale = seasonalNaiveScale(history, m);
  let smape = 0;
  let abs = 0;
  let inside = 0;
  truth.forEach((v, k) => {
    const f = r.point[k] ?? Number.NaN;
    const den = Math.abs(v) + Math.abs(f);
    smape += den > 0 ? (200 * Math.abs(v - f)) / den : 0;
    abs += Math.abs(v - f);
    if (v >= (r.lo[k] ?? Number.NaN) && v <= (r.hi[k] ?? Number.NaN)) inside++;
  });
  const h = truth.length;
  // MASE is undefined when the history never changed season to season (scale floored at 1e-9).
  return {
    smape: smape / h,
    mase: scale > 1e-6 ? abs / h / scale : Number.NaN,
    coverage: inside / h,
    count: 1,
  };
}

const methods = ['auto', ...forecasters.map((f) => f.name), COMBINATION];
const series = buildSeries().filter((s) => args.only === undefined || s.name.includes(args.only));
const table = new Map<string, Map<string, Scores>>();
const chosen = new Map<string, string[]>();
let seconds = 0;
let autoCalls = 0;
for (const s of series) {
  const perMethod = new Map<string, Scores>();
  const picks: string[] = [];
  for (let w = windows; w >= 1; w--) {
    const origin = s.y.length - w * s.h;
    const history = s.y.slice(0, origin);
    const truth = s.y.slice(origin, origin + s.h);
    for (const method of methods) {
      const started = performance.now();
      let r: ForecastResult;
      try {
        r = forecast(history, s.h, s.m, method === 'auto' ? tuning : { ...tuning, method });
      } catch (error) {
        process.stderr.write(`${s.name} ${method}: ${String(error)}\n`);
        continue;
      }
      if (method === 'auto') {
        seconds += (performance.now() - started) / 1000;
        autoCalls++;
        picks.push(r.method);
      }
      // A forced method that could not run falls back to seasonal naive; score only the real ones.
      if (method !== 'auto' && !r.method.startsWith(method)) continue;
      const sc = scoreWindow(history, truth, r, s.m);
      const acc = perMethod.get(method) ?? { smape: 0, mase: 0, coverage: 0, count: 0 };
      acc.smape += sc.smape;
      acc.mase += sc.mase;
      acc.coverage += sc.coverage;
      acc.count += 1;
      perMethod.set(method, acc);
    }
  }
  for (const acc of perMethod.values()) {
    acc.smape /= acc.count;
    acc.mase /= acc.count;
    acc.coverage /= acc.count;
  }
  table.set(s.name, perMethod);
  chosen.set(s.name, picks);
}

const fmt = (v: number | undefined, digits = 3): string => (v === undefined ? '-' : v.toFixed(digits));
const pad = (text: string, width: number): string => text.padEnd(width);

if (args.json) {
  const out = Object.fromEntries([...table].map(([name, per]) => [name, Object.fromEntries(per)]));
  process.stdout.write(`${JSON.stringify({ windows, series: out, picks: Object.fromEntries(chosen) })}\n`);
} else {
  const lines: string[] = [];
  lines.push(`Rolling-origin evaluation: last ${windows} windows of h per series; 95% intervals.`);
  lines.push('');
  lines.push(
    `${pad('series', 38)}${pad('n', 7)}${pad('m', 5)}${pad('h', 5)}${pad('sMAPE auto', 12)}${pad('sMAPE snaive', 14)}${pad('MASE auto', 11)}${pad('MASE snaive', 13)}${pad('cov auto', 10)}picks`,
  );
  for (const s of series) {
    const per = table.get(s.name);
    const auto = per?.get('auto');
    const base = per?.get('snaive');
    const picks = [...new Set(chosen.get(s.name) ?? [])].join(', ');
    lines.push(
      `${pad(s.name, 38)}${pad(String(s.y.length), 7)}${pad(String(s.m), 5)}${pad(String(s.h), 5)}${pad(fmt(auto?.smape, 2), 12)}${pad(fmt(base?.smape, 2), 14)}${pad(fmt(auto?.mase), 11)}${pad(fmt(base?.mase), 13)}${pad(fmt(auto?.coverage), 10)}${picks}`,
    );
  }
  lines.push('');
  lines.push(
    'Per method, averaged over series where the method ran (MASE also as geometric mean relative to snaive):',
  );
  lines.push(
    `${pad('method', 28)}${pad('series', 8)}${pad('sMAPE', 9)}${pad('MASE', 9)}${pad('relMASE', 10)}coverage95`,
  );
  const summary = new Map<string, { smape: number; mase: number; coverage: number; rel: number }>();
  for (const method of methods) {
    let count = 0;
    let maseCount = 0;
    let smape = 0;
    let mase = 0;
    let coverage = 0;
    let logRel = 0;
    for (const per of table.values()) {
      const sc = per.get(method);
      const base = per.get('snaive');
      if (sc === undefined || base === undefined) continue;
      count++;
      smape += sc.smape;
      coverage += sc.coverage;
      if (Number.isFinite(sc.mase) && Number.isFinite(base.mase)) {
        maseCount++;
        mase += sc.mase;
        logRel += Math.log(Math.max(sc.mase, 1e-6) / Math.max(base.mase, 1e-6));
      }
    }
    if (count === 0) continue;
    const row = {
      smape: smape / count,
      mase: mase / Math.max(1, maseCount),
      coverage: coverage / count,
      rel: Math.exp(logRel / Math.max(1, maseCount)),
    };
    summary.set(method, row);
    lines.push(
      `${pad(method, 28)}${pad(String(count), 8)}${pad(fmt(row.smape, 2), 9)}${pad(fmt(row.mase), 9)}${pad(fmt(row.rel), 10)}${fmt(row.coverage)}`,
    );
  }
  if (args.detail) {
    lines.push('');
    lines.push(`MASE / coverage per series and method (${methods.join(', ')}):`);
    for (const [name, per] of table) {
      const cells = methods.map((method) => {
        const sc = per.get(method);
        return sc === undefined ? '-' : `${fmt(sc.mase, 2)}/${fmt(sc.coverage, 2)}`;
      });
      lines.push(`${pad(name, 38)}${cells.map((c) => pad(c, 11)).join('')}`);
    }
  }
  const auto = summary.get('auto');
  const base = summary.get('snaive');
  lines.push('');
  lines.push(
    `SUMMARY series=${series.length} windows=${windows} auto sMAPE=${fmt(auto?.smape, 2)} MASE=${fmt(auto?.mase)} coverage95=${fmt(auto?.coverage)} | snaive sMAPE=${fmt(base?.smape, 2)} MASE=${fmt(base?.mase)} coverage95=${fmt(base?.coverage)} | auto relMASE=${fmt(auto?.rel)} | mean auto forecast time ${((1000 * seconds) / Math.max(1, autoCalls)).toFixed(0)} ms`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}
