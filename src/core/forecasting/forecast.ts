import { probit } from 'simple-statistics';
import { ValidationError } from '../../errors.ts';
import { SEASONAL_NAIVE, forecasterNamed, forecasters } from './forecasters.ts';
import type { Forecaster, Seasonality } from './forecasters.ts';
import { empiricalIntervals } from './predictionIntervals.ts';
import { at, fillMissing, mean, seasonalNaiveScale, standardDeviation } from './series.ts';

// Automatic forecasting: every suitable model is backtested on a few rolling origins at the end
// of the history, the mean of the top three is added as a candidate, and the lowest-MASE
// candidate wins unless it fails to beat seasonal naive. Intervals come from the winner's own
// backtest errors, so their width reflects how well it actually did on this series.

export interface ForecastOptions {
  /** Number of rolling origins used for selection and intervals. */
  readonly origins?: number;
  /** Distance between consecutive origins; defaults to ceil(h / 2). */
  readonly step?: number;
  /** Use this method instead of selecting (evaluation only); "combination" is allowed. */
  readonly method?: string;
  /** Nominal interval coverage. */
  readonly level?: number;
  /** Multiplier on the empirical interval quantiles. */
  readonly inflation?: number;
  /** Keep the combination unless a single model beats it by more than this fraction of MASE. */
  readonly combinationMargin?: number;
}

export interface BacktestScore {
  readonly method: string;
  readonly mase: number;
}

export interface ForecastResult {
  readonly point: number[];
  readonly lo: number[];
  readonly hi: number[];
  readonly method: string;
  readonly note?: string;
  readonly backtest?: readonly BacktestScore[];
}

export const COMBINATION = 'combination';
const COMBINATION_SIZE = 3;
const DEFAULT_ORIGINS = 10;
const DEFAULT_INFLATION = 1.3;
const DEFAULT_COMBINATION_MARGIN = 0;
const NON_SEASONAL_MIN_HISTORY = 5;
/** Models fit on at most this much recent history (or 3 of the longest season), for speed and locality. */
const MIN_FIT_WINDOW = 1500;
/** Total points fitted across origins that we are prepared to spend per request. */
const ORIGIN_BUDGET = 40_000;

interface Candidate {
  readonly name: string;
  readonly members: readonly Forecaster[];
  /** Backtest forecast errors, one array per origin. */
  readonly errors: number[][];
  readonly mase: number;
}

export function forecast(
  raw: readonly unknown[],
  h: number,
  m: number,
  options: ForecastOptions = {},
): ForecastResult {
  const issues = [];
  if (!Number.isInteger(h) || h < 1) issues.push({ path: 'h', message: 'must be a positive integer' });
  if (!Number.isInteger(m) || m < 1) issues.push({ path: 'm', message: 'must be a positive integer' });
  const { values: y, filled } = fillMissing(raw);
  if (!y.some((v) => Number.isFinite(v))) {
    issues.push({ path: 'y', message: 'must contain at least one finite number' });
  }
  if (issues.length > 0) throw new ValidationError('forecast request', issues);

  // Work in units of a power of two near the series' magnitude: exact to undo, and it keeps
  // squared errors inside the double range for values such as 1e300 or 1e-300.
  const magnitude = y.reduce((acc, v) => Math.max(acc, Math.abs(v)), 0);
  const unit = magnitude > 0 ? 2 ** Math.round(Math.log2(magnitude)) : 1;
  if (unit === 1) return forecastScaled(y, h, m, options, filled);
  const scaled = forecastScaled(
    y.map((v) => v / unit),
    h,
    m,
    options,
    filled,
  );
  const back = (values: readonly number[]): number[] => values.map((v) => v * unit);
  return { ...scaled, point: back(scaled.point), lo: back(scaled.lo), hi: back(scaled.hi) };
}

