// Counting-noise tests for per-minute counts. A learned baseline says how unusual a value is for the
// series; these say whether the count could be chance at all: 1 failed run out of 2 is a 50% failure
// rate, and still nothing to page anyone about when the workflow fails 1% of the time. Tails are
// computed in log space (a 300-failure storm has a tail far below the smallest double) and turned into
// the equivalent number of standard deviations, so they compare directly with the detector's
// deviation and the hysteresis' `minDeviation`.

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0] ?? 1;
  for (let i = 1; i < LANCZOS.length; i++) a += (LANCZOS[i] ?? 0) / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

// Terms of a tail are summed relative to the first one, until they stop mattering.
const NEGLIGIBLE = 1e-17;
const MAX_TERMS = 100_000;

/**
 * ln P(X >= k) for X ~ Binomial(n, p). Returns 0 (probability 1) when k is not above the mean: only
 * excess failures are of interest, and then the tail is large anyway.
 */
export function binomialUpperLogTail(k: number, n: number, p: number): number {
  if (k <= 0 || k <= n * p) return 0;
  if (k > n || p <= 0) return -Infinity;
  if (p >= 1) return 0;
  const logFirst =
    logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p);
  const odds = p / (1 - p);
  let term = 1;
  let sum = 1;
  for (let i = k; i < n && i - k < MAX_TERMS; i++) {
    term *= ((n - i) / (i + 1)) * odds;
    sum += term;
    if (term < sum * NEGLIGIBLE) break;
  }
  return Math.min(0, logFirst + Math.log(sum));
}

/** ln P(X >= k) for X ~ Poisson(lambda); 0 when k is not above the mean. */
export function poissonUpperLogTail(k: number, lambda: number): number {
  if (k <= 0 || k <= lambda) return 0;
  if (lambda <= 0) return -Infinity;
  const logFirst = -lambda + k * Math.log(lambda) - logGamma(k + 1);
  let term = 1;
  let sum = 1;
  for (let i = k; i - k < MAX_TERMS; i++) {
    term *= lambda / (i + 1);
    sum += term;
    if (term < sum * NEGLIGIBLE) break;
  }
  return Math.min(0, logFirst + Math.log(sum));
}

/** ln P(X <= k) for X ~ Poisson(lambda); 0 when k is not below the mean. */
export function poissonLowerLogTail(k: number, lambda: number): number {
  if (k >= lambda) return 0;
  if (k < 0) return -Infinity;
  const logFirst = -lambda + k * Math.log(lambda) - logGamma(k + 1);
  let term = 1;
  let sum = 1;
  for (let i = k; i > 0 && k - i < MAX_TERMS; i--) {
    term *= i / lambda;
    sum += term;
    if (term < sum * NEGLIGIBLE) break;
  }
  return Math.min(0, logFirst + Math.log(sum));
}

// Acklam's rational approximation of the normal quantile (relative error < 1.2e-9). The tail branch
// takes ln p directly, so it works for probabilities far below the smallest double.
const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549671010115819, 4.374664141464968,
  2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function poly(coefficients: readonly number[], x: number): number {
  let acc = 0;
  for (const c of coefficients) acc = acc * x + c;
  return acc;
}

/**
 * The one-sided deviation (standard normal z >= 0) with the same upper-tail probability as
 * exp(logTail): ln(0.00135) -> 3. Zero for tails of one half or more; capped at 40.
 */
export function tailDeviation(logTail: number): number {
  if (!(logTail < Math.log(0.5))) return 0;
  if (logTail < Math.log(P_LOW)) {
    const q = Math.sqrt(-2 * logTail);
    const lowerQuantile = poly(C, q) / (poly(D, q) * q + 1);
    return Math.min(40, -lowerQuantile);
  }
  const q = Math.exp(logTail) - 0.5;
  const r = q * q;
  const lowerQuantile = (poly(A, r) * q) / (poly(B, r) * r + 1);
  return Math.min(40, Math.max(0, -lowerQuantile));
}
