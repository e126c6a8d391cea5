import { describe, expect, it } from 'vitest';
import { classificationReport } from '../../../src/core/troubleshooting/classificationReport.ts';

describe('classificationReport', () => {
  it('computes precision, recall, F1, accuracy and confusions', () => {
    const report = classificationReport([
      { expected: 'auth', predicted: 'auth', confidence: 0.9 },
      { expected: 'auth', predicted: 'permission', confidence: 0.5 },
      { expected: 'permission', predicted: 'permission', confidence: 0.8 },
      { expected: 'quota', predicted: 'rate_limit', confidence: 0.4 },
    ]);
    expect(report.accuracy).toBe(0.5);
    const auth = report.perClass.find((m) => m.class === 'auth');
    const permission = report.perClass.find((m) => m.class === 'permission');
    expect(auth).toMatchObject({ support: 2, precision: 1, recall: 0.5 });
    expect(auth?.f1).toBeCloseTo(2 / 3);
    expect(permission).toMatchObject({ support: 1, precision: 0.5, recall: 1 });
    expect(report.confusion.auth.permission).toBe(1);
    expect(report.topConfusions).toHaveLength(2);
    expect(report.meanConfidenceCorrect).toBeCloseTo(0.85);
    expect(report.meanConfidenceWrong).toBeCloseTo(0.45);
    // macro F1 over classes with support: auth 2/3, permission 2/3, quota 0
    expect(report.macroF1).toBeCloseTo(4 / 9);
  });
});
