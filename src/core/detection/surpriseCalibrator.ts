// Turns a deviation statistic (>= 0, bigger = stranger) into a surprise in log10 units,
// -log10 P(S >= s), judged against the statistic's own history. Self-calibration is what lets one
// parameter set serve a smooth temperature curve and a spiky request count alike.
//
// The history is a fixed-size histogram with geometric bins and exponential forgetting (memory
// `historyLength` points), so a series costs the same few hundred numbers however long it runs.
// Inside the history the tail is the empirical one; beyond its 90th percentile an exponential tail
// fitted to the 90th and 99th percentiles extrapolates, so values past anything seen still rank by
// how far past they are.

export interface SurpriseCalibratorState {
  /** Weighted count per bin; bin 0 holds [0, FIRST_EDGE). */
  readonly counts: number[];
  total: number;
  /**
   * Weight of the next point. Forgetting is done by making each new point heavier instead of
   * shrinking every bin (O(1) per point); all weights are rescaled before they overflow.
   */
  weight: number;
}

const FIRST_EDGE = 1e-3;
const LAST_EDGE = 1e9;
const RATIO = 1.15;
const BINS = 1 + Math.ceil(Math.log(LAST_EDGE / FIRST_EDGE) / Math.log(RATIO));

function lowerEdge(bin: number): number {
  return bin === 0 ? 0 : FIRST_EDGE * Math.pow(RATIO, bin - 1);
}

function binOf(s: number): number {
  if (!(s >= FIRST_EDGE)) return 0;
  return Math.min(BINS - 1, 1 + Math.floor(Math.log(s / FIRST_EDGE) / Math.log(RATIO)));
}

export function createSurpriseCalibrator(): SurpriseCalibratorState {
  return { counts: new Array<number>(BINS).fill(0), total: 0, weight: 1 };
}

/** The value below which a fraction q of the (decayed) history lies, interpolated within a bin. */
function quantile(h: SurpriseCalibratorState, q: number): number {
  const target = q * h.total;
  let acc = 0;
  for (let b = 0; b < BINS; b++) {
    const c = h.counts[b] ?? 0;
    if (acc + c >= target && c > 0) {
      const lo = lowerEdge(b);
      const hi = b === 0 ? FIRST_EDGE : lo * RATIO;
      return lo + ((target - acc) / c) * (hi - lo);
    }
    acc += c;
  }
  return lowerEdge(BINS - 1);
}

/** Decayed mass of the history at or above s (linear within s's bin). */
function massAtLeast(h: SurpriseCalibratorState, s: number): number {
  const b = binOf(s);
  let above = 0;
  for (let k = b + 1; k < BINS; k++) above += h.counts[k] ?? 0;
  const lo = lowerEdge(b);
  const hi = b === 0 ? FIRST_EDGE : lo * RATIO;
  const frac = Math.min(1, Math.max(0, (hi - s) / (hi - lo)));
  return above + (h.counts[b] ?? 0) * frac;
}

/** Surprise of `s` (log10 units, >= 0) before it joins the history; 0 until `minHistory` points. */
export function surpriseOf(h: SurpriseCalibratorState, s: number, minHistory: number): number {
  if (h.total / h.weight < minHistory) return 0;
  const q90 = quantile(h, 0.9);
  if (s <= q90) {
    return -Math.log10(Math.min(1, (massAtLeast(h, s) + 0.5 * h.weight) / (h.total + h.weight)));
  }
  const q99 = quantile(h, 0.99);
  // Decay length of the tail: the 90th to 99th percentile span is one decade of probability.
  const beta = Math.max(q99 - q90, 1e-3 * Math.max(q90, FIRST_EDGE));
  // A tail heavier than the fitted one is believed where it was actually seen.
  const extrapolated = 1 + (s - q90) / beta;
  const seen = massAtLeast(h, s) / h.total;
  return seen > 0 ? Math.min(extrapolated, -Math.log10(seen)) : extrapolated;
}

/** Adds s to the history, forgetting old points so the history holds about `historyLength`. */
export function surpriseLearn(h: SurpriseCalibratorState, s: number, historyLength: number): void {
  const b = binOf(s);
  h.counts[b] = (h.counts[b] ?? 0) + h.weight;
  h.total += h.weight;
  h.weight /= 1 - 1 / historyLength;
  if (h.weight > 1e100) {
    for (let k = 0; k < BINS; k++) h.counts[k] = (h.counts[k] ?? 0) / h.weight;
    h.total /= h.weight;
    h.weight = 1;
  }
}
