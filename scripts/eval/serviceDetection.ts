// Scores service detection on a labelled JSONL set (default: the n8n templates dev set in
// ../shared/service-detection/), with the comparison rules of that set's README: ids compared
// after lower-casing and removing every character outside [a-z0-9], then through a small alias
// table. Prints exact-set accuracy, channel accuracy (gold ⊆ predicted), micro P/R/F1, catalog
// coverage, the most missed and most wrongly added services; the last line is
// `exact=0.NN channel=0.NN f1=0.NN`.
//
//   node scripts/eval/serviceDetection.ts [DATA.jsonl] [--predictions OUT.jsonl] [--errors N] [--threshold T]
//                                         [--split a|b] [--ceiling]
//
// --split keeps one deterministic half of the rows (by the first byte of the SHA-256 of the
// text: even -> a, odd -> b), so that errors are studied on one half and the other half checks
// that a change carries over to text it was not tuned on.
// --ceiling counts, among the missed gold services, those the text names at all: one of the
// service's catalog names or aliases occurs in it as words, casing and context conditions ignored
// (an upper bound on what reading names can recover; the rest are never named in the text).
// --predictions scores a file of detector output lines (e.g. from `pulse services detect --jsonl`)
// instead of running the detector in-process.
//
// A service counts as predicted only when the detector reports it and does not mark it implied
// (a role's most common product is a guess to confirm, not a detection). The figures counting
// implied services too (those marked in `services` and those in `implied`) are printed on the
// `with implied:` line. --errors tags each added service with where it came from when the
// detector runs in-process: (generated) for a generated-catalog service, (implied) for a guess.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compileCatalog } from '../../src/core/services/detectServices.ts';
import { aliasKey, detectionCatalog, type ServiceCatalog } from '../../src/core/services/serviceCatalog.ts';

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

/** What the detector gave for one text: services it reports, and services it only implies. */
interface Prediction {
  readonly named: readonly string[];
  readonly implied: readonly string[];
}

interface PredictedService {
  readonly id?: unknown;
  readonly implied?: unknown;
}

function predictionOf(r: {
  services?: readonly PredictedService[];
  implied?: readonly PredictedService[];
}): Prediction {
  const services = r.services ?? [];
  return {
    named: services.filter((s) => s.implied !== true).map((s) => String(s.id)),
    implied: [...services.filter((s) => s.implied === true), ...(r.implied ?? [])].map((s) => String(s.id)),
  };
}

function readPredictions(path: string): Prediction[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) =>
      predictionOf(JSON.parse(l) as { services?: PredictedService[]; implied?: PredictedService[] }),
    );
}

interface Scores {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Micro precision, recall and F1 of predicted id sets against the gold sets. */
function score(rows: readonly Row[], predicted: readonly (readonly string[])[]): Scores {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  rows.forEach((row, i) => {
    const p = new Set((predicted[i] ?? []).map(normaliseId));
    for (const g of row.gold) if (p.has(g)) tp++;
    fn += [...row.gold].filter((g) => !p.has(g)).length;
    fp += [...p].filter((id) => !row.gold.has(id)).length;
  });
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, precision, recall, f1 };
}

/** Per normalised id, the catalog's names for it as alias keys ("google sheets", "gsheets"). */
function namesById(catalog: ServiceCatalog): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of catalog.services) {
    const id = normaliseId(s.id);
    const names = [
      s.name,
      s.id.replace(/-/g, ' '),
      ...s.aliases.map((a) => (typeof a === 'string' ? a : a.text)),
    ];
    out.set(id, [...(out.get(id) ?? []), ...names.map(aliasKey).filter((k) => k !== '')]);
  }
  return out;
}

/** Whether the text names the service: one of its names occurs in it as whole words. */
function namedInText(text: string, names: readonly string[]): boolean {
  const words = ` ${aliasKey(text)} `;
  return names.some((n) => words.includes(` ${n} `));
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
      ceiling: { type: 'boolean', default: false },
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

  let predictions: Prediction[];
  let seconds = 0;
  const catalog = detectionCatalog();
  if (values.predictions !== undefined) {
    const all = readPredictions(values.predictions);
    if (all.length !== allRows.length) {
      throw new Error(`${values.predictions}: ${all.length} lines for ${allRows.length} rows`);
    }
    predictions = all.filter((_, i) => keep[i]);
  } else {
    const matcher = compileCatalog(catalog);
    const opts = { explain: true, ...(threshold === undefined ? {} : { threshold }) };
    const t0 = performance.now();
    predictions = rows.map((r) => predictionOf(matcher.detect(r.text, opts)));
    seconds = (performance.now() - t0) / 1000;
  }
  const predicted = predictions.map((p) => p.named);
  const withImplied = score(
    rows,
    predictions.map((p) => [...p.named, ...p.implied]),
  );
  const origin = (id: string, i: number): string => {
    if (values.predictions !== undefined) return '';
    if (predictions[i]?.implied.some((x) => normaliseId(x) === id)) return ' (implied)';
    const s = catalog.services.find((x) => normaliseId(x.id) === id);
    return s?.group === 'generated' ? ' (generated)' : '';
  };

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
  const names = values.ceiling ? namesById(catalog) : undefined;
  let missedNamed = 0;
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
        if (names && namedInText(row.text, names.get(g) ?? [g])) missedNamed++;
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
    const guessed = (predictions[i]?.implied ?? [])
      .map(normaliseId)
      .filter((id) => !p.has(id))
      .map((id) => `${id}${row.gold.has(id) ? ' ✓' : ''}`);
    if ((missed.length > 0 || added.length > 0) && errors.length < showErrors) {
      errors.push(
        `- missed [${missed.join(', ')}] added [${added.map((id) => id + origin(id, i)).join(', ')}]` +
          ` implied [${guessed.join(', ')}]: ${row.text}`,
      );
    }
  });

  const n = rows.length;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const covered = [...goldSlugs].filter((g) => everPredicted.has(g)).length;
  const catalogIds = new Set(catalog.services.map((s) => normaliseId(s.id)));
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
    `with implied:       P ${fmt(withImplied.precision)} R ${fmt(withImplied.recall)} F1 ${fmt(withImplied.f1)} (TP ${withImplied.tp}, FP ${withImplied.fp}, FN ${withImplied.fn})`,
  );
  out.push(
    `catalog coverage:   ${fmt(covered / goldSlugs.size)} predicted at least once (${covered}/${goldSlugs.size}); in catalog ${inCatalog}/${goldSlugs.size}`,
  );
  if (names) {
    out.push(
      `missed but named:   ${missedNamed}/${fn} missed gold services have a catalog name in the text; ` +
        `recall if all were found ${fmt((tp + missedNamed) / (tp + fn))}`,
    );
  }
  out.push(`top misses:          ${top(misses, topN)}`);
  out.push(`top false positives: ${top(extras, topN)}`);
  if (errors.length > 0) out.push('errors:', ...errors);
  out.push(`exact=${fmt(exact / n)} channel=${fmt(channel / n)} f1=${fmt(f1)}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
