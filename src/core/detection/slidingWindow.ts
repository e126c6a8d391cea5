// A fixed-capacity sliding window of the latest values, kept both in arrival order (a ring, to know
// which value leaves) and sorted (so median, quantiles and MAD cost O(1)/O(n) instead of a sort per
// step). Plain JSON state, mutated in place by the functions below for speed; the detector that owns
// it snapshots by deep copy.

export interface SlidingWindowState {
  readonly capacity: number;
  /** Values in arrival order; once full, `next` is the slot of the oldest value. */
  readonly ring: number[];
  next: number;
  /** The same values, ascending. */
  readonly sorted: number[];
}

export function createSlidingWindow(capacity: number): SlidingWindowState {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`window capacity ${capacity}`);
  return { capacity, ring: [], next: 0, sorted: [] };
}

// Index of the first element >= x.
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds a finite value, evicting the oldest once the window is full. */
export function slidingWindowPush(w: SlidingWindowState, x: number): void {
  if (w.ring.length < w.capacity) {
    w.ring.push(x);
  } else {
    const old = w.ring[w.next] ?? 0;
    w.sorted.splice(lowerBound(w.sorted, old), 1);
    w.ring[w.next] = x;
    w.next = (w.next + 1) % w.capacity;
  }
  w.sorted.splice(lowerBound(w.sorted, x), 0, x);
}

export function slidingWindowSize(w: SlidingWindowState): number {
  return w.sorted.length;
}

/** The latest value pushed, or NaN when empty. */
export function slidingWindowLast(w: SlidingWindowState): number {
  if (w.ring.length === 0) return Number.NaN;
  const i = w.ring.length < w.capacity ? w.ring.length - 1 : (w.next + w.capacity - 1) % w.capacity;
  return w.ring[i] ?? Number.NaN;
}

/** The k-th latest value (0 = latest), or NaN when there is none. */
export function slidingWindowRecent(w: SlidingWindowState, k: number): number {
  const n = w.ring.length;
  if (k < 0 || k >= n) return Number.NaN;
  const newest = n < w.capacity ? n - 1 : (w.next + w.capacity - 1) % w.capacity;
  return w.ring[(newest - k + w.capacity * 2) % w.capacity] ?? Number.NaN;
}

/** Linear-interpolated quantile (q in [0, 1]), or NaN when empty. */
export function slidingWindowQuantile(w: SlidingWindowState, q: number): number {
  const n = w.sorted.length;
  if (n === 0) return Number.NaN;
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const a = w.sorted[lo] ?? 0;
  const b = w.sorted[Math.min(lo + 1, n - 1)] ?? a;
  return a + (b - a) * (pos - lo);
}

export function slidingWindowMedian(w: SlidingWindowState): number {
  return slidingWindowQuantile(w, 0.5);
}

/**
 * Median absolute deviation from `center`. The deviations of a sorted array from a point are two
 * sorted runs (walking outwards from the point), so the k-th smallest is found by merging them.
 */
export function slidingWindowMad(w: SlidingWindowState, center: number): number {
  const s = w.sorted;
  const n = s.length;
  if (n === 0) return Number.NaN;
  let right = lowerBound(s, center);
  let left = right - 1;
  const take = (): number => {
    const dl = left >= 0 ? center - (s[left] ?? 0) : Infinity;
    const dr = right < n ? (s[right] ?? 0) - center : Infinity;
    if (dl <= dr) {
      left--;
      return dl;
    }
    right++;
    return dr;
  };
  const k = (n - 1) >>> 1; // lower median's rank
  let d = 0;
  for (let i = 0; i <= k; i++) d = take();
  return n % 2 === 1 ? d : (d + take()) / 2;
}

/** Fraction of window values strictly below x and equal to x (for mid-rank tail probabilities). */
export function slidingWindowRank(w: SlidingWindowState, x: number): { below: number; equal: number } {
  const lo = lowerBound(w.sorted, x);
  let hi = lo;
  let top = w.sorted.length;
  while (hi < top) {
    const mid = (hi + top) >>> 1;
    if ((w.sorted[mid] ?? 0) <= x) hi = mid + 1;
    else top = mid;
  }
  return { below: lo, equal: hi - lo };
}

/** What a window's snapshot keeps: the sorted copy is derived, so it is rebuilt on restore. */
export interface SlidingWindowSnapshot {
  readonly capacity: number;
  readonly ring: readonly number[];
  readonly next: number;
}

export function slidingWindowSnapshot(w: SlidingWindowState): SlidingWindowSnapshot {
  return { capacity: w.capacity, ring: [...w.ring], next: w.next };
}

export function slidingWindowRestore(s: SlidingWindowSnapshot): SlidingWindowState {
  return { capacity: s.capacity, ring: [...s.ring], next: s.next, sorted: [...s.ring].sort((a, b) => a - b) };
}
