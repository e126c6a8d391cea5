import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, apiSecurityFrom, buildApi } from '../../../src/api/apiServer.ts';
import { parseConfig } from '../../../src/config.ts';
import { TOKEN, fakeApi } from './fakeApiDeps.ts';

const secured = { token: TOKEN, rateLimitPerMinute: 1000, bodyLimitBytes: 1024 * 1024 };
const bearer = { authorization: `Bearer ${TOKEN}` };

function jsonBody(payload: string): { error?: unknown } {
  return JSON.parse(payload) as { error?: unknown };
}

describe('API with a token', () => {
  it('answers 401 with a JSON error and WWW-Authenticate without the token', async () => {
    const app = buildApi(fakeApi(secured).deps);
    for (const request of [
      { method: 'GET' as const, url: '/metrics' },
      { method: 'GET' as const, url: '/api/commands/known' },
      { method: 'POST' as const, url: '/api/query', payload: { sql: 'SELECT 1' } },
      { method: 'GET' as const, url: '/no/such/route' },
    ]) {
      const res = await app.inject(request);
      expect(res.statusCode, request.url).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(jsonBody(res.payload).error).toMatch(/missing authorization header/);
    }
  });

  it('answers 401 to a wrong token, a token of another length and another scheme', async () => {
    const { deps, sql } = fakeApi(secured);
    const app = buildApi(deps);
    for (const authorization of [
      `Bearer ${TOKEN.slice(0, -1)}x`,
      `Bearer ${TOKEN}x`,
      'Bearer ',
      `Basic ${TOKEN}`,
      TOKEN,
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/query',
        headers: { authorization },
        payload: { sql: 'SELECT 1' },
      });
      expect(res.statusCode, authorization).toBe(401);
      expect(jsonBody(res.payload).error).toMatch(/authorization header/);
    }
    expect(sql).toEqual([]);
  });

  it('serves every endpoint with the right token', async () => {
    const { deps, sql, commands } = fakeApi(secured);
    const app = buildApi(deps);
    const query = await app.inject({
      method: 'POST',
      url: '/api/query',
      headers: bearer,
      payload: { sql: 'SELECT 1' },
    });
    expect(query.statusCode).toBe(200);
    expect(query.json()).toEqual({ columns: [{ name: 'x', type: 'UInt8' }], rows: [{ x: 1 }] });
    expect(sql).toEqual(['SELECT 1']);
    const generate = await app.inject({
      method: 'POST',
      url: '/api/workflows/automation/generate',
      headers: bearer,
      payload: { user_id: 'u1', description: 'post new issues to slack' },
    });
    expect(generate.statusCode).toBe(200);
    expect(commands.map((c) => c.type)).toEqual(['generate']);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: bearer })).statusCode).toBe(200);
    expect(
      (await app.inject({ method: 'GET', url: '/api/commands/known', headers: bearer })).json(),
    ).toMatchObject({ command_id: 'known', result: { ok: true } });
  });

  it('leaves GET /health open', async () => {
    const app = buildApi(fakeApi(secured).deps);
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown routes 404 with JSON once authenticated', async () => {
    const app = buildApi(fakeApi(secured).deps);
    const res = await app.inject({ method: 'GET', url: '/api/nope?x=1', headers: bearer });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'no route GET /api/nope' });
  });
});

