import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSurpriseCalibrator,
  surpriseLearn,
  surpriseOf,
} from '../../../src/core/detection/surpriseCalibrator.ts';
import { uniform } from './syntheticSeries.ts';

function trained(values: readonly number[], memory = 3000): ReturnType<typeof createSurpriseCalibrator> {
  const h = createSurpriseCalibrator();
  for (const v of values) surpriseLearn(h, v, memory);
  return h;
}

describe('surprise calibration', () => {
  it('reports -log10 of the tail probability of the history', () => {
    const u = uniform(5);
    const h = trained(Array.from({ length: 3000 }, () => 10 * u()));
    expect(surpriseOf(h, 5, 100)).toBeCloseTo(Math.log10(2), 1); // half the history is above 5
    expect(surpriseOf(h, 9, 100)).toBeCloseTo(1, 1); // a tenth is above 9
    expect(surpriseOf(h, 30, 100)).toBeGreaterThan(3); // beyond anything seen
  });

  it('is silent until it has enough history', () => {
    expect(surpriseOf(trained([1, 2, 3]), 100, 10)).toBe(0);
  });

  it('never ranks a larger deviation as less surprising', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 20, maxLength: 300 }),
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        (history, a, b) => {
          const h = trained(history, 100);
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(surpriseOf(h, hi, 10)).toBeGreaterThanOrEqual(surpriseOf(h, lo, 10) - 1e-9);
        },
      ),
    );
  });

  it('forgets: long after a regime change the old values no longer count', () => {
    const h = trained([...Array<number>(3000).fill(100), ...Array<number>(20_000).fill(1)], 2000);
    // Without forgetting, 100 would be 3000 / 23000 of the history (surprise 0.9).
    expect(surpriseOf(h, 100, 10)).toBeGreaterThan(3);
  });
});
