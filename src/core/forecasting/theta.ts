import { isSeasonal, seasonalIndices } from './classicalDecomposition.ts';
import type { DecompositionForm } from './classicalDecomposition.ts';
import { at, linearFit } from './series.ts';

// The Theta method (Assimakopoulos & Nikolopoulos; Hyndman & Billah's SES-with-drift form):
// deseasonalise with a classical decomposition when the ACF test finds seasonality, forecast
// with simple exponential smoothing plus half the OLS slope, then reseasonalise.

function sesSse(x: readonly number[], alpha: number): { sse: number; level: number } {
  let level = at(x, 0);
  let sse = 0;
  for (let t = 1; t < x.length; t++) {
    const err = at(x, t) - level;
    sse += err * err;
    level += alpha * err;
  }
  return { sse, level };
}

/** Golden-section search for the SES smoothing weight on [0.01, 0.99]. */
function fitSes(x: readonly number[]): { alpha: number; level: number } {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = 0.01;
  let b = 0.99;
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = sesSse(x, c).sse;
  let fd = sesSse(x, d).sse;
  for (let i = 0; i < 40; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = sesSse(x, c).sse;
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = sesSse(x, d).sse;
    }
  }
  const alpha = (a + b) / 2;
  return { alpha, level: sesSse(x, alpha).level };
}

export function theta(y: readonly number[], h: number, m: number): number[] {
  const n = y.length;
  const seasonal = isSeasonal(y, m);
  const form: DecompositionForm = y.every((v) => v > 0) ? 'multiplicative' : 'additive';
  const indices = seasonal ? seasonalIndices(y, m, form) : [];
  const phaseOf = (t: number): number => at(indices, t % m);
  const x = seasonal
    ? y.map((v, t) => (form === 'additive' ? v - phaseOf(t) : v / (phaseOf(t) || 1)))
    : [...y];
  const { alpha, level } = fitSes(x);
  const halfSlope = linearFit(x).slope / 2;
  const drift = (1 - (1 - alpha) ** n) / alpha;
  const out = new Array<number>(h);
  for (let k = 0; k < h; k++) {
    const base = level + halfSlope * (k + drift);
    out[k] = seasonal ? (form === 'additive' ? base + phaseOf(n + k) : base * phaseOf(n + k)) : base;
  }
  return out;
}
