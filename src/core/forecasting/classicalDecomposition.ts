import { at, autocorrelation, mean } from './series.ts';

// Classical (moving-average) seasonal decomposition, as used by the Theta method to
// deseasonalise before smoothing, plus the usual 90% ACF test for whether to bother.

export type DecompositionForm = 'additive' | 'multiplicative';

/** Seasonal index per phase (phase = index mod m from the start of `y`). */
export function seasonalIndices(y: readonly number[], m: number, form: DecompositionForm): number[] {
  const n = y.length;
  const half = Math.floor(m / 2);
  const sums = new Array<number>(m).fill(0);
  const counts = new Array<number>(m).fill(0);
  // Centred moving average of order m (2 x m when m is even, half weight at both ends).
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = at(prefix, i) + at(y, i);
  for (let t = half; t + half < n; t++) {
    const trend =
      m % 2 === 1
        ? (at(prefix, t + half + 1) - at(prefix, t - half)) / m
        : (at(prefix, t + half) - at(prefix, t - half + 1) + 0.5 * (at(y, t - half) + at(y, t + half))) / m;
    const phase = t % m;
    const v = at(y, t);
    sums[phase] = at(sums, phase) + (form === 'additive' ? v - trend : trend !== 0 ? v / trend : 1);
    counts[phase] = at(counts, phase) + 1;
  }
  const raw = sums.map((s, i) => (at(counts, i) > 0 ? s / at(counts, i) : form === 'additive' ? 0 : 1));
  const centre = mean(raw);
  return raw.map((s) => (form === 'additive' ? s - centre : centre !== 0 ? s / centre : 1));
}

/** The 90% autocorrelation test for seasonality at lag m used by the classical Theta method. */
export function isSeasonal(y: readonly number[], m: number): boolean {
  const n = y.length;
  if (m <= 1 || n < 3 * m) return false;
  let acc = 0;
  for (let k = 1; k < m; k++) acc += autocorrelation(y, k) ** 2;
  const limit = 1.645 * Math.sqrt((1 + 2 * acc) / n);
  return Math.abs(autocorrelation(y, m)) > limit;
}
