import { at, quantile } from './series.ts';

// Empirical prediction intervals from rolling-origin forecast errors. The error scale per horizon
// step is estimated from the backtest (smoothed across neighbouring steps and forced to be
// non-decreasing), errors are normalised by it and pooled, and the pooled quantiles are mapped
// back per step. So intervals widen with the horizon exactly as much as the history showed.

export interface Intervals {
  readonly lo: number[];
  readonly hi: number[];
}

/** Pool-adjacent-violators: the weighted least-squares non-decreasing fit. */
function isotonic(values: readonly number[], weights: readonly number[]): number[] {
  const blocks: { value: number; weight: number; size: number }[] = [];
  for (let i = 0; i < values.length; i++) {
    blocks.push({ value: at(values, i), weight: Math.max(at(weights, i), 1e-12), size: 1 });
    for (;;) {
      const last = blocks[blocks.length - 1];
      const prev = blocks[blocks.length - 2];
      if (last === undefined || prev === undefined || prev.value <= last.value) break;
      const weight = prev.weight + last.weight;
      blocks.splice(blocks.length - 2, 2, {
        value: (prev.value * prev.weight + last.value * last.weight) / weight,
        weight,
        size: prev.size + last.size,
      });
    }
  }
  return blocks.flatMap((b) => new Array<number>(b.size).fill(b.value));
}

/** Error scale (RMS) per horizon step 1..h, extrapolated by sqrt(step) past the backtested horizon. */
export function errorScales(errors: readonly (readonly number[])[], h: number): number[] {
  const hb = Math.max(0, ...errors.map((e) => e.length));
  const sq = new Array<number>(hb).fill(0);
  const count = new Array<number>(hb).fill(0);
  for (const e of errors) {
    for (let k = 0; k < e.length; k++) {
      sq[k] = at(sq, k) + at(e, k) ** 2;
      count[k] = at(count, k) + 1;
    }
  }
  const smoothed: number[] = [];
  const weights: number[] = [];
  for (let k = 0; k < hb; k++) {
    let s = 0;
    let c = 0;
    for (let j = Math.max(0, k - 2); j <= Math.min(hb - 1, k + 2); j++) {
      s += at(sq, j);
      c += at(count, j);
    }
    smoothed.push(c > 0 ? Math.sqrt(s / c) : 0);
    weights.push(at(count, k));
  }
  const monotone = isotonic(smoothed, weights);
  const out = new Array<number>(h);
  const lastScale = hb > 0 ? at(monotone, hb - 1) : 0;
  for (let k = 0; k < h; k++) {
    out[k] = k < hb ? at(monotone, k) : lastScale * Math.sqrt((k + 1) / hb);
  }
  return out;
}

export interface IntervalOptions {
  /** Nominal coverage, e.g. 0.95. */
  readonly level: number;
  /** Extra width for the small number of backtest windows behind the quantiles. */
  readonly inflation: number;
}

export function empiricalIntervals(
  point: readonly number[],
  errors: readonly (readonly number[])[],
  options: IntervalOptions,
): Intervals {
  const h = point.length;
  const scales = errors.length > 0 ? errorScales(errors, h) : new Array<number>(h).fill(0);
  const normalised: number[] = [];
  for (const e of errors) {
    for (let k = 0; k < e.length; k++) {
      const s = at(scales, k);
      if (s > 0) normalised.push(at(e, k) / s);
    }
  }
  const tail = (1 - options.level) / 2;
  const qLo = Math.min(0, quantile(normalised, tail)) * options.inflation;
  const qHi = Math.max(0, quantile(normalised, 1 - tail)) * options.inflation;
  return {
    lo: point.map((p, k) => p + qLo * at(scales, k)),
    hi: point.map((p, k) => p + qHi * at(scales, k)),
  };
}
