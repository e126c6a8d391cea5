// The one configuration schema. It is parsed once at start-up from the environment; nothing
// else in Pulse reads process.env. Every setting has a default and a description, and a bad
// value stops start-up with a message that names the setting.
import { z } from 'zod';
import { ConfigError } from './errors.ts';

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

export const configSchema = z.object({
  PULSE_KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:19092')
    .describe('Comma-separated Kafka bootstrap brokers (host:port).'),
  PULSE_SCHEMA_REGISTRY_URL: z
    .url()
    .default('http://127.0.0.1:18081/apis/ccompat/v7')
    .describe('Confluent-API schema registry base URL (Apicurio serves it under /apis/ccompat/v7).'),
  PULSE_REDIS_URL: z.string().default('redis://127.0.0.1:6379').describe('Redis URL for checkpointed state.'),
  CLICKHOUSE_URL: z
    .url()
    .optional()
    .describe('ClickHouse server URL. Unset: the embedded chDB engine at PULSE_CHDB_PATH.'),
  CLICKHOUSE_USER: z.string().default('default').describe('ClickHouse user (server mode only).'),
  CLICKHOUSE_PASSWORD: z.string().default('').describe('ClickHouse password (server mode only).'),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^\w+$/)
    .default('pulse')
    .describe('ClickHouse database for Pulse tables.'),
  PULSE_CHDB_PATH: z.string().default('.data/chdb').describe('Data folder of the embedded chDB engine.'),
  PULSE_CHDB_INSERT_SESSIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(16)
    .default(3)
    .describe(
      'Embedded ClickHouse: sessions the loaders insert through. chDB runs one statement at a time per session, so with one the loaders queue behind each other.',
    ),
  PULSE_STACK_DIR: z
    .string()
    .default('.stack')
    .describe('Folder for downloaded jars, service data, pid files and logs of the local stack.'),
  PULSE_KAFKA_PORT: port
    .default(19092)
    .describe('Port of the local Kafka broker started by `pulse stack up`.'),
  PULSE_REGISTRY_PORT: port.default(18081).describe('Port of the local Apicurio registry.'),
  PULSE_API_PORT: port
    .default(8090)
    .describe('HTTP port of the pipeline process (queries, health, metrics).'),
  PULSE_API_HOST: z
    .string()
    .default('127.0.0.1')
    .describe('Address the HTTP API binds to; a non-loopback address requires PULSE_API_TOKEN.'),
  PULSE_API_TOKEN: z
    .string()
    .min(24, 'must be at least 24 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe(
      'Bearer token the HTTP API requires on every endpoint but GET /health (unset: no token, loopback only).',
    ),
  PULSE_API_RATE_LIMIT_PER_MINUTE: positiveInt
    .default(600)
    .describe(
      'Requests one client (its token, or its address without one) may make to the HTTP API per minute.',
    ),
  PULSE_API_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024)
    .describe('Largest HTTP API request body; a larger one gets 413.'),
  PULSE_LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error', 'silent'])
    .default('info')
    .describe('Log level (debug, info, warn, error, silent); logs are JSON lines on stderr.'),
  PULSE_LOADER_BATCH_MAX: positiveInt
    .default(5000)
    .describe('Largest number of events one loader insert carries.'),
  PULSE_LOADER_FLUSH_MS: positiveInt
    .default(200)
    .describe(
      'Longest time a loader holds consumed events before inserting them: sets the event-to-row latency (p99 about twice this) against the number of inserts.',
    ),
  PULSE_CONSUMER_SESSION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(6000)
    .max(300_000)
    .default(10_000)
    .describe(
      'Consumer session timeout: how long a crashed instance holds its partitions before a rebalance.',
    ),
  PULSE_METRICS_ALLOWED_LATENESS_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10_000)
    .describe(
      'Watermark = max event time seen on a partition minus this; windows close when the watermark passes them.',
    ),
  PULSE_METRICS_IDLE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30_000)
    .describe('An input partition idle this long advances its watermark by wall clock (0 disables).'),
  PULSE_METRICS_EMIT_EVERY_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(1_000)
    .refine((ms) => ms === 0 || 60_000 % ms === 0, 'must be 0 or divide the 60 000 ms window')
    .describe(
      'Changed windows are emitted each time the watermark crosses a multiple of this: a burst of late events corrects a window once, not once per event (0 emits after every event).',
    ),
  PULSE_METRICS_CORRECTION_HORIZON_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(3_600_000)
    .describe(
      'Late events up to this far behind the watermark correct their window (re-emitted with a higher version); older ones are counted.',
    ),
  PULSE_SNAPSHOT_EVERY_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(5000)
    .describe('Longest time between two state snapshots of a processor partition in Redis.'),
  PULSE_API_COMMAND_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(5000)
    .describe('How long the engine endpoints wait for a result before answering 202 with the command id.'),
  PULSE_TROUBLESHOOT_VERIFY_EVERY_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe(
      'How often the verifier checks the failure rate of workflows whose auto-resolution is being verified.',
    ),
  PULSE_TROUBLESHOOT_VERIFY_WINDOW_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(1_800_000)
    .describe(
      'How long an auto-resolution is watched before, still failing, it is rolled back and escalated.',
    ),
  PULSE_QUERY_MAX_EXECUTION_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(15_000)
    .describe(
      'Longest an analyst query (POST /api/query, pulse query) may run; rounded up to whole seconds.',
    ),
  PULSE_QUERY_MAX_RESULT_ROWS: positiveInt
    .default(100_000)
    .describe('Most rows an analyst query may return; a larger result is refused, not truncated.'),
  PULSE_QUERY_MAX_RESULT_BYTES: positiveInt
    .default(32 * 1024 * 1024)
    .describe('Most bytes an analyst query result may hold.'),
  PULSE_QUERY_MAX_MEMORY_BYTES: positiveInt
    .default(1024 * 1024 * 1024)
    .describe('Most memory one analyst query may use in the engine.'),
  PULSE_QUERY_MAX_THREADS: positiveInt
    .default(1)
    .describe('Engine threads one analyst query may use (the rest stay with ingest).'),
  PULSE_QUERY_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(16)
    .default(2)
    .describe('Analyst queries that run at once, each on a session of its own apart from the loaders.'),
  PULSE_QUERY_QUEUE: z.coerce
    .number()
    .int()
    .min(0)
    .default(16)
    .describe('Analyst queries that may wait for a session; past that a request gets 429.'),
  PULSE_PROCESSOR_THREAD: z
    .enum(['on', 'off'])
    .default('off')
    .describe(
      "on: the metrics and detection processors of a process run on a worker thread of their own (second core, no stalls of loaders and API). Off by default: under catch-up its partitions progress unevenly and a tenant's minutes can close before a slower partition delivers (see docs/performance.md).",
    ),
  PULSE_CONSUMER_GROUP_PREFIX: z
    .string()
    .default('pulse')
    .describe('Prefix of consumer group ids (one group per stage).'),
  PULSE_TOPIC_PREFIX: z
    .string()
    .regex(/^[\w.-]*$/)
    .default('')
    .describe('Prefix applied to every topic name (isolates environments sharing one cluster).'),
});

