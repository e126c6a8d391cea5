// HTTP API of the process that owns the ClickHouse data path: health, Prometheus metrics and
// read-only SQL for analysts (in embedded mode this is the only way in, since chDB lets one
// process open a data folder). Requests are validated with zod; a bad one gets a 400 naming
// each failing field. Every other refusal is JSON with `error` too: 401 without the bearer token
// (when one is configured; GET /health stays open for probes), 404 for unknown routes, 413 past
// the body limit, 415 for a POST body that is not JSON, 429 (with Retry-After) past a client's
// rate limit.
import { createHash, timingSafeEqual } from 'node:crypto';
import bearerAuth from '@fastify/bearer-auth';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ClickHouseStore } from '../adapters/clickhouse/clickhouseStore.ts';
import {
  QueryBusyError,
  QueryCancelledError,
  QueryLimitError,
  QueryRefusedError,
  type QueryTable,
} from '../adapters/clickhouse/analystQueries.ts';
import type { PulseConfig } from '../config.ts';
import { PulseError, errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { StageMetrics } from '../pipeline/stageMetrics.ts';
import type { Command, CommandResult } from '../core/commands/command.ts';
import { CommandTimeoutError } from '../sdk/commandClient.ts';
import type { DashboardReads } from '../adapters/clickhouse/dashboardReads.ts';
import { registerDashboardPage, registerDashboardReads } from './dashboardRoutes.ts';
import { registerInsightStream, type InsightStreamDeps } from './insightStream.ts';

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
    'enhanced_workflow_optimization',
  ]),
  from: z.iso.datetime({ offset: true }).optional(),
});

export type ReplayRequest = z.infer<typeof replayRequestSchema>;

const id = z.string().trim().min(1).max(256);

/** Deepest nesting accepted in the free-form JSON fields (serialising deeper overflows the stack). */
export const MAX_JSON_DEPTH = 100;

/** Whether `value` nests at most `max` arrays/objects deep; iterative, so any depth is safe to check. */
export function nestsAtMost(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return false;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return true;
}

const depthMessage = `nested deeper than ${MAX_JSON_DEPTH} levels`;
const freeJson = z.unknown().refine((v) => nestsAtMost(v, MAX_JSON_DEPTH), depthMessage);
const common = {
  user_id: id,
  tenant_id: id.default('default'),
  /** reuse to retry safely: a command id is executed once */
  command_id: id.optional(),
};

export const generateRequestSchema = z.object({
  ...common,
  description: z.string().trim().min(1).max(8192),
  strategy: z.enum(['performance', 'cost', 'reliability', 'hybrid']).default('hybrid'),
  workflow_id: id.optional(),
  selected_services: z.array(id).max(50).default([]),
});

const errorLogSchema = z.union([
  z.string().min(1).max(16_384),
  z
    .object({
      service: id.optional(),
      step_id: id.optional(),
      log: z.string().min(1).max(16_384).optional(),
      message: z.string().min(1).max(16_384).optional(),
      http_status: z.number().int().min(100).max(599).nullable().optional(),
      occurred_at: z.union([z.number().int(), z.iso.datetime({ offset: true })]).optional(),
    })
    .refine((l) => l.log !== undefined || l.message !== undefined, { message: 'log or message is required' }),
]);

export const analyzeRequestSchema = z.object({
  ...common,
  workflow_id: id,
  error_logs: z.array(errorLogSchema).min(1).max(1000),
  metrics: freeJson.optional(),
  auto_resolve: z.boolean().default(true),
});

export const predictRequestSchema = z
  .object({
    ...common,
    workflow: z
      .union([
        id,
        z.record(z.string(), z.unknown()).refine((v) => nestsAtMost(v, MAX_JSON_DEPTH), depthMessage),
      ])
      .optional(),
    workflow_id: id.optional(),
    historical_data: freeJson.optional(),
    prediction_horizon: z
      .number()
      .int()
      .min(1)
      .max(24 * 31)
      .default(168),
  })
  .refine((r) => r.workflow !== undefined || r.workflow_id !== undefined, {
    message: 'workflow (a definition or an id) or workflow_id is required',
    path: ['workflow'],
  });

export interface CommandGateway {
  request(command: Command, timeoutMs: number): Promise<CommandResult>;
  newCommandId(): string;
  readonly timeoutMs: number;
}

/** Analysts' SQL, run apart from the loaders with the operator's limits. */
export interface AnalystQueryRunner {
  run(sql: string, signal: AbortSignal): Promise<QueryTable>;
}

/** Who may call the API and how much. */
export interface ApiSecurity {
  /** bearer token required on every endpoint but GET /health; undefined: none (loopback only) */
  readonly token?: string | undefined;
  /** requests per minute per client: its token when it presents the right one, else its address */
  readonly rateLimitPerMinute: number;
  readonly bodyLimitBytes: number;
}

