import { errorClasses } from './errorClass.ts';
import type { ErrorClass } from './errorClass.ts';

export interface LabelledPrediction {
  readonly expected: ErrorClass;
  readonly predicted: ErrorClass;
  readonly confidence: number;
}

export interface ClassMetrics {
  readonly class: ErrorClass;
  readonly support: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface ClassificationReport {
  readonly total: number;
  readonly accuracy: number;
  readonly macroF1: number;
  readonly perClass: readonly ClassMetrics[];
  /** confusion[expected][predicted] = count */
  readonly confusion: Readonly<Record<ErrorClass, Readonly<Record<ErrorClass, number>>>>;
  /** Off-diagonal cells, most frequent first. */
  readonly topConfusions: readonly { expected: ErrorClass; predicted: ErrorClass; count: number }[];
  readonly meanConfidenceCorrect: number;
  readonly meanConfidenceWrong: number;
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function emptyRow(): Record<ErrorClass, number> {
  return Object.fromEntries(errorClasses.map((c) => [c, 0])) as Record<ErrorClass, number>;
}

/** Precision/recall/F1 per class, accuracy and the confusion matrix of labelled predictions. */
export function classificationReport(results: readonly LabelledPrediction[]): ClassificationReport {
  const confusion = Object.fromEntries(errorClasses.map((c) => [c, emptyRow()])) as Record<
    ErrorClass,
    Record<ErrorClass, number>
  >;
  let correct = 0;
  let confidenceCorrect = 0;
  let confidenceWrong = 0;
  for (const r of results) {
    confusion[r.expected][r.predicted] += 1;
    if (r.expected === r.predicted) {
      correct++;
      confidenceCorrect += r.confidence;
    } else {
      confidenceWrong += r.confidence;
    }
  }

  const perClass = errorClasses.map((cls): ClassMetrics => {
    const truePositives = confusion[cls][cls];
    const support = errorClasses.reduce((sum, p) => sum + confusion[cls][p], 0);
    const predicted = errorClasses.reduce((sum, e) => sum + confusion[e][cls], 0);
    const precision = ratio(truePositives, predicted);
    const recall = ratio(truePositives, support);
    return { class: cls, support, precision, recall, f1: ratio(2 * precision * recall, precision + recall) };
  });
  const present = perClass.filter((m) => m.support > 0);

  const topConfusions: { expected: ErrorClass; predicted: ErrorClass; count: number }[] = [];
  for (const expected of errorClasses) {
    for (const predicted of errorClasses) {
      const count = confusion[expected][predicted];
      if (expected !== predicted && count > 0) topConfusions.push({ expected, predicted, count });
    }
  }
  topConfusions.sort((a, b) => b.count - a.count);

  const wrong = results.length - correct;
  return {
    total: results.length,
    accuracy: ratio(correct, results.length),
    macroF1: ratio(
      present.reduce((sum, m) => sum + m.f1, 0),
      present.length,
    ),
    perClass,
    confusion,
    topConfusions,
    meanConfidenceCorrect: ratio(confidenceCorrect, correct),
    meanConfidenceWrong: ratio(confidenceWrong, wrong),
  };
}
