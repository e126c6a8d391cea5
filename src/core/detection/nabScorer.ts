// The Numenta Anomaly Benchmark (NAB v1.1) scoring rule, re-implemented from its published
// description and its sweeper (numenta/NAB nab/sweeper.py), so that `npm run eval:nab` reports
// figures comparable with NAB's scoreboard. Equivalence choices, rule by rule:
//
// - Probation: the first min(floor(0.15 * rows), 0.15 * 5000) rows of a file are not scored at all
//   (neither as detections nor as misses), exactly as NAB's sweeper drops 'probationary' rows.
// - A window covers the rows whose timestamps fall in [start, end] (NAB's labels always start and end
//   on a row, where this equals the sweeper's exact-timestamp lookup).
// - A detection is a row with score >= threshold (NAB's `convertAnomalyScoresToDetections`).
// - Inside a window of width w rows ending at row r, a detection at row i is worth
//   tpWeight * S(-(r - i + 1) / w) / S(-1), S(x) = 2 / (1 + e^(5x)) - 1: the first row of a window is
//   worth exactly tpWeight, the last almost 0. Only the window's best (= earliest) detection counts;
//   a window without a scored detection costs -fnWeight. Windows with no scored row (wholly inside
//   probation) neither reward nor cost, as in the sweeper.
// - Every detected row outside windows is a false positive worth fpWeight * S(d / (w' - 1)), where d
//   is its distance in rows from the end of the preceding window of width w' (so alarms just after a
//   window cost little); before any window, or from d / (w' - 1) >= 3 on, it costs -fpWeight.
// - The threshold is one for the whole corpus: every distinct score is tried (NAB's sweep over the
//   sorted scores) and the best total wins; on ties the highest threshold is kept, as NAB's `max`
//   over the descending sweep does.
// - Normalisation: 100 * (raw - null) / (perfect - null), perfect = tpWeight * number of labelled
//   windows (NAB counts every labelled window), null = the score of a detector whose scores are all
//   0 under the same threshold optimisation (NAB's null detector).

export interface NabCostMatrix {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

/** NAB's "standard" application profile. */
export const NAB_STANDARD_PROFILE: NabCostMatrix = { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 1.0 };

export interface NabFile {
  readonly name: string;
  /** Row timestamps (epoch ms), ascending. */
  readonly timestamps: readonly number[];
  /** Detector score per row. */
  readonly scores: readonly number[];
  /** Labelled anomaly windows [start, end] (epoch ms, inclusive). */
  readonly windows: readonly (readonly [number, number])[];
}

export interface NabFileResult {
  readonly name: string;
  readonly score: number;
  readonly windows: number;
  readonly detectedWindows: number;
  /** Detected rows outside windows (NAB's FP count). */
  readonly falsePositiveRows: number;
  /** Runs of consecutive detected rows outside windows. */
  readonly falsePositiveEvents: number;
}

export interface NabCorpusResult {
  readonly threshold: number;
  readonly rawScore: number;
  readonly nullScore: number;
  readonly perfectScore: number;
  /** The NAB score: null detector 0, perfect detector 100. */
  readonly normalisedScore: number;
  readonly windowPrecision: number;
  readonly windowRecall: number;
  readonly windowF1: number;
  readonly files: readonly NabFileResult[];
}

/** Rows of a file that NAB does not score. */
export function nabProbationLength(rows: number, probationPercent = 0.15): number {
  return Math.min(Math.floor(probationPercent * rows), probationPercent * 5000);
}

/** NAB's scaled sigmoid of a relative position (-1 = window start, 0 = window end, > 0 after it). */
export function nabScaledSigmoid(relativePosition: number): number {
  if (relativePosition >= 3) return -1;
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1;
}

// One scored row: its detector score, what it is worth if detected, and which window (corpus-wide
// index) it lies in, or -1 outside windows.
interface SweepRow {
  readonly score: number;
  readonly worth: number;
  readonly window: number;
}

interface SweptFile {
  readonly rows: SweepRow[];
  /** Corpus-wide indices of the windows that have at least one scored row. */
  readonly scoredWindows: number[];
  /** File-local row index of each scored row (for false-positive runs). */
  readonly rowIndex: number[];
}

function sweepFile(file: NabFile, cost: NabCostMatrix, firstWindowId: number): SweptFile {
  const n = file.timestamps.length;
  const probation = nabProbationLength(n);
  const maxTp = nabScaledSigmoid(-1);
  // Row span of each window.
  const spans = file.windows.map(([start, end]) => {
    let left = -1;
    let right = -1;
    for (let i = 0; i < n; i++) {
      const t = file.timestamps[i] ?? Number.NaN;
      if (t >= start && t <= end) {
        if (left < 0) left = i;
        right = i;
      }
    }
    return { left, right };
  });
  const rows: SweepRow[] = [];
  const rowIndex: number[] = [];
  const scored = new Set<number>();
  let w = 0; // next window to enter
  let current = -1; // window the row is in
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    while (current < 0 && w < spans.length && (spans[w]?.left ?? -1) < 0) w++; // empty window: skip
    const next = spans[w];
    if (current < 0 && next !== undefined && i === next.left) current = w;
    let worth: number;
    const span = current >= 0 ? spans[current] : undefined;
    if (span !== undefined) {
      const width = span.right - span.left + 1;
      worth = (nabScaledSigmoid(-(span.right - i + 1) / width) * cost.tpWeight) / maxTp;
    } else if (prevRight < 0 || prevWidth <= 1) {
      worth = -cost.fpWeight;
    } else {
      worth = nabScaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1)) * cost.fpWeight;
    }
    if (i >= probation) {
      const windowId = current >= 0 ? firstWindowId + current : -1;
      rows.push({ score: file.scores[i] ?? 0, worth, window: windowId });
      rowIndex.push(i);
      if (windowId >= 0) scored.add(windowId);
    }
    if (span !== undefined && i === span.right) {
      prevRight = span.right;
      prevWidth = span.right - span.left + 1;
      current = -1;
      w++;
    }
  }
  return { rows, scoredWindows: [...scored], rowIndex };
}

