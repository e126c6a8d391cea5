// Shared helpers for integration tests: a configuration isolated per test (unique topics, groups,
// Redis keys and chDB folder), condition waits instead of sleeps, and Kafka read-back.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { inject } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { createKafka, parseBrokers } from '../../src/adapters/kafka/kafkaClient.ts';
import { parseConfig, type PulseConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

export const projectRoot = path.resolve(import.meta.dirname, '..', '..');
export const testLog = createLogger({ test: true });

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Environment for a Pulse process that shares the stack but nothing else with other tests. */
export async function isolatedEnv(name: string): Promise<Record<string, string>> {
  const endpoints = inject('endpoints');
  const id = `${name}-${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    PULSE_KAFKA_BROKERS: endpoints.kafkaBrokers,
    PULSE_SCHEMA_REGISTRY_URL: endpoints.registryUrl,
    PULSE_REDIS_URL: endpoints.redisUrl,
    PULSE_TOPIC_PREFIX: `t.${id}.`,
    PULSE_CONSUMER_GROUP_PREFIX: `pulse-test-${id}`,
    PULSE_CHDB_PATH: path.join('.data', 'test', id),
    PULSE_API_PORT: String(await freePort()),
    PULSE_LOG_LEVEL: 'warn',
    PULSE_LOADER_FLUSH_MS: '200',
    PULSE_CONSUMER_SESSION_TIMEOUT_MS: '6000',
  };
  // `PULSE_PROCESSOR_THREAD=on npm test` runs every Pulse of the suite with its processor thread.
  if (process.env.PULSE_PROCESSOR_THREAD !== undefined)
    env.PULSE_PROCESSOR_THREAD = process.env.PULSE_PROCESSOR_THREAD;
  if (endpoints.clickhouseUrl !== null) {
    env.CLICKHOUSE_URL = endpoints.clickhouseUrl;
    env.CLICKHOUSE_DATABASE = `pulse_${id.replaceAll('-', '_')}`;
  }
  return env;
}

export function configFrom(env: Record<string, string>): PulseConfig {
  return parseConfig(env);
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

/** Reads a topic from the beginning (committed records only) until `count` messages arrived. */
export async function readTopic(
  config: PulseConfig,
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<KafkaMessage[]> {
  const kafka = createKafka(
    { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'test-reader' },
    testLog,
  );
  const consumer = kafka.consumer({
    groupId: `reader-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
  });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      messages.push(message);
      await Promise.resolve();
    },
  });
  try {
    await waitFor(
      `${count} messages on ${topic}`,
      () => Promise.resolve(messages.length >= count ? true : undefined),
      timeoutMs,
    );
    // Linger briefly so that extra (duplicate) messages would be seen too.
    await new Promise((r) => setTimeout(r, 1500));
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

export function spawnPulse(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(path.join(projectRoot, 'bin', 'pulse'), args, {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // PULSE_TEST_LOG_DIR keeps each child's log in a file of its own (vitest may not pass a worker's
  // stderr through), for the failures that only show once in many runs.
  const logDir = process.env.PULSE_TEST_LOG_DIR;
  const logFile =
    logDir === undefined || logDir === ''
      ? undefined
      : path.join(
          logDir,
          `${String(Date.now())}-${args.join('_').replace(/[^\w-]+/g, '_')}-${String(child.pid)}.log`,
        );
  child.stderr.on('data', (d: Buffer) => {
    if (process.env.PULSE_TEST_VERBOSE === '1') process.stderr.write(d);
    if (logFile !== undefined) appendFileSync(logFile, d);
  });
  return child;
}

export async function apiQuery<T>(env: Record<string, string>, sql: string): Promise<T[]> {
  const res = await fetch(`http://127.0.0.1:${env.PULSE_API_PORT}/api/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql }),
  });
  if (!res.ok) throw new Error(`query failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { rows: T[] }).rows;
}

/** Waits until a consumer group has committed the end of every partition of a topic. */
export async function waitForGroupCaughtUp(
  config: PulseConfig,
  groupId: string,
  topic: string,
  timeoutMs = 180_000,
): Promise<void> {
  const admin = createKafka(
    { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'test-admin' },
    testLog,
  ).admin();
  await admin.connect();
  try {
    await waitFor(
      `${groupId} to reach the end of ${topic}`,
      async () => {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const behind = ends.filter((end) => {
          const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          return BigInt(end.high) > 0n && BigInt(c) < BigInt(end.high);
        });
        return behind.length === 0 ? true : undefined;
      },
      timeoutMs,
      500,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Every committed record of a topic, per partition in offset order (read_committed). */
export async function readCommitted(
  config: PulseConfig,
  topic: string,
): Promise<Map<number, KafkaMessage[]>> {
  const kafka = createKafka(
    { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'test-reader' },
    testLog,
  );
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const byPartition = new Map<number, KafkaMessage[]>();
  const consumer = kafka.consumer({
    groupId: `reader-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
  });
  const positions = new Map<number, bigint>();
  let lastArrival = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const list = byPartition.get(batch.partition) ?? [];
      list.push(...batch.messages);
      byPartition.set(batch.partition, list);
      // Transaction markers take offsets too: the fetch position is the last offset + 1.
      positions.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
      lastArrival = Date.now();
      await Promise.resolve();
    },
  });
  try {
    await waitFor(
      `the end of ${topic}`,
      () =>
        Promise.resolve(
          ends.every(
            (e) => BigInt(e.high) === 0n || (positions.get(e.partition) ?? 0n) >= BigInt(e.high) - 1n,
          ) || Date.now() - lastArrival > 5000
            ? true
            : undefined,
        ),
      120_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    return byPartition;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Checks that a metrics table holds exactly the latest version of every window committed to the
 * metrics topic: nothing missing, nothing extra, no stale version.
 */
export async function expectLatestWindowsLoaded(
  config: PulseConfig,
  metricsTopic: string,
  query: <T>(sql: string) => Promise<T[]>,
  expectEqual: (actual: unknown, expected: unknown, what: string) => void,
): Promise<Map<string, number[]>> {
  const { AvroRegistry } = await import('../../src/adapters/registry/schemaRegistry.ts');
  const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
  const latest = new Map<string, number>();
  const versions = new Map<string, number[]>();
  for (const messages of (await readCommitted(config, metricsTopic)).values()) {
    for (const m of messages) {
      const w = (await registry.decode(m.value)) as {
        key: string;
        scope: string;
        windowStart: number;
        version: number;
        inputPartition: number;
      };
      const id = `${w.scope}|${w.key}|${String(w.inputPartition)}|${String(w.windowStart)}`;
      latest.set(id, Math.max(latest.get(id) ?? 0, w.version));
      versions.set(id, [...(versions.get(id) ?? []), w.version]);
    }
  }
  const rows = await query<{ id: string; version: number | string }>(
    `SELECT concat(scope, '|', key, '|', toString(input_partition), '|', toString(toUnixTimestamp64Milli(window_start))) AS id, version
     FROM ${config.CLICKHOUSE_DATABASE}.workflow_metrics_1m FINAL`,
  );
  expectEqual(rows.length, latest.size, 'rows vs committed windows');
  for (const row of rows) expectEqual(Number(row.version), latest.get(row.id), row.id);
  return versions;
}
