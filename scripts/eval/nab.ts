// NAB evaluation of the streaming anomaly detector: every data file under the NAB directory (read at
// run time, default ../shared/nab) goes through CsvAnomalyScorer, the very code behind `pulse
// detect`, fresh per file; the scores are then judged with NAB's standard profile (see
// src/core/detection/nabScorer.ts for the scoring rule and its equivalence choices).
//
//   node scripts/eval/nab.ts [--nab ../shared/nab] [--json] [--no-files]
//
// Reports the normalised NAB score at the corpus-optimal threshold, window-level precision / recall
// / F1 at that threshold, a per-file breakdown, and a leave-one-folder-out check: each folder scored
// at the threshold the other folders would have chosen (how much the threshold, the one thing fitted
// to labels, carries over to unseen series).
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CsvAnomalyScorer, parseCsvTimestamp } from '../../src/core/detection/csvAnomalyScorer.ts';
import {
  NAB_STANDARD_PROFILE,
  nabOptimiseThreshold,
  nabScoreCorpus,
} from '../../src/core/detection/nabScorer.ts';
import type { NabCorpusResult, NabFile } from '../../src/core/detection/nabScorer.ts';

const { values: args } = parseArgs({
  options: {
    nab: { type: 'string', default: '../shared/nab' },
    json: { type: 'boolean', default: false },
    'no-files': { type: 'boolean', default: false },
  },
});
const repoRoot = resolve(import.meta.dirname, '..', '..');
const nabDir = resolve(repoRoot, args.nab);

/** Runs one CSV through the same scorer `pulse detect` uses and returns its rows and scores. */
function detectFile(path: string): { timestamps: number[]; scores: number[] } {
  const scorer = new CsvAnomalyScorer();
  const timestamps: number[] = [];
  const scores: number[] = [];
  let header = true;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const out = scorer.push(line);
    if (out === undefined) continue;
    if (header) {
      header = false;
      continue;
    }
    const comma = out.indexOf(',');
    timestamps.push(parseCsvTimestamp(out.slice(0, comma)));
    scores.push(Number(out.slice(out.lastIndexOf(',') + 1)));
  }
  return { timestamps, scores };
}

const labels = JSON.parse(readFileSync(join(nabDir, 'labels', 'combined_windows.json'), 'utf8')) as Record<
  string,
  [string, string][]
>;
// Every labelled file that is present (a subset of NAB may ship fewer folders than the labels name).
const present = new Set(
  readdirSync(join(nabDir, 'data'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(nabDir, 'data', d.name)).map((f) => `${d.name}/${f}`)),
);
const names = Object.keys(labels)
  .filter((n) => present.has(n))
  .sort();
if (names.length === 0) throw new Error(`no labelled NAB data files under ${nabDir}`);

const started = performance.now();
let rows = 0;
const files: NabFile[] = names.map((name) => {
  const { timestamps, scores } = detectFile(join(nabDir, 'data', name));
  rows += timestamps.length;
  const windows = (labels[name] ?? []).map(([a, b]) => [parseCsvTimestamp(a), parseCsvTimestamp(b)] as const);
  return { name, timestamps, scores, windows };
});
const detectMs = performance.now() - started;

const result = nabScoreCorpus(files, NAB_STANDARD_PROFILE);
const folders = [...new Set(names.map((n) => n.split('/')[0] ?? ''))];
const byFolder = folders.map((folder) => {
  const inside = files.filter((f) => f.name.startsWith(`${folder}/`));
  const others = files.filter((f) => !f.name.startsWith(`${folder}/`));
  const own = nabScoreCorpus(inside, NAB_STANDARD_PROFILE, result.threshold);
  const heldOutThreshold = nabOptimiseThreshold(others, NAB_STANDARD_PROFILE).threshold;
  const heldOut = nabScoreCorpus(inside, NAB_STANDARD_PROFILE, heldOutThreshold);
  const corpusAtHeldOut = nabScoreCorpus(files, NAB_STANDARD_PROFILE, heldOutThreshold);
  return { folder, files: inside.length, own, heldOutThreshold, heldOut, corpusAtHeldOut };
});
// Leave-one-folder-out total: each folder's raw score at its held-out threshold, normalised as usual.
const lofoRaw = byFolder.reduce((s, f) => s + f.heldOut.rawScore, 0);
const lofoScore = (100 * (lofoRaw - result.nullScore)) / (result.perfectScore - result.nullScore);

if (args.json) {
  const slim = (r: NabCorpusResult): Omit<NabCorpusResult, 'files'> => {
    const { files: _files, ...rest } = r;
    return rest;
  };
  process.stdout.write(
    JSON.stringify(
      {
        nabDir,
        files: files.length,
        rows,
        detectMs: Math.round(detectMs),
        ...slim(result),
        leaveOneFolderOut: {
          score: lofoScore,
          folders: byFolder.map((f) => ({
            folder: f.folder,
            ...slim(f.heldOut),
          })),
        },
        perFile: result.files,
      },
      null,
      2,
    ) + '\n',
  );
} else {
  const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
  const out: string[] = [];
  out.push(`NAB evaluation (standard profile) of ${files.length} files, ${rows} rows from ${nabDir}`);
  out.push(`detection: ${Math.round(detectMs)} ms (${((1000 * rows) / detectMs).toFixed(0)} rows/s)`);
  out.push('');
  out.push(`NAB score (standard): ${result.normalisedScore.toFixed(2)}   [null 0, perfect 100]`);
  out.push(
    `  threshold ${result.threshold.toFixed(6)} (corpus-optimal), raw ${result.rawScore.toFixed(3)} (null ${result.nullScore}, perfect ${result.perfectScore})`,
  );
  out.push(
    `window-level at that threshold: precision ${pct(result.windowPrecision)}  recall ${pct(result.windowRecall)}  F1 ${pct(result.windowF1)}`,
  );
  out.push('');
  out.push(
    `leave-one-folder-out (each folder at the threshold optimal for the others): ${lofoScore.toFixed(2)}`,
  );
  for (const f of byFolder) {
    out.push(
      `  ${f.folder.padEnd(24)} ${String(f.files).padStart(2)} files  threshold ${f.heldOutThreshold.toFixed(4)}  raw ${f.heldOut.rawScore.toFixed(2).padStart(7)} (at corpus threshold ${f.own.rawScore.toFixed(2).padStart(7)})  windows ${f.heldOut.files.reduce((s, r) => s + r.detectedWindows, 0)}/${f.heldOut.files.reduce((s, r) => s + r.windows, 0)}`,
    );
  }
  if (!args['no-files']) {
    out.push('');
    out.push(
      'per file at the corpus threshold: raw NAB score, windows detected, false-positive rows (events)',
    );
    for (const r of result.files) {
      out.push(
        `  ${r.name.padEnd(58)} ${r.score.toFixed(3).padStart(7)}  ${r.detectedWindows}/${r.windows}  fp ${r.falsePositiveRows} (${r.falsePositiveEvents})`,
      );
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}
