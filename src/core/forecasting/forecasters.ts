import { doubleSeasonalHoltWinters } from './doubleSeasonalHoltWinters.ts';
import { holtWinters } from './holtWinters.ts';
import { robustSeasonalTrend } from './robustSeasonalTrend.ts';
import { naive, seasonalNaive } from './seasonalNaive.ts';
import { theta } from './theta.ts';

/** Seasonal periods of a series: `m` (e.g. hour of day) and, for intraday data, `weekly` = 7m (0 when unused). */
export interface Seasonality {
  readonly m: number;
  readonly weekly: number;
}

export interface Forecaster {
  readonly name: string;
  /** Fewest history points the method needs to fit. */
  readonly minLength: (season: Seasonality) => number;
  /** Whether the method suits this history at all (e.g. multiplicative models need y > 0). */
  readonly suits: (y: readonly number[]) => boolean;
  readonly predict: (y: readonly number[], h: number, season: Seasonality) => number[];
}

export const SEASONAL_NAIVE = 'snaive';

const always = (): boolean => true;
const seasonalMin = (s: Seasonality): number => (s.m > 1 ? 2 * s.m : 5);
const weeklyMin = (s: Seasonality): number => (s.weekly > 0 ? 2 * s.weekly : Number.POSITIVE_INFINITY);

/** Every candidate model, the seasonal-naive baseline first. */
export const forecasters: readonly Forecaster[] = [
  {
    name: SEASONAL_NAIVE,
    minLength: (s) => Math.max(1, s.m),
    suits: always,
    predict: (y, h, s) => seasonalNaive(y, h, s.m),
  },
  { name: 'naive', minLength: () => 1, suits: always, predict: (y, h) => naive(y, h) },
  {
    name: 'snaive-weekly',
    minLength: weeklyMin,
    suits: always,
    predict: (y, h, s) => seasonalNaive(y, h, s.weekly),
  },
  {
    name: 'hw-additive-damped',
    minLength: seasonalMin,
    suits: always,
    predict: (y, h, s) => holtWinters(y, h, s.m, { form: 'additive' }),
  },
  {
    name: 'hw-multiplicative-damped',
    minLength: seasonalMin,
    suits: (y) => y.every((v) => v > 0),
    predict: (y, h, s) => holtWinters(y, h, s.m, { form: 'multiplicative' }),
  },
  {
    name: 'double-seasonal-hw',
    minLength: weeklyMin,
    suits: always,
    predict: (y, h, s) => doubleSeasonalHoltWinters(y, h, s.m, s.weekly),
  },
  { name: 'theta', minLength: seasonalMin, suits: always, predict: (y, h, s) => theta(y, h, s.m) },
  {
    name: 'robust-trend-seasonal',
    minLength: seasonalMin,
    suits: always,
    predict: (y, h, s) => robustSeasonalTrend(y, h, s.m, s.weekly),
  },
];

export function forecasterNamed(name: string): Forecaster | undefined {
  return forecasters.find((f) => f.name === name);
}
