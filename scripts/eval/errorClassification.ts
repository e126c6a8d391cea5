// Accuracy report for the error classifier on the hand-labelled fixture set: per-class
// precision/recall/F1, overall accuracy, macro F1, confidence of right vs wrong answers and the
// most frequent confusions.
//
//   node scripts/eval/errorClassification.ts [--fixture test/fixtures/error-classification.jsonl] [--misses] [--json]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { classifyError } from '../../src/core/troubleshooting/classifyError.ts';
import { classificationReport } from '../../src/core/troubleshooting/classificationReport.ts';
import type { LabelledPrediction } from '../../src/core/troubleshooting/classificationReport.ts';
import { errorClasses, isErrorClass } from '../../src/core/troubleshooting/errorClass.ts';

interface LabelledCase {
  readonly service: string;
  readonly log: string;
  readonly httpStatus: number | null;
  readonly class: string;
}

const { values: args } = parseArgs({
  options: {
    fixture: { type: 'string', default: 'test/fixtures/error-classification.jsonl' },
    misses: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const repoRoot = resolve(import.meta.dirname, '..', '..');
const cases = readFileSync(resolve(repoRoot, args.fixture), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as LabelledCase);

const predictions: LabelledPrediction[] = [];
const misses: string[] = [];
for (const c of cases) {
  if (!isErrorClass(c.class)) throw new Error(`unknown label "${c.class}" for ${c.service}`);
  const result = classifyError(c);
  predictions.push({ expected: c.class, predicted: result.class, confidence: result.confidence });
  if (result.class !== c.class) {
    const rules = result.matched.map((m) => `${m.rule}=${m.class}:${m.weight}`).join(' ');
    misses.push(
      `${c.class} -> ${result.class} (${result.confidence}) [${c.service} ${c.httpStatus ?? '-'}] ${c.log.slice(0, 140).replace(/\s+/g, ' ')}\n    ${rules}`,
    );
  }
}
const report = classificationReport(predictions);

if (args.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const pct = (x: number): string => x.toFixed(3);
  const services = new Set(cases.map((c) => c.service)).size;
  const lines = [
    `fixture: ${args.fixture} (${report.total} cases, ${services} services)`,
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
  process.stdout.write(`${lines.join('\n')}\n`);
}
