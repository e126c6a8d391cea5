import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.ts';
import { COMBINATION, forecast } from '../../../src/core/forecasting/forecast.ts';
import type { ForecastResult } from '../../../src/core/forecasting/forecast.ts';
import { gaussian, prng, seasonalSeries } from './simulate.ts';

function chosenMase(result: ForecastResult): number | undefined {
  const name = result.method.startsWith(COMBINATION) ? COMBINATION : result.method;
  return result.backtest?.find((b) => b.method === name)?.mase;
}

describe('forecast', () => {
  it('reproduces an exact seasonal pattern', () => {
    const pattern = [3, 9, 4, 0, 7, 1, 5];
    const y = Array.from({ length: 7 * 12 }, (_, t) => pattern[t % 7] ?? 0);
    const result = forecast(y, 10, 7);
    const expected = Array.from({ length: 10 }, (_, k) => pattern[(y.length + k) % 7] ?? 0);
    result.point.forEach((v, k) => {
      expect(v).toBeCloseTo(expected[k] ?? Number.NaN, 6);
    });
  });

  it('extrapolates a trend', () => {
    const y = seasonalSeries({ n: 240, m: 12, level: 50, slope: 0.8, amplitude: 5, noise: 0.3, seed: 3 });
    const h = 24;
    const result = forecast(y, h, 12);
    const truth = seasonalSeries({ n: 240 + h, m: 12, level: 50, slope: 0.8, amplitude: 5 }).slice(240);
    const last = y[y.length - 1] ?? 0;
    // Seasonal naive would stay near the last season; a trend model reaches ~19 units higher.
    expect(result.point[h - 1]).toBeGreaterThan(last + 10);
    result.point.forEach((v, k) => {
      expect(Math.abs(v - (truth[k] ?? 0))).toBeLessThan(3);
    });
  });

  it('widens intervals with the horizon for a random walk', () => {
    const rand = prng(11);
    let level = 0;
    const y = Array.from({ length: 400 }, () => (level += gaussian(rand)));
    const result = forecast(y, 30, 1);
    const width = (k: number): number => (result.hi[k] ?? 0) - (result.lo[k] ?? 0);
    expect(width(29)).toBeGreaterThan(1.5 * width(0));
    for (let k = 1; k < 30; k++) expect(width(k)).toBeGreaterThanOrEqual(width(k - 1) - 1e-9);
  });

  it('covers the truth at roughly the nominal 95% rate on simulated noise', () => {
    let inside = 0;
    let total = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const all = seasonalSeries({ n: 24 * 14 + 24, m: 24, amplitude: 8, noise: 2, seed });
      const history = all.slice(0, 24 * 14);
      const truth = all.slice(24 * 14);
      const result = forecast(history, 24, 24);
      truth.forEach((v, k) => {
        total++;
        if (v >= (result.lo[k] ?? 0) && v <= (result.hi[k] ?? 0)) inside++;
      });
    }
    const coverage = inside / total;
    expect(coverage).toBeGreaterThan(0.88);
    expect(coverage).toBeLessThan(0.995);
  });

  it('says when the history is too short and still answers with wide intervals', () => {
    const result = forecast([10, 12, 11, 13, 12], 6, 24);
    expect(result.note).toMatch(/^history too short: /);
    expect(result.point).toHaveLength(6);
    result.point.forEach((p, k) => {
      expect(result.lo[k]).toBeLessThan(p);
      expect(result.hi[k]).toBeGreaterThan(p);
    });
  });

  it('never selects a method that did worse than seasonal naive on its own backtest', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 7),
        fc.integer({ min: 0, max: 60 }),
        fc.array(fc.double({ min: -1000, max: 1000, noNaN: true }), { minLength: 40, maxLength: 90 }),
        fc.integer({ min: 1, max: 12 }),
        (m, _pad, y, h) => {
          const result = forecast(y, h, m);
          const baseline = result.backtest?.find((b) => b.method === 'snaive')?.mase;
          const chosen = chosenMase(result);
          expect(baseline).toBeDefined();
          expect(chosen).toBeDefined();
          expect(chosen ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(baseline ?? 0);
          expect(result.point).toHaveLength(h);
          expect(result.point.every(Number.isFinite)).toBe(true);
          result.point.forEach((p, k) => {
            expect(result.lo[k]).toBeLessThanOrEqual(p);
            expect(result.hi[k]).toBeGreaterThanOrEqual(p);
          });
        },
      ),
      { numRuns: 40, seed: 42 },
    );
  });

  it('is deterministic', () => {
    const y = seasonalSeries({ n: 24 * 30, m: 24, slope: 0.05, noise: 3, seed: 5 });
    expect(forecast(y, 48, 24)).toEqual(forecast(y, 48, 24));
  });

  it('uses the weekly cycle of hourly data when there are enough weeks', () => {
    const rand = prng(9);
    const y = Array.from({ length: 24 * 7 * 6 }, (_, t) => {
      const weekend = Math.floor(t / 24) % 7 >= 5 ? 0.3 : 1;
      return 100 * weekend * (1 + Math.sin((2 * Math.PI * t) / 24)) + gaussian(rand);
    });
    const result = forecast(y, 48, 24);
    const baseline = result.backtest?.find((b) => b.method === 'snaive')?.mase ?? 0;
    expect(chosenMase(result)).toBeLessThan(0.5 * baseline);
    expect(result.backtest?.some((b) => b.method === 'double-seasonal-hw')).toBe(true);
  });

  it('handles constant, zero, negative and missing values', () => {
    const constant = forecast(new Array<number>(50).fill(4), 5, 7);
    expect(constant.point).toEqual([4, 4, 4, 4, 4]);

    const zeros = forecast(new Array<number>(50).fill(0), 5, 7);
    expect(zeros.point).toEqual([0, 0, 0, 0, 0]);

    const negative = seasonalSeries({ n: 120, m: 12, level: -500, noise: 1, seed: 2 });
    const neg = forecast(negative, 12, 12);
    expect(Math.max(...neg.point)).toBeLessThan(-480);

    const gappy: unknown[] = seasonalSeries({ n: 120, m: 12, noise: 0.5, seed: 4 });
    gappy[50] = null;
    gappy[51] = Number.NaN;
    gappy[119] = null;
    const filled = forecast(gappy, 12, 12);
    expect(filled.note).toBe('3 missing values interpolated');
    expect(filled.point.every(Number.isFinite)).toBe(true);
  });

  it('keeps forecasts and lower bounds of non-negative series non-negative', () => {
    const rand = prng(21);
    const counts = Array.from({ length: 24 * 10 }, () => (rand() < 0.8 ? 0 : Math.floor(rand() * 3)));
    const result = forecast(counts, 24, 24);
    expect(Math.min(...result.point, ...result.lo)).toBeGreaterThanOrEqual(0);
  });

  it('gives the same answer in any power-of-two unit, without overflow at extreme magnitudes', () => {
    const y = seasonalSeries({ n: 24 * 9, m: 24, noise: 1, seed: 8 });
    const base = forecast(y, 24, 24);
    const huge = forecast(
      y.map((v) => v * 2 ** 990),
      24,
      24,
    );
    expect(huge.point.every(Number.isFinite)).toBe(true);
    expect(huge.hi.every(Number.isFinite)).toBe(true);
    expect(huge.method).toBe(base.method);
    huge.point.forEach((v, k) => {
      expect(v / 2 ** 990).toBeCloseTo(base.point[k] ?? Number.NaN, 9);
    });
  });

  it('rejects an invalid horizon or an all-missing series', () => {
    expect(() => forecast([1, 2, 3], 0, 1)).toThrow(ValidationError);
    expect(() => forecast([null, null], 3, 1)).toThrow(/y: must contain at least one finite number/);
  });
});
