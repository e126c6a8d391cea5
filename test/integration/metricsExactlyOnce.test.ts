// Exactly-once of the metrics path under faults: the committed contents of workflow.metrics.v1
// and the rows of workflow_metrics_1m after a run with SIGKILLs (and, separately, a rebalance)
// equal, record for record, those of a run without crashes over the same input.
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroRegistry } from '../../src/adapters/registry/schemaRegistry.ts';
import type { ExecutionEventInput } from '../../src/core/executionEvent.ts';
import { createExecutionPublisher } from '../../src/sdk/executionPublisher.ts';
import { EXECUTIONS_TOPIC, METRICS_TOPIC, topicName } from '../../src/topology/topics.ts';
import { makeMetricEvents } from './eventFactory.ts';
import {
  apiQuery,
  configFrom,
  isolatedEnv,
  readCommitted,
  spawnPulse,
  waitFor,
  waitForGroupCaughtUp,
} from './harness.ts';

const TOTAL = 200_000;
const CHUNKS = 10;
const children: ChildProcess[] = [];

interface Outcome {
  /** every committed record, per series in offset order */
  topic: Map<string, string[]>;
  rows: string[];
}

// Records of different keys interleave in an output partition in whatever order the input
// partitions were processed; the sequence of each key is what the design makes deterministic.
function firstDifference(a: Outcome, b: Outcome): string {
  for (const key of new Set([...a.topic.keys(), ...b.topic.keys()])) {
    const x = a.topic.get(key) ?? [];
    const y = b.topic.get(key) ?? [];
    const i = x.findIndex((r, n) => r !== y[n]);
    if (i !== -1 || x.length !== y.length) {
      // Each sequence as window start/version, so that a missing, extra or reordered record shows.
      const outline = (records: readonly string[]): string =>
        records
          .map((r) => {
            const w = JSON.parse(r) as { windowStart: number; version: number };
            return `${new Date(w.windowStart).toISOString().slice(11, 16)}/v${String(w.version)}`;
          })
          .join(' ');
      return `key ${key}: ${x.length} vs ${y.length} records; first difference at ${i}:\n${x[i] ?? '(none)'}\n${y[i] ?? '(none)'}\nthis run:  ${outline(x)}\nreference: ${outline(y)}`;
    }
  }
  const j = a.rows.findIndex((r, n) => r !== b.rows[n]);
  return j === -1 && a.rows.length === b.rows.length
    ? 'equal'
    : `rows differ at ${j}: ${a.rows[j] ?? ''} vs ${b.rows[j] ?? ''}`;
}

async function metricsEnv(name: string): Promise<Record<string, string>> {
  // No wall-clock closing: the outcome must depend on the input alone.
  return {
    ...(await isolatedEnv(name)),
    PULSE_METRICS_IDLE_TIMEOUT_MS: '0',
    PULSE_SNAPSHOT_EVERY_MS: '1000',
  };
}

function start(env: Record<string, string>, stage: 'metrics-processor' | 'metrics-loader'): ChildProcess {
  const args =
    stage === 'metrics-loader' ? ['run', '--stages', stage] : ['run', '--stages', stage, '--no-api'];
  const child = spawnPulse(args, env);
  children.push(child);
  return child;
}

