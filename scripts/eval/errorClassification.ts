// Accuracy report for the error classifier on the hand-labelled fixture set: per-class
// precision/recall/F1, overall accuracy, macro F1, confidence of right vs wrong answers and the
// most frequent confusions, and how precise the auto-resolve decision is (of the steps the platform
// would fix on its own, the share whose true class is auto-resolvable). Without --fixture it also
// prints the summary of the config development set's two halves and of the holdout sets, which
// are never used for tuning. --half a|b keeps one half of the fixture, split by the parity of the
// first byte of the log's SHA-256, so rules can be tuned on half a and checked on half b.
//
//   node scripts/eval/errorClassification.ts [--fixture test/fixtures/error-classification.jsonl] [--half a|b] [--misses] [--json]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { classifyError } from '../../src/core/troubleshooting/classifyError.ts';
import { classificationReport } from '../../src/core/troubleshooting/classificationReport.ts';
import type { LabelledPrediction } from '../../src/core/troubleshooting/classificationReport.ts';
import {
  autoResolvableClasses,
  errorClasses,
  isErrorClass,
} from '../../src/core/troubleshooting/errorClass.ts';

interface LabelledCase {
  readonly service: string;
  readonly log: string;
  readonly httpStatus: number | null;
  readonly class: string;
}

const { values: args } = parseArgs({
  options: {
    fixture: { type: 'string' },
    half: { type: 'string' },
    misses: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const repoRoot = resolve(import.meta.dirname, '..', '..');
const mainFixture = 'test/fixtures/error-classification.jsonl';
const holdoutFixtures = [
  'test/fixtures/error-classification-holdout.jsonl',
  'test/fixtures/error-classification-config-holdout.jsonl',
];
const devFixture = 'test/fixtures/error-classification-config-dev.jsonl';
const fixture = args.fixture ?? mainFixture;
type Half = 'a' | 'b';
if (args.half !== undefined && args.half !== 'a' && args.half !== 'b') throw new Error('--half is a or b');
const half: Half | undefined = args.half;

function halfOf(log: string): Half {
  const first = createHash('sha256').update(log).digest()[0] ?? 0;
  return first % 2 === 0 ? 'a' : 'b';
}

interface Evaluation {
  readonly cases: readonly LabelledCase[];
  readonly report: ReturnType<typeof classificationReport>;
  /** Steps the classifier would auto-resolve, and how many of them truly are auto-resolvable. */
  readonly autoResolved: number;
  readonly autoResolvedRight: number;
  readonly misses: readonly string[];
}

function evaluate(file: string, only?: Half): Evaluation {
  const cases = readFileSync(resolve(repoRoot, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LabelledCase)
    .filter((c) => only === undefined || halfOf(c.log) === only);
  const predictions: LabelledPrediction[] = [];
  const misses: string[] = [];
  let autoResolved = 0;
  let autoResolvedRight = 0;
  for (const c of cases) {
    if (!isErrorClass(c.class)) throw new Error(`unknown label "${c.class}" for ${c.service}`);
    const result = classifyError(c);
    predictions.push({ expected: c.class, predicted: result.class, confidence: result.confidence });
    if (result.autoResolvable) {
      autoResolved += 1;
      if (autoResolvableClasses.has(c.class)) autoResolvedRight += 1;
    }
    if (result.class !== c.class) {
      const rules = result.matched.map((m) => `${m.rule}=${m.class}:${m.weight}`).join(' ');
      misses.push(
        `${c.class} -> ${result.class} (${result.confidence}) [${c.service} ${c.httpStatus ?? '-'}] ${c.log.slice(0, 140).replace(/\s+/g, ' ')}\n    ${rules}`,
      );
    }
  }
  return { cases, report: classificationReport(predictions), autoResolved, autoResolvedRight, misses };
}

const { cases, report, autoResolved, autoResolvedRight, misses } = evaluate(fixture, half);
const autoPrecision = (e: Evaluation): string =>
  `${e.autoResolved === 0 ? '-' : (e.autoResolvedRight / e.autoResolved).toFixed(3)} (${e.autoResolvedRight}/${e.autoResolved})`;

if (args.json) {
  process.stdout.write(
    `${JSON.stringify({ ...report, autoResolve: { predicted: autoResolved, correct: autoResolvedRight } }, null, 2)}\n`,
  );
} else {
  const pct = (x: number): string => x.toFixed(3);
  const services = new Set(cases.map((c) => c.service)).size;
  const lines = [
    `fixture: ${fixture}${half === undefined ? '' : ` half ${half}`} (${report.total} cases, ${services} services)`,
    '',
    `${'class'.padEnd(18)} ${'support'.padStart(7)} ${'precision'.padStart(9)} ${'recall'.padStart(7)} ${'f1'.padStart(6)}`,
    ...report.perClass.map(
      (m) =>
        `${m.class.padEnd(18)} ${String(m.support).padStart(7)} ${pct(m.precision).padStart(9)} ${pct(m.recall).padStart(7)} ${pct(m.f1).padStart(6)}`,
    ),
    '',
    `accuracy           ${pct(report.accuracy)}`,
    `macro F1           ${pct(report.macroF1)}`,
    `mean confidence    ${pct(report.meanConfidenceCorrect)} when right, ${pct(report.meanConfidenceWrong)} when wrong`,
    `auto-resolve prec. ${autoPrecision({ cases, report, autoResolved, autoResolvedRight, misses })}`,
    '',
    'top confusions (expected -> predicted: count)',
    ...(report.topConfusions.length === 0
      ? ['  none']
      : report.topConfusions.slice(0, 12).map((c) => `  ${c.expected} -> ${c.predicted}: ${c.count}`)),
    '',
    'confusion matrix (rows expected, columns predicted)',
    `${''.padEnd(18)}${errorClasses.map((c) => c.slice(0, 5).padStart(6)).join('')}`,
    ...errorClasses.map(
      (e) => `${e.padEnd(18)}${errorClasses.map((p) => String(report.confusion[e][p]).padStart(6)).join('')}`,
    ),
  ];
  if (args.misses) lines.push('', 'misclassified cases', ...misses);
  const summary = (label: string, e: Evaluation): string => {
    const perClass = e.report.perClass.filter((m) => m.support > 0);
    const lowest = perClass.reduce((a, b) => (b.f1 < a.f1 ? b : a));
    const config = perClass.find((m) => m.class === 'config');
    return (
      `  ${label}: ${e.report.total} cases, accuracy ${pct(e.report.accuracy)}, macro F1 ${pct(e.report.macroF1)}, ` +
      `config recall ${config === undefined ? '-' : pct(config.recall)} precision ${config === undefined ? '-' : pct(config.precision)}, ` +
      `lowest F1 ${lowest.class} ${pct(lowest.f1)}, auto-resolve precision ${autoPrecision(e)}`
    );
  };
  if (args.fixture === undefined) {
    lines.push('', 'config development set (half a tunes the rules, half b checks them)');
    for (const h of ['a', 'b'] as const)
      lines.push(summary(`${devFixture} half ${h}`, evaluate(devFixture, h)));
    lines.push('', 'holdout sets (never used for tuning)');
    for (const file of holdoutFixtures) lines.push(summary(file, evaluate(file)));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
