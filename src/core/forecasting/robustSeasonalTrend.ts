import { at, median } from './series.ts';

// Robust regression forecaster: a Huber-weighted linear trend plus median seasonal profiles (a
// daily profile of period m and, for intraday data with enough weeks, a weekly profile on top).
// Medians and Huber weights keep spikes and outages in the history from bending the forecast.

const HUBER_K = 1.345;

/** Huber M-estimate of a line through (t, x[t]) by iteratively reweighted least squares. */
export function huberLine(x: readonly number[]): { intercept: number; slope: number } {
  const n = x.length;
  const weights = new Array<number>(n).fill(1);
  let intercept = 0;
  let slope = 0;
  const residuals = new Float64Array(n);
  for (let iter = 0; iter < 6; iter++) {
    const previousSlope = slope;
    let sw = 0;
    let st = 0;
    let sy = 0;
    for (let t = 0; t < n; t++) {
      const w = at(weights, t);
      sw += w;
      st += w * t;
      sy += w * at(x, t);
    }
    if (sw <= 0) break;
    const tBar = st / sw;
    const yBar = sy / sw;
    let sxy = 0;
    let sxx = 0;
    for (let t = 0; t < n; t++) {
      const w = at(weights, t);
      sxy += w * (t - tBar) * (at(x, t) - yBar);
      sxx += w * (t - tBar) ** 2;
    }
    slope = sxx > 0 ? sxy / sxx : 0;
    intercept = yBar - slope * tBar;
    if (iter > 0 && Math.abs(slope - previousSlope) <= 1e-6 * (Math.abs(slope) + 1e-9)) break;
    for (let t = 0; t < n; t++) residuals[t] = Math.abs(at(x, t) - intercept - slope * t);
    const scale = median(residuals) / 0.6745;
    if (scale <= 1e-12) break;
    for (let t = 0; t < n; t++) {
      const r = at(residuals, t) / scale;
      weights[t] = r <= HUBER_K ? 1 : HUBER_K / r;
    }
  }
  return { intercept, slope };
}

/** Median of `values` per phase (absolute index mod period), centred to median zero. */
function profile(values: readonly number[], offset: number, period: number): number[] {
  const buckets: number[][] = Array.from({ length: period }, () => []);
  for (let t = 0; t < values.length; t++) buckets[(offset + t) % period]?.push(at(values, t));
  const raw = buckets.map((b) => (b.length > 0 ? median(b) : 0));
  const centre = median(raw);
  return raw.map((v) => v - centre);
}

export function robustSeasonalTrend(y: readonly number[], h: number, m: number, weekly: number): number[] {
  const n = y.length;
  const useWeekly = weekly > 0 && n >= 3 * weekly;
  const period = m > 1 ? m : 1;
  // Fit on recent history only so the trend is local rather than a whole-history average.
  const span = Math.min(n, useWeekly ? 4 * weekly : Math.max(8 * period, 64));
  const offset = n - span;
  const x = y.slice(offset);
  let line = huberLine(x);
  let daily = new Array<number>(period).fill(0);
  let week = new Array<number>(useWeekly ? weekly : 1).fill(0);
  for (let iter = 0; iter < 2; iter++) {
    const detrended = x.map((v, t) => v - line.intercept - line.slope * t);
    daily = period > 1 ? profile(detrended, offset, period) : daily;
    if (useWeekly) {
      const rest = detrended.map((v, t) => v - at(daily, (offset + t) % period));
      week = profile(rest, offset, weekly);
    }
    const deseasonalised = x.map(
      (v, t) => v - at(daily, (offset + t) % period) - (useWeekly ? at(week, (offset + t) % weekly) : 0),
    );
    line = huberLine(deseasonalised);
  }
  const out = new Array<number>(h);
  for (let k = 0; k < h; k++) {
    const t = n + k;
    out[k] =
      line.intercept +
      line.slope * (span + k) +
      at(daily, t % period) +
      (useWeekly ? at(week, t % weekly) : 0);
  }
  return out;
}