async function loaderUp(env: Record<string, string>): Promise<void> {
  await waitFor(
    'loader API',
    async () => ((await apiQuery(env, 'SELECT 1 AS one')).length === 1 ? true : undefined),
    90_000,
    250,
  );
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function publishChunk(env: Record<string, string>, events: ExecutionEventInput[]): Promise<void> {
  const config = configFrom(env);
  const publisher = await createExecutionPublisher({
    brokers: config.PULSE_KAFKA_BROKERS,
    registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
    topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
  });
  await publisher.publish(events);
  await publisher.close();
}

async function outcome(env: Record<string, string>): Promise<Outcome> {
  const config = configFrom(env);
  const group = (stage: string): string => `${config.PULSE_CONSUMER_GROUP_PREFIX}.${stage}`;
  const metricsTopic = topicName(config.PULSE_TOPIC_PREFIX, METRICS_TOPIC);
  await waitForGroupCaughtUp(
    config,
    group('metrics-processor'),
    topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
  );
  await waitForGroupCaughtUp(config, group('metrics-loader'), metricsTopic);
  const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
  const topic = new Map<string, string[]>();
  for (const messages of (await readCommitted(config, metricsTopic)).values()) {
    for (const m of messages) {
      // Records are keyed by tenant; the deterministic sequence is each series' (service
      // windows: each input partition's partial series).
      const decoded = (await registry.decode(m.value)) as {
        scope: string;
        key: string;
        inputPartition: number;
      };
      const series = `${decoded.scope}|${decoded.key}${decoded.scope === 'service' ? `|${String(decoded.inputPartition)}` : ''}`;
      topic.set(series, [...(topic.get(series) ?? []), JSON.stringify(decoded)]);
    }
  }
  const rows = await apiQuery<Record<string, unknown>>(
    env,
    `SELECT scope, key, window_start, version, executions, successes, failures, retries, p50_ms, p95_ms, p99_ms,
            toString(duration_bins) AS bins, cost_micros_sum, toString(error_classes) AS errors, late_events, event_count,
            toString(workflow_versions) AS versions,
            input_partition
     FROM ${config.CLICKHOUSE_DATABASE}.workflow_metrics_1m FINAL ORDER BY scope, key, window_start, input_partition`,
  );
  return { topic, rows: rows.map((r) => JSON.stringify(r)) };
}

describe('metrics exactly-once under faults', () => {
  const runId = randomBytes(4).toString('hex');
  const events = makeMetricEvents(TOTAL, runId, Date.UTC(2026, 10, 1, 9, 0, 0));
  const chunk = (i: number): ExecutionEventInput[] =>
    events.slice((i * TOTAL) / CHUNKS, ((i + 1) * TOTAL) / CHUNKS);
  let reference: Outcome;

  beforeAll(async () => {
    const env = await metricsEnv('metrics-ref');
    const loader = start(env, 'metrics-loader');
    await loaderUp(env);
    const processor = start(env, 'metrics-processor');
    for (let i = 0; i < CHUNKS; i++) await publishChunk(env, chunk(i));
    reference = await outcome(env);
    await stop(processor);
    await stop(loader);
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => kill9(c)));
  });

  it('reference run produced windows, corrections and row-for-row loads', () => {
    const records = [...reference.topic.values()].flat();
    expect([...reference.topic.keys()].some((k) => k.startsWith('service|'))).toBe(true);
    expect(records.length).toBeGreaterThan(1000);
    expect(records.some((r) => r.includes('"version":2'))).toBe(true);
    // One row per window (and service partial), at its latest version.
    const windows = new Set(
      [...reference.topic.entries()].flatMap(([key, list]) =>
        list.map((r) => `${key} ${String((JSON.parse(r) as { windowStart: number }).windowStart)}`),
      ),
    );
    expect(reference.rows.length).toBe(windows.size);
  });

  it('equals the reference after three SIGKILLs of the processor and three of the loader', async () => {
    const env = await metricsEnv('metrics-crash');
    let loader = start(env, 'metrics-loader');
    await loaderUp(env);
    let processor = start(env, 'metrics-processor');
    const processorKills = new Set([2, 5, 8]);
    const loaderKills = new Set([3, 6, 9]);
    for (let i = 0; i < CHUNKS; i++) {
      await publishChunk(env, chunk(i));
      if (processorKills.has(i)) {
        await new Promise((r) => setTimeout(r, randomInt(200, 1500)));
        await kill9(processor);
        processor = start(env, 'metrics-processor');
      }
      if (loaderKills.has(i)) {
        await new Promise((r) => setTimeout(r, randomInt(200, 1500)));
        await kill9(loader);
        loader = start(env, 'metrics-loader');
        await loaderUp(env);
      }
    }
    const crashed = await outcome(env);
    expect(firstDifference(crashed, reference)).toBe('equal');
    expect(crashed.topic).toEqual(reference.topic);
    expect(crashed.rows).toEqual(reference.rows);
    await stop(processor);
    await stop(loader);
  });

  it('equals the reference across a rebalance: one of two instances killed, then a third joins', async () => {
    const env = await metricsEnv('metrics-rebalance');
    const loader = start(env, 'metrics-loader');
    await loaderUp(env);
    const first = start(env, 'metrics-processor');
    const second = start(env, 'metrics-processor');
    let third: ChildProcess | undefined;
    for (let i = 0; i < CHUNKS; i++) {
      await publishChunk(env, chunk(i));
      if (i === 3) await kill9(second);
      if (i === 6) third = start(env, 'metrics-processor');
    }
    const rebalanced = await outcome(env);
    expect(firstDifference(rebalanced, reference)).toBe('equal');
    expect(rebalanced.topic).toEqual(reference.topic);
    expect(rebalanced.rows).toEqual(reference.rows);
    await Promise.all([stop(first), third === undefined ? Promise.resolve() : stop(third), stop(loader)]);
  });
});
