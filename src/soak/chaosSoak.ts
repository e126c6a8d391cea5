// Chaos soak: the pipeline under a steady load while its parts are killed (SIGKILL) and restarted
// at random — the processors' process, the loaders' process (the chDB owner, with the API), the
// Kafka broker, the schema registry and Redis — and then the proof: every produced event is in
// ClickHouse exactly once, and every metric window equals what a crash-free run computes from the
// same input (the pure metrics processor folded over the topic, partition by partition).
//
// It runs on a stack of its own (its own ports, stack folder, Redis without persistence, topics and
// chDB folder), so the services it kills are nobody else's. Used by `npm run soak` and, for two
// minutes, by test/integration/chaosSoak.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { createKafka, parseBrokers } from '../adapters/kafka/kafkaClient.ts';
import { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { parseConfig, type PulseConfig } from '../config.ts';
import { simulateExecution, simulateWorkflows } from '../core/demo/executionSimulator.ts';
import type { ExecutionEventInput } from '../core/executionEvent.ts';
import { metricsRow } from '../core/metrics/metricsRow.ts';
import { isWindowRecord } from '../core/metrics/metricWindow.ts';
import { seededRandom } from '../core/seededRandom.ts';
import type { Logger } from '../logger.ts';
import { createExecutionPublisher } from '../sdk/executionPublisher.ts';
import { stackDown, stackStatus, stackUp } from '../stack/localStack.ts';
import { STAGES } from '../pipeline/stages.ts';
import { EXECUTIONS_TOPIC, METRICS_TOPIC, topicName } from '../topology/topics.ts';
import { metricsProcessor } from '../../pipelines/metricsProcessor.ts';

export type ChaosTarget = 'processors' | 'loaders' | 'kafka' | 'registry' | 'redis';
const TARGETS: readonly ChaosTarget[] = ['processors', 'loaders', 'kafka', 'registry', 'redis'];
const PROCESSOR_STAGES = ['metrics-processor', 'detection-processor'];

export interface ChaosSoakOptions {
  readonly projectRoot: string;
  readonly minutes: number;
  /** events per second */
  readonly rate: number;
  readonly seed: number;
  /** seconds between kills, drawn uniformly */
  readonly killEverySeconds: readonly [number, number];
  readonly log: Logger;
  /** stop the soak's own stack at the end (default true) */
  readonly stackDownAfter?: boolean;
}

export interface ChaosSoakReport {
  readonly seconds: number;
  readonly produced: number;
  readonly kills: Record<ChaosTarget, number>;
  readonly archive: {
    /** records in the executions topic (the producer's retries included) */
    readonly topicRecords: number;
    /** rows in the raw table: one per record */
    readonly rows: number;
    /** distinct event ids: every produced event */
    readonly distinctEvents: number;
    /** rows analysts see (the FINAL view): one per event */
    readonly visibleRows: number;
  };
  readonly windows: { readonly expected: number; readonly found: number; readonly mismatched: string[] };
  readonly ok: boolean;
}

/** The soak's own stack: ports and folders apart from the default stack. */
function soakConfig(projectRoot: string, id: string): PulseConfig {
  return parseConfig({
    PULSE_STACK_DIR: path.join('.stack', 'soak'),
    PULSE_KAFKA_BROKERS: '127.0.0.1:29092',
    PULSE_KAFKA_PORT: '29092',
    PULSE_REGISTRY_PORT: '28081',
    PULSE_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:28081/apis/ccompat/v7',
    PULSE_REDIS_URL: 'redis://127.0.0.1:26379',
    PULSE_TOPIC_PREFIX: `soak.${id}.`,
    PULSE_CONSUMER_GROUP_PREFIX: `soak-${id}`,
    PULSE_CHDB_PATH: path.join(projectRoot, '.data', `soak-${id}`),
    PULSE_API_PORT: '28090',
    // Windows close on event time only, so the outcome depends on the input alone.
    PULSE_METRICS_IDLE_TIMEOUT_MS: '0',
    PULSE_SNAPSHOT_EVERY_MS: '2000',
    PULSE_CONSUMER_SESSION_TIMEOUT_MS: '6000',
    PULSE_LOG_LEVEL: 'warn',
  });
}

function envOf(config: PulseConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config) as [string, string | number | undefined][])
    if (value !== undefined) env[key] = String(value);
  return env;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(500);
  }
  throw new Error(`chaos soak: timed out waiting for ${what}`);
}