/** The corpus score at every distinct threshold (descending), as NAB's sweeper computes it. */
export function nabScoresByThreshold(
  files: readonly NabFile[],
  cost: NabCostMatrix = NAB_STANDARD_PROFILE,
): { threshold: number; score: number }[] {
  const all: SweepRow[] = [];
  const windowBest = new Map<number, number>();
  let windowId = 0;
  for (const file of files) {
    const swept = sweepFile(file, cost, windowId);
    windowId += file.windows.length;
    for (const r of swept.rows) all.push(r);
    for (const id of swept.scoredWindows) windowBest.set(id, -cost.fnWeight);
  }
  all.sort((a, b) => b.score - a.score);
  let fpSum = 0;
  let windowSum = -cost.fnWeight * windowBest.size;
  const out: { threshold: number; score: number }[] = [{ threshold: Infinity, score: windowSum }];
  for (let i = 0; i < all.length; i++) {
    const row = all[i];
    if (row === undefined) continue;
    if (row.window < 0) {
      fpSum += row.worth;
    } else {
      const best = windowBest.get(row.window) ?? -cost.fnWeight;
      if (row.worth > best) {
        windowSum += row.worth - best;
        windowBest.set(row.window, row.worth);
      }
    }
    // A threshold's score includes every row scoring at least that threshold.
    if (all[i + 1]?.score !== row.score) out.push({ threshold: row.score, score: fpSum + windowSum });
  }
  return out;
}

/** Scores one file at a fixed threshold. */
export function nabScoreFile(
  file: NabFile,
  threshold: number,
  cost: NabCostMatrix = NAB_STANDARD_PROFILE,
): NabFileResult {
  const swept = sweepFile(file, cost, 0);
  const best = new Map<number, number>();
  for (const id of swept.scoredWindows) best.set(id, -cost.fnWeight);
  let fp = 0;
  let fpRows = 0;
  let fpEvents = 0;
  let lastFpRow = -2;
  for (let k = 0; k < swept.rows.length; k++) {
    const row = swept.rows[k];
    const i = swept.rowIndex[k] ?? 0;
    if (row === undefined || !(row.score >= threshold)) continue;
    if (row.window < 0) {
      fp += row.worth;
      fpRows++;
      if (i !== lastFpRow + 1) fpEvents++;
      lastFpRow = i;
    } else {
      best.set(row.window, Math.max(best.get(row.window) ?? -cost.fnWeight, row.worth));
    }
  }
  let windowSum = 0;
  let detected = 0;
  for (const value of best.values()) {
    windowSum += value;
    if (value > -cost.fnWeight) detected++;
  }
  return {
    name: file.name,
    score: fp + windowSum,
    windows: swept.scoredWindows.length,
    detectedWindows: detected,
    falsePositiveRows: fpRows,
    falsePositiveEvents: fpEvents,
  };
}

/** The threshold with the best corpus score (ties: the highest threshold). */
export function nabOptimiseThreshold(
  files: readonly NabFile[],
  cost: NabCostMatrix = NAB_STANDARD_PROFILE,
): { threshold: number; score: number } {
  let best = { threshold: Infinity, score: -Infinity };
  for (const candidate of nabScoresByThreshold(files, cost)) {
    if (candidate.score > best.score) best = candidate;
  }
  return best;
}

/** Scores a corpus the way NAB does: optimised corpus threshold, normalised score, plus window P/R/F1. */
export function nabScoreCorpus(
  files: readonly NabFile[],
  cost: NabCostMatrix = NAB_STANDARD_PROFILE,
  threshold: number = nabOptimiseThreshold(files, cost).threshold,
): NabCorpusResult {
  const results = files.map((f) => nabScoreFile(f, threshold, cost));
  const rawScore = results.reduce((s, r) => s + r.score, 0);
  const nullFiles = files.map((f) => ({ ...f, scores: f.scores.map(() => 0) }));
  const nullScore = nabOptimiseThreshold(nullFiles, cost).score;
  const perfectScore = cost.tpWeight * files.reduce((s, f) => s + f.windows.length, 0);
  const hits = results.reduce((s, r) => s + r.detectedWindows, 0);
  const windows = results.reduce((s, r) => s + r.windows, 0);
  const fpEvents = results.reduce((s, r) => s + r.falsePositiveEvents, 0);
  const precision = hits + fpEvents === 0 ? 0 : hits / (hits + fpEvents);
  const recall = windows === 0 ? 0 : hits / windows;
  return {
    threshold,
    rawScore,
    nullScore,
    perfectScore,
    normalisedScore:
      perfectScore === nullScore ? 0 : (100 * (rawScore - nullScore)) / (perfectScore - nullScore),
    windowPrecision: precision,
    windowRecall: recall,
    windowF1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    files: results,
  };
}
