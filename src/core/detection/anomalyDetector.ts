// Streaming anomaly detector for one univariate series: a NAB CSV, or one pipeline metric series
// (failure rate, p95 latency, throughput, cost per run; one value per 1-minute window).
//
// Per point, in order:
//  1. models predict the value: a robust baseline (median/MAD of a sliding window), a local median
//     (sudden changes in a wandering series) and, when the sampling makes it meaningful (points at
//     most an hour apart), hour-of-day / hour-of-week profiles learned online, used at the times of
//     day where they predict with at most half the baseline's error; an EWMA control chart over the
//     standardised deviations of the model in use catches small sustained shifts;
//  2. each model's deviation is calibrated against its own history into a surprise in log10 units
//     (-log10 of its tail probability), so that one parameter set fits quiet and spiky series;
//  3. the raw-score ensemble takes the most surprising model (where a seasonal profile is in use,
//     the baseline's and local median's surprises are the daily pattern itself and do not count); a
//     value beyond everything seen so far (plus a tolerance) is surprising by itself;
//  4. an anomaly-likelihood layer averages the raw scores over a short window and asks how far in
//     the tail of their long-term distribution the average sits: a run of moderate surprises adds up;
//  5. `level` = total surprise scaled to [0, 1]; `score` is the alert form of it: after an alarm,
//     further points of the same event are damped unless they are markedly stronger, so one event
//     raises one alarm (what NAB rewards and what an operator wants from a score threshold).
//
// All state is one plain JSON object, bounded in size whatever the series length; `snapshot()` and
// `AnomalyDetector.restore()` round-trip it exactly, so a restored detector continues with the very
// same scores. Everything is deterministic given the input order.
import { z } from 'zod';
import { ValidationError } from '../../errors.ts';
import { anomalyLikelihoodStep, createAnomalyLikelihood } from './anomalyLikelihood.ts';
import type { AnomalyLikelihoodConfig, AnomalyLikelihoodState } from './anomalyLikelihood.ts';
import {
  createSeasonalProfile,
  seasonalForecast,
  seasonalLearn,
  seasonalMaturity,
} from './seasonalProfile.ts';
import type { SeasonalProfileState } from './seasonalProfile.ts';
import {
  createSlidingWindow,
  slidingWindowMad,
  slidingWindowMedian,
  slidingWindowPush,
  slidingWindowRecent,
  slidingWindowRestore,
  slidingWindowSize,
  slidingWindowSnapshot,
} from './slidingWindow.ts';
import type { SlidingWindowSnapshot, SlidingWindowState } from './slidingWindow.ts';
import { createSurpriseCalibrator, surpriseLearn, surpriseOf } from './surpriseCalibrator.ts';
import type { SurpriseCalibratorState } from './surpriseCalibrator.ts';

export interface DetectorPoint {
  /** Epoch milliseconds (a pipeline window's start). */
  readonly timestamp: number;
  readonly value: number;
}

export interface DetectorConfig {
  /** Points in the robust baseline window (median and MAD). */
  readonly baselineWindow: number;
  /** Points in the local median. */
  readonly localWindow: number;
  /** EWMA control chart: weight of the newest standardised deviation. */
  readonly ewmaWeight: number;
  readonly seasonal: {
    /** Cycles a profile slot must have seen before it is trusted. */
    readonly minCycles: number;
    /** Per-cycle learning rate of a slot (about 1 / cycles of memory). */
    readonly learningRate: number;
    /** A profile is used only while its error is below this fraction of the baseline's. */
    readonly fitRatio: number;
  };
  /** Memory (points) of each model's surprise calibration. */
  readonly calibrationMemory: number;
  /** Points a calibration needs before its surprises count. */
  readonly calibrationMinimum: number;
  readonly range: {
    /** A value must pass the seen range by this fraction of the range to count as new. */
    readonly tolerance: number;
    /**
     * Surprise (log10 units) of a value beyond the seen range. Chosen by leave-one-folder-out
     * cross-validation on NAB (docs/detection.md): every fold picks 8 (9 and 10 tie with it), above
     * the alarm threshold the folds pick, yet below the ceiling so a far spike still outranks a
     * merely new extreme.
     */
    readonly surprise: number;
    /** The seen range shrinks toward the baseline with this memory (points), so it cannot go stale. */
    readonly memory: number;
  };
  readonly likelihood: AnomalyLikelihoodConfig & {
    /** Raw score 0 at or below this surprise... */
    readonly rawFloor: number;
    /** ...and 1 at or above this one. */
    readonly rawCeiling: number;
    /** Surprise subtracted from the likelihood's, which is coarser than a point's. */
    readonly penalty: number;
  };
  /** Surprise (log10 units) that maps to level 1. */
  readonly surpriseCeiling: number;
  /** Points at the start that never score (the models know nothing yet). */
  readonly warmup: number;
  readonly alert: {
    /** Points after an alarm during which the same event is not raised again. */
    readonly holdPoints: number;
    /** Factor applied to the score of held points. */
    readonly damping: number;
    /** A held point re-alarms only if its level beats the alarm's by this much. */
    readonly margin: number;
  };
  /** Robust standard deviations either side of `expected` reported as bounds. */
  readonly boundsWidth: number;
}

