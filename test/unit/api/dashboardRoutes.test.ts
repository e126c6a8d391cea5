import { describe, expect, it } from 'vitest';
import type { DashboardReads } from '../../../src/adapters/clickhouse/dashboardReads.ts';
import { buildApi } from '../../../src/api/apiServer.ts';
import { TOKEN, fakeApi } from './fakeApiDeps.ts';

const secured = { token: TOKEN, rateLimitPerMinute: 1000, bodyLimitBytes: 1024 * 1024 };
const bearer = { authorization: `Bearer ${TOKEN}` };

function fakeReads(): { reads: DashboardReads; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const record =
    (name: string, answer: unknown) =>
    (...args: unknown[]): Promise<unknown> => {
      calls.push([name, ...args]);
      return Promise.resolve(answer);
    };
  const reads = {
    overview: record('overview', { kpis: { executions: 3 }, series: [], services: [] }),
    insights: record('insights', []),
    impact: record('impact', []),
    workflows: record('workflows', []),
    workflow: (id: string, hours: number) => {
      calls.push(['workflow', id, hours]);
      return Promise.resolve(id === 'wf-known' ? { workflow: { workflowId: id } } : undefined);
    },
  } as unknown as DashboardReads;
  return { reads, calls };
}

function app(withToken: boolean): { api: ReturnType<typeof buildApi>; calls: unknown[][] } {
  const { reads, calls } = fakeReads();
  const api = buildApi({ ...fakeApi(withToken ? secured : undefined).deps, dashboard: reads });
  return { api, calls };
}

describe('dashboard page', () => {
  it('serves the page and its assets from the package, without the token and without any CDN', async () => {
    const { api } = app(true);
    const page = await api.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.payload).toContain('<script type="module" src="/ui/app.js">');
    expect(page.payload).not.toMatch(/(src|href)="https?:/);
    for (const [url, type] of [
      ['/ui/app.js', 'text/javascript'],
      ['/ui/app.css', 'text/css'],
      ['/ui/vendor/uPlot.min.js', 'text/javascript'],
      ['/ui/vendor/uPlot.min.css', 'text/css'],
    ] as const) {
      const res = await api.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toContain(type);
      expect(res.payload.length, url).toBeGreaterThan(500);
    }
  });

  it('answers 304 to a client that has the same version', async () => {
    const { api } = app(false);
    const first = await api.inject({ method: 'GET', url: '/ui/app.js' });
    const etag = first.headers.etag;
    expect(typeof etag).toBe('string');
    const again = await api.inject({
      method: 'GET',
      url: '/ui/app.js',
      headers: { 'if-none-match': String(etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.payload).toBe('');
  });

  it('is not served when the process has no dashboard reads', async () => {
    const res = await buildApi(fakeApi().deps).inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(404);
  });
});

describe('dashboard reads', () => {
  it('sit behind the token', async () => {
    const { api, calls } = app(true);
    for (const url of [
      '/api/dashboard/overview',
      '/api/dashboard/insights',
      '/api/dashboard/impact',
      '/api/dashboard/workflows',
      '/api/dashboard/workflows/wf-known',
    ]) {
      const res = await api.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
    }
    expect(calls).toEqual([]);
    const ok = await api.inject({ method: 'GET', url: '/api/dashboard/overview', headers: bearer });
    expect(ok.statusCode).toBe(200);
  });

  it('pass validated parameters, with defaults', async () => {
    const { api, calls } = app(false);
    await api.inject({ method: 'GET', url: '/api/dashboard/overview?hours=6&tenant=acme' });
    await api.inject({ method: 'GET', url: '/api/dashboard/overview' });
    await api.inject({ method: 'GET', url: '/api/dashboard/insights?limit=5' });
    await api.inject({ method: 'GET', url: '/api/dashboard/impact?tenant=acme' });
    await api.inject({ method: 'GET', url: '/api/dashboard/workflows/wf-known?hours=72' });
    expect(calls).toEqual([
      ['overview', 6, 'acme'],
      ['overview', 24, undefined],
      ['insights', 5, undefined],
      ['impact', 100, 'acme'],
      ['workflow', 'wf-known', 72],
    ]);
  });

  it('answer 400 naming the failing fields, 404 for an unknown workflow', async () => {
    const { api, calls } = app(false);
    for (const [url, field] of [
      ['/api/dashboard/overview?hours=0', 'hours'],
      ['/api/dashboard/overview?hours=abc', 'hours'],
      ['/api/dashboard/overview?hours=100000', 'hours'],
      ['/api/dashboard/insights?limit=-1', 'limit'],
      ['/api/dashboard/workflows?limit=1.5', 'limit'],
      ['/api/dashboard/workflows/wf-known?hours=0', 'hours'],
    ] as const) {
      const res = await api.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      const body = JSON.parse(res.payload) as { issues: { path: string }[] };
      expect(
        body.issues.map((i) => i.path),
        url,
      ).toContain(field);
    }
    expect(calls).toEqual([]);
    const missing = await api.inject({ method: 'GET', url: '/api/dashboard/workflows/wf-nope' });
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.payload)).toEqual({ error: 'no workflow wf-nope' });
  });
});
