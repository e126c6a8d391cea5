import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyError } from '../../../src/core/troubleshooting/classifyError.ts';
import { autoResolvableClasses, errorClasses } from '../../../src/core/troubleshooting/errorClass.ts';
import type { ErrorClass } from '../../../src/core/troubleshooting/errorClass.ts';

describe('classifyError: scenario cases', () => {
  it('OpenAI 429 insufficient_quota is a quota problem that retries cannot fix', () => {
    const result = classifyError({
      service: 'openai',
      httpStatus: 429,
      log: '{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}',
    });
    expect(result.class).toBe('quota');
    expect(result.autoResolvable).toBe(false);
    expect(result.retryable).toBe(false);
    expect(result.resolution.action).toBe('raise_quota');
    expect(result.resolution.instructions).toMatch(/not (?:be )?retried/);
    expect(result.confidence).toBeGreaterThan(0.9);
  });

  it('Google 403 rateLimitExceeded is an auto-resolvable rate limit with jittered exponential backoff', () => {
    const result = classifyError({
      service: 'google_sheets',
      httpStatus: 403,
      log: '{"error":{"errors":[{"domain":"usageLimits","reason":"rateLimitExceeded","message":"Rate Limit Exceeded"}],"code":403,"message":"Rate Limit Exceeded"}}',
    });
    expect(result.class).toBe('rate_limit');
    expect(result.autoResolvable).toBe(true);
    expect(result.retryable).toBe(true);
    expect(result.resolution).toMatchObject({
      action: 'backoff',
      retry: { backoff: 'exponential', jitter: true },
      respectRetryAfter: true,
    });
    if (result.resolution.action !== 'backoff') throw new Error('expected backoff');
    expect(result.resolution.retry.maxAttempts).toBeGreaterThan(1);
    expect(result.resolution.retry.maxDelayMs).toBeGreaterThanOrEqual(result.resolution.retry.initialDelayMs);
    expect(result.resolution.concurrency).toBeGreaterThanOrEqual(1);
  });

  it.each(['invalid_auth', 'token_revoked'])(
    'Slack 200 ok:false %s is auth with reconnect instructions',
    (code) => {
      const result = classifyError({
        service: 'slack',
        httpStatus: 200,
        log: `{"ok":false,"error":"${code}"}`,
      });
      expect(result.class).toBe('auth');
      expect(result.autoResolvable).toBe(false);
      expect(result.retryable).toBe(false);
      expect(result.resolution.action).toBe('reconnect_credentials');
      expect(result.resolution.instructions).toContain('Reconnect the Slack connection');
      expect(result.resolution.instructions).toContain(code);
    },
  );

  it('honours a Retry-After the provider states', () => {
    const result = classifyError({
      service: 'telegram',
      httpStatus: 429,
      log: '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}',
    });
    expect(result.resolution).toMatchObject({ action: 'backoff', retryAfterMs: 35_000 });
    if (result.resolution.action !== 'backoff') throw new Error('expected backoff');
    expect(result.resolution.retry.initialDelayMs).toBeGreaterThanOrEqual(35_000);
  });

  it('asks to halve the batch for payload_too_large', () => {
    const result = classifyError({
      service: 'openai',
      httpStatus: 400,
      log: '{"error":{"code":"context_length_exceeded"}}',
    });
    expect(result.class).toBe('payload_too_large');
    expect(result.resolution).toMatchObject({ action: 'reduce_batch_size', factor: 0.5 });
  });

  it('marks a Salesforce row lock as a conflict that may pass on retry', () => {
    const result = classifyError({
      service: 'salesforce',
      httpStatus: 400,
      log: '[{"errorCode":"UNABLE_TO_LOCK_ROW"}]',
    });
    expect(result.class).toBe('conflict');
    expect(result.autoResolvable).toBe(false);
    expect(result.retryable).toBe(true);
  });
});

