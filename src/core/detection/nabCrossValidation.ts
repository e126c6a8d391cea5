// Leave-one-folder-out cross-validation over NAB's scoring (nabScorer.ts): every choice fitted to
// labels (the alarm threshold and any detector setting) is made on the other folders only, then the
// held-out folder is scored with it. NAB folders are families of series (artificial, ad exchange,
// known-cause machine data), so a held-out folder is the closest the dev set comes to unseen series.
//
// A candidate is one detector setting with the scores it gave every file. Per fold the candidate with
// the best raw NAB score on the training folders (at its own optimal threshold) wins; ties keep the
// earlier candidate, so a caller that lists its shipped defaults first keeps them unless something
// is strictly better. A folder without labelled windows cannot be held out (its null and perfect
// scores are both 0, so it has no normalised score): it only ever trains, where its false alarms
// count against every candidate.
import { NAB_STANDARD_PROFILE, nabOptimiseThreshold, nabScoreCorpus } from './nabScorer.ts';
import type { NabCorpusResult, NabCostMatrix, NabFile } from './nabScorer.ts';

export interface NabCvCandidate<S> {
  readonly settings: S;
  /** The candidate's scores for every file of the corpus (same files, same order, for every candidate). */
  readonly files: readonly NabFile[];
}

export interface NabCvFold<S> {
  /** The held-out folder. */
  readonly folder: string;
  /** The settings and threshold chosen on the other folders. */
  readonly settings: S;
  readonly threshold: number;
  /** Normalised score of the choice on the folders it was chosen on. */
  readonly trainScore: number;
  /** The held-out folder scored with the choice (normalised within the folder). */
  readonly heldOut: NabCorpusResult;
}

/** The folder of a corpus file name such as `realKnownCause/nyc_taxi.csv` ('' for a bare name). */
export function nabFolderOf(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

/** Folders that have at least one labelled window, in order of first appearance. */
export function nabLabelledFolders(files: readonly NabFile[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const folder = nabFolderOf(f.name);
    if (f.windows.length > 0 && !out.includes(folder)) out.push(folder);
  }
  return out;
}

/** One fold per labelled folder, each choosing among `candidates` on the other folders only. */
export function nabLeaveOneFolderOut<S>(
  candidates: readonly NabCvCandidate<S>[],
  cost: NabCostMatrix = NAB_STANDARD_PROFILE,
): NabCvFold<S>[] {
  const first = candidates[0];
  if (first === undefined) throw new RangeError('cross-validation needs at least one candidate');
  return nabLabelledFolders(first.files).map((folder) => {
    const train = (c: NabCvCandidate<S>): NabFile[] => c.files.filter((f) => nabFolderOf(f.name) !== folder);
    let best = { candidate: first, ...nabOptimiseThreshold(train(first), cost) };
    for (const candidate of candidates.slice(1)) {
      const opt = nabOptimiseThreshold(train(candidate), cost);
      if (opt.score > best.score) best = { candidate, ...opt };
    }
    const heldOutFiles = best.candidate.files.filter((f) => nabFolderOf(f.name) === folder);
    return {
      folder,
      settings: best.candidate.settings,
      threshold: best.threshold,
      trainScore: nabScoreCorpus(train(best.candidate), cost, best.threshold).normalisedScore,
      heldOut: nabScoreCorpus(heldOutFiles, cost, best.threshold),
    };
  });
}
