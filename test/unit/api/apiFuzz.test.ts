// Property: whatever a client sends (wrong types, huge or invalid-UTF-8 bodies, JSON nested
// thousands deep, prototype-pollution keys, numbers JSON cannot hold), the API never answers 5xx,
// never throws, and every non-2xx answer is JSON with `error`.
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../src/api/apiServer.ts';
import { TOKEN, fakeApi, type LogRecord } from './fakeApiDeps.ts';

const BODY_LIMIT = 64 * 1024;
const RUNS = 200;

/** Valid-looking values per field, so some requests get past validation to the handler. */
const ENDPOINTS: Record<string, Record<string, string>> = {
  '/api/query': { sql: '"SELECT 1"' },
  '/api/admin/replay': { table: '"workflow_metrics_1m"', from: '"2025-01-01T00:00:00Z"' },
  '/api/workflows/automation/generate': {
    user_id: '"u1"',
    tenant_id: '"t1"',
    command_id: '"c1"',
    description: '"post new GitHub issues to Slack"',
    strategy: '"cost"',
    workflow_id: '"w1"',
    selected_services: '["slack"]',
  },
  '/api/workflows/troubleshooting/analyze': {
    user_id: '"u1"',
    workflow_id: '"w1"',
    error_logs: '["ECONNRESET", {"service": "slack", "message": "429", "http_status": 429}]',
    metrics: '{"failure_rate": 0.3}',
    auto_resolve: 'false',
  },
  '/api/workflows/optimization/predict': {
    user_id: '"u1"',
    workflow: '{"nodes": []}',
    workflow_id: '"w1"',
    historical_data: '[1, 2, 3]',
    prediction_horizon: '24',
  },
};

const nested = fc
  .record({ depth: fc.integer({ min: 1, max: 20_000 }), kind: fc.constantFrom('array', 'object') })
  .map(({ depth, kind }) =>
    kind === 'array'
      ? '['.repeat(depth) + ']'.repeat(depth)
      : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
  );

const hugeString = fc
  .constantFrom(
    255,
    256,
    257,
    8191,
    8192,
    8193,
    16_384,
    16_385,
    60_000,
    BODY_LIMIT - 20,
    BODY_LIMIT,
    2 * BODY_LIMIT,
  )
  .map((n) => JSON.stringify('x'.repeat(n)));

/** JSON value text, including texts JSON.parse refuses (NaN, Infinity, lone surrogates, …). */
const valueText = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '1e309',
    '-1e309',
    '1e-400',
    '-0',
    '9007199254740993',
    'NaN',
    '"NaN"',
    'Infinity',
    'null',
    'true',
    '""',
    '"   "',
    '[]',
    '{}',
    '"\\ud800"',
    '"\\u0000"',
    '{"__proto__": {"polluted": 1}}',
    '{"constructor": {"prototype": {"polluted": 1}}}',
    '[{"__proto__": null}]',
  ),
  hugeString,
  nested,
);

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', ''];

function objectText(fields: Record<string, string>): fc.Arbitrary<string> {
  const keys = [...Object.keys(fields), ...HOSTILE_KEYS];
  const entry = fc.tuple(
    fc.constantFrom(...keys),
    fc.oneof({ arbitrary: valueText, weight: 2 }, { arbitrary: fc.constant(null), weight: 1 }),
  );
  return fc
    .array(entry, { maxLength: keys.length + 2 })
    .map(
      (entries) =>
        '{' + entries.map(([k, v]) => `${JSON.stringify(k)}:${v ?? fields[k] ?? 'null'}`).join(',') + '}',
    );
}

const invalidUtf8 = fc.constantFrom(
  [0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x82],
  [0xfe, 0xff],
);

