// Deterministic simulated series for the forecasting tests.
import { seededRandom } from '../../../src/core/seededRandom.ts';

export const prng = seededRandom;

export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** level + slope*t + amplitude*sin(2*pi*t/m) + N(0, noise^2), for t in [0, n). */
export function seasonalSeries(options: {
  n: number;
  m: number;
  level?: number;
  slope?: number;
  amplitude?: number;
  noise?: number;
  seed?: number;
}): number[] {
  const { n, m, level = 100, slope = 0, amplitude = 10, noise = 0, seed = 1 } = options;
  const rand = prng(seed);
  return Array.from(
    { length: n },
    (_, t) => level + slope * t + amplitude * Math.sin((2 * Math.PI * t) / m) + noise * gaussian(rand),
  );
}