export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = {
  baselineWindow: 500,
  localWindow: 15,
  ewmaWeight: 0.25,
  seasonal: { minCycles: 2, learningRate: 0.1, fitRatio: 0.5 },
  calibrationMemory: 5000,
  calibrationMinimum: 50,
  range: { tolerance: 0.02, surprise: 8, memory: 100_000 },
  likelihood: {
    shortWindow: 5,
    historyLength: 3000,
    learningPeriod: 150,
    minStd: 0.02,
    rawFloor: 2,
    rawCeiling: 4,
    penalty: 4,
  },
  surpriseCeiling: 10,
  warmup: 100,
  alert: { holdPoints: 300, damping: 0.1, margin: 0.1 },
  boundsWidth: 3,
};

/** Surprise (log10 units) of each ingredient; 0 when it had nothing to say. */
export interface DetectorContributions {
  readonly baseline: number;
  readonly ewma: number;
  readonly local: number;
  readonly seasonal: number;
  readonly range: number;
  readonly likelihood: number;
}

export interface DetectorOutput {
  /** Alert score in [0, 1]: high once per event (what `pulse detect` prints). */
  readonly score: number;
  /** Anomaly level in [0, 1] before alarm damping: high for as long as the anomaly lasts. */
  readonly level: number;
  /** Total surprise in log10 units (level = surprise / surpriseCeiling, capped). */
  readonly surprise: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  /** (value - expected) in robust standard deviations; 0 when unknown. */
  readonly deviation: number;
  /** Which model `expected` comes from. */
  readonly model: 'none' | 'baseline' | 'daily' | 'weekly';
  readonly contributions: DetectorContributions;
}

interface DetectorState {
  readonly version: 1;
  readonly config: DetectorConfig;
  steps: number;
  lastTimestamp: number;
  /** Exponentially weighted sampling interval (ms); 0 until two points. */
  intervalMs: number;
  readonly window: SlidingWindowState;
  /** Past errors of the local median, for its own scale. */
  readonly localErrors: SlidingWindowState;
  ewma: number;
  /**
   * Seasonal models, created once the sampling interval is known (null before, or for good when
   * points are more than an hour apart). `baselineError` is the baseline's absolute error by time of
   * day (kept as a profile of errors): the bar a seasonal profile must clear at that time of day.
   */
  seasonal: {
    daily: SeasonalProfileState;
    weekly: SeasonalProfileState;
    baselineError: SeasonalProfileState;
  } | null;
  readonly calibration: {
    readonly baseline: SurpriseCalibratorState;
    readonly ewma: SurpriseCalibratorState;
    readonly local: SurpriseCalibratorState;
    readonly seasonal: SurpriseCalibratorState;
  };
  readonly likelihood: AnomalyLikelihoodState;
  min: number;
  max: number;
  /** Step and level of the latest alarm. */
  alarmStep: number;
  alarmLevel: number;
}

/** The detector's complete state as plain JSON (sliding windows without their derived sorted copy). */
export type DetectorSnapshot = Omit<DetectorState, 'window' | 'localErrors'> & {
  readonly window: SlidingWindowSnapshot;
  readonly localErrors: SlidingWindowSnapshot;
};

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
/** Baseline points needed before any model speaks. */
const MIN_BASELINE = 10;