function forecastScaled(
  y: readonly number[],
  h: number,
  m: number,
  options: ForecastOptions,
  filled: number,
): ForecastResult {
  const n = y.length;
  const level = options.level ?? 0.95;
  const nonNegative = y.every((v) => v >= 0);
  const filledNote = filled > 0 ? `${filled} missing values interpolated` : undefined;
  const minHistory = m > 1 ? 2 * m : NON_SEASONAL_MIN_HISTORY;
  if (n <= minHistory) {
    const reason =
      m > 1 ? `${n} points, need more than 2 seasons (2x${m})` : `${n} points, need more than ${minHistory}`;
    return withNote(shortHistory(y, h, m, level, nonNegative), `history too short: ${reason}`, filledNote);
  }

  // A weekly cycle on top of the daily one only makes sense for hourly or finer data.
  const season: Seasonality = { m, weekly: m >= 24 && m % 24 === 0 ? 7 * m : 0 };
  const longest = season.weekly > 0 && n >= 2 * season.weekly ? season.weekly : m;
  const fitWindow = Math.max(MIN_FIT_WINDOW, 3 * longest + h);
  const recent = (end: number): number[] => y.slice(Math.max(0, end - fitWindow), end);
  const predictWith = (f: Forecaster, history: readonly number[], steps: number): number[] => {
    const raw = f.predict(history, steps, season);
    const last = at(history, history.length - 1);
    return raw.map((v) => {
      const finite = Number.isFinite(v) ? v : last;
      return nonNegative ? Math.max(0, finite) : finite;
    });
  };

  // Rolling origins; with little history the backtest horizon shrinks rather than vanishing.
  // Origins start late enough for every model the full history supports (weekly models need two
  // weeks) as long as that still leaves a few of them; otherwise such models sit this one out.
  const pool =
    options.method === undefined || options.method === COMBINATION
      ? forecasters
      : forecasters.filter((f) => f.name === options.method || f.name === SEASONAL_NAIVE);
  const suitable = pool.filter((f) => f.suits(y) && f.minLength(season) < n);
  const hb = Math.min(h, n - minHistory);
  const step = options.step ?? Math.max(1, Math.ceil(hb / 2));
  // Fewer origins for very long fit windows (5-minute data with weekly seasonality) keeps a
  // request well under a second or two.
  const maxOrigins =
    options.origins ?? Math.min(DEFAULT_ORIGINS, Math.max(4, Math.floor(ORIGIN_BUDGET / fitWindow)));
  const originsFrom = (firstAllowed: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < maxOrigins; i++) {
      const t = n - hb - i * step;
      if (t < firstAllowed) break;
      out.push(t);
    }
    return out;
  };
  const needed = Math.min(fitWindow, Math.max(minHistory, ...suitable.map((f) => f.minLength(season))));
  const demanding = originsFrom(needed);
  const origins = demanding.length >= Math.min(3, maxOrigins) ? demanding : originsFrom(minHistory);
  const earliest = Math.min(...origins);
  const eligible = suitable.filter((f) => f.minLength(season) <= Math.min(earliest, fitWindow));

  const backtestForecasts = new Map<string, number[][]>();
  for (const f of eligible) {
    backtestForecasts.set(
      f.name,
      origins.map((t) => predictWith(f, recent(t), hb)),
    );
  }
  const scales = origins.map((t) => seasonalNaiveScale(recent(t), m));
  const score = (forecastsPerOrigin: readonly (readonly number[])[]): Candidate['errors'] =>
    forecastsPerOrigin.map((fc, o) => fc.map((v, k) => at(y, at(origins, o) + k) - v));
  const maseOf = (errors: readonly (readonly number[])[]): number =>
    mean(errors.map((e, o) => mean(e.map(Math.abs)) / at(scales, o)));

  const candidates: Candidate[] = eligible.map((f) => {
    const errors = score(backtestForecasts.get(f.name) ?? []);
    return { name: f.name, members: [f], errors, mase: maseOf(errors) };
  });
  const ranked = [...candidates].sort((a, b) => a.mase - b.mase);
  const top = ranked.slice(0, COMBINATION_SIZE);
  if (top.length === COMBINATION_SIZE) {
    const combined = origins.map((_, o) =>
      averageForecasts(top.map((c) => backtestForecasts.get(c.name)?.[o] ?? [])),
    );
    const errors = score(combined);
    candidates.push({
      name: COMBINATION,
      members: top.flatMap((c) => c.members),
      errors,
      mase: maseOf(errors),
    });
  }

  const baseline = candidates.find((c) => c.name === SEASONAL_NAIVE);
  if (baseline === undefined) throw new Error('seasonal naive must always be eligible');
  let chosen: Candidate = baseline;
  if (options.method !== undefined) {
    chosen = candidates.find((c) => c.name === options.method) ?? baseline;
  } else {
    for (const c of candidates) if (c.mase < chosen.mase) chosen = c;
    const combination = candidates.find((c) => c.name === COMBINATION);
    const margin = options.combinationMargin ?? DEFAULT_COMBINATION_MARGIN;
    if (combination !== undefined && combination.mase < chosen.mase * (1 + margin)) {
      // Backtest MASE over a handful of windows is noisy; the average of the leaders is the
      // safer bet unless one model is clearly better. Still never worse than seasonal naive.
      if (combination.mase < baseline.mase) chosen = combination;
    }
  }

  const history = recent(n);
  const point = averageForecasts(chosen.members.map((f) => predictWith(f, history, h)));
  const intervals = empiricalIntervals(point, chosen.errors, {
    level,
    inflation: options.inflation ?? DEFAULT_INFLATION,
  });
  const method =
    chosen.name === COMBINATION
      ? `${COMBINATION}(${chosen.members.map((f) => f.name).join('+')})`
      : chosen.name;
  const result: ForecastResult = {
    point,
    lo: nonNegative ? intervals.lo.map((v) => Math.max(0, v)) : intervals.lo,
    hi: intervals.hi,
    method,
    backtest: candidates.map((c) => ({ method: c.name, mase: c.mase })),
  };
  return filledNote === undefined ? result : { ...result, note: filledNote };
}

