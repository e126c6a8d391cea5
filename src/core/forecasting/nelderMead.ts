// A small deterministic Nelder-Mead simplex minimiser, enough for the 1-4 smoothing parameters
// of the exponential-smoothing models (fitted in an unconstrained logit space by the callers).

export interface NelderMeadOptions {
  readonly maxEvaluations?: number;
  readonly initialStep?: number;
  readonly tolerance?: number;
}

export interface NelderMeadResult {
  readonly x: number[];
  readonly value: number;
}

export function nelderMead(
  objective: (x: readonly number[]) => number,
  start: readonly number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const dim = start.length;
  const maxEvaluations = options.maxEvaluations ?? 200 * dim;
  const step = options.initialStep ?? 0.5;
  const tolerance = options.tolerance ?? 1e-7;
  let evaluations = 0;
  const evaluate = (x: number[]): number => {
    evaluations++;
    const v = objective(x);
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };

  const simplex: { x: number[]; v: number }[] = [];
  simplex.push({ x: [...start], v: evaluate([...start]) });
  for (let d = 0; d < dim; d++) {
    const x = [...start];
    x[d] = (x[d] ?? 0) + step;
    simplex.push({ x, v: evaluate(x) });
  }

  const combine = (a: readonly number[], b: readonly number[], t: number): number[] =>
    a.map((ai, i) => ai + t * ((b[i] ?? 0) - ai));

  while (evaluations < maxEvaluations) {
    simplex.sort((p, q) => p.v - q.v);
    const best = simplex[0];
    const worst = simplex[dim];
    const second = simplex[dim - 1];
    if (best === undefined || worst === undefined || second === undefined) break;
    const spread = Math.abs(worst.v - best.v);
    if (spread <= tolerance * (Math.abs(best.v) + tolerance)) break;

    const centroid = new Array<number>(dim).fill(0);
    for (let i = 0; i < dim; i++) {
      const p = simplex[i];
      if (p === undefined) continue;
      for (let d = 0; d < dim; d++) centroid[d] = (centroid[d] ?? 0) + (p.x[d] ?? 0) / dim;
    }

    const reflected = combine(centroid, worst.x, -1);
    const rv = evaluate(reflected);
    if (rv < best.v) {
      const expanded = combine(centroid, worst.x, -2);
      const ev = evaluate(expanded);
      simplex[dim] = ev < rv ? { x: expanded, v: ev } : { x: reflected, v: rv };
    } else if (rv < second.v) {
      simplex[dim] = { x: reflected, v: rv };
    } else {
      const outside = rv < worst.v;
      const contracted = combine(centroid, outside ? reflected : worst.x, 0.5);
      const cv = evaluate(contracted);
      if (cv < (outside ? rv : worst.v)) {
        simplex[dim] = { x: contracted, v: cv };
      } else {
        // Shrink everything towards the best vertex.
        for (let i = 1; i <= dim; i++) {
          const p = simplex[i];
          if (p === undefined) continue;
          const x = combine(best.x, p.x, 0.5);
          simplex[i] = { x, v: evaluate(x) };
        }
      }
    }
  }
  simplex.sort((p, q) => p.v - q.v);
  const best = simplex[0] ?? { x: [...start], v: Number.POSITIVE_INFINITY };
  return { x: best.x, value: best.v };
}

export function logistic(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function logit(p: number): number {
  const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
  return Math.log(q / (1 - q));
}
