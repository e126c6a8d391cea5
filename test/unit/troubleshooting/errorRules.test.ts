import { describe, expect, it } from 'vitest';
import { detectProvider } from '../../../src/core/troubleshooting/detectProvider.ts';
import { isErrorClass } from '../../../src/core/troubleshooting/errorClass.ts';
import { keywordRules } from '../../../src/core/troubleshooting/errorRules/keywordRules.ts';
import { providerRuleSets } from '../../../src/core/troubleshooting/errorRules/providerRuleSets.ts';
import { inferHttpStatus } from '../../../src/core/troubleshooting/inferHttpStatus.ts';
import { providerProfiles } from '../../../src/core/troubleshooting/providerProfiles.ts';
import { retryAfterMs } from '../../../src/core/troubleshooting/retryAfterMs.ts';

const allRules = [...providerRuleSets.flatMap((set) => set.rules), ...keywordRules];

describe('rule table', () => {
  it('has unique rule ids', () => {
    const ids = allRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('only names known classes and providers', () => {
    const providers = new Set(providerProfiles.map((p) => p.id));
    for (const set of providerRuleSets) {
      expect(set.provider === '*' || providers.has(set.provider), set.provider).toBe(true);
    }
    for (const rule of allRules) expect(isErrorClass(rule.class), rule.id).toBe(true);
  });

  it('has no rule that fires on empty or bland text', () => {
    for (const rule of allRules) {
      expect(rule.match.test(''), rule.id).toBe(false);
      expect(rule.match.test('the workflow step failed'), rule.id).toBe(false);
    }
  });

  it('uses non-stateful patterns (no g/y flags) so exec() is repeatable', () => {
    for (const rule of allRules) expect(rule.match.global || rule.match.sticky, rule.id).toBe(false);
  });
});

describe('detectProvider', () => {
  it.each([
    ['google_sheets', 'google'],
    ['googleSheets', 'google'],
    ['onedrive', 'msgraph'],
    ['microsoft-teams', 'msgraph'],
    ['aws_s3', 'aws'],
    ['x', 'twitter'],
    ['hubspot_crm', 'hubspot'],
    ['azure_openai', 'openai'],
  ])('%s -> %s', (service, provider) => {
    expect(detectProvider(service, '')?.id).toBe(provider);
  });

  it('falls back to an API host in the log', () => {
    expect(detectProvider('webhook', 'POST https://slack.com/api/chat.postMessage failed')?.id).toBe('slack');
    expect(detectProvider('webhook', 'nothing to see')).toBeUndefined();
  });
});

describe('inferHttpStatus', () => {
  it.each([
    ['AxiosError: Request failed with status code 429', 429],
    ['HTTP/1.1 503 Service Unavailable', 503],
    ['{"error":{"code":404,"message":"Requested entity was not found."}}', 404],
    ['{"ok":false,"error_code":403,"description":"Forbidden"}', 403],
    ['<title>502 Bad Gateway</title>', 502],
  ])('%s -> %s', (log, status) => {
    expect(inferHttpStatus(log)).toBe(status);
  });

  it('does not mistake provider error numbers for statuses', () => {
    expect(inferHttpStatus('{"code": 20003, "message": "Authenticate"}')).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  it.each([
    ['Too Many Requests: retry after 35', 35_000],
    ['{"retry_after": 1.5}', 1500],
    ['Retry-After: 30', 30_000],
    ['Please try again in 20s.', 20_000],
    ['Please try again in 17ms.', 17],
  ])('%s -> %s ms', (log, ms) => {
    expect(retryAfterMs(log)).toBe(ms);
  });

  it('is undefined when no wait is stated', () => {
    expect(retryAfterMs('rate limited')).toBeUndefined();
  });
});
