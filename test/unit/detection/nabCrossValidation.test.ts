import { describe, expect, it } from 'vitest';
import {
  nabFolderOf,
  nabLabelledFolders,
  nabLeaveOneFolderOut,
} from '../../../src/core/detection/nabCrossValidation.ts';
import type { NabCvCandidate } from '../../../src/core/detection/nabCrossValidation.ts';
import type { NabFile } from '../../../src/core/detection/nabScorer.ts';

// 100 rows one minute apart (probation: rows 0-14); a labelled file has one window over rows 40-59.
const MIN = 60_000;
const timestamps = Array.from({ length: 100 }, (_, i) => i * MIN);

function file(name: string, labelled: boolean, alarms: readonly number[]): NabFile {
  return {
    name,
    timestamps,
    scores: timestamps.map((_, i) => (alarms.includes(i) ? 1 : 0)),
    windows: labelled ? [[40 * MIN, 59 * MIN]] : [],
  };
}

// A detector setting that alarms at the start of the window in the folders it "knows", nowhere else.
function candidate(
  settings: string,
  knows: readonly string[],
  falseAlarmInQuiet = false,
): NabCvCandidate<string> {
  return {
    settings,
    files: [
      ...['a', 'b', 'c'].map((folder) => file(`${folder}/x.csv`, true, knows.includes(folder) ? [40] : [])),
      file('quiet/y.csv', false, falseAlarmInQuiet ? [30] : []),
    ],
  };
}

describe('NAB leave-one-folder-out cross-validation', () => {
  it('names folders and holds out only the labelled ones', () => {
    expect(nabFolderOf('realKnownCause/nyc_taxi.csv')).toBe('realKnownCause');
    expect(nabFolderOf('bare.csv')).toBe('');
    expect(nabLabelledFolders(candidate('x', []).files)).toEqual(['a', 'b', 'c']);
  });

  it('chooses on the other folders only, even when the held-out folder would prefer another setting', () => {
    const good = candidate('ab', ['a', 'b']);
    const onlyC = candidate('c', ['c']);
    const folds = nabLeaveOneFolderOut([onlyC, good]);
    const c = folds.find((f) => f.folder === 'c');
    // On a and b, "ab" is perfect and "c" misses both: "ab" wins, and it misses c.
    expect(c?.settings).toBe('ab');
    expect(c?.trainScore).toBeCloseTo(100, 6);
    expect(c?.heldOut.normalisedScore).toBeCloseTo(0, 6);
    // Held out, a is scored by what b and c chose: a tie (one hit, one miss each) keeps the first listed.
    const a = folds.find((f) => f.folder === 'a');
    expect(a?.settings).toBe('c');
    expect(a?.heldOut.normalisedScore).toBeCloseTo(0, 6);
  });

  it('counts the false alarms of an unlabelled folder in every fold', () => {
    // Both settings find every window; only "noisy" also alarms on the quiet series.
    const noisy = candidate('noisy', ['a', 'b', 'c'], true);
    const clean = candidate('clean', ['a', 'b', 'c']);
    const folds = nabLeaveOneFolderOut([noisy, clean]);
    expect(folds.map((f) => f.folder)).toEqual(['a', 'b', 'c']);
    for (const f of folds) {
      expect(f.settings).toBe('clean');
      expect(f.threshold).toBe(1);
      expect(f.heldOut.normalisedScore).toBeCloseTo(100, 6);
    }
  });

  it('refuses an empty candidate list', () => {
    expect(() => nabLeaveOneFolderOut([])).toThrow(RangeError);
  });
});
