// DDSketch (Masson, Rim, Lee, VLDB 2019): a quantile sketch whose answers are within relative error
// `alpha` of the exact quantile, and which merges exactly (merge(a, b) is the sketch of a ++ b).
// Non-negative values only (durations): value v > 0 goes to bucket ceil(log_gamma(v)), gamma =
// (1 + alpha) / (1 - alpha); zero (and subnormals) go to a zero bucket. At most `maxBins` buckets are
// kept: beyond that the lowest ones collapse into one, which sacrifices the lowest quantiles first.
//
// The bucket contents are a function of the multiset of added values only (the kept range is always
// [max(lowest index, highest index - maxBins + 1), highest index]), so the sketch is insensitive to
// insertion and merge order. `sum` is a float sum: exact, hence order-insensitive, for integer values
// below 2^53 in total.

import { ValidationError } from '../../errors.ts';

export interface DDSketchOptions {
  /** Relative accuracy, 0 < alpha < 1. Default 0.01. */
  readonly alpha?: number;
  /** Bucket bound before the lowest buckets collapse. Default 2048. */
  readonly maxBins?: number;
}

/**
 * Compact wire form. `bins` lists bucket counts from bucket index `offset` upward; an entry -k
 * (k >= 1) stands for k empty buckets, so sparse sketches stay small. Empty sketch: bins [] and
 * min/max null.
 */
export interface DDSketchJSON {
  readonly alpha: number;
  readonly maxBins: number;
  readonly zeroCount: number;
  readonly offset: number;
  readonly bins: readonly number[];
  readonly sum: number;
  readonly min: number | null;
  readonly max: number | null;
}

export const DEFAULT_SKETCH_ALPHA = 0.01;
export const DEFAULT_SKETCH_MAX_BINS = 2048;

const INITIAL_CAPACITY = 32;
// Smallest normal double; below it log() loses precision, so those values count as zero.
const MIN_NORMAL = 2.2250738585072014e-308;

