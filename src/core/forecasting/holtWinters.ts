import { nelderMead, logistic, logit } from './nelderMead.ts';
import { at, mean } from './series.ts';

// Holt-Winters exponential smoothing with a damped additive trend and additive or multiplicative
// seasonality (ETS(A,Ad,A) / ETS(A,Ad,M) recursions). Parameters are fitted by minimising the
// in-sample one-step SSE with Nelder-Mead in a logit space that keeps them admissible.

export type SeasonalForm = 'additive' | 'multiplicative';

export interface HoltWintersParameters {
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  readonly phi: number;
}

interface HoltWintersState {
  level: number;
  trend: number;
  readonly seasonal: Float64Array;
}

const PHI_MIN = 0.8;
const PHI_RANGE = 0.18;

function initialState(y: readonly number[], m: number, form: SeasonalForm): HoltWintersState {
  const n = y.length;
  const seasons = Math.max(1, Math.min(4, Math.floor(n / m)));
  const means: number[] = [];
  for (let j = 0; j < seasons; j++) means.push(mean(y, j * m, (j + 1) * m));
  const first = at(means, 0);
  const trend = seasons >= 2 ? (at(means, seasons - 1) - first) / ((seasons - 1) * m) : 0;
  const seasonal = new Float64Array(m);
  if (m > 1) {
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let j = 0; j < seasons; j++) {
        const base = at(means, j) + (i - (m - 1) / 2) * trend;
        const v = at(y, j * m + i);
        acc += form === 'additive' ? v - base : base !== 0 ? v / base : 1;
      }
      seasonal[i] = acc / seasons;
    }
    const centre = mean(seasonal);
    for (let i = 0; i < m; i++) {
      seasonal[i] =
        form === 'additive' ? at(seasonal, i) - centre : centre !== 0 ? at(seasonal, i) / centre : 1;
    }
  } else {
    seasonal.fill(form === 'additive' ? 0 : 1);
  }
  // The recursion starts one step before the first observation.
  return { level: first - ((m + 1) / 2) * trend, trend, seasonal };
}

/** Runs the recursions over `y`, updating `state` in place; returns the one-step SSE. */
function filter(
  y: readonly number[],
  m: number,
  form: SeasonalForm,
  p: HoltWintersParameters,
  state: HoltWintersState,
): number {
  const { alpha, beta, gamma, phi } = p;
  const seasonal = state.seasonal;
  let level = state.level;
  let trend = state.trend;
  let sse = 0;
  const n = y.length;
  for (let t = 0; t < n; t++) {
    const phase = t % m;
    const s = seasonal[phase] ?? 0;
    const v = y[t] ?? 0;
    const base = level + phi * trend;
    if (form === 'additive') {
      const err = v - base - s;
      sse += err * err;
      const newLevel = base + alpha * err;
      trend = phi * trend + beta * err;
      seasonal[phase] = s + gamma * err;
      level = newLevel;
    } else {
      const fc = base * s;
      const err = v - fc;
      sse += err * err;
      const newLevel = alpha * (s !== 0 ? v / s : v) + (1 - alpha) * base;
      trend = beta * (newLevel - level) + (1 - beta) * phi * trend;
      seasonal[phase] = gamma * (base !== 0 ? v / base : s) + (1 - gamma) * s;
      level = newLevel;
    }
    if (!Number.isFinite(sse)) return Number.POSITIVE_INFINITY;
  }
  state.level = level;
  state.trend = trend;
  return sse;
}

function decode(x: readonly number[], seasonal: boolean, form: SeasonalForm): HoltWintersParameters {
  const alpha = 0.0001 + 0.9998 * logistic(at(x, 0));
  // Additive error-correction form needs beta < alpha and gamma < 1 - alpha for stability; the
  // multiplicative form uses the classical weights, which only need each in (0, 1).
  const betaShare = logistic(at(x, 1));
  const beta = form === 'additive' ? alpha * betaShare : betaShare;
  const gammaShare = seasonal ? logistic(at(x, 2)) : 0;
  const gamma = form === 'additive' ? (1 - alpha) * gammaShare : gammaShare;
  const phi = PHI_MIN + PHI_RANGE * logistic(at(x, 3));
  return { alpha, beta, gamma, phi };
}

export interface HoltWintersOptions {
  readonly form: SeasonalForm;
  readonly maxEvaluations?: number;
}

export function holtWinters(
  y: readonly number[],
  h: number,
  m: number,
  options: HoltWintersOptions,
): number[] {
  const form = options.form;
  const period = m > 1 && y.length >= 2 * m ? m : 1;
  const seasonal = period > 1;
  const init = initialState(y, period, form);
  const sseOf = (x: readonly number[]): number => {
    const state = { ...init, seasonal: init.seasonal.slice() };
    return filter(y, period, form, decode(x, seasonal, form), state);
  };
  const start = [logit(0.2), logit(0.1), logit(0.1), logit((0.95 - PHI_MIN) / PHI_RANGE)];
  const best = nelderMead(sseOf, start, { maxEvaluations: options.maxEvaluations ?? 400 });
  const params = decode(best.x, seasonal, form);
  const state = { ...init, seasonal: init.seasonal.slice() };
  filter(y, period, form, params, state);

  const out = new Array<number>(h);
  const n = y.length;
  let damp = 0;
  let phiPower = 1;
  for (let k = 0; k < h; k++) {
    phiPower *= params.phi;
    damp += phiPower;
    const s = at(state.seasonal, (n + k) % period);
    const base = state.level + damp * state.trend;
    out[k] = form === 'additive' ? base + s : base * s;
  }
  return out;
}
