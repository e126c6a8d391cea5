// The dashboard: a static page at `/` (HTML, one script, one stylesheet, uPlot from its npm
// package: no CDN, no build step) and the JSON reads it draws from. The page and its assets hold
// no data, so they are served without the token; the reads sit behind it with the rest of the API
// (the page asks for the token when a read answers 401).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DashboardReads } from '../adapters/clickhouse/dashboardReads.ts';
import { badRequest } from './apiServer.ts';

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const pageDir = path.join(import.meta.dirname, 'dashboard');
const require = createRequire(import.meta.url);

function asset(file: string, type: string): Asset {
  const body = readFileSync(file);
  return { body, type, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

/** Read once at start-up: a missing file is a broken install and should stop the process. */
function loadAssets(): Map<string, Asset> {
  const uplot = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  return new Map([
    ['/', asset(path.join(pageDir, 'index.html'), 'text/html; charset=utf-8')],
    ['/ui/app.js', asset(path.join(pageDir, 'app.js'), 'text/javascript; charset=utf-8')],
    ['/ui/app.css', asset(path.join(pageDir, 'app.css'), 'text/css; charset=utf-8')],
    [
      '/ui/vendor/uPlot.min.js',
      asset(path.join(uplot, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'),
    ],
    ['/ui/vendor/uPlot.min.css', asset(path.join(uplot, 'uPlot.min.css'), 'text/css; charset=utf-8')],
  ]);
}

/** GET / and /ui/*: the page and its assets, revalidated by ETag. */
export function registerDashboardPage(app: FastifyInstance): void {
  const assets = loadAssets();
  for (const [url, a] of assets) {
    app.get(url, async (request, reply) => {
      void reply.header('etag', a.etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === a.etag) return reply.code(304).send();
      return reply.type(a.type).send(a.body);
    });
  }
}

const tenant = z.string().trim().min(1).max(256).optional();
const hours = z.coerce
  .number()
  .int()
  .min(1)
  .max(24 * 31)
  .default(24);
const limit = z.coerce.number().int().min(1).max(500).default(100);

export const overviewQuerySchema = z.object({ hours, tenant });
export const listQuerySchema = z.object({ limit, tenant });
export const workflowQuerySchema = z.object({ hours: hours.default(48) });
const workflowParams = z.object({ id: z.string().trim().min(1).max(256) });

/** The reads behind the page: fleet overview, insights, fixes and their impact, workflows, one workflow. */
export function registerDashboardReads(app: FastifyInstance, reads: DashboardReads): void {
  app.get('/api/dashboard/overview', async (request, reply) => {
    const q = overviewQuerySchema.safeParse(request.query);
    if (!q.success) return reply.code(400).send(badRequest(q.error.issues));
    return reads.overview(q.data.hours, q.data.tenant);
  });

  app.get('/api/dashboard/insights', async (request, reply) => {
    const q = listQuerySchema.safeParse(request.query);
    if (!q.success) return reply.code(400).send(badRequest(q.error.issues));
    return { insights: await reads.insights(q.data.limit, q.data.tenant) };
  });

  app.get('/api/dashboard/impact', async (request, reply) => {
    const q = listQuerySchema.safeParse(request.query);
    if (!q.success) return reply.code(400).send(badRequest(q.error.issues));
    return { sessions: await reads.impact(q.data.limit, q.data.tenant) };
  });

  app.get('/api/dashboard/workflows', async (request, reply) => {
    const q = listQuerySchema.safeParse(request.query);
    if (!q.success) return reply.code(400).send(badRequest(q.error.issues));
    return { workflows: await reads.workflows(q.data.limit, q.data.tenant) };
  });

  app.get('/api/dashboard/workflows/:id', async (request, reply) => {
    const p = workflowParams.safeParse(request.params);
    const q = workflowQuerySchema.safeParse(request.query);
    if (!p.success || !q.success)
      return reply.code(400).send(badRequest([...(p.error?.issues ?? []), ...(q.error?.issues ?? [])]));
    const detail = await reads.workflow(p.data.id, q.data.hours);
    if (detail === undefined) return reply.code(404).send({ error: `no workflow ${p.data.id}` });
    return detail;
  });
}
