// Scores service detection on a labelled JSONL set (default: the n8n templates dev set in
// ../shared/service-detection/), with the comparison rules of that set's README: ids compared
// after lower-casing and removing every character outside [a-z0-9], then through a small alias
// table. Prints exact-set accuracy, channel accuracy (gold ⊆ predicted), micro P/R/F1, catalog
// coverage, the most missed and most wrongly added services; the last line is
// `exact=0.NN channel=0.NN f1=0.NN`.
//
//   node scripts/eval/serviceDetection.ts [DATA.jsonl] [--predictions OUT.jsonl] [--errors N] [--threshold T]
//                                         [--split a|b]
//
// --split keeps one deterministic half of the rows (by the first byte of the SHA-256 of the
// text: even -> a, odd -> b), so that errors are studied on one half and the other half checks
// that a change carries over to text it was not tuned on.
// --predictions scores a file of detector output lines (e.g. from `pulse services detect --jsonl`)
// instead of running the detector in-process.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compileCatalog } from '../../src/core/services/detectServices.ts';
import { detectionCatalog } from '../../src/core/services/serviceCatalog.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const DEFAULT_DATA = resolve(repoRoot, '../shared/service-detection/n8n-templates.jsonl');

/** Different names of one service, after normalisation (README: "a small alias table"). */
const ALIASES: Readonly<Record<string, string>> = {
  googlemail: 'gmail',
  outlook: 'microsoftoutlook',
  x: 'twitter',
  xtwitter: 'twitter',
  chatgpt: 'openai',
  microsoftonedrive: 'onedrive',
  s3: 'awss3',
  amazons3: 'awss3',
  mondaycom: 'monday',
  postgresql: 'postgres',
  gemini: 'googlegemini',
  googlepalm: 'googlegemini',
  claude: 'anthropic',
  mistral: 'mistralai',
  facebookgraphapi: 'facebook',
  whatsappbusiness: 'whatsapp',
  microsoftexcel365: 'microsoftexcel',
  hackernews: 'hackernews',
  calcom: 'calcom',
  cal: 'calcom',
  sentry: 'sentryio',
  grok: 'xai',
  vertexai: 'googlevertexai',
};

export function normaliseId(id: string): string {
  const n = id.toLowerCase().replace(/[^a-z0-9]/g, '');
  return ALIASES[n] ?? n;
}

interface Row {
  readonly text: string;
  readonly gold: ReadonlySet<string>;
  readonly goldRaw: readonly string[];
}

function readRows(path: string): Row[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const r = JSON.parse(l) as { text?: unknown; services?: unknown };
      if (typeof r.text !== 'string' || !Array.isArray(r.services))
        throw new Error(`${path}:${i + 1}: bad row`);
      const goldRaw = r.services.map(String);
      return { text: r.text, gold: new Set(goldRaw.map(normaliseId)), goldRaw };
    });
}

/** The half ('a' or 'b') a text belongs to: parity of the first byte of its SHA-256. */
export function splitOf(text: string): 'a' | 'b' {
  const first = createHash('sha256').update(text, 'utf8').digest()[0] ?? 0;
  return first % 2 === 0 ? 'a' : 'b';
}

function readPredictions(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const r = JSON.parse(l) as { services?: { id?: unknown }[] };
      return (r.services ?? []).map((s) => String(s.id));
    });
}

function top(counts: Map<string, number>, n: number): string {
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function fmt(x: number): string {
  return x.toFixed(2);
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      predictions: { type: 'string' },
      errors: { type: 'string', default: '0' },
      threshold: { type: 'string' },
      top: { type: 'string', default: '15' },
      split: { type: 'string' },
    },
  });
  const dataPath = resolve(positionals[0] ?? DEFAULT_DATA);
  const split = values.split;
  if (split !== undefined && split !== 'a' && split !== 'b')
    throw new Error(`--split must be a or b, got "${split}"`);
  const allRows = readRows(dataPath);
  const keep = allRows.map((r) => split === undefined || splitOf(r.text) === split);
  const rows = allRows.filter((_, i) => keep[i]);
  const topN = Number(values.top);
  const showErrors = Number(values.errors);
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold);

  let predicted: string[][];
  let seconds = 0;
  if (values.predictions !== undefined) {
    const all = readPredictions(values.predictions);
    if (all.length !== allRows.length) {
      throw new Error(`${values.predictions}: ${all.length} lines for ${allRows.length} rows`);
    }
    predicted = all.filter((_, i) => keep[i]);
  } else {
    const matcher = compileCatalog(detectionCatalog());
    const opts = threshold === undefined ? {} : { threshold };
    const t0 = performance.now();
    predicted = rows.map((r) => matcher.detect(r.text, opts).services.map((s) => s.id));
    seconds = (performance.now() - t0) / 1000;
  }

  let exact = 0;
  let channel = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const misses = new Map<string, number>();
  const extras = new Map<string, number>();
  const everPredicted = new Set<string>();
  const goldSlugs = new Set<string>();
  const errors: string[] = [];
  rows.forEach((row, i) => {
    const p = new Set((predicted[i] ?? []).map(normaliseId));
    for (const g of row.gold) goldSlugs.add(g);
    for (const id of p) everPredicted.add(id);
    let hit = 0;
    const missed: string[] = [];
    const added: string[] = [];
    for (const g of row.gold) {
      if (p.has(g)) hit++;
      else {
        missed.push(g);
        misses.set(g, (misses.get(g) ?? 0) + 1);
      }
    }
    for (const id of p) {
      if (!row.gold.has(id)) {
        added.push(id);
        extras.set(id, (extras.get(id) ?? 0) + 1);
      }
    }
    tp += hit;
    fn += row.gold.size - hit;
    fp += added.length;
    if (missed.length === 0) channel++;
    if (missed.length === 0 && added.length === 0) exact++;
    if ((missed.length > 0 || added.length > 0) && errors.length < showErrors) {
      errors.push(`- missed [${missed.join(', ')}] added [${added.join(', ')}]: ${row.text}`);
    }
  });

  const n = rows.length;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const covered = [...goldSlugs].filter((g) => everPredicted.has(g)).length;
  const catalogIds = new Set(detectionCatalog().services.map((s) => normaliseId(s.id)));
  const inCatalog = [...goldSlugs].filter((g) => catalogIds.has(g)).length;

  const out: string[] = [];
  const part = split === undefined ? '' : `, half ${split}`;
  out.push(`data: ${dataPath}${part} (${n} lines, ${goldSlugs.size} distinct gold services)`);
  if (seconds > 0) out.push(`speed: ${Math.round(n / seconds)} lines/s (${(seconds * 1000).toFixed(1)} ms)`);
  out.push(`exact-set accuracy: ${fmt(exact / n)} (${exact}/${n})`);
  out.push(`channel accuracy:   ${fmt(channel / n)} (${channel}/${n})`);
  out.push(`micro precision:    ${fmt(precision)} (TP ${tp}, FP ${fp})`);
  out.push(`micro recall:       ${fmt(recall)} (FN ${fn})`);
  out.push(`micro F1:           ${fmt(f1)}`);
  out.push(
    `catalog coverage:   ${fmt(covered / goldSlugs.size)} predicted at least once (${covered}/${goldSlugs.size}); in catalog ${inCatalog}/${goldSlugs.size}`,
  );
  out.push(`top misses:          ${top(misses, topN)}`);
  out.push(`top false positives: ${top(extras, topN)}`);
  if (errors.length > 0) out.push('errors:', ...errors);
  out.push(`exact=${fmt(exact / n)} channel=${fmt(channel / n)} f1=${fmt(f1)}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