function averageForecasts(forecastsByMethod: readonly (readonly number[])[]): number[] {
  const first = forecastsByMethod[0] ?? [];
  return first.map((_, k) => mean(forecastsByMethod.map((f) => at(f, k))));
}

function withNote(result: ForecastResult, ...notes: (string | undefined)[]): ForecastResult {
  const note = notes.filter((x) => x !== undefined).join('; ');
  return note === '' ? result : { ...result, note };
}

/**
 * Too little history to backtest: seasonal naive on the one season we have, else the last value
 * or the mean (whichever tracked the history better one step ahead), with deliberately wide
 * intervals from the spread of the data itself.
 */
function shortHistory(
  y: readonly number[],
  h: number,
  m: number,
  level: number,
  nonNegative: boolean,
): ForecastResult {
  const n = y.length;
  let method: string;
  let point: number[];
  if (m > 1 && n >= m) {
    method = SEASONAL_NAIVE;
    point = forecasterNamed(SEASONAL_NAIVE)?.predict(y, h, { m, weekly: 0 }) ?? [];
  } else {
    let naiveError = 0;
    let meanError = 0;
    for (let t = 1; t < n; t++) {
      naiveError += Math.abs(at(y, t) - at(y, t - 1));
      meanError += Math.abs(at(y, t) - mean(y, 0, t));
    }
    method = naiveError <= meanError ? 'naive' : 'mean';
    point = new Array<number>(h).fill(method === 'naive' ? at(y, n - 1) : mean(y));
  }
  const diffs = y.slice(1).map((v, t) => v - at(y, t));
  const stepSpread = diffs.length > 0 ? Math.sqrt(mean(diffs.map((d) => d * d))) : 0;
  const levelSpread = standardDeviation(y);
  const fallbackSpread = Math.abs(mean(y)) * 0.5 || 1;
  // Deliberately wider than the normal quantile: nothing was backtested here.
  const z = 1.5 * probit(0.5 + level / 2);
  const widths = point.map((_, k) => {
    const spread = Math.max(stepSpread * Math.sqrt(k + 1), levelSpread);
    return z * (spread > 0 ? spread : fallbackSpread);
  });
  return {
    point,
    lo: point.map((p, k) => (nonNegative ? Math.max(0, p - at(widths, k)) : p - at(widths, k))),
    hi: point.map((p, k) => p + at(widths, k)),
    method,
  };
}
