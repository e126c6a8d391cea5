// Deterministic synthetic series for detector tests (seeded PRNG, no Math.random).
import type { DetectorPoint } from '../../../src/core/detection/anomalyDetector.ts';

export const T0 = Date.UTC(2024, 0, 1);
export const MINUTE = 60_000;

/** mulberry32: a tiny seeded uniform generator on [0, 1). */
export function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
