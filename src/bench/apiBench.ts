// `npm run bench:api`: the HTTP API under load while the pipeline ingests a steady stream, on the
// real stack. `pulse run` (every stage, as operators start it) runs as a child process with its own
// topics, groups and chDB folder; this process publishes simulated executions at `--rate` events/s
// and, one endpoint after another, drives the API with autocannon for `--seconds` seconds with
// `--connections` concurrent clients:
//
//   generate      POST /api/workflows/automation/generate   (command bus round trip)
//   analyze       POST /api/workflows/troubleshooting/analyze
//   predict       POST /api/workflows/optimization/predict   (a generated workflow, given history)
//   query         POST /api/query                            (an aggregate over the archive)
//   health        GET  /health
//
// and prints requests/s, latency p50/p99/max, non-2xx and errors for each (target p99 < 500 ms, no
// errors). The per-client rate limit is raised for the run: this measures capacity, not the limiter.
//
// Usage: npm run bench:api -- [--rate 5000] [--seconds 15] [--connections 8] [--json]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { parseConfig } from '../config.ts';
import { simulateExecution, simulateWorkflows } from '../core/demo/executionSimulator.ts';
import { seededRandom } from '../core/seededRandom.ts';
import { createLogger, setLogLevel } from '../logger.ts';
import { createExecutionPublisher } from '../sdk/executionPublisher.ts';
import { stackUp } from '../stack/localStack.ts';
import { EXECUTIONS_TOPIC, topicName } from '../topology/topics.ts';
import { benchConfig, flag } from './benchSupport.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RATE = flag('rate', 5000);
const SECONDS = flag('seconds', 15);
const CONNECTIONS = flag('connections', 8);
const JSON_OUT = process.argv.includes('--json');
const say = (line: string): void => void process.stderr.write(line + '\n');