export type PulseConfig = z.infer<typeof configSchema>;

/** Whether `host` only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}

/** Rules across settings, checked after each setting parsed on its own. */
const checkedConfigSchema = configSchema.superRefine((config, ctx) => {
  // Only this machine may reach an API without a token.
  if (!isLoopbackHost(config.PULSE_API_HOST) && config.PULSE_API_TOKEN === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['PULSE_API_HOST'],
      message:
        'a non-loopback address exposes the API to the network: set PULSE_API_TOKEN (24+ characters) or bind to 127.0.0.1',
    });
});

export function parseConfig(env: Record<string, string | undefined>): PulseConfig {
  const relevant = Object.fromEntries(
    Object.keys(configSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  );
  const result = checkedConfigSchema.safeParse(relevant);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '(config)');
      // A secret is named, never echoed into logs.
      const shown = key === 'PULSE_API_TOKEN' ? '(hidden)' : JSON.stringify(relevant[key] ?? null);
      return `${key}=${shown}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  return result.data;
}

let cached: PulseConfig | undefined;

/** The process configuration, parsed from the environment once. */
export function loadConfig(): PulseConfig {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Rows for the README's configuration table. */
export function describeConfig(): { name: string; default: string; description: string }[] {
  return Object.entries(configSchema.shape).map(([name, schema]) => {
    const parsed = schema.safeParse(undefined);
    return {
      name,
      default: parsed.success && parsed.data !== undefined ? String(parsed.data) : '(unset)',
      description: schema.description ?? '',
    };
  });
}
