import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DDSketch } from '../../../src/core/metrics/ddSketch.ts';
import type { DDSketchJSON } from '../../../src/core/metrics/ddSketch.ts';
import { ValidationError } from '../../../src/errors.ts';
import { exactQuantile } from './metricEvents.ts';

const ALPHA = 0.01;
// Bucket boundaries are computed with floating-point logs; allow a hair above alpha for them.
const TOLERANCE = ALPHA * (1 + 1e-9);

function sketchOf(values: readonly number[], options: { alpha?: number; maxBins?: number } = {}): DDSketch {
  const s = new DDSketch(options);
  for (const v of values) s.add(v);
  return s;
}

function roundTrip(s: DDSketch): DDSketch {
  return DDSketch.fromJSON(JSON.parse(JSON.stringify(s.toJSON())) as unknown);
}

/** Bucket counts decoded from the wire form, by bucket index. */
function decodeBins(json: DDSketchJSON): Map<number, number> {
  const out = new Map<number, number>();
  let index = json.offset;
  for (const entry of json.bins) {
    if (entry < 0) index -= entry;
    else {
      if (entry > 0) out.set(index, entry);
      index++;
    }
  }
  return out;
}

// Zero, or positive values spanning 12 decades (fits in 2048 buckets at alpha 1%, so no collapse).
const value = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 9, arbitrary: fc.double({ min: 1e-3, max: 1e9, noNaN: true, noDefaultInfinity: true }) },
);
const intValue = fc.integer({ min: 0, max: 10_000_000 });

