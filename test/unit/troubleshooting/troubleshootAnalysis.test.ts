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

describe('troubleshooting analysis: a step failing at its address since a settings change', () => {
  const STEP = 'google-sheets-append-row';
  const published = NOW - 30 * MINUTE;
  const withInputs = (
    version: number,
    service: string,
    inputs: Record<string, string>,
  ): WorkflowDefinition => ({
    ...sheets,
    version,
    steps: sheets.steps.map((s) =>
      s.stepId === STEP ? { ...s, service, inputs: { ...s.inputs, ...inputs } } : s,
    ),
  });
  const NOT_FOUND = '{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}';
  const v1 = withInputs(1, 'google-sheets', { documentId: '1AbCdEf' });
  const v2 = withInputs(2, 'google-sheets', { documentId: '1AbCdEg' });
  const versions = [
    { version: 1, publishedAt: NOW - 10 * 24 * 60 * MINUTE, definition: v1 },
    { version: 2, publishedAt: published, definition: v2 },
  ];
  const notFound = (over: Partial<RecordedEvidence['failures'][number]> = {}): RecordedEvidence =>
    recorded({
      runs: 60,
      failedRuns: 30,
      failures: [
        {
          stepId: STEP,
          service: 'google-sheets',
          errorClass: 'not_found',
          errorCode: 'NOT_FOUND',
          httpStatus: 404,
          message: NOT_FOUND,
          failures: 30,
          firstSeen: published + MINUTE,
          lastSeen: NOW - MINUTE,
          maxVersion: 2,
          ...over,
        },
      ],
    });

  it('ranks config first, names the changed setting and offers no automatic fix', () => {
    const a = analyzeFailures({
      errorLogs: [
        { service: 'google-sheets', stepId: STEP, log: NOT_FOUND, httpStatus: 404, occurredAt: NOW - MINUTE },
      ],
      evidence: notFound(),
      current: v2,
      versions,
      autoResolve: true,
      now: NOW,
    });
    expect(a.hypotheses[0]).toMatchObject({
      kind: 'config_change',
      stepId: STEP,
      errorClass: 'config',
      version: 2,
    });
    expect(a.hypotheses.some((h) => h.errorClass === 'not_found')).toBe(false);
    expect(a.hypotheses[0]?.evidence[0]).toBe('version 2 changed documentId from "1AbCdEf" to "1AbCdEg"');
    expect(a.recommendations[0]).toMatchObject({
      errorClass: 'config',
      action: 'fix_configuration',
      automatic: false,
    });
    expect(a.recommendations[0]?.instructions).toContain('Correct documentId in the step');
    expect(a.classified[0]).toMatchObject({ class: 'config', autoResolvable: false });
    expect(a.fix).toBeNull();
  });

  it('turns an unresolvable host after a URL change into config instead of an automatic retry', () => {
    const before = withInputs(1, 'http', { url: 'https://api.acme.io/v1/rows' });
    const after = withInputs(2, 'http', { url: 'https://api.acme.oi/v1/rows' });
    const log = 'Error: getaddrinfo ENOTFOUND api.acme.oi';
    const input = {
      errorLogs: [{ service: 'http', stepId: STEP, log, httpStatus: null, occurredAt: NOW - 2 * MINUTE }],
      evidence: null,
      current: after,
      autoResolve: true,
      now: NOW,
    };
    const unchanged = analyzeFailures({
      ...input,
      versions: versions.map(({ version, publishedAt }) => ({ version, publishedAt })),
    });
    expect(unchanged.hypotheses[0]?.errorClass).toBe('network');
    expect(unchanged.fix).not.toBeNull();

    const a = analyzeFailures({
      ...input,
      versions: [
        { version: 1, publishedAt: NOW - 10 * 24 * 60 * MINUTE, definition: before },
        { version: 2, publishedAt: published, definition: after },
      ],
    });
    expect(a.hypotheses[0]).toMatchObject({ kind: 'config_change', errorClass: 'config' });
    expect(a.recommendations[0]?.instructions).toContain(
      '"https://api.acme.io/v1/rows" -> "https://api.acme.oi/v1/rows"',
    );
    expect(a.fix).toBeNull();
  });

  it('keeps not_found when the failures began before the change or only some calls fail', () => {
    const earlier = analyzeFailures({
      errorLogs: [],
      evidence: notFound({ firstSeen: published - 5 * MINUTE }),
      current: v2,
      versions,
      autoResolve: false,
      now: NOW,
    });
    expect(earlier.hypotheses.some((h) => h.kind === 'config_change')).toBe(false);
    expect(earlier.hypotheses[0]?.errorClass).toBe('not_found');

    const some = analyzeFailures({
      errorLogs: [],
      evidence: { ...notFound(), failedRuns: 6 },
      current: v2,
      versions,
      autoResolve: false,
      now: NOW,
    });
    expect(some.hypotheses.some((h) => h.kind === 'config_change')).toBe(false);
  });

  it('turns a rejection on every call since a setting changed into config, not bad data', () => {
    const RANGE =
      '{"error":{"code":400,"message":"Unable to parse range: Leadz!A1:F","status":"INVALID_ARGUMENT"}}';
    const rejected = (errorClass: string, message: string, httpStatus: number): RecordedEvidence =>
      notFound({ errorClass, errorCode: null, httpStatus, message });
    const renamed = [
      {
        version: 1,
        publishedAt: NOW - 10 * 24 * 60 * MINUTE,
        definition: withInputs(1, 'google-sheets', { sheetName: 'Leads' }),
      },
      {
        version: 2,
        publishedAt: published,
        definition: withInputs(2, 'google-sheets', { sheetName: 'Leadz' }),
      },
    ];
    const a = analyzeFailures({
      errorLogs: [
        { service: 'google-sheets', stepId: STEP, log: RANGE, httpStatus: 400, occurredAt: NOW - MINUTE },
      ],
      evidence: rejected('validation', RANGE, 400),
      current: renamed[1]?.definition ?? null,
      versions: renamed,
      autoResolve: true,
      now: NOW,
    });
    expect(a.hypotheses[0]).toMatchObject({ kind: 'config_change', errorClass: 'config', version: 2 });
    expect(a.hypotheses[0]?.summary).toContain('not bad data or a missing record');
    expect(a.recommendations[0]?.instructions).toContain('been rejected as set up (validation)');
    expect(a.recommendations[0]?.instructions).toContain('sheetName: "Leads" -> "Leadz"');
    expect(a.fix).toBeNull();

    // A transient class since the same change is not the change's doing.
    const limited = analyzeFailures({
      errorLogs: [],
      evidence: rejected('rate_limit', '{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}', 429),
      current: renamed[1]?.definition ?? null,
      versions: renamed,
      autoResolve: false,
      now: NOW,
    });
    expect(limited.hypotheses.some((h) => h.kind === 'config_change')).toBe(false);
  });

  it('needs the definitions: without them a version change cannot be blamed on settings', () => {
    const a = analyzeFailures({
      errorLogs: [],
      evidence: notFound(),
      current: v2,
      versions: versions.map(({ version, publishedAt }) => ({ version, publishedAt })),
      autoResolve: false,
      now: NOW,
    });
    expect(a.hypotheses.find((h) => h.kind === 'service_error')?.errorClass).toBe('not_found');
  });
});