export async function runChaosSoak(options: ChaosSoakOptions): Promise<ChaosSoakReport> {
  const { projectRoot, log } = options;
  const id = randomBytes(3).toString('hex');
  const config = soakConfig(projectRoot, id);
  const env = { ...(process.env as Record<string, string>), ...envOf(config) };
  const random = seededRandom(options.seed);
  const between = ([lo, hi]: readonly [number, number]): number => lo + (hi - lo) * random();

  // Share the default stack's downloads: the soak's stack folder only holds its own data.
  const soakStack = path.resolve(projectRoot, config.PULSE_STACK_DIR);
  const sharedCache = path.resolve(projectRoot, '.stack', 'cache');
  mkdirSync(path.join(soakStack, 'logs'), { recursive: true });
  if (existsSync(sharedCache) && !existsSync(path.join(soakStack, 'cache')))
    symlinkSync(sharedCache, path.join(soakStack, 'cache'));
  await stackUp(config, projectRoot, log);

  const children = new Map<'processors' | 'loaders', ChildProcess>();
  const killing = new Set<ChildProcess>();
  let supervising = true;
  const startStages = (which: 'processors' | 'loaders'): void => {
    const stages =
      which === 'processors' ? PROCESSOR_STAGES : STAGES.filter((s) => !PROCESSOR_STAGES.includes(s));
    // --no-stack: the soak alone decides when a killed service comes back.
    const args = [
      'run',
      '--no-stack',
      '--stages',
      stages.join(','),
      ...(which === 'processors' ? ['--no-api'] : []),
    ];
    const logFile = openSync(path.join(soakStack, 'logs', `${which}.log`), 'a');
    const child = spawn(path.join(projectRoot, 'bin', 'pulse'), args, {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'ignore', logFile],
    });
    closeSync(logFile);
    children.set(which, child);
    // Like a service manager: a process that stops by itself (it could not start while the broker
    // or registry was down, say) is started again.
    child.once('exit', () => {
      if (killing.has(child) || !supervising) return;
      log.info('chaos: a stage process exited by itself; restarting it', { module: 'soak', which });
      setTimeout(() => {
        if (supervising && children.get(which) === child) startStages(which);
      }, 2000);
    });
  };
  const killChild = async (which: 'processors' | 'loaders'): Promise<void> => {
    const child = children.get(which);
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    killing.add(child);
    child.kill('SIGKILL');
    await exited;
  };
  const api = `http://127.0.0.1:${String(config.PULSE_API_PORT)}`;
  const query = async <T>(sql: string): Promise<T[]> => {
    const res = await fetch(`${api}/api/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql }),
    });
    if (!res.ok) throw new Error(`query failed: ${String(res.status)} ${await res.text()}`);
    return ((await res.json()) as { rows: T[] }).rows;
  };

  const started = Date.now();
  const kills: Record<ChaosTarget, number> = { processors: 0, loaders: 0, kafka: 0, registry: 0, redis: 0 };
  let produced = 0;
  try {
    // Whoever answers on the soak's API port must be this soak's loaders, or every check below
    // would read someone else's tables.
    if (
      await fetch(`${api}/health`).then(
        () => true,
        () => false,
      )
    )
      throw new Error(`chaos soak: ${api} already answers: a pipeline process of an earlier run is still up`);
    // The loaders' process first: it applies the topics and migrations the processors then find.
    startStages('loaders');
    await waitUntil('the loaders API', async () => (await fetch(`${api}/health`)).ok, 120_000);
    startStages('processors');

    // Steady load: simulated executions, live event time, every event id unique.
    const publisher = await createExecutionPublisher({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    });
    const workflows = simulateWorkflows({ tenants: 3, workflows: 30, seed: options.seed });
    const totalWeight = workflows.reduce((n, w) => n + w.weight, 0);
    const loadRandom = seededRandom(options.seed + 1);
    let runs = 0;
    const endAt = started + options.minutes * 60_000;
    const load = (async () => {
      const from = Date.now();
      while (Date.now() < endAt) {
        const batch: ExecutionEventInput[] = [];
        while (batch.length < options.rate / 4) {
          let r = loadRandom() * totalWeight;
          const workflow = workflows.find((w) => (r -= w.weight) <= 0) ?? workflows[0];
          if (workflow === undefined) break;
          const events = simulateExecution(workflow, `soak-${id}-${String(runs++)}`, 0, loadRandom);
          const shift = Date.now() - (events.at(-1)?.occurredAt ?? 0);
          for (const e of events) batch.push({ ...e, occurredAt: e.occurredAt + shift });
        }
        // A producer that gives up during a long broker outage sends the batch again once it is
        // back: at least once, so the topic may hold a record twice, and the checks below tell
        // the producer's duplicates (same event id) from the pipeline's (same record).
        for (;;) {
          try {
            await publisher.publish(batch);
            break;
          } catch (error) {
            log.info('chaos: publish failed; sending the batch again', { module: 'soak', error });
            await sleep(1000);
          }
        }
        produced += batch.length;
        const due = from + (produced / options.rate) * 1000;
        await sleep(Math.max(0, due - Date.now()));
      }
    })();

    // Chaos: kill one part at random, bring it back a little later, again and again.
    const order: ChaosTarget[] = [];
    while (Date.now() < endAt - 5000) {
      await sleep(between(options.killEverySeconds) * 1000);
      if (Date.now() >= endAt - 5000) break;
      // Every part in turn, in a random order each round: a short soak still kills each of them.
      if (order.length === 0) order.push(...shuffled(TARGETS, random));
      const target = order.pop() ?? 'processors';
      log.info('chaos: killing', { module: 'soak', target });
      if (target === 'processors' || target === 'loaders') {
        await killChild(target);
        await sleep(between([1, 4]) * 1000);
        startStages(target);
      } else {
        const pid = (await stackStatus(config, projectRoot)).find((s) => s.name === target)?.pid;
        if (pid === undefined) continue;
        process.kill(pid, 'SIGKILL');
        await sleep(between([1, 4]) * 1000);
        await stackUp(config, projectRoot, log);
      }
      kills[target]++;
    }
    await load;
    await publisher.close();

    // Everything up, then wait until every stage has read to the end of its input.
    await stackUp(config, projectRoot, log);
    for (const which of ['processors', 'loaders'] as const) {
      const child = children.get(which);
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) startStages(which);
    }
    await waitUntil('the loaders API', async () => (await fetch(`${api}/health`)).ok, 120_000);
    await waitCaughtUp(config, log, [
      ['metrics-processor', EXECUTIONS_TOPIC],
      ['archive-loader', EXECUTIONS_TOPIC],
      ['metrics-loader', METRICS_TOPIC],
    ]);

    const db = config.CLICKHOUSE_DATABASE;
    // The raw table, without FINAL: each record of the topic must be there once (a duplicate
    // insert would show), each produced event at least once, and once in the analysts' view.
    const [archive] = await query<{ rows: string; ids: string; visible: string }>(
      `SELECT count() AS rows, uniqExact(event_id) AS ids,
              (SELECT count() FROM ${db}.workflow_executions_v) AS visible
       FROM ${db}.workflow_executions`,
    );
    const records = await topicRecords(config, log);
    const expected = await crashFreeWindows(config, log);
    const found = await query<Record<string, unknown>>(
      `SELECT ${WINDOW_COLUMNS.join(', ')} FROM ${db}.workflow_metrics_1m FINAL`,
    );
    const mismatched = compareWindows(expected, found);
    const report: ChaosSoakReport = {
      seconds: Math.round((Date.now() - started) / 1000),
      produced,
      kills,
      archive: {
        topicRecords: records,
        rows: Number(archive?.rows ?? 0),
        distinctEvents: Number(archive?.ids ?? 0),
        visibleRows: Number(archive?.visible ?? 0),
      },
      windows: { expected: expected.size, found: found.length, mismatched },
      ok: false,
    };
    return {
      ...report,
      ok:
        report.archive.rows === records &&
        report.archive.distinctEvents === produced &&
        report.archive.visibleRows === produced &&
        mismatched.length === 0 &&
        expected.size === found.length,
    };
  } finally {
    supervising = false;
    await Promise.all([killChild('processors'), killChild('loaders')]);
    if (options.stackDownAfter !== false) await stackDown(config, projectRoot).catch(() => undefined);
  }
}

async function withAdmin<T>(config: PulseConfig, log: Logger, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafka(
    { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'soak-admin' },
    log,
  ).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Records in the executions topic: the producer is not transactional, so offsets are records. */
async function topicRecords(config: PulseConfig, log: Logger): Promise<number> {
  const offsets = await withAdmin(config, log, (admin) =>
    admin.fetchTopicOffsets(topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC)),
  );
  return offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
}

async function waitCaughtUp(config: PulseConfig, log: Logger, groups: [string, string][]): Promise<void> {
  await withAdmin(config, log, async (admin) => {
    for (const [stage, base] of groups) {
      const topic = topicName(config.PULSE_TOPIC_PREFIX, base);
      const groupId = `${config.PULSE_CONSUMER_GROUP_PREFIX}.${stage}`;
      await waitUntil(
        `${stage} to reach the end of ${topic}`,
        async () => {
          const ends = await admin.fetchTopicOffsets(topic);
          const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return ends.every((end) => {
            const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
            return BigInt(end.high) === 0n || BigInt(c) >= BigInt(end.high);
          });
        },
        300_000,
      );
    }
  });
}

/** The columns that make a window; the source offset columns differ between runs by design. */
const WINDOW_COLUMNS = [
  'scope',
  'key',
  'toUnixTimestamp64Milli(window_start) AS window_start_ms',
  'version',
  'input_partition',
  'executions',
  'successes',
  'failures',
  'retries',
  'p50_ms',
  'p95_ms',
  'p99_ms',
  'cost_micros_sum',
  'late_events',
  'event_count',
];

function windowId(scope: unknown, key: unknown, start: unknown, partition: unknown): string {
  return `${String(scope)}|${String(key)}|${String(start)}|${String(partition)}`;
}

function windowValue(row: Record<string, unknown>): string {
  const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return JSON.stringify([
    n(row.version),
    n(row.executions),
    n(row.successes),
    n(row.failures),
    n(row.retries),
    n(row.p50_ms),
    n(row.p95_ms),
    n(row.p99_ms),
    n(row.cost_micros_sum),
    n(row.late_events),
    n(row.event_count),
  ]);
}

/**
 * What a run without crashes emits: the executions topic read back (committed records, each
 * partition in offset order) and folded by the pure metrics processor, the last version of each
 * window kept, as the table's FINAL does.
 */
async function crashFreeWindows(config: PulseConfig, log: Logger): Promise<Map<string, string>> {
  const topic = topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC);
  const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
  const kafka = createKafka(
    { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'soak-reader' },
    log,
  );
  const ends = await withAdmin(config, log, (admin) => admin.fetchTopicOffsets(topic));
  const definition = metricsProcessor({
    allowedLatenessMs: config.PULSE_METRICS_ALLOWED_LATENESS_MS,
    idleTimeoutMs: null,
    correctionHorizonMs: config.PULSE_METRICS_CORRECTION_HORIZON_MS,
  });
  const windows = new Map<string, string>();
  const states = new Map<number, ReturnType<typeof definition.initialState>>();
  const done = new Set<number>(ends.filter((e) => BigInt(e.high) === 0n).map((e) => e.partition));
  const consumer = kafka.consumer({
    groupId: `soak-reader-${randomBytes(4).toString('hex')}`,
    readUncommitted: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      let state = states.get(batch.partition);
      if (state === undefined) {
        state = definition.initialState();
        states.set(batch.partition, state);
      }
      for (const message of batch.messages) {
        const parsed = definition.parse(await registry.decode(message.value));
        if (!parsed.ok) continue;
        for (const w of definition.apply(state, parsed.value, message.offset).outputs) {
          const record = definition.outputValue(w, batch.partition) as Parameters<typeof metricsRow>[0];
          if (!isWindowRecord(record)) continue;
          const row = metricsRow(record, { partition: 0, offset: '0' });
          const id = windowId(row.scope, row.key, record.windowStart, row.input_partition);
          windows.set(id, windowValue(row as unknown as Record<string, unknown>));
        }
      }
      const end = ends.find((e) => e.partition === batch.partition);
      if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= BigInt(end.high)) done.add(batch.partition);
    },
  });
  await waitUntil('the crash-free replay', () => Promise.resolve(done.size === ends.length), 300_000);
  await consumer.disconnect();
  return windows;
}

function compareWindows(expected: Map<string, string>, rows: Record<string, unknown>[]): string[] {
  const mismatched: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const id = windowId(row.scope, row.key, row.window_start_ms, row.input_partition);
    seen.add(id);
    const want = expected.get(id);
    const got = windowValue(row);
    if (want !== got) mismatched.push(`${id}: expected ${want ?? '(none)'}, found ${got}`);
  }
  for (const id of expected.keys()) if (!seen.has(id)) mismatched.push(`${id}: missing`);
  return mismatched.slice(0, 20);
}
