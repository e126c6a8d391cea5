import { describe, expect, it } from 'vitest';
import { seasonalIndices, isSeasonal } from '../../../src/core/forecasting/classicalDecomposition.ts';
import { doubleSeasonalHoltWinters } from '../../../src/core/forecasting/doubleSeasonalHoltWinters.ts';
import { holtWinters } from '../../../src/core/forecasting/holtWinters.ts';
import { nelderMead } from '../../../src/core/forecasting/nelderMead.ts';
import { empiricalIntervals, errorScales } from '../../../src/core/forecasting/predictionIntervals.ts';
import { huberLine, robustSeasonalTrend } from '../../../src/core/forecasting/robustSeasonalTrend.ts';
import { naive, seasonalNaive } from '../../../src/core/forecasting/seasonalNaive.ts';
import { fillMissing, quantile, seasonalNaiveScale } from '../../../src/core/forecasting/series.ts';
import { theta } from '../../../src/core/forecasting/theta.ts';
import { gaussian, prng, seasonalSeries } from './simulate.ts';

describe('series helpers', () => {
  it('interpolates interior gaps and carries the ends', () => {
    expect(fillMissing([null, 2, Number.NaN, 'x', 8, undefined]).values).toEqual([2, 2, 4, 6, 8, 8]);
    expect(fillMissing([null, 2, Number.NaN, 'x', 8, undefined]).filled).toBe(4);
  });

  it('computes type-7 quantiles and a positive MASE scale for constant series', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(seasonalNaiveScale([3, 3, 3, 3], 2)).toBeGreaterThan(0);
    expect(seasonalNaiveScale([1, 2, 4, 8], 2)).toBe(4.5);
  });
});

describe('forecasters', () => {
  const pattern = [5, 1, 9, 3];
  const repeated = Array.from({ length: 40 }, (_, t) => pattern[t % 4] ?? 0);

  it('seasonal naive repeats the last season and naive the last value', () => {
    expect(seasonalNaive(repeated, 6, 4)).toEqual([5, 1, 9, 3, 5, 1]);
    expect(naive([1, 2, 7], 3)).toEqual([7, 7, 7]);
  });

  it.each([
    ['holt-winters additive', (y: number[]) => holtWinters(y, 8, 4, { form: 'additive' })],
    ['holt-winters multiplicative', (y: number[]) => holtWinters(y, 8, 4, { form: 'multiplicative' })],
    ['theta', (y: number[]) => theta(y, 8, 4)],
    ['robust trend + seasonal', (y: number[]) => robustSeasonalTrend(y, 8, 4, 0)],
  ])('%s reproduces an exact seasonal pattern', (_name, predict) => {
    const out = predict(repeated);
    out.forEach((v, k) => {
      expect(v).toBeCloseTo(pattern[k % 4] ?? 0, 3);
    });
  });

  it('double-seasonal Holt-Winters follows daily and weekly cycles', () => {
    const m = 6;
    const weekly = 42;
    const shape = (t: number): number =>
      10 * Math.sin((2 * Math.PI * t) / m) + (Math.floor(t / m) % 7 === 6 ? -20 : 0);
    const y = Array.from({ length: weekly * 5 }, (_, t) => 100 + shape(t));
    const out = doubleSeasonalHoltWinters(y, weekly, m, weekly);
    out.forEach((v, k) => {
      expect(v).toBeCloseTo(100 + shape(y.length + k), 1);
    });
  });

  it('Huber line ignores a few huge outliers', () => {
    const y = Array.from({ length: 50 }, (_, t) => 2 + 0.5 * t + (t % 10 === 0 ? 1000 : 0));
    const line = huberLine(y);
    expect(line.slope).toBeCloseTo(0.5, 1);
  });

  it('the classical decomposition finds the seasonal shape', () => {
    const y = seasonalSeries({ n: 120, m: 12, amplitude: 10, slope: 0.2 });
    expect(isSeasonal(y, 12)).toBe(true);
    const indices = seasonalIndices(y, 12, 'additive');
    expect(indices[3]).toBeCloseTo(10, 0);
    expect(indices[9]).toBeCloseTo(-10, 0);
    const rand = prng(3);
    expect(
      isSeasonal(
        Array.from({ length: 120 }, () => gaussian(rand)),
        12,
      ),
    ).toBe(false);
  });
});

describe('nelderMead', () => {
  it('finds the minimum of a shifted quadratic', () => {
    const result = nelderMead((x) => ((x[0] ?? 0) - 3) ** 2 + 2 * ((x[1] ?? 0) + 1) ** 2, [0, 0], {
      maxEvaluations: 500,
      tolerance: 1e-12,
    });
    expect(result.x[0]).toBeCloseTo(3, 3);
    expect(result.x[1]).toBeCloseTo(-1, 3);
  });
});

describe('prediction intervals', () => {
  it('scales are non-decreasing and extrapolate past the backtested horizon', () => {
    const errors = [
      [1, -3, 2, -1],
      [-1, 2, -4, 5],
      [0.5, 1, 3, -6],
    ];
    const scales = errorScales(errors, 8);
    for (let k = 1; k < 8; k++) expect(scales[k]).toBeGreaterThanOrEqual(scales[k - 1] ?? 0);
    expect(scales[7]).toBeGreaterThan(scales[3] ?? 0);
  });

  it('brackets the point forecast and is empty-width only for perfect backtests', () => {
    const perfect = empiricalIntervals([1, 2], [[0, 0]], { level: 0.95, inflation: 1 });
    expect(perfect).toEqual({ lo: [1, 2], hi: [1, 2] });
    const noisy = empiricalIntervals(
      [10, 10, 10],
      [
        [1, -2, 3],
        [-1, 2, -3],
      ],
      { level: 0.95, inflation: 1 },
    );
    noisy.lo.forEach((lo, k) => {
      expect(lo).toBeLessThan(10);
      expect(noisy.hi[k]).toBeGreaterThan(10);
    });
  });
});