function createState(config: DetectorConfig): DetectorState {
  return {
    version: 1,
    config,
    steps: 0,
    lastTimestamp: 0,
    intervalMs: 0,
    window: createSlidingWindow(config.baselineWindow),
    localErrors: createSlidingWindow(config.baselineWindow),
    ewma: 0,
    seasonal: null,
    calibration: {
      baseline: createSurpriseCalibrator(),
      ewma: createSurpriseCalibrator(),
      local: createSurpriseCalibrator(),
      seasonal: createSurpriseCalibrator(),
    },
    likelihood: createAnomalyLikelihood(),
    min: 0,
    max: 0,
    alarmStep: -1,
    alarmLevel: 0,
  };
}

// A robust scale that is never 0: a constant window would otherwise make any change infinitely
// surprising, and the calibration could not rank such changes against each other.
function robustScale(mad: number, center: number): number {
  return Math.max(1.4826 * mad, 1e-6 * Math.abs(center), 1e-9);
}

function calibrated(s: DetectorState, cal: SurpriseCalibratorState, statistic: number): number {
  const v = Math.min(Math.abs(statistic), 1e9);
  const surprise = surpriseOf(cal, v, s.config.calibrationMinimum);
  surpriseLearn(cal, v, s.config.calibrationMemory);
  return surprise;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

// Values beyond this magnitude are clipped: differences and squares of larger ones could overflow
// to Infinity and poison the state with NaN.
const MAX_MAGNITUDE = 1e100;

function step(s: DetectorState, p: DetectorPoint): DetectorOutput {
  const c = s.config;
  const x = Math.min(MAX_MAGNITUDE, Math.max(-MAX_MAGNITUDE, p.value));
  if (s.steps > 0) {
    const dt = p.timestamp - s.lastTimestamp;
    if (dt > 0) s.intervalMs = s.intervalMs === 0 ? dt : s.intervalMs + 0.05 * (dt - s.intervalMs);
  }
  s.lastTimestamp = p.timestamp;

  // 1-2. Models and their calibrated surprises.
  const n = slidingWindowSize(s.window);
  const sup = { baseline: 0, ewma: 0, local: 0, seasonal: 0, range: 0, likelihood: 0 };
  let model: DetectorOutput['model'] = 'none';
  let expected = x;
  let scale = Number.NaN;
  let median = x;
  if (n >= MIN_BASELINE) {
    median = slidingWindowMedian(s.window);
    scale = robustScale(slidingWindowMad(s.window, median), median);
    model = 'baseline';
    expected = median;
    const deviation = Math.max(-1e9, Math.min(1e9, (x - median) / scale));
    sup.baseline = calibrated(s, s.calibration.baseline, deviation);
    let modelDeviation = deviation;

    if (n >= c.localWindow) {
      const recent: number[] = [];
      for (let k = 0; k < c.localWindow; k++) recent.push(slidingWindowRecent(s.window, k));
      recent.sort((a, b) => a - b);
      const error = x - (recent[c.localWindow >> 1] ?? median);
      if (slidingWindowSize(s.localErrors) >= MIN_BASELINE) {
        const center = slidingWindowMedian(s.localErrors);
        const localScale = robustScale(slidingWindowMad(s.localErrors, center), median);
        sup.local = calibrated(s, s.calibration.local, (error - center) / localScale);
      }
      slidingWindowPush(s.localErrors, error);
    }

    // Seasonality only where the sampling gives every hour of the day at least one point.
    if (s.seasonal === null && s.intervalMs > 0 && s.intervalMs <= HOUR_MS) {
      // Slots as fine as a few points per slot per cycle allow (15 min to 1 h): finer slots
      // follow sharper daily edges, but need denser data to learn.
      const slotMs =
        s.intervalMs <= 3.75 * 60_000 ? HOUR_MS / 4 : s.intervalMs <= 7.5 * 60_000 ? HOUR_MS / 2 : HOUR_MS;
      s.seasonal = {
        daily: createSeasonalProfile(DAY_MS, DAY_MS / slotMs),
        // Hour-of-week slots: the weekly shape on top of the daily one needs no finer grain.
        weekly: createSeasonalProfile(WEEK_MS, WEEK_MS / HOUR_MS),
        baselineError: createSeasonalProfile(DAY_MS, DAY_MS / slotMs),
      };
    }
    if (s.seasonal !== null) {
      const { daily, weekly, baselineError } = s.seasonal;
      const intervalMs = s.intervalMs;
      // Points a slot receives per cycle, and the per-point learning rate that makes.
      const perSlot = (profile: SeasonalProfileState): number =>
        Math.max(1, profile.periodMs / profile.slots / intervalMs);
      const rate = (profile: SeasonalProfileState): number => c.seasonal.learningRate / perSlot(profile);
      const bar = (seasonalForecast(baselineError, p.timestamp)?.expected ?? 0) * c.seasonal.fitRatio;
      let best: { profile: 'daily' | 'weekly'; expected: number; spread: number; error: number } | undefined;
      for (const [name, profile] of [
        ['daily', daily],
        ['weekly', weekly],
      ] as const) {
        const f = seasonalForecast(profile, p.timestamp);
        if (
          f === undefined ||
          seasonalMaturity(profile, p.timestamp, perSlot(profile)) < c.seasonal.minCycles
        )
          continue;
        if (f.error < bar && (best === undefined || f.error < best.error)) best = { profile: name, ...f };
      }
      if (best !== undefined) {
        // The slot's own spread, floored so a noiseless profile does not make every wobble infinite.
        const seasonalScale = Math.max(best.spread * 1.2533, best.error * 0.25, scale * 0.05);
        modelDeviation = Math.max(-1e9, Math.min(1e9, (x - best.expected) / seasonalScale));
        sup.seasonal = calibrated(s, s.calibration.seasonal, modelDeviation);
        model = best.profile;
        expected = best.expected;
        scale = seasonalScale;
      }
      seasonalLearn(baselineError, p.timestamp, Math.abs(x - median), rate(baselineError));
      seasonalLearn(daily, p.timestamp, x, rate(daily));
      seasonalLearn(weekly, p.timestamp, x, rate(weekly));
    }
    // EWMA control chart on the deviations of the model in use: a run of small deviations adds up.
    s.ewma += c.ewmaWeight * (modelDeviation - s.ewma);
    sup.ewma = calibrated(s, s.calibration.ewma, s.ewma);
  }

  // 3. Raw-score ensemble: the most surprising model, or a value never seen before.
  // Where a seasonal profile explains the series better than the baseline, the baseline's and the
  // local median's surprises are the daily pattern itself, not news.
  const fast =
    model === 'daily' || model === 'weekly'
      ? Math.max(sup.seasonal, sup.ewma)
      : Math.max(sup.baseline, sup.ewma, sup.local);
  if (s.steps >= c.warmup) {
    const span = s.max - s.min;
    const excess = Math.max(x - s.max, s.min - x);
    if (span > 0 && excess > c.range.tolerance * span) sup.range = c.range.surprise;
  }

  // 4. Anomaly likelihood over the raw scores.
  const lk = c.likelihood;
  const raw = clamp01((fast - lk.rawFloor) / (lk.rawCeiling - lk.rawFloor));
  const tail = anomalyLikelihoodStep(s.likelihood, lk, raw);
  sup.likelihood = -Math.log10(Math.max(tail, 1e-12));

  // 5. Level and alert score.
  const surprise = Math.max(fast, sup.range, sup.likelihood - lk.penalty, 0);
  const level = s.steps < c.warmup ? 0 : clamp01(surprise / c.surpriseCeiling);
  const age = s.steps - s.alarmStep;
  // The held alarm's level fades over the hold, so a later, smaller event can still alarm.
  const held =
    s.alarmStep >= 0 && age <= c.alert.holdPoints ? s.alarmLevel * (1 - age / c.alert.holdPoints) : 0;
  let score = level;
  if (level > held + c.alert.margin) {
    s.alarmStep = s.steps;
    s.alarmLevel = level;
  } else {
    score = level * c.alert.damping;
  }

  // Learn the point.
  slidingWindowPush(s.window, x);
  if (s.steps === 0) {
    s.min = x;
    s.max = x;
  } else {
    s.min = Math.min(s.min, x);
    s.max = Math.max(s.max, x);
    s.max -= (s.max - median) / c.range.memory;
    s.min += (median - s.min) / c.range.memory;
  }
  s.steps++;

  const known = Number.isFinite(scale);
  return {
    score,
    level,
    surprise,
    expected,
    lower: known ? expected - c.boundsWidth * scale : expected,
    upper: known ? expected + c.boundsWidth * scale : expected,
    deviation: known ? (x - expected) / scale : 0,
    model,
    contributions: sup,
  };
}

const NOT_SCORED: DetectorContributions = {
  baseline: 0,
  ewma: 0,
  local: 0,
  seasonal: 0,
  range: 0,
  likelihood: 0,
};

/** A streaming detector for one series. */
export class AnomalyDetector {
  #state: DetectorState;

  constructor(config: DetectorConfig = DEFAULT_DETECTOR_CONFIG) {
    this.#state = createState(config);
  }

  /** Scores a point (using only the points before it) and learns it. Non-finite points are skipped. */
  update(point: DetectorPoint): DetectorOutput {
    if (!Number.isFinite(point.value) || !Number.isFinite(point.timestamp)) {
      return {
        score: 0,
        level: 0,
        surprise: 0,
        expected: Number.NaN,
        lower: Number.NaN,
        upper: Number.NaN,
        deviation: 0,
        model: 'none',
        contributions: NOT_SCORED,
      };
    }
    return step(this.#state, point);
  }

  /** Points learned so far. */
  get points(): number {
    return this.#state.steps;
  }

  /** The complete state as plain JSON (a deep copy; safe to serialise and store). */
  snapshot(): DetectorSnapshot {
    const { window, localErrors, ...rest } = this.#state;
    return {
      ...structuredClone(rest),
      window: slidingWindowSnapshot(window),
      localErrors: slidingWindowSnapshot(localErrors),
    };
  }

  /** A detector that continues exactly where the snapshot's left off. */
  static restore(snapshot: unknown): AnomalyDetector {
    const parsed = snapshotSchema.safeParse(snapshot);
    if (!parsed.success) {
      throw new ValidationError(
        'detector snapshot',
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    }
    const detector = new AnomalyDetector(parsed.data.config);
    const { window, localErrors, ...rest } = structuredClone(parsed.data);
    detector.#state = {
      ...(rest as Omit<DetectorState, 'window' | 'localErrors'>),
      window: slidingWindowRestore(window),
      localErrors: slidingWindowRestore(localErrors),
    };
    return detector;
  }
}

// Shape check for snapshots read back from a store: enough to refuse a foreign or truncated object
// with a useful path, without re-deriving every invariant.
const num = z.number().refine(Number.isFinite, 'must be finite');
const nums = z.array(num);
const windowSchema = z
  .object({ capacity: z.number().int().positive(), ring: nums, next: z.number().int().nonnegative() })
  .refine((w) => w.ring.length <= w.capacity && w.next < w.capacity, 'ring larger than its capacity');
const profileSchema = z.object({
  periodMs: num,
  slots: z.number().int().positive(),
  level: nums,
  spread: nums,
  weight: nums,
  error: nums,
});
const calibratorSchema = z.object({ counts: nums, total: num, weight: num });
const snapshotSchema = z.object({
  version: z.literal(1),
  config: z.object({
    baselineWindow: z.number().int().positive(),
    localWindow: z.number().int().positive(),
    ewmaWeight: num,
    seasonal: z.object({ minCycles: num, learningRate: num, fitRatio: num }),
    calibrationMemory: num,
    calibrationMinimum: num,
    range: z.object({ tolerance: num, surprise: num, memory: num }),
    likelihood: z.object({
      shortWindow: z.number().int().positive(),
      historyLength: num,
      learningPeriod: num,
      minStd: num,
      rawFloor: num,
      rawCeiling: num,
      penalty: num,
    }),
    surpriseCeiling: num,
    warmup: num,
    alert: z.object({ holdPoints: num, damping: num, margin: num }),
    boundsWidth: num,
  }),
  steps: z.number().int().nonnegative(),
  lastTimestamp: num,
  intervalMs: num,
  window: windowSchema,
  localErrors: windowSchema,
  ewma: num,
  seasonal: z
    .object({ daily: profileSchema, weekly: profileSchema, baselineError: profileSchema })
    .nullable(),
  calibration: z.object({
    baseline: calibratorSchema,
    ewma: calibratorSchema,
    local: calibratorSchema,
    seasonal: calibratorSchema,
  }),
  likelihood: z.object({ recent: nums, steps: num, mean: num, variance: num }),
  min: num,
  max: num,
  alarmStep: z.number().int(),
  alarmLevel: num,
});
