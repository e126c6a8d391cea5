import { describe, expect, it } from 'vitest';
import {
  NAB_STANDARD_PROFILE,
  nabOptimiseThreshold,
  nabProbationLength,
  nabScaledSigmoid,
  nabScoreCorpus,
  nabScoreFile,
} from '../../../src/core/detection/nabScorer.ts';
import type { NabFile } from '../../../src/core/detection/nabScorer.ts';

// 100 rows one minute apart (probation: rows 0-14), one window over rows 40-59 (20 rows).
const MIN = 60_000;
const timestamps = Array.from({ length: 100 }, (_, i) => i * MIN);
function file(scored: Record<number, number>): NabFile {
  return {
    name: 'f.csv',
    timestamps,
    scores: timestamps.map((_, i) => scored[i] ?? 0),
    windows: [[40 * MIN, 59 * MIN]],
  };
}

describe('NAB scorer', () => {
  it('has the probation and sigmoid of NAB', () => {
    expect(nabProbationLength(100)).toBe(15);
    expect(nabProbationLength(10_000)).toBe(750);
    expect(nabScaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(nabScaledSigmoid(0)).toBe(0);
    expect(nabScaledSigmoid(3)).toBe(-1);
  });

  it('scores a hand-computed file', () => {
    // Detections: row 5 (probation: ignored), row 20 (before any window: -0.11), row 45 (in the
    // window: S(-(59-45+1)/20)/S(-1) = S(-0.75)/S(-1) = 0.966989), row 50 (same window, not the
    // first: nothing), row 70 (11 rows after a 20-row window: 0.11*S(11/19) = -0.098469).
    const f = file({ 5: 1, 20: 1, 45: 1, 50: 1, 70: 1 });
    const r = nabScoreFile(f, 0.5);
    expect(r.score).toBeCloseTo(0.966989 - 0.11 - 0.098469, 5);
    expect(r.detectedWindows).toBe(1);
    expect(r.falsePositiveRows).toBe(2);
    // Null -1, perfect +1: 100 * (0.758520 + 1) / 2.
    expect(nabScoreCorpus([f], NAB_STANDARD_PROFILE, 0.5).normalisedScore).toBeCloseTo(87.926, 2);
  });

  it('charges a missed window -1 and an early alarm full price', () => {
    expect(nabScoreFile(file({}), 0.5).score).toBe(-1);
    expect(nabScoreFile(file({ 40: 1 }), 0.5).score).toBeCloseTo(1, 10);
    expect(nabScoreFile(file({ 59: 1 }), 0.5).score).toBeCloseTo(0.12604, 4);
    // Right after the window, a false positive costs little.
    expect(nabScoreFile(file({ 40: 1, 60: 1 }), 0.5).score).toBeCloseTo(1 - 0.014391, 5);
  });

  it('chooses the corpus threshold that maximises the score (highest on ties)', () => {
    const f = file({ 45: 0.9, 70: 0.8, 20: 0.7 });
    const best = nabOptimiseThreshold([f]);
    expect(best.threshold).toBe(0.9);
    expect(best.score).toBeCloseTo(0.966989, 5);
    const result = nabScoreCorpus([f]);
    expect(result.normalisedScore).toBeCloseTo(98.3495, 3);
    expect(result.windowPrecision).toBe(1);
    expect(result.windowRecall).toBe(1);
  });

  it('normalises the null detector to 0 and a perfect one to 100', () => {
    expect(nabScoreCorpus([file({})]).normalisedScore).toBe(0);
    expect(nabScoreCorpus([file({ 40: 1 })]).normalisedScore).toBeCloseTo(100, 10);
  });

  it('counts consecutive false-positive rows as one event for window precision', () => {
    const r = nabScoreCorpus([file({ 45: 1, 70: 1, 71: 1, 72: 1, 90: 1 })], NAB_STANDARD_PROFILE, 0.5);
    expect(r.files[0]?.falsePositiveRows).toBe(4);
    expect(r.files[0]?.falsePositiveEvents).toBe(2);
    expect(r.windowPrecision).toBeCloseTo(1 / 3, 10);
    expect(r.windowF1).toBeCloseTo(0.5, 10);
  });
});
