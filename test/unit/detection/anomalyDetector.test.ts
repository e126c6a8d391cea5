import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnomalyDetector } from '../../../src/core/detection/anomalyDetector.ts';
import type { DetectorOutput, DetectorPoint } from '../../../src/core/detection/anomalyDetector.ts';
import { ValidationError } from '../../../src/errors.ts';
import { MINUTE, T0, noise, pointsOf, uniform } from './syntheticSeries.ts';

function run(points: readonly DetectorPoint[], detector = new AnomalyDetector()): DetectorOutput[] {
  return points.map((p) => detector.update(p));
}

const scores = (outputs: readonly DetectorOutput[]): number[] => outputs.map((o) => o.score);

// Series worth fuzzing: plateaus, spikes, steps and noise at mixed magnitudes, irregular spacing.
const seriesArb = fc
  .array(
    fc.record({
      gapMinutes: fc.integer({ min: 0, max: 90 }),
      value: fc.oneof(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.constantFrom(0, 1, 1, 1, 100),
        fc.double({ min: -1e120, max: 1e120, noNaN: true }),
      ),
    }),
    { minLength: 1, maxLength: 700 },
  )
  .map((rows) => {
    let t = T0;
    return rows.map((r) => {
      t += r.gapMinutes * MINUTE;
      return { timestamp: t, value: r.value };
    });
  });

describe('AnomalyDetector', () => {
  it('is deterministic: the same input gives the same outputs', () => {
    const points = pointsOf(noise(3000, 7), 5);
    expect(run(points)).toEqual(run(points));
  });

  it('keeps score and level in [0, 1] for any finite input', () => {
    fc.assert(
      fc.property(seriesArb, (points) => {
        for (const o of run(points)) {
          expect(o.score).toBeGreaterThanOrEqual(0);
          expect(o.score).toBeLessThanOrEqual(1);
          expect(o.level).toBeGreaterThanOrEqual(0);
          expect(o.level).toBeLessThanOrEqual(1);
          expect(Number.isFinite(o.surprise)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('is streaming: appending rows never changes the scores of earlier rows', () => {
    fc.assert(
      fc.property(seriesArb, seriesArb, (head, tail) => {
        const last = head.at(-1)?.timestamp ?? T0;
        const shifted = tail.map((p) => ({ ...p, timestamp: p.timestamp - T0 + last + MINUTE }));
        const alone = run(head);
        const extended = run([...head, ...shifted]).slice(0, head.length);
        expect(extended).toEqual(alone);
      }),
      { numRuns: 40 },
    );
  });

  it('continues identically after a JSON snapshot round trip', () => {
    fc.assert(
      fc.property(seriesArb, fc.double({ min: 0, max: 1, noNaN: true }), (points, at) => {
        const cut = Math.floor(at * points.length);
        const straight = run(points);
        const first = new AnomalyDetector();
        run(points.slice(0, cut), first);
        const stored = JSON.parse(JSON.stringify(first.snapshot())) as unknown;
        const restored = AnomalyDetector.restore(stored);
        expect(restored.points).toBe(cut);
        expect(run(points.slice(cut), restored)).toEqual(straight.slice(cut));
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a snapshot that is not one, naming the field', () => {
    const snapshot = new AnomalyDetector().snapshot() as unknown as Record<string, unknown>;
    expect(() => AnomalyDetector.restore({ ...snapshot, steps: -1 })).toThrow(ValidationError);
    expect(() => AnomalyDetector.restore({ ...snapshot, version: 2 })).toThrow(/version/);
    expect(() => AnomalyDetector.restore('nope')).toThrow(ValidationError);
  });

  it('scores a spike far above the noise before it, once', () => {
    const values = noise(2000, 1);
    values[1500] = 160; // 12 standard deviations
    const out = scores(run(pointsOf(values)));
    const before = Math.max(...out.slice(300, 1500));
    expect(out[1500]).toBeGreaterThan(0.7);
    expect(out[1500]).toBeGreaterThan(before + 0.15);
    expect(Math.max(...out.slice(1501, 1600))).toBeLessThan(0.2);
  });

  it('alarms within a few points of a level shift, then settles on the new level', () => {
    const values = noise(4000, 2).map((v, i) => (i >= 2000 ? v + 30 : v));
    const out = run(pointsOf(values));
    const first = out.findIndex((o, i) => i >= 2000 && o.score >= 0.5);
    expect(first).toBeGreaterThanOrEqual(2000);
    expect(first).toBeLessThan(2005);
    // Once the baseline has moved, the new level is ordinary again.
    expect(Math.max(...out.slice(3000).map((o) => o.level))).toBeLessThan(0.5);
    expect(out[3500]?.expected).toBeGreaterThan(120);
  });

  it('stops alerting on a daily pattern once it has learned it', () => {
    // Business hours 09:00-17:00 at 200, otherwise 50, one point a minute, bounded noise.
    const u = uniform(3);
    const days = 10;
    const values = Array.from({ length: days * 1440 }, (_, i) => {
      const hour = (i % 1440) / 60;
      return (hour >= 9 && hour < 17 ? 200 : 50) + 10 * (u() - 0.5);
    });
    const out = run(pointsOf(values));
    const dayMax = (d: number): number =>
      Math.max(...out.slice(d * 1440, (d + 1) * 1440).map((o) => o.level));
    expect(dayMax(0)).toBeGreaterThan(0.5); // the first 09:00 is news
    for (let d = 5; d < days; d++) expect(dayMax(d)).toBeLessThan(0.5);
    // And it is the daily profile that explains the edges by then.
    expect(out[(days - 1) * 1440 + 9 * 60 + 10]?.model).toBe('daily');
  });

  it('skips non-finite values without learning from them', () => {
    const points = pointsOf(noise(600, 4));
    const withGap = [
      ...points.slice(0, 300),
      { timestamp: points[299]?.timestamp ?? 0, value: Number.NaN },
      ...points.slice(300),
    ];
    const out = run(withGap);
    expect(out[300]?.score).toBe(0);
    expect([...out.slice(0, 300), ...out.slice(301)]).toEqual(run(points));
  });
});
