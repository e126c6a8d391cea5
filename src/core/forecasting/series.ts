// Small numeric building blocks shared by the forecasters. Plain loops over number arrays:
// these run inside optimiser inner loops, so they avoid allocation where it is cheap to.

/** Value at `i`, or 0 when out of range (keeps strict index checks quiet in hot loops). */
export function at(values: ArrayLike<number>, i: number): number {
  return values[i] ?? 0;
}

export function mean(values: ArrayLike<number>, from = 0, to = values.length): number {
  if (to <= from) return 0;
  let sum = 0;
  for (let i = from; i < to; i++) sum += at(values, i);
  return sum / (to - from);
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile (type 7, as R's default). */
export function quantile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return 0;
  // Typed-array sort is numeric and much faster than Array#sort with a comparator.
  const sorted = Float64Array.from(values).sort();
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const frac = pos - lo;
  return at(sorted, lo) * (1 - frac) + at(sorted, hi) * frac;
}

export function standardDeviation(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  const mu = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (at(values, i) - mu) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/** Ordinary least-squares line through (i, values[i]). */
export function linearFit(values: ArrayLike<number>): { intercept: number; slope: number } {
  const n = values.length;
  if (n < 2) return { intercept: n === 1 ? at(values, 0) : 0, slope: 0 };
  const tMean = (n - 1) / 2;
  const yMean = mean(values);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dt = i - tMean;
    sxy += dt * (at(values, i) - yMean);
    sxx += dt * dt;
  }
  const slope = sxy / sxx;
  return { intercept: yMean - slope * tMean, slope };
}

/**
 * Mean absolute seasonal difference: the MASE denominator. Falls back to lag 1 when the series is
 * shorter than one season plus one point, and to a tiny positive floor for constant series so
 * that ratios stay finite.
 */
export function seasonalNaiveScale(values: ArrayLike<number>, m: number): number {
  const n = values.length;
  const lag = m > 1 && n > m ? m : 1;
  if (n <= lag) return 1e-9;
  let sum = 0;
  for (let i = lag; i < n; i++) sum += Math.abs(at(values, i) - at(values, i - lag));
  const scale = sum / (n - lag);
  return scale > 1e-9 ? scale : 1e-9;
}

/** Lag-k sample autocorrelation. */
export function autocorrelation(values: ArrayLike<number>, lag: number): number {
  const n = values.length;
  if (lag >= n) return 0;
  const mu = mean(values);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = at(values, i) - mu;
    den += d * d;
    if (i >= lag) num += d * (at(values, i - lag) - mu);
  }
  return den > 0 ? num / den : 0;
}

export interface CleanedSeries {
  readonly values: number[];
  /** How many entries were missing (null, NaN, non-numeric) and filled in. */
  readonly filled: number;
}

/**
 * Fills missing entries by linear interpolation between the nearest observed neighbours (nearest
 * value at the ends), so every forecaster can assume a complete, evenly spaced series.
 */
export function fillMissing(raw: readonly unknown[]): CleanedSeries {
  const values: number[] = new Array<number>(raw.length);
  const observed: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (typeof v === 'number' && Number.isFinite(v)) {
      values[i] = v;
      observed.push(i);
    } else {
      values[i] = Number.NaN;
    }
  }
  const filled = raw.length - observed.length;
  if (observed.length === 0 || filled === 0) return { values, filled };
  let prev = -1;
  for (const idx of observed) {
    const right = at(values, idx);
    if (prev < 0) {
      for (let i = 0; i < idx; i++) values[i] = right;
    } else {
      const left = at(values, prev);
      for (let i = prev + 1; i < idx; i++) {
        values[i] = left + ((right - left) * (i - prev)) / (idx - prev);
      }
    }
    prev = idx;
  }
  const last = at(values, prev);
  for (let i = prev + 1; i < values.length; i++) values[i] = last;
  return { values, filled };
}
