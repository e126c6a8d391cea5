// ClickHouse unavailable for 20 s and Redis restarted mid-stream: the stages pause, retry with
// backoff and resume by themselves; nothing is lost and nothing is duplicated.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPulseProcess, type PulseProcess } from '../../src/pipeline/pulseProcess.ts';
import { createExecutionPublisher } from '../../src/sdk/executionPublisher.ts';
import { EXECUTIONS_TOPIC, METRICS_TOPIC, topicName } from '../../src/topology/topics.ts';
import { makeMetricEvents } from './eventFactory.ts';
import {
  configFrom,
  freePort,
  isolatedEnv,
  projectRoot,
  expectLatestWindowsLoaded,
  testLog,
  waitFor,
  waitForGroupCaughtUp,
} from './harness.ts';

function startRedis(port: number, dir: string): ChildProcess {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
}

async function redisUp(port: number): Promise<void> {
  const { Redis } = await import('ioredis');
  await waitFor(`redis on ${port}`, async () => {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return true;
    } finally {
      client.disconnect();
    }
  });
}

describe('outages', () => {
  let redis: ChildProcess | undefined;
  let running: PulseProcess | undefined;

  afterAll(async () => {
    await running?.stop();
    redis?.kill('SIGKILL');
  });

  it('survives ClickHouse unavailable for 20 s and a Redis restart without loss or duplicates', async () => {
    const redisPort = await freePort();
    const redisDir = mkdtempSync(path.join(tmpdir(), 'pulse-redis-'));
    redis = startRedis(redisPort, redisDir);
    await redisUp(redisPort);
    const env = {
      ...(await isolatedEnv('outage')),
      PULSE_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      PULSE_METRICS_IDLE_TIMEOUT_MS: '0',
      PULSE_SNAPSHOT_EVERY_MS: '500',
      PULSE_LOADER_BATCH_MAX: '2000',
    };
    const config = configFrom(env);
    const db = config.CLICKHOUSE_DATABASE;
    running = await startPulseProcess(config, projectRoot, testLog, { api: false });
    await running.ready;
    const store = running.store;
    if (store === undefined) throw new Error('this process owns ClickHouse');

    const total = 60_000;
    const events = makeMetricEvents(total, randomBytes(4).toString('hex'), Date.UTC(2026, 10, 2, 9, 0, 0));
    const publisher = await createExecutionPublisher({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    });
    const detach = async (): Promise<void> => {
      for (const table of ['workflow_executions', 'workflow_metrics_1m']) {
        await store.command(`DETACH TABLE ${db}.${table} SETTINGS check_table_dependencies = 0`);
      }
    };
    const attach = async (): Promise<void> => {
      for (const table of ['workflow_executions', 'workflow_metrics_1m'])
        await store.command(`ATTACH TABLE ${db}.${table}`);
    };

    await publisher.publish(events.slice(0, 10_000));
    // ClickHouse goes away while events keep coming.
    await detach();
    const outageStarted = Date.now();
    await publisher.publish(events.slice(10_000, 30_000));
    // Redis is killed and comes back on the same port, empty, mid-stream.
    redis.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 3000));
    redis = startRedis(redisPort, redisDir);
    await redisUp(redisPort);
    await publisher.publish(events.slice(30_000, 45_000));
    const remaining = 20_000 - (Date.now() - outageStarted);
    if (remaining > 0) await new Promise((r) => setTimeout(r, remaining));
    await attach();
    await publisher.publish(events.slice(45_000));
    await publisher.close();

    const group = (stage: string): string => `${config.PULSE_CONSUMER_GROUP_PREFIX}.${stage}`;
    await waitForGroupCaughtUp(
      config,
      group('archive-loader'),
      topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    );
    await waitForGroupCaughtUp(
      config,
      group('metrics-processor'),
      topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    );
    const metricsTopic = topicName(config.PULSE_TOPIC_PREFIX, METRICS_TOPIC);
    await waitForGroupCaughtUp(config, group('metrics-loader'), metricsTopic);

    // Every event exactly once (counted without FINAL: replayed inserts must have been dropped).
    const [archived] = await store.query<{ n: string; ids: string }>(
      `SELECT count() AS n, uniqExact(event_id) AS ids FROM ${db}.workflow_executions`,
    );
    expect(Number(archived?.n)).toBe(total);
    expect(Number(archived?.ids)).toBe(total);

    // The metrics table holds exactly the latest version of every window the processor committed,
    // and no window was emitted twice: each one's versions are 1, 2, 3, … once each.
    const seen = await expectLatestWindowsLoaded(
      config,
      metricsTopic,
      (sql) => store.query(sql),
      (actual, expected, what) => {
        expect(actual, what).toEqual(expected);
      },
    );
    for (const [id, versions] of seen) expect(versions, id).toEqual(versions.map((_, i) => i + 1));

    // The faults really hit the stages, and they recovered by themselves.
    const archiveStage = running.stages.get('archive-loader');
    expect(archiveStage?.metrics.value('retries_total')).toBeGreaterThan(0);
    expect(archiveStage?.metrics.value('pauses_total')).toBeGreaterThan(0);
  });
});