describe('DDSketch', () => {
  it('answers every quantile within relative error alpha of the exact quantile', () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 400, size: 'max' }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 10 }),
        (values, qs) => {
          const s = sketchOf(values);
          for (const q of [0, 0.5, 0.95, 0.99, 1, ...qs]) {
            const exact = exactQuantile(values, q);
            const estimate = s.quantile(q);
            expect(estimate).not.toBeNull();
            expect(Math.abs((estimate ?? NaN) - exact)).toBeLessThanOrEqual(TOLERANCE * exact);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('tracks count, sum, min and max exactly', () => {
    fc.assert(
      fc.property(fc.array(intValue, { minLength: 1, maxLength: 300, size: 'max' }), (values) => {
        const s = sketchOf(values);
        expect(s.count).toBe(values.length);
        expect(s.sum).toBe(values.reduce((a, b) => a + b, 0));
        expect(s.min).toBe(Math.min(...values));
        expect(s.max).toBe(Math.max(...values));
        expect(s.quantile(0)).toBe(Math.min(...values));
        expect(s.quantile(1)).toBe(Math.max(...values));
      }),
    );
  });

  it('merge(a, b) equals the sketch of the concatenation (integers: identical wire form)', () => {
    fc.assert(
      fc.property(
        fc.array(intValue, { maxLength: 300, size: 'max' }),
        fc.array(intValue, { maxLength: 300, size: 'max' }),
        (a, b) => {
          const merged = sketchOf(a);
          merged.merge(sketchOf(b));
          expect(merged.toJSON()).toEqual(sketchOf([...a, ...b]).toJSON());
        },
      ),
    );
  });

  it('merge(a, b) equals the concatenation for doubles up to float rounding of the sum', () => {
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 200, size: 'max' }),
        fc.array(value, { maxLength: 200, size: 'max' }),
        (a, b) => {
          const merged = sketchOf(a);
          merged.merge(sketchOf(b));
          const direct = sketchOf([...a, ...b]);
          const { sum: mergedSum, ...mergedRest } = merged.toJSON();
          const { sum: directSum, ...directRest } = direct.toJSON();
          expect(mergedRest).toEqual(directRest);
          expect(mergedSum).toBeCloseTo(directSum, 3);
        },
      ),
    );
  });

  it('is insensitive to insertion order', () => {
    fc.assert(
      fc.property(
        fc
          .array(intValue, { minLength: 1, maxLength: 300, size: 'max' })
          .chain((xs) => fc.tuple(fc.constant(xs), fc.shuffledSubarray(xs, { minLength: xs.length }))),
        ([values, shuffled]) => {
          expect(sketchOf(shuffled).toJSON()).toEqual(sketchOf(values).toJSON());
        },
      ),
    );
  });

  it('round-trips through JSON and keeps working afterwards', () => {
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 300, size: 'max' }),
        fc.array(value, { maxLength: 50, size: 'max' }),
        (values, more) => {
          const original = sketchOf(values);
          const restored = roundTrip(original);
          expect(restored.toJSON()).toEqual(original.toJSON());
          for (const q of [0, 0.25, 0.5, 0.9, 0.99, 1])
            expect(restored.quantile(q)).toBe(original.quantile(q));
          for (const v of more) {
            original.add(v);
            restored.add(v);
          }
          expect(restored.toJSON()).toEqual(original.toJSON());
        },
      ),
    );
  });

  it('encodes runs of empty buckets compactly', () => {
    const s = sketchOf([1, 1, 1000]);
    const json = s.toJSON();
    // Two occupied buckets ~345 apart: a count, one negative run, a count.
    expect(json.bins).toHaveLength(3);
    expect(json.bins[0]).toBe(2);
    expect(json.bins[1]).toBeLessThan(-300);
    expect(json.bins[2]).toBe(1);
    expect([...decodeBins(json).values()]).toEqual([2, 1]);
  });

  describe('bucket bound', () => {
    const maxBins = 64;
    const wide = fc.array(fc.double({ min: 1e-6, max: 1e12, noNaN: true }), {
      minLength: 1,
      maxLength: 300,
      size: 'max',
    });

    it('never keeps more than maxBins buckets, and keeps upper quantiles accurate', () => {
      fc.assert(
        fc.property(wide, (values) => {
          const s = sketchOf(values, { maxBins });
          const bins = decodeBins(s.toJSON());
          const indices = [...bins.keys()];
          if (indices.length > 0)
            expect(Math.max(...indices) - Math.min(...indices) + 1).toBeLessThanOrEqual(maxBins);
          expect(s.count).toBe(values.length);
          // Values whose bucket lies in the kept range are answered within alpha.
          const lowestKeptValue = Math.max(...values) / Math.pow((1 + ALPHA) / (1 - ALPHA), maxBins - 2);
          for (const q of [0.5, 0.9, 0.99, 1]) {
            const exact = exactQuantile(values, q);
            if (exact <= lowestKeptValue) continue;
            expect(Math.abs((s.quantile(q) ?? NaN) - exact)).toBeLessThanOrEqual(TOLERANCE * exact);
          }
        }),
      );
    });

    it('collapsing is order-insensitive and merges exactly', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { maxLength: 200, size: 'max' }),
          fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { maxLength: 200, size: 'max' }),
          (a, b) => {
            const merged = sketchOf(a, { maxBins });
            merged.merge(sketchOf(b, { maxBins }));
            const direct = sketchOf([...b, ...a], { maxBins });
            expect(merged.toJSON()).toEqual(direct.toJSON());
            expect(roundTrip(merged).toJSON()).toEqual(direct.toJSON());
          },
        ),
      );
    });

    it('collapses the lowest buckets into the lowest kept one', () => {
      const s = sketchOf([1e-6, 1e-3, 1, 1e12], { maxBins: 8 });
      const bins = decodeBins(s.toJSON());
      expect([...bins.values()]).toEqual([3, 1]);
      expect(s.quantile(1)).toBe(1e12);
      expect(s.min).toBe(1e-6);
    });
  });

  it('handles empty sketches and zeros', () => {
    const empty = new DDSketch();
    expect(empty.quantile(0.5)).toBeNull();
    expect(empty.min).toBeNull();
    expect(empty.max).toBeNull();
    expect(roundTrip(empty).toJSON()).toEqual(empty.toJSON());
    const zeros = sketchOf([0, 0, 5]);
    expect(zeros.quantile(0.5)).toBe(0);
    expect(zeros.quantile(1)).toBe(5);
  });

  it('rejects invalid input', () => {
    const s = new DDSketch();
    expect(() => {
      s.add(-1);
    }).toThrow(RangeError);
    expect(() => {
      s.add(Number.NaN);
    }).toThrow(RangeError);
    expect(() => {
      s.add(Infinity);
    }).toThrow(RangeError);
    expect(() => {
      s.add(1, 0.5);
    }).toThrow(RangeError);
    expect(() => s.quantile(1.5)).toThrow(RangeError);
    expect(() => new DDSketch({ alpha: 0 })).toThrow(RangeError);
    expect(() => {
      s.merge(new DDSketch({ alpha: 0.02 }));
    }).toThrow(RangeError);
    expect(() => DDSketch.fromJSON({ ...s.toJSON(), bins: ['x'] })).toThrow(ValidationError);
    expect(() => DDSketch.fromJSON(null)).toThrow(ValidationError);
    expect(() => DDSketch.fromJSON({ ...sketchOf([3]).toJSON(), min: null })).toThrow(ValidationError);
  });
});
