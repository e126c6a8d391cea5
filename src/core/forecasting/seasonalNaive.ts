import { at } from './series.ts';

/** Repeats the last full season (lag `m`); with m <= 1 or too little history, the last value. */
export function seasonalNaive(y: readonly number[], h: number, m: number): number[] {
  const n = y.length;
  const lag = m > 1 && n >= m ? m : 1;
  const out = new Array<number>(h);
  for (let k = 0; k < h; k++) out[k] = at(y, n - lag + (k % lag));
  return out;
}

/** Last observed value carried forward. */
export function naive(y: readonly number[], h: number): number[] {
  return new Array<number>(h).fill(at(y, y.length - 1));
}