describe('API without a token (loopback)', () => {
  it('serves requests without an Authorization header', async () => {
    const app = buildApi(fakeApi().deps);
    const res = await app.inject({ method: 'POST', url: '/api/query', payload: { sql: 'SELECT 1' } });
    expect(res.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
  });
});

describe('API limits', () => {
  it('answers 429 with Retry-After past the rate limit, per client', async () => {
    const app = buildApi(fakeApi({ ...secured, rateLimitPerMinute: 3 }).deps);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await app.inject({ method: 'GET', url: '/metrics', headers: bearer })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await app.inject({ method: 'GET', url: '/metrics', headers: bearer });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(jsonBody(limited.payload).error).toMatch(/rate limit/i);
    // Another client (no valid token: keyed by address) has its own allowance.
    const other = await app.inject({ method: 'GET', url: '/health', remoteAddress: '10.0.0.9' });
    expect(other.statusCode).toBe(200);
  });

  it('counts wrong tokens against the address, so rotating them does not escape the limit', async () => {
    const app = buildApi(fakeApi({ ...secured, rateLimitPerMinute: 2 }).deps);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (
          await app.inject({
            method: 'GET',
            url: '/metrics',
            headers: { authorization: `Bearer wrong-${i}` },
            remoteAddress: '10.0.0.7',
          })
        ).statusCode,
      );
    expect(statuses).toEqual([401, 401, 429]);
  });

  it('keys clients passed on by the front thread by their forwarded address, never a remote claim', async () => {
    const app = buildApi(fakeApi({ ...secured, rateLimitPerMinute: 1 }).deps);
    const viaFront = (client: string): Promise<number> =>
      app
        .inject({
          method: 'GET',
          url: '/health',
          headers: { 'x-forwarded-for': client },
          remoteAddress: '127.0.0.1',
        })
        .then((r) => r.statusCode);
    expect([
      await viaFront('203.0.113.1'),
      await viaFront('203.0.113.2'),
      await viaFront('203.0.113.1'),
    ]).toEqual([200, 200, 429]);
    const remote = (claim: string): Promise<number> =>
      app
        .inject({
          method: 'GET',
          url: '/health',
          headers: { 'x-forwarded-for': claim },
          remoteAddress: '198.51.100.4',
        })
        .then((r) => r.statusCode);
    expect([await remote('203.0.113.50'), await remote('203.0.113.51')]).toEqual([200, 429]);
  });

  it('answers 413 with a JSON error past the body limit', async () => {
    const { deps, sql } = fakeApi({ ...secured, bodyLimitBytes: 2048 });
    const app = buildApi(deps);
    const res = await app.inject({
      method: 'POST',
      url: '/api/query',
      headers: bearer,
      payload: { sql: `SELECT '${'x'.repeat(4096)}'` },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: 'request body is larger than 2048 bytes' });
    expect(sql).toEqual([]);
  });

  it('answers 415 to POST bodies that are not JSON', async () => {
    const app = buildApi(fakeApi(secured).deps);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/query',
        headers: { ...bearer, 'content-type': contentType },
        payload: 'sql=SELECT 1',
      });
      expect(res.statusCode, contentType).toBe(415);
      expect(jsonBody(res.payload).error).toMatch(/must be JSON/);
    }
  });

  it('keeps validation errors 400 with the failing fields', async () => {
    const app = buildApi(fakeApi(secured).deps);
    const res = await app.inject({
      method: 'POST',
      url: '/api/workflows/troubleshooting/analyze',
      headers: bearer,
      payload: { user_id: 5, error_logs: [] },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; issues: { path: string }[] }>();
    expect(body.error).toBe('invalid request');
    expect(body.issues.map((i) => i.path).sort()).toEqual(['error_logs', 'user_id', 'workflow_id']);
  });
});

describe('free-form JSON fields', () => {
  it('refuses nesting past MAX_JSON_DEPTH with a 400 naming the field, not a 500', async () => {
    const { deps, commands } = fakeApi(secured);
    const app = buildApi(deps);
    const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
    const res = await app.inject({
      method: 'POST',
      url: '/api/workflows/optimization/predict',
      headers: { ...bearer, 'content-type': 'application/json' },
      payload: `{"user_id":"u","workflow":{"nodes":${deep}},"historical_data":${deep}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ issues: { path: string }[] }>().issues.map((i) => i.path)).toEqual([
      'workflow',
      'historical_data',
    ]);
    expect(commands).toEqual([]);
    const shallow = '['.repeat(MAX_JSON_DEPTH - 1) + ']'.repeat(MAX_JSON_DEPTH - 1);
    const ok = await app.inject({
      method: 'POST',
      url: '/api/workflows/optimization/predict',
      headers: { ...bearer, 'content-type': 'application/json' },
      payload: `{"user_id":"u","workflow":{"nodes":${shallow}}}`,
    });
    expect(ok.statusCode).toBe(200);
  });
});

describe('apiSecurityFrom', () => {
  it('takes the token and limits from the configuration', () => {
    const config = parseConfig({
      PULSE_API_TOKEN: TOKEN,
      PULSE_API_RATE_LIMIT_PER_MINUTE: '120',
      PULSE_API_BODY_LIMIT_BYTES: '4096',
    });
    expect(apiSecurityFrom(config)).toEqual({ token: TOKEN, rateLimitPerMinute: 120, bodyLimitBytes: 4096 });
    expect(apiSecurityFrom(parseConfig({}))).toEqual({
      token: undefined,
      rateLimitPerMinute: 600,
      bodyLimitBytes: 1024 * 1024,
    });
  });
});
