// HTTP API of the process that owns the ClickHouse data path: health, Prometheus metrics and
// read-only SQL for analysts (in embedded mode this is the only way in, since chDB lets one
// process open a data folder). Requests are validated with zod; a bad one gets a 400 naming
// each failing field.
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ClickHouseStore } from '../adapters/clickhouse/clickhouseStore.ts';
import { PulseError, errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { StageMetrics } from '../pipeline/stageMetrics.ts';

export const queryRequestSchema = z.object({
  sql: z.string().trim().min(1, 'sql must not be empty').max(100_000),
});

export const replayRequestSchema = z.object({
  table: z.enum([
    'workflow_metrics_1m',
    'workflow_executions',
    'performance_insights',
    'workflow_definition_events',
    'command_results',
    'troubleshooting_sessions',
  ]),
  from: z.iso.datetime({ offset: true }).optional(),
});

export type ReplayRequest = z.infer<typeof replayRequestSchema>;

export interface ApiDeps {
  readonly reader: ClickHouseStore;
  readonly metrics: () => readonly StageMetrics[];
  readonly health: () => Promise<Record<string, unknown>>;
  /** rebuilds a table from its topic (pulse replay); absent when this process runs no loader */
  readonly replay?: (request: ReplayRequest) => Promise<unknown>;
  readonly log: Logger;
}

export function badRequest(issues: z.core.$ZodIssue[]): {
  error: string;
  issues: { path: string; message: string }[];
} {
  return {
    error: 'invalid request',
    issues: issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  };
}

export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

  app.get('/health', async () => deps.health());

  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', 'text/plain; version=0.0.4');
    return deps
      .metrics()
      .map((m) => m.render())
      .join('');
  });

  app.post('/api/query', async (request, reply) => {
    const parsed = queryRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(badRequest(parsed.error.issues));
    try {
      return await deps.reader.queryTable(parsed.data.sql);
    } catch (error) {
      const retriable = error instanceof PulseError ? error.retriable : false;
      return reply.code(retriable ? 503 : 400).send({ error: errorMessage(error), retriable });
    }
  });

  app.post('/api/admin/replay', async (request, reply) => {
    const parsed = replayRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(badRequest(parsed.error.issues));
    if (deps.replay === undefined) return reply.code(409).send({ error: 'this process runs no loader' });
    try {
      return await deps.replay(parsed.data);
    } catch (error) {
      const retriable = error instanceof PulseError ? error.retriable : false;
      return reply.code(retriable ? 503 : 500).send({ error: errorMessage(error), retriable });
    }
  });

  app.setErrorHandler((error, _request, reply) => {
    const status =
      typeof (error as { statusCode?: unknown }).statusCode === 'number'
        ? (error as { statusCode: number }).statusCode
        : 500;
    deps.log.warn('request failed', { status, error: errorMessage(error) });
    void reply.code(status).send({ error: errorMessage(error) });
  });
  return app;
}