export class DDSketch {
  readonly alpha: number;
  readonly maxBins: number;
  readonly #lnGamma: number;
  readonly #representativeFactor: number;
  readonly #multiplier: number;
  readonly #minIndexable: number;
  // Counts of bucket index i live at #bins[i - #binOffset]; only [#minIndex, #maxIndex] is in use.
  // A plain array (not Float64Array): small typed arrays are costly to allocate, and windows make many.
  #bins: number[] = [];
  #binOffset = 0;
  #minIndex = 0;
  #maxIndex = -1;
  #binCount = 0;
  #zeroCount = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  constructor(options: DDSketchOptions = {}) {
    const alpha = options.alpha ?? DEFAULT_SKETCH_ALPHA;
    const maxBins = options.maxBins ?? DEFAULT_SKETCH_MAX_BINS;
    if (!(alpha > 0 && alpha < 1)) throw new RangeError(`DDSketch alpha must be in (0, 1), got ${alpha}`);
    if (!Number.isInteger(maxBins) || maxBins < 2) {
      throw new RangeError(`DDSketch maxBins must be an integer >= 2, got ${maxBins}`);
    }
    this.alpha = alpha;
    this.maxBins = maxBins;
    const gamma = (1 + alpha) / (1 - alpha);
    this.#lnGamma = Math.log(gamma);
    this.#multiplier = 1 / this.#lnGamma;
    this.#representativeFactor = 2 / (1 + gamma);
    this.#minIndexable = MIN_NORMAL * gamma;
  }

  get count(): number {
    return this.#zeroCount + this.#binCount;
  }

  get sum(): number {
    return this.#sum;
  }

  /** Exact smallest value added, null when empty. */
  get min(): number | null {
    return this.count === 0 ? null : this.#min;
  }

  /** Exact largest value added, null when empty. */
  get max(): number | null {
    return this.count === 0 ? null : this.#max;
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  /** Adds `value` (finite, >= 0) `count` times (a positive integer). */
  add(value: number, count = 1): void {
    if (!(value >= 0 && value < Infinity))
      throw new RangeError(`DDSketch accepts finite values >= 0, got ${value}`);
    if (count !== 1 && !(Number.isInteger(count) && count > 0)) {
      throw new RangeError(`DDSketch count must be a positive integer, got ${count}`);
    }
    if (value > this.#minIndexable) {
      // `+ 0` turns the -0 that ceil gives for indices in (-1, 0) into 0.
      this.#addAt(Math.ceil(Math.log(value) * this.#multiplier) + 0, count);
    } else {
      this.#zeroCount += count;
    }
    this.#sum += value * count;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** Folds `other` in; both must have the same alpha and maxBins. */
  merge(other: DDSketch): void {
    if (other.alpha !== this.alpha || other.maxBins !== this.maxBins) {
      throw new RangeError(
        `cannot merge DDSketch(alpha=${other.alpha}, maxBins=${other.maxBins}) into DDSketch(alpha=${this.alpha}, maxBins=${this.maxBins})`,
      );
    }
    if (other.count === 0) return;
    // Highest first, so a collapse (if any) happens once and lower buckets clamp straight into place.
    const bins = other.#bins;
    for (let i = other.#maxIndex; i >= other.#minIndex; i--) {
      const c = bins[i - other.#binOffset] ?? 0;
      if (c > 0) this.#addAt(i, c);
    }
    this.#zeroCount += other.#zeroCount;
    this.#sum += other.#sum;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  /**
   * The q-quantile (0 <= q <= 1) with the DDSketch rank convention: the bucket holding the element
   * of rank floor(q * (count - 1)) in ascending order; null when empty. Exact for the first and last
   * rank, clamped to [min, max] in between.
   */
  quantile(q: number): number | null {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    const count = this.count;
    if (count === 0) return null;
    const rank = q * (count - 1);
    // The extreme ranks are known exactly.
    if (rank < 1) return this.#min;
    if (rank >= count - 1) return this.#max;
    let estimate = 0;
    if (rank >= this.#zeroCount) {
      let seen = this.#zeroCount;
      let index = this.#maxIndex;
      const bins = this.#bins;
      for (let i = this.#minIndex; i <= this.#maxIndex; i++) {
        seen += bins[i - this.#binOffset] ?? 0;
        if (seen > rank) {
          index = i;
          break;
        }
      }
      estimate = this.#valueAt(index);
    }
    return Math.min(Math.max(estimate, this.#min), this.#max);
  }

  clone(): DDSketch {
    const copy = new DDSketch({ alpha: this.alpha, maxBins: this.maxBins });
    copy.merge(this);
    return copy;
  }

  /** Releases spare bucket capacity, e.g. once a window closes and will rarely change again. */
  trim(): void {
    if (this.#binCount === 0) {
      this.#bins = [];
      this.#binOffset = 0;
      return;
    }
    const length = this.#maxIndex - this.#minIndex + 1;
    if (length === this.#bins.length) return;
    const start = this.#minIndex - this.#binOffset;
    this.#bins = this.#bins.slice(start, start + length);
    this.#binOffset = this.#minIndex;
  }

  toJSON(): DDSketchJSON {
    const bins: number[] = [];
    if (this.#binCount > 0) {
      let zeros = 0;
      for (let i = this.#minIndex; i <= this.#maxIndex; i++) {
        const c = this.#bins[i - this.#binOffset] ?? 0;
        if (c === 0) {
          zeros++;
          continue;
        }
        if (zeros > 0) bins.push(zeros === 1 ? 0 : -zeros);
        zeros = 0;
        bins.push(c);
      }
    }
    const empty = this.count === 0;
    return {
      alpha: this.alpha,
      maxBins: this.maxBins,
      zeroCount: this.#zeroCount,
      offset: this.#binCount > 0 ? this.#minIndex : 0,
      bins,
      sum: this.#sum,
      min: empty ? null : this.#min,
      max: empty ? null : this.#max,
    };
  }

  /** Rebuilds a sketch from `toJSON()` output; throws ValidationError on malformed input. */
  static fromJSON(json: unknown): DDSketch {
    const j = checkSketchJSON(json);
    const sketch = new DDSketch({ alpha: j.alpha, maxBins: j.maxBins });
    let index = j.offset;
    // Highest bucket first (see merge), so walk the decoded (index, count) pairs in reverse.
    const pairs: number[] = [];
    for (const entry of j.bins) {
      if (entry < 0) {
        index -= entry;
      } else {
        if (entry > 0) pairs.push(index, entry);
        index++;
      }
    }
    for (let p = pairs.length - 2; p >= 0; p -= 2) sketch.#addAt(pairs[p] ?? 0, pairs[p + 1] ?? 0);
    sketch.#zeroCount = j.zeroCount;
    sketch.#sum = j.sum;
    if (sketch.count > 0) {
      if (j.min === null || j.max === null) {
        throw new ValidationError('DDSketch JSON', [
          { path: 'min', message: 'min/max missing on a non-empty sketch' },
        ]);
      }
      sketch.#min = j.min;
      sketch.#max = j.max;
    }
    return sketch;
  }

  #valueAt(index: number): number {
    // Midpoint in relative terms of (gamma^(index-1), gamma^index]: at most alpha away from any value in it.
    return Math.exp(index * this.#lnGamma) * this.#representativeFactor;
  }

  #addAt(index: number, count: number): void {
    if (this.#binCount === 0) {
      this.#ensureRange(index, index);
      this.#minIndex = index;
      this.#maxIndex = index;
    } else if (index > this.#maxIndex) {
      const lowestKept = index - this.maxBins + 1;
      if (lowestKept > this.#minIndex) this.#collapseBelow(lowestKept);
      this.#ensureRange(this.#minIndex, index);
      this.#maxIndex = index;
    } else if (index < this.#minIndex) {
      const lowestKept = this.#maxIndex - this.maxBins + 1;
      if (index < lowestKept) index = lowestKept;
      if (index < this.#minIndex) {
        this.#ensureRange(index, this.#maxIndex);
        this.#minIndex = index;
      }
    }
    const slot = index - this.#binOffset;
    this.#bins[slot] = (this.#bins[slot] ?? 0) + count;
    this.#binCount += count;
  }

  // Folds every bucket below `lowestKept` into bucket `lowestKept`, which becomes the lowest.
  #collapseBelow(lowestKept: number): void {
    let folded = 0;
    const top = Math.min(lowestKept - 1, this.#maxIndex);
    for (let i = this.#minIndex; i <= top; i++) {
      const slot = i - this.#binOffset;
      folded += this.#bins[slot] ?? 0;
      this.#bins[slot] = 0;
    }
    if (lowestKept > this.#maxIndex) this.#maxIndex = lowestKept;
    this.#ensureRange(lowestKept, this.#maxIndex);
    const slot = lowestKept - this.#binOffset;
    this.#bins[slot] = (this.#bins[slot] ?? 0) + folded;
    this.#minIndex = lowestKept;
  }

  // Makes bucket indices [lo, hi] addressable, keeping the counts of [#minIndex, #maxIndex].
  #ensureRange(lo: number, hi: number): void {
    const offset = this.#binOffset;
    if (lo >= offset && hi < offset + this.#bins.length) return;
    const needed = hi - lo + 1;
    // Grow geometrically with slack on both sides, so a spreading distribution reallocates O(log n) times.
    const wanted = Math.max(INITIAL_CAPACITY, 2 * this.#bins.length, needed + (needed >> 1) + 16);
    const capacity = Math.max(needed, Math.min(2 * this.maxBins, wanted));
    const next = zeros(capacity);
    const nextOffset = lo - ((capacity - needed) >> 1);
    if (this.#binCount > 0) {
      // Only the part of the used range that survives in [lo, hi]; callers have already collapsed the rest.
      const from = Math.max(this.#minIndex, lo);
      const to = Math.min(this.#maxIndex, hi);
      const bins = this.#bins;
      for (let i = from; i <= to; i++) next[i - nextOffset] = bins[i - offset] ?? 0;
    }
    this.#bins = next;
    this.#binOffset = nextOffset;
  }
}

function zeros(n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(0);
  return a;
}

function checkSketchJSON(json: unknown): DDSketchJSON {
  const issues: { path: string; message: string }[] = [];
  if (typeof json !== 'object' || json === null) {
    throw new ValidationError('DDSketch JSON', [{ path: '', message: 'expected an object' }]);
  }
  const j = json as Record<string, unknown>;
  const finite = (k: string, test: (v: number) => boolean, what: string): void => {
    const v = j[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || !test(v))
      issues.push({ path: k, message: `expected ${what}` });
  };
  finite('alpha', (v) => v > 0 && v < 1, 'a number in (0, 1)');
  finite('maxBins', (v) => Number.isInteger(v) && v >= 2, 'an integer >= 2');
  finite('zeroCount', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
  finite('offset', Number.isInteger, 'an integer');
  finite('sum', (v) => v >= 0, 'a non-negative number');
  for (const k of ['min', 'max']) {
    const v = j[k];
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      issues.push({ path: k, message: 'expected null or a non-negative number' });
    }
  }
  const bins = j.bins;
  if (!Array.isArray(bins)) {
    issues.push({ path: 'bins', message: 'expected an array' });
  } else {
    bins.forEach((b: unknown, i) => {
      if (typeof b !== 'number' || !Number.isSafeInteger(b))
        issues.push({ path: `bins.${i}`, message: 'expected an integer' });
    });
  }
  if (issues.length > 0) throw new ValidationError('DDSketch JSON', issues);
  return j as unknown as DDSketchJSON;
}
