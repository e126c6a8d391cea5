// Deterministic synthetic series for detector tests (seeded PRNG, no Math.random).
import type { DetectorPoint } from '../../../src/core/detection/anomalyDetector.ts';
import { seededRandom } from '../../../src/core/seededRandom.ts';

export const T0 = Date.UTC(2024, 0, 1);
export const MINUTE = 60_000;

export const uniform = seededRandom;

/** Standard normal draws (Box-Muller) from a seeded generator. */
export function gaussian(seed: number): () => number {
  const u = uniform(seed);
  return () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
}

/** Points every `stepMinutes` from T0 with the given values. */
export function pointsOf(values: readonly number[], stepMinutes = 1): DetectorPoint[] {
  return values.map((value, i) => ({ timestamp: T0 + i * stepMinutes * MINUTE, value }));
}

/** Gaussian noise around `level` (sd `sd`), `length` points. */
export function noise(length: number, seed: number, level = 100, sd = 5): number[] {
  const g = gaussian(seed);
  return Array.from({ length }, () => level + sd * g());
}
