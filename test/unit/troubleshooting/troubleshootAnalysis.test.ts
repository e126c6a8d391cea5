import { describe, expect, it } from 'vitest';
import { generateWorkflow } from '../../../src/core/generation/generateWorkflow.ts';
import type { WorkflowDefinition } from '../../../src/core/generation/workflowDefinition.ts';
import {
  analyzeFailures,
  type RecordedEvidence,
} from '../../../src/core/troubleshooting/troubleshootAnalysis.ts';

const NOW = Date.UTC(2026, 10, 20, 9, 0, 0);
const MINUTE = 60_000;

function workflow(description: string): WorkflowDefinition {
  const r = generateWorkflow(
    { description, tenantId: 't1', userId: 'u', strategy: 'hybrid', workflowId: 'w1', now: NOW },
    { reliability: new Map() },
  );
  if (r.status !== 'generated') throw new Error('not generated');
  return r.workflow;
}

const sheets = workflow('When a Typeform is submitted, append a row to Google Sheets');
const GOOGLE = '{"error":{"code":403,"errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded"}]}}';
const QUOTA =
  '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}';

const recorded = (over: Partial<RecordedEvidence> = {}): RecordedEvidence => ({
  windowHours: 1,
  runs: 100,
  failedRuns: 40,
  baselineRuns: 100,
  baselineFailedRuns: 1,
  failures: [
    {
      stepId: 'google-sheets-append-row',
      service: 'google-sheets',
      errorClass: 'rate_limit',
      errorCode: 'userRateLimitExceeded',
      httpStatus: 403,
      message: GOOGLE,
      failures: 40,
      firstSeen: NOW - 20 * MINUTE,
      lastSeen: NOW - MINUTE,
      maxVersion: 1,
    },
  ],
  otherWorkflows: [],
  ...over,
});

describe('troubleshooting analysis', () => {
  it('ranks the rate limit first, with evidence, and fixes only the failing service steps', () => {
    const a = analyzeFailures({
      errorLogs: [{ service: 'google-sheets', stepId: null, log: GOOGLE, httpStatus: 403, occurredAt: null }],
      evidence: recorded(),
      current: sheets,
      versions: [{ version: 1, publishedAt: NOW - 10 * 24 * 60 * MINUTE }],
      autoResolve: true,
      now: NOW,
    });
    expect(a.hypotheses[0]).toMatchObject({
      kind: 'service_error',
      errorClass: 'rate_limit',
      service: 'google-sheets',
    });
    expect(a.hypotheses[0]?.evidence.join(' ')).toMatch(/40 failed attempts recorded with rate_limit/);
    expect(a.failureRate).toBe(0.4);
    expect(a.baselineFailureRate).toBe(0.01);
    expect(a.fix?.changedSteps).toEqual(['google-sheets-append-row']);
    const [before] = sheets.steps;
    const [after] = a.fix?.definition.steps ?? [];
    expect(after?.retry.initialDelayMs).toBeGreaterThan(before?.retry.initialDelayMs ?? Infinity);
    expect(after?.retry.respectRetryAfter).toBe(true);
    expect(a.hypotheses.some((h) => h.kind === 'version_regression')).toBe(false);
  });

  it('never auto-resolves a quota failure, and says so', () => {
    const a = analyzeFailures({
      errorLogs: [{ service: 'openai', stepId: null, log: QUOTA, httpStatus: 429, occurredAt: null }],
      evidence: null,
      current: sheets,
      versions: [],
      autoResolve: true,
      now: NOW,
    });
    expect(a.fix).toBeNull();
    expect(a.recommendations[0]).toMatchObject({ action: 'raise_quota', automatic: false });
  });

  it('names a version published shortly before the failures began, and a provider-side incident', () => {
    const a = analyzeFailures({
      errorLogs: [],
      evidence: recorded({
        otherWorkflows: [{ service: 'google-sheets', errorClass: 'rate_limit', workflows: 4 }],
      }),
      current: sheets,
      versions: [
        { version: 1, publishedAt: NOW - 5 * 24 * 60 * MINUTE },
        { version: 2, publishedAt: NOW - 25 * MINUTE },
      ],
      autoResolve: false,
      now: NOW,
    });
    expect(a.hypotheses.find((h) => h.kind === 'version_regression')).toMatchObject({ version: 2 });
    expect(a.hypotheses.find((h) => h.kind === 'provider_incident')?.summary).toMatch(/4 other workflows/);
    expect(a.recommendations.map((r) => r.action)).toContain('roll_back');
    expect(a.fix).toBeNull();
  });
});