export const DEFAULT_API_SECURITY: ApiSecurity = { rateLimitPerMinute: 600, bodyLimitBytes: 1024 * 1024 };

export function apiSecurityFrom(config: PulseConfig): ApiSecurity {
  return {
    token: config.PULSE_API_TOKEN,
    rateLimitPerMinute: config.PULSE_API_RATE_LIMIT_PER_MINUTE,
    bodyLimitBytes: config.PULSE_API_BODY_LIMIT_BYTES,
  };
}

/** Compares digests, so the time taken says nothing about the token, not even its length. */
function tokenMatcher(token: string): (presented: string) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (presented) => timingSafeEqual(createHash('sha256').update(presented).digest(), expected);
}

export interface ApiDeps {
  /** Pulse's own reads (command results) */
  readonly reader: ClickHouseStore;
  readonly queries: AnalystQueryRunner;
  readonly metrics: () => readonly StageMetrics[];
  readonly health: () => Promise<Record<string, unknown>>;
  /** rebuilds a table from its topic (pulse replay); absent when this process runs no loader */
  readonly replay?: (request: ReplayRequest) => Promise<unknown>;
  /** the command bus; absent when the process has no Kafka client for it */
  readonly commands?: CommandGateway;
  /** the live insight stream (GET /api/insights/stream); absent: not served */
  readonly insightStream?: InsightStreamDeps;
  /** the dashboard's reads; present: the page is served at / */
  readonly dashboard?: DashboardReads;
  readonly log: Logger;
  /** token, rate and body limits; DEFAULT_API_SECURITY (no token) when absent */
  readonly security?: ApiSecurity;
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
  const security = deps.security ?? DEFAULT_API_SECURITY;
  // The client address comes from X-Forwarded-For only when a loopback peer (the API front thread,
  // apiFrontMain.ts) sets it; a remote peer cannot claim another address to escape its rate limit.
  const app = Fastify({ logger: false, bodyLimit: security.bodyLimitBytes, trustProxy: 'loopback' });
  // POST bodies are JSON only: without the text/plain parser anything else is a 415.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error, request, reply) => {
    const status =
      typeof (error as { statusCode?: unknown }).statusCode === 'number'
        ? (error as { statusCode: number }).statusCode
        : error instanceof PulseError && error.retriable
          ? 503
          : 500;
    const code = (error as { code?: unknown }).code;
    if (status >= 500) deps.log.error('request failed', { status, url: request.url, error });
    else deps.log.warn('request refused', { status, url: request.url, error: errorMessage(error) });
    const message =
      code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'request bodies must be JSON (content-type: application/json)'
        : code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `request body is larger than ${security.bodyLimitBytes} bytes`
          : status >= 500 && !(error instanceof PulseError)
            ? 'internal error'
            : errorMessage(error);
    void reply.code(status).send(status === 503 ? { error: message, retriable: true } : { error: message });
  });

  const matches = security.token === undefined ? undefined : tokenMatcher(security.token);
  const presentsToken = (request: FastifyRequest): boolean => {
    const header = request.headers.authorization;
    return matches !== undefined && header?.startsWith('Bearer ') === true && matches(header.slice(7).trim());
  };
  // Every request counts, the 404s and 401s too; a wrong token counts against its address.
  void app.register(rateLimit, {
    global: false,
    max: security.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => (presentsToken(request) ? 'token' : `ip:${normalizeIP(request.ip)}`),
  });

  void app.register(async (limited) => {
    limited.addHook('onRequest', limited.rateLimit());

    limited.get('/health', async () => deps.health());
    if (deps.dashboard !== undefined) registerDashboardPage(limited);

    // Everything else: behind the token when there is one (unknown routes too, so they cannot be probed).
    await limited.register(async (api) => {
      if (matches !== undefined) {
        await api.register(bearerAuth, {
          keys: [],
          auth: (key: string) => matches(key),
          errorResponse: (error: Error) => ({
            error: `${error.message}: send Authorization: Bearer <PULSE_API_TOKEN>`,
          }),
        });
        api.addHook('onSend', async (_request, reply) => {
          if (reply.statusCode === 401) void reply.header('www-authenticate', 'Bearer');
        });
      }
      api.setNotFoundHandler(async (request, reply) =>
        reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` }),
      );
      routes(api, deps);
      if (deps.insightStream !== undefined) registerInsightStream(api, deps.insightStream);
      if (deps.dashboard !== undefined) registerDashboardReads(api, deps.dashboard);
    });
  });
  return app;
}

function routes(app: FastifyInstance, deps: ApiDeps): void {
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
    // A client that goes away cancels its query (at the engine's next block).
    const abandoned = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abandoned.abort();
    });
    try {
      return await deps.queries.run(parsed.data.sql, abandoned.signal);
    } catch (error) {
      if (error instanceof QueryLimitError)
        return reply.code(422).send({ error: error.message, limit: error.setting, value: error.limit });
      if (error instanceof QueryRefusedError)
        return reply.code(400).send({ error: error.message, reason: error.reason, retriable: false });
      if (error instanceof QueryBusyError)
        return reply.code(429).header('retry-after', '1').send({ error: error.message, retriable: true });
      if (error instanceof QueryCancelledError) return reply.code(499).send({ error: error.message });
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

  // The engines, through the command bus: 200 with the result when it comes within the gateway's
  // timeout, 202 with the command id otherwise (GET /api/commands/:id answers once it is done).
  const send = async (
    reply: FastifyReply,
    build: (base: { commandId: string; tenantId: string; userId: string; issuedAt: number }) => Command,
    body: { user_id: string; tenant_id: string; command_id?: string | undefined },
  ): Promise<unknown> => {
    const gateway = deps.commands;
    if (gateway === undefined)
      return reply.code(503).send({ error: 'the command bus is not available', retriable: true });
    const command = build({
      commandId: body.command_id ?? gateway.newCommandId(),
      tenantId: body.tenant_id,
      userId: body.user_id,
      issuedAt: Date.now(),
    });
    try {
      const result = await gateway.request(command, gateway.timeoutMs);
      const answer = {
        command_id: result.commandId,
        status: result.status,
        workflow_id: result.workflowId,
        version: result.version,
        error: result.error,
        result: JSON.parse(result.bodyJson) as unknown,
      };
      return await reply.code(result.status === 'rejected' ? 422 : 200).send(answer);
    } catch (error) {
      if (error instanceof CommandTimeoutError) {
        return reply.code(202).send({
          command_id: command.commandId,
          status: 'accepted',
          poll: `/api/commands/${command.commandId}`,
        });
      }
      throw error;
    }
  };

  app.post('/api/workflows/automation/generate', async (request, reply) => {
    const parsed = generateRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(badRequest(parsed.error.issues));
    const b = parsed.data;
    return send(
      reply,
      (base) => ({
        ...base,
        type: 'generate',
        payload: {
          description: b.description,
          strategy: b.strategy,
          workflowId: b.workflow_id ?? null,
          selectedServices: b.selected_services,
        },
      }),
      b,
    );
  });

  app.post('/api/workflows/troubleshooting/analyze', async (request, reply) => {
    const parsed = analyzeRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(badRequest(parsed.error.issues));
    const b = parsed.data;
    const errorLogs = b.error_logs.map((l) =>
      typeof l === 'string'
        ? { service: null, stepId: null, log: l, httpStatus: null, occurredAt: null }
        : {
            service: l.service ?? null,
            stepId: l.step_id ?? null,
            log: l.log ?? l.message ?? '',
            httpStatus: l.http_status ?? null,
            occurredAt:
              l.occurred_at === undefined
                ? null
                : typeof l.occurred_at === 'number'
                  ? l.occurred_at
                  : Date.parse(l.occurred_at),
          },
    );
    return send(
      reply,
      (base) => ({
        ...base,
        type: 'troubleshoot',
        payload: {
          workflowId: b.workflow_id,
          errorLogs,
          metricsJson: b.metrics === undefined ? null : JSON.stringify(b.metrics),
          autoResolve: b.auto_resolve,
        },
      }),
      b,
    );
  });

  app.post('/api/workflows/optimization/predict', async (request, reply) => {
    const parsed = predictRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(badRequest(parsed.error.issues));
    const b = parsed.data;
    const definition = typeof b.workflow === 'object' ? b.workflow : undefined;
    const workflowId = typeof b.workflow === 'string' ? b.workflow : (b.workflow_id ?? null);
    return send(
      reply,
      (base) => ({
        ...base,
        type: 'predict',
        payload: {
          workflowId,
          workflowJson: definition === undefined ? null : JSON.stringify(definition),
          historicalDataJson: b.historical_data === undefined ? null : JSON.stringify(b.historical_data),
          predictionHorizonHours: b.prediction_horizon,
        },
      }),
      b,
    );
  });

  app.get('/api/commands/:id', async (request, reply) => {
    const parsed = z.object({ id }).safeParse(request.params);
    if (!parsed.success) return reply.code(400).send(badRequest(parsed.error.issues));
    const rows = await deps.reader.query<Record<string, unknown>>(
      `SELECT command_id, command_type, status, error_code, error_message, workflow_id, version, body
       FROM ${deps.reader.target.database}.command_results FINAL WHERE command_id = {id:String} LIMIT 1`,
      { id: parsed.data.id },
    );
    const row = rows[0];
    if (row === undefined)
      return reply.code(404).send({ error: 'no result yet', command_id: parsed.data.id });
    return { ...row, body: undefined, result: JSON.parse(String(row.body)) as unknown };
  });
}
