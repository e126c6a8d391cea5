// pulse replay: the metrics table is rebuilt from the topic into a fresh table and swapped in
// while the live stages keep running; afterwards it holds exactly the latest version of every
// window the processor committed, nothing lost to the swap, nothing doubled.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startPulseProcess, type PulseProcess } from '../../src/pipeline/pulseProcess.ts';
import { createExecutionPublisher } from '../../src/sdk/executionPublisher.ts';
import { EXECUTIONS_TOPIC, METRICS_TOPIC, topicName } from '../../src/topology/topics.ts';
import { makeMetricEvents } from './eventFactory.ts';
import {
  configFrom,
  isolatedEnv,
  projectRoot,
  expectLatestWindowsLoaded,
  testLog,
  waitForGroupCaughtUp,
} from './harness.ts';

describe('pulse replay', () => {
  let running: PulseProcess | undefined;
  afterAll(async () => {
    await running?.stop();
  });

  it('rebuilds workflow_metrics_1m from the topic and swaps it in while the stages run', async () => {
    const env = { ...(await isolatedEnv('replay')), PULSE_METRICS_IDLE_TIMEOUT_MS: '0' };
    const config = configFrom(env);
    const db = config.CLICKHOUSE_DATABASE;
    running = await startPulseProcess(config, projectRoot, testLog);
    await running.ready;
    const store = running.store;
    if (store === undefined) throw new Error('this process owns ClickHouse');
    const events = makeMetricEvents(
      40_000,
      randomBytes(4).toString('hex'),
      Date.UTC(2026, 10, 3, 9, 0, 0),
      20,
    );
    const publisher = await createExecutionPublisher({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    });
    await publisher.publish(events.slice(0, 20_000));
    const metricsTopic = topicName(config.PULSE_TOPIC_PREFIX, METRICS_TOPIC);
    const group = (stage: string): string => `${config.PULSE_CONSUMER_GROUP_PREFIX}.${stage}`;
    await waitForGroupCaughtUp(
      config,
      group('metrics-processor'),
      topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    );
    await waitForGroupCaughtUp(config, group('metrics-loader'), metricsTopic);
    const [before] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM ${db}.workflow_metrics_1m FINAL`,
    );
    expect(Number(before?.n)).toBeGreaterThan(100);

    // Replay through the API, as `pulse replay` does, while more events flow in.
    const replay = fetch(`${running.apiUrl}/api/admin/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ table: 'workflow_metrics_1m' }),
    });
    await publisher.publish(events.slice(20_000));
    await publisher.close();
    const res = await replay;
    expect(res.status).toBe(200);
    const result = (await res.json()) as { rowsLoaded: number };
    expect(result.rowsLoaded).toBeGreaterThan(0);

    await waitForGroupCaughtUp(
      config,
      group('metrics-processor'),
      topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    );
    await waitForGroupCaughtUp(config, group('metrics-loader'), metricsTopic);
    await expectLatestWindowsLoaded(
      config,
      metricsTopic,
      (sql) => store.query(sql),
      (actual, expected, what) => {
        expect(actual, what).toEqual(expected);
      },
    );
    const tables = await store.query<{ name: string }>(
      `SELECT name FROM system.tables WHERE database = '${db}' AND name LIKE '%rebuild%'`,
    );
    expect(tables).toEqual([]);

    // Bad requests name the failing field.
    const bad = await fetch(`${running.apiUrl}/api/admin/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ table: 'nope', from: 'yesterday' }),
    });
    expect(bad.status).toBe(400);
    const issues = ((await bad.json()) as { issues: { path: string }[] }).issues.map((i) => i.path).sort();
    expect(issues).toEqual(['from', 'table']);
  });
});
