import { nelderMead, logistic, logit } from './nelderMead.ts';
import { at, mean } from './series.ts';

// Taylor's double-seasonal Holt-Winters (additive, no trend) for intraday data with a daily cycle
// of `m` and a weekly cycle of `weekly` (= 7m): level, daily and weekly seasonal terms in
// error-correction form, plus an AR(1) adjustment on the one-step residual that fades with the
// horizon. Short horizons of hourly operational data gain most from that adjustment.

interface State {
  level: number;
  residual: number;
  readonly daily: Float64Array;
  readonly weekly: Float64Array;
}

interface Parameters {
  readonly alpha: number;
  readonly delta: number;
  readonly omega: number;
  readonly rho: number;
}

function initialState(y: readonly number[], m: number, weekly: number): State {
  const weeks = Math.max(1, Math.min(3, Math.floor(y.length / weekly)));
  const span = weeks * weekly;
  const level = mean(y, 0, span);
  const daily = new Float64Array(m);
  const dailyCount = new Float64Array(m);
  for (let t = 0; t < span; t++) {
    daily[t % m] = at(daily, t % m) + at(y, t) - level;
    dailyCount[t % m] = at(dailyCount, t % m) + 1;
  }
  for (let i = 0; i < m; i++) daily[i] = at(daily, i) / Math.max(1, at(dailyCount, i));
  const dailyMean = mean(daily);
  for (let i = 0; i < m; i++) daily[i] = at(daily, i) - dailyMean;
  const week = new Float64Array(weekly);
  for (let t = 0; t < span; t++) {
    week[t % weekly] = at(week, t % weekly) + (at(y, t) - level - at(daily, t % m)) / weeks;
  }
  const weekMean = mean(week);
  for (let i = 0; i < weekly; i++) week[i] = at(week, i) - weekMean;
  return { level, residual: 0, daily, weekly: week };
}

function cloneState(s: State): State {
  return { level: s.level, residual: s.residual, daily: s.daily.slice(), weekly: s.weekly.slice() };
}

function filter(y: readonly number[], m: number, weekly: number, p: Parameters, state: State): number {
  const { alpha, delta, omega, rho } = p;
  const daily = state.daily;
  const week = state.weekly;
  let level = state.level;
  let residual = state.residual;
  let sse = 0;
  for (let t = 0; t < y.length; t++) {
    const dp = t % m;
    const wp = t % weekly;
    const d = daily[dp] ?? 0;
    const w = week[wp] ?? 0;
    const base = level + d + w;
    const v = y[t] ?? 0;
    const err = v - base - rho * residual;
    sse += err * err;
    const e0 = v - base;
    level += alpha * e0;
    daily[dp] = d + delta * e0;
    week[wp] = w + omega * e0;
    residual = e0;
  }
  state.level = level;
  state.residual = residual;
  return Number.isFinite(sse) ? sse : Number.POSITIVE_INFINITY;
}

function decode(x: readonly number[]): Parameters {
  const alpha = 0.0001 + 0.9998 * logistic(at(x, 0));
  const delta = (1 - alpha) * logistic(at(x, 1));
  const omega = (1 - alpha - delta) * logistic(at(x, 2));
  const rho = 0.99 * logistic(at(x, 3));
  return { alpha, delta, omega, rho };
}

export function doubleSeasonalHoltWinters(
  y: readonly number[],
  h: number,
  m: number,
  weekly: number,
): number[] {
  const init = initialState(y, m, weekly);
  const best = nelderMead(
    (x) => filter(y, m, weekly, decode(x), cloneState(init)),
    [logit(0.1), logit(0.1), logit(0.1), logit(0.5)],
    { maxEvaluations: 400 },
  );
  const params = decode(best.x);
  const state = cloneState(init);
  filter(y, m, weekly, params, state);
  const n = y.length;
  const out = new Array<number>(h);
  let ar = state.residual;
  for (let k = 0; k < h; k++) {
    ar *= params.rho;
    out[k] = state.level + at(state.daily, (n + k) % m) + at(state.weekly, (n + k) % weekly) + ar;
  }
  return out;
}