// Provider behaviour named in the brief, with terse logs: documented codes must win over HTTP.
const providerCases: readonly [string, string, number | null, ErrorClass][] = [
  ['gmail', 'userRateLimitExceeded', 403, 'rate_limit'],
  ['github', 'You have exceeded a secondary rate limit', 403, 'rate_limit'],
  ['slack', '{"ok":false,"error":"ratelimited"}', 200, 'rate_limit'],
  ['slack', '{"ok":false,"error":"channel_not_found"}', 200, 'not_found'],
  ['slack', '{"ok":false,"error":"not_in_channel"}', 200, 'permission'],
  ['slack', '{"ok":false,"error":"missing_scope"}', 200, 'permission'],
  ['slack', '{"ok":false,"error":"msg_too_long"}', 200, 'payload_too_large'],
  ['google_drive', 'dailyLimitExceeded', 429, 'quota'],
  ['youtube', 'quotaExceeded', 429, 'quota'],
  ['salesforce', 'REQUEST_LIMIT_EXCEEDED', 403, 'quota'],
  ['salesforce', 'INVALID_SESSION_ID', 401, 'auth'],
  ['salesforce', 'INSUFFICIENT_ACCESS', 403, 'permission'],
  ['salesforce', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 400, 'validation'],
  ['outlook', 'throttledRequest', 429, 'rate_limit'],
  ['outlook', 'InvalidAuthenticationToken', 401, 'auth'],
  ['microsoft_teams', 'Authorization_RequestDenied', 403, 'permission'],
  ['outlook', 'ErrorItemNotFound', 404, 'not_found'],
  ['hubspot', 'TEN_SECONDLY_ROLLING', 429, 'rate_limit'],
  ['hubspot', '{"errorType":"RATE_LIMIT","policyName":"DAILY"}', 429, 'quota'],
  ['stripe', 'rate_limit', 429, 'rate_limit'],
  ['stripe', 'card_declined', 402, 'validation'],
  ['stripe', 'resource_missing', 404, 'not_found'],
  ['stripe', 'idempotency_error', 400, 'conflict'],
  ['stripe', 'authentication_error', 401, 'auth'],
  ['twilio', '{"code": 20003, "message": "Authenticate"}', 401, 'auth'],
  ['twilio', '{"code": 20429, "message": "Too Many Requests"}', 429, 'rate_limit'],
  ['twilio', '{"code": 21211}', 400, 'validation'],
  ['twilio', '{"code": 20404}', 404, 'not_found'],
  ['openai', 'rate_limit_exceeded', 429, 'rate_limit'],
  ['openai', 'invalid_api_key', 401, 'auth'],
  ['aws_lambda', 'ThrottlingException', 400, 'rate_limit'],
  ['aws_s3', 'SlowDown', 503, 'rate_limit'],
  ['aws_s3', 'AccessDenied', 403, 'permission'],
  ['aws_s3', 'ExpiredToken', 400, 'auth'],
  ['aws_s3', 'NoSuchKey', 404, 'not_found'],
  ['dynamodb', 'ProvisionedThroughputExceededException', 400, 'rate_limit'],
  ['aws_lambda', 'RequestEntityTooLargeException', 413, 'payload_too_large'],
  ['aws_s3', 'EntityTooLarge', 400, 'payload_too_large'],
  ['telegram', 'Too Many Requests: retry after 5', 429, 'rate_limit'],
  ['http', 'read ECONNRESET', null, 'network'],
  ['http', 'connect ETIMEDOUT 10.0.0.1:443', null, 'network'],
  ['http', 'getaddrinfo ENOTFOUND api.example.com', null, 'network'],
  ['http', 'connect ECONNREFUSED 127.0.0.1:443', null, 'network'],
  ['http', 'getaddrinfo EAI_AGAIN api.example.com', null, 'network'],
  ['http', 'socket hang up', null, 'network'],
  ['http', 'Error: certificate has expired', null, 'network'],
  ['http', '', 408, 'timeout'],
  ['http', '', 504, 'timeout'],
  ['http', '', 413, 'payload_too_large'],
  ['http', '', 409, 'conflict'],
  ['http', '', 422, 'validation'],
  ['http', '', 500, 'upstream_5xx'],
  ['http', '', 502, 'upstream_5xx'],
  ['http', '', 503, 'upstream_5xx'],
];

