// Anomaly likelihood over raw scores (Numenta's idea, Ahmad et al. 2017): a raw score says how
// surprising one point is, but series differ in how often they surprise. The likelihood compares the
// short-term average of raw scores with the long-term distribution of such averages and reports how
// far in its tail the average sits, so a run of surprises stands out where a lone one would not
// (the average leaves out the window's largest score to make sure of that).
// Numenta re-fits a Gaussian to a window of past averages; here the Gaussian's mean and variance
// are exponentially weighted (memory `historyLength`), which needs O(1) state per series.

export interface AnomalyLikelihoodConfig {
  /** Raw scores averaged for the short-term view. */
  readonly shortWindow: number;
  /** Memory (points) of the long-term distribution. */
  readonly historyLength: number;
  /** Points before any likelihood is reported. */
  readonly learningPeriod: number;
  /** Floor of the long-term standard deviation, so a perfectly quiet history does not make noise infinite. */
  readonly minStd: number;
}

export const DEFAULT_LIKELIHOOD_CONFIG: AnomalyLikelihoodConfig = {
  shortWindow: 10,
  historyLength: 3000,
  learningPeriod: 300,
  minStd: 0.02,
};

export interface AnomalyLikelihoodState {
  /** The latest raw scores, oldest first. */
  readonly recent: number[];
  steps: number;
  mean: number;
  variance: number;
}

export function createAnomalyLikelihood(): AnomalyLikelihoodState {
  return { recent: [], steps: 0, mean: 0, variance: 0 };
}

/**
 * Complementary error function, written out because 1 - erf(x) loses every digit of the tails we
 * care about (likelihoods like 1 - 1e-7). Numerical Recipes' Chebyshev fit, relative error < 1.2e-7.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

/** P(N(0, 1) > z). */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * Adds a raw score in [0, 1]; returns the probability, under the long-term distribution, of a
 * short-term average at least as high as the current one (1 while learning).
 */
export function anomalyLikelihoodStep(
  s: AnomalyLikelihoodState,
  config: AnomalyLikelihoodConfig,
  raw: number,
): number {
  s.recent.push(raw);
  if (s.recent.length > config.shortWindow) s.recent.shift();
  let sum = 0;
  let top = 0;
  for (const v of s.recent) {
    sum += v;
    top = Math.max(top, v);
  }
  // The average leaves out the largest raw score: one surprising point is the raw score's own
  // business; the likelihood is for runs of them, and one outlier must not pass for a run.
  const avg = s.recent.length > 1 ? (sum - top) / (s.recent.length - 1) : sum;
  s.steps++;
  // The average is judged against the distribution before it joins it.
  let tail = 1;
  if (s.steps > config.learningPeriod) {
    const std = Math.max(Math.sqrt(s.variance), config.minStd);
    tail = normalUpperTail((avg - s.mean) / std);
  }
  const rate = Math.max(1 / config.historyLength, 1 / s.steps);
  const d = avg - s.mean;
  s.mean += rate * d;
  s.variance = (1 - rate) * (s.variance + rate * d * d);
  return tail;
}