/** A whole request body: JSON-ish text, raw bytes (invalid UTF-8 too), or nothing. */
function body(fields: Record<string, string>): fc.Arbitrary<string | Buffer | undefined> {
  const valid =
    '{' +
    Object.entries(fields)
      .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
      .join(',') +
    '}';
  // a valid body with one field (or a hostile key) given a hostile value: reaches the handler
  const oneBad = fc
    .tuple(fc.constantFrom(...Object.keys(fields), ...HOSTILE_KEYS), valueText)
    .map(([key, value]) => JSON.stringify(key) + ':' + value)
    .map(
      (bad) =>
        '{' + [...Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}:${v}`), bad].join(',') + '}',
    );
  return fc.oneof(
    { arbitrary: oneBad, weight: 5 },
    { arbitrary: objectText(fields), weight: 3 },
    { arbitrary: valueText, weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), weight: 1 },
    {
      // a valid body with invalid UTF-8 bytes in the middle of a string or between tokens
      arbitrary: fc
        .tuple(fc.nat({ max: valid.length }), invalidUtf8)
        .map(([at, bytes]) =>
          Buffer.concat([Buffer.from(valid.slice(0, at)), Buffer.from(bytes), Buffer.from(valid.slice(at))]),
        ),
      weight: 1,
    },
    { arbitrary: fc.integer({ min: 1, max: 40 }).map((n) => valid.slice(0, n)), weight: 1 },
    { arbitrary: fc.constantFrom(undefined, '', ' ', 'null', valid, valid + valid), weight: 1 },
  );
}

const contentType = fc.oneof(
  { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 8 },
  {
    arbitrary: fc.constantFrom(
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '',
      undefined,
    ),
    weight: 2,
  },
);

const authorization = fc.oneof(
  { arbitrary: fc.constant(`Bearer ${TOKEN}`), weight: 8 },
  {
    arbitrary: fc.constantFrom(undefined, 'Bearer', 'Bearer x', `bearer ${TOKEN}`, `Bearer ${TOKEN} `),
    weight: 2,
  },
);

let app: FastifyInstance;
let logs: LogRecord[];
/** Statuses answered, so the last test can check the fuzz reached past auth and parsing. */
const seen = new Map<number, number>();

beforeAll(() => {
  const fake = fakeApi({ token: TOKEN, rateLimitPerMinute: 1_000_000, bodyLimitBytes: BODY_LIMIT });
  logs = fake.logs;
  app = buildApi(fake.deps);
});

afterAll(async () => {
  await app.close();
});

async function expectWellFormed(request: InjectOptions & { url: string }): Promise<void> {
  const res = await app.inject(request);
  seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
  const what = `${request.method ?? 'GET'} ${request.url} → ${res.statusCode} ${res.payload.slice(0, 200)}`;
  expect(res.statusCode, what).toBeLessThan(500);
  if (res.statusCode >= 300) {
    expect(res.headers['content-type'], what).toMatch(/^application\/json/);
    const parsed = JSON.parse(res.payload) as { error?: unknown };
    expect(typeof parsed.error, what).toBe('string');
    expect(parsed.error, what).not.toBe('');
  }
}

describe('API fuzz', () => {
  it.each(Object.entries(ENDPOINTS))(
    'POST %s never answers 5xx and always explains a refusal',
    async (url, fields) => {
      await fc.assert(
        fc.asyncProperty(body(fields), contentType, authorization, async (payload, type, auth) => {
          const headers: Record<string, string> = {};
          if (type !== undefined) headers['content-type'] = type;
          if (auth !== undefined) headers.authorization = auth;
          await expectWellFormed({
            method: 'POST',
            url,
            headers,
            ...(payload === undefined ? {} : { payload }),
          });
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('GET /api/commands/:id never answers 5xx, whatever the id or its encoding', async () => {
    const rawId = fc.oneof(
      fc.string({ maxLength: 300 }).map(encodeURIComponent),
      fc.constantFrom(
        '%',
        '%ff',
        '%zz',
        '%c0%80',
        '%00',
        '..%2f..%2fetc',
        'known',
        'x'.repeat(5000),
        '%20',
        '?',
        '#',
      ),
    );
    await fc.assert(
      fc.asyncProperty(rawId, authorization, async (id, auth) => {
        await expectWellFormed({
          method: 'GET',
          url: `/api/commands/${id}`,
          headers: auth === undefined ? {} : { authorization: auth },
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('reached every layer: auth, parsing, limits, validation and the handlers', () => {
    console.log(Object.fromEntries(seen));
    for (const status of [200, 400, 401, 404, 413, 415])
      expect(seen.get(status), String(status)).toBeGreaterThan(0);
  });

  it('left no polluted prototype and logged no server error', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  });
});
