import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, medianAbsoluteDeviation, quantileSorted } from 'simple-statistics';
import {
  createSlidingWindow,
  slidingWindowMad,
  slidingWindowMedian,
  slidingWindowPush,
  slidingWindowQuantile,
  slidingWindowRecent,
} from '../../../src/core/detection/slidingWindow.ts';

describe('sliding window', () => {
  it('agrees with a from-scratch median, MAD and order over the latest values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), {
          minLength: 1,
          maxLength: 200,
        }),
        (capacity, values) => {
          const w = createSlidingWindow(capacity);
          values.forEach((v, i) => {
            slidingWindowPush(w, v);
            const latest = values.slice(Math.max(0, i + 1 - capacity), i + 1);
            expect(slidingWindowMedian(w)).toBeCloseTo(median(latest), 6);
            expect(slidingWindowMad(w, median(latest))).toBeCloseTo(medianAbsoluteDeviation(latest), 6);
            // === rather than toBe, which tells -0 from +0
            expect(slidingWindowRecent(w, 0) === v).toBe(true);
            expect(slidingWindowRecent(w, latest.length - 1) === latest[0]).toBe(true);
            expect(slidingWindowRecent(w, latest.length)).toBeNaN();
            const sorted = [...latest].sort((a, b) => a - b);
            expect(slidingWindowQuantile(w, 0) === sorted[0]).toBe(true);
            expect(slidingWindowQuantile(w, 1) === quantileSorted(sorted, 1)).toBe(true);
          });
        },
      ),
    );
  });
});