describe('classifyError: documented provider codes', () => {
  it.each(providerCases)('%s %j (HTTP %s) -> %s', (service, log, httpStatus, expected) => {
    expect(classifyError({ service, log, httpStatus }).class).toBe(expected);
  });

  it('reads a provider from the API host when the service id is generic', () => {
    const result = classifyError({
      service: 'http_request',
      httpStatus: 429,
      log: 'POST https://api.openai.com/v1/chat/completions -> {"error":{"code":"insufficient_quota"}}',
    });
    expect(result.provider).toBe('openai');
    expect(result.class).toBe('quota');
  });

  it('reads the HTTP status from the log when the field is missing', () => {
    const result = classifyError({
      service: 'http',
      httpStatus: null,
      log: 'AxiosError: Request failed with status code 504',
    });
    expect(result.httpStatus).toBe(504);
    expect(result.class).toBe('timeout');
  });
});

describe('classifyError: confidence', () => {
  it('is lower for a bare status than for a documented code', () => {
    const bare = classifyError({ service: 'http', httpStatus: 429, log: '' });
    const coded = classifyError({
      service: 'slack',
      httpStatus: 429,
      log: '{"ok":false,"error":"ratelimited"}',
    });
    expect(bare.class).toBe('rate_limit');
    expect(bare.confidence).toBeLessThan(0.6);
    expect(coded.confidence).toBeGreaterThan(bare.confidence);
  });

  it('drops when the evidence disagrees', () => {
    const agreeing = classifyError({ service: 'http', httpStatus: 404, log: 'Not Found' });
    const disagreeing = classifyError({ service: 'http', httpStatus: 409, log: 'Not Found' });
    expect(disagreeing.confidence).toBeLessThan(agreeing.confidence);
  });

  it('stays near chance when nothing is recognised', () => {
    expect(classifyError({ service: 'mystery', httpStatus: null, log: 'boom' }).confidence).toBeLessThan(0.2);
  });

  it("does not retry an unrecognised failure that got no answer: the step's own setup is the likely cause", () => {
    const silent = classifyError({ service: 'mystery', httpStatus: null, log: 'boom' });
    expect(silent.class).toBe('config');
    expect(silent.autoResolvable).toBe(false);
    expect(silent.resolution.instructions).toContain('does not recognise');
    // With an answer from the service, the status still decides.
    expect(classifyError({ service: 'mystery', httpStatus: 503, log: 'boom' }).class).toBe('upstream_5xx');
    expect(classifyError({ service: 'mystery', httpStatus: 400, log: 'boom' }).class).toBe('validation');
  });
});

const manualActions = new Set([
  'reconnect_credentials',
  'grant_access',
  'raise_quota',
  'fix_input',
  'fix_reference',
  'resolve_conflict',
  'fix_configuration',
]);

describe('classifyError: invariants', () => {
  it('always returns a known class, confidence in [0,1] and a resolution matching auto-resolvability', () => {
    const phrases = fc.constantFrom(
      'rate limit',
      'quota',
      'invalid_auth',
      'Forbidden',
      'not found',
      'ECONNRESET',
      'timed out',
      'already exists',
      'too large',
      'Internal Server Error',
      '',
    );
    fc.assert(
      fc.property(
        fc.string(),
        fc.array(phrases, { maxLength: 4 }),
        fc.option(fc.integer({ min: 0, max: 700 })),
        fc.constantFrom('slack', 'google_sheets', 'openai', 'aws_s3', 'http', ''),
        (noise, words, httpStatus, service) => {
          const step = { service, httpStatus, log: [noise, ...words].join(' ') };
          const result = classifyError(step);
          expect(errorClasses).toContain(result.class);
          expect(result.confidence).toBeGreaterThanOrEqual(0);
          expect(result.confidence).toBeLessThanOrEqual(1);
          expect(result.autoResolvable).toBe(autoResolvableClasses.has(result.class));
          expect(manualActions.has(result.resolution.action)).toBe(!result.autoResolvable);
          expect(result.resolution.instructions.length).toBeGreaterThan(20);
          expect(Object.keys(result).slice(0, 4)).toEqual([
            'class',
            'confidence',
            'autoResolvable',
            'resolution',
          ]);
          expect(classifyError(step)).toEqual(result);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never marks auth, permission, quota, validation, config, not_found or conflict auto-resolvable', () => {
    for (const cls of [
      'auth',
      'permission',
      'quota',
      'validation',
      'config',
      'not_found',
      'conflict',
    ] as const) {
      expect(autoResolvableClasses.has(cls)).toBe(false);
    }
  });
});