interface EndpointFigures {
  endpoint: string;
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function drive(
  name: string,
  url: string,
  request: { method: 'GET' | 'POST'; body?: unknown },
): Promise<EndpointFigures> {
  const result = await autocannon({
    url,
    method: request.method,
    connections: CONNECTIONS,
    duration: SECONDS,
    timeout: 30,
    headers: { 'content-type': 'application/json' },
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
  });
  return {
    endpoint: name,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    max_ms: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

async function main(): Promise<void> {
  setLogLevel('warn');
  const log = createLogger({ module: 'bench-api' });
  const base = parseConfig(process.env);
  await stackUp(base, root, log);
  const id = randomBytes(3).toString('hex');
  const config = { ...benchConfig(base, id, 'api'), PULSE_API_COMMAND_TIMEOUT_MS: 30_000 };
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PULSE_TOPIC_PREFIX: config.PULSE_TOPIC_PREFIX,
    PULSE_CONSUMER_GROUP_PREFIX: config.PULSE_CONSUMER_GROUP_PREFIX,
    PULSE_CHDB_PATH: config.PULSE_CHDB_PATH,
    PULSE_API_PORT: String(config.PULSE_API_PORT),
    PULSE_LOG_LEVEL: 'warn',
    PULSE_API_COMMAND_TIMEOUT_MS: '30000',
    PULSE_API_RATE_LIMIT_PER_MINUTE: '10000000',
  };
  const api = `http://127.0.0.1:${String(config.PULSE_API_PORT)}`;
  const child = spawn(path.join(root, 'bin', 'pulse'), ['run'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stopChild = (): void => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', stopChild);
  try {
    say(`bench:api — pulse run (all stages) on ${api}; waiting for every stage to join…`);
    for (const deadline = Date.now() + 180_000; ;) {
      const h = await fetch(`${api}/health`)
        .then((r) => r.json() as Promise<{ stages?: { state: string }[]; notRunning?: string[] }>)
        .catch(() => undefined);
      if (h?.stages !== undefined && h.stages.length > 0 && h.stages.every((s) => s.state === 'running'))
        break;
      if (Date.now() > deadline) throw new Error('pulse run did not start within 180 s');
      await new Promise((r) => setTimeout(r, 500));
    }

    // Steady ingest for the whole run.
    const publisher = await createExecutionPublisher({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    });
    const workflows = simulateWorkflows({ tenants: 5, workflows: 50, seed: 7 });
    const totalWeight = workflows.reduce((n, w) => n + w.weight, 0);
    const random = seededRandom(8);
    let published = 0;
    let runs = 0;
    let ingesting = true;
    const ingest = (async () => {
      const from = Date.now();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- cleared when the endpoints are done
      while (ingesting) {
        const batch = [];
        while (batch.length < RATE / 10) {
          let r = random() * totalWeight;
          const workflow = workflows.find((w) => (r -= w.weight) <= 0) ?? workflows[0];
          if (workflow === undefined) break;
          const events = simulateExecution(workflow, `bench-${id}-${String(runs++)}`, 0, random);
          const shift = Date.now() - (events.at(-1)?.occurredAt ?? 0);
          for (const e of events) batch.push({ ...e, occurredAt: e.occurredAt + shift });
        }
        await publisher.publish(batch);
        published += batch.length;
        const due = from + (published / RATE) * 1000;
        await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
      }
    })();
    await new Promise((r) => setTimeout(r, 3000));

    const generated = (await (
      await fetch(`${api}/api/workflows/automation/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          user_id: 'bench',
          tenant_id: 'bench',
          description: 'When a Stripe payment fails, post to Slack and create a HubSpot task',
        }),
      })
    ).json()) as { workflow_id?: string };
    if (generated.workflow_id === undefined) throw new Error('generate did not answer with a workflow');

    const figures: EndpointFigures[] = [];
    const endpoints: [string, string, { method: 'GET' | 'POST'; body?: unknown }][] = [
      [
        'generate',
        '/api/workflows/automation/generate',
        {
          method: 'POST',
          body: {
            user_id: 'bench',
            tenant_id: 'bench',
            description:
              'Every morning summarise new Zendesk tickets with OpenAI and email the digest with Gmail',
          },
        },
      ],
      [
        'analyze',
        '/api/workflows/troubleshooting/analyze',
        {
          method: 'POST',
          body: {
            user_id: 'bench',
            tenant_id: 'bench',
            workflow_id: generated.workflow_id,
            auto_resolve: false,
            error_logs: [{ service: 'slack', log: '{"ok":false,"error":"ratelimited"}', http_status: 429 }],
          },
        },
      ],
      [
        'predict',
        '/api/workflows/optimization/predict',
        {
          method: 'POST',
          body: {
            user_id: 'bench',
            tenant_id: 'bench',
            workflow: generated.workflow_id,
            prediction_horizon: 168,
            historical_data: { executions: Array.from({ length: 24 * 14 }, (_, h) => 50 + (h % 24) * 3) },
          },
        },
      ],
      [
        'query',
        '/api/query',
        {
          method: 'POST',
          body: {
            sql: `SELECT service, count() AS events, countIf(event_type = 'STEP_FAILED') AS failed
                  FROM ${config.CLICKHOUSE_DATABASE}.workflow_executions GROUP BY service ORDER BY events DESC LIMIT 10`,
          },
        },
      ],
      ['health', '/health', { method: 'GET' }],
    ];
    for (const [name, route, request] of endpoints) {
      say(
        `  ${name}: ${String(CONNECTIONS)} connections for ${String(SECONDS)} s while ingesting ${String(RATE)} events/s…`,
      );
      figures.push(await drive(name, `${api}${route}`, request));
    }
    ingesting = false;
    await ingest;
    await publisher.close();
    const seconds = SECONDS * endpoints.length;

    say('');
    say('endpoint   requests  req/s   p50 ms  p99 ms  max ms  non-2xx  errors');
    for (const f of figures)
      say(
        `${f.endpoint.padEnd(10)} ${String(f.requests).padStart(8)} ${String(f.rps).padStart(6)} ${String(f.p50_ms).padStart(8)} ${String(f.p99_ms).padStart(7)} ${String(f.max_ms).padStart(7)} ${String(f.non2xx).padStart(8)} ${String(f.errors + f.timeouts).padStart(7)}`,
      );
    say(
      `ingest: ${String(published)} events published in about ${String(seconds)} s (target ${String(RATE)}/s)`,
    );
    const worstP99 = Math.max(...figures.map((f) => f.p99_ms));
    const failures = figures.reduce((n, f) => n + f.non2xx + f.errors + f.timeouts, 0);
    say(`worst p99 ${String(worstP99)} ms (target 500 ms); non-2xx + errors: ${String(failures)} (target 0)`);
    if (JSON_OUT)
      process.stdout.write(
        JSON.stringify({
          rate: RATE,
          seconds: SECONDS,
          connections: CONNECTIONS,
          endpoints: figures,
          worst_p99_ms: worstP99,
          failures,
        }) + '\n',
      );
  } finally {
    stopChild();
    await new Promise((r) => setTimeout(r, 2000));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:api failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
