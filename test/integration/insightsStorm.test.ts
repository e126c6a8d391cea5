// Detection on real services, the whole way: execution events → metrics processor →
// workflow.metrics.v1 → detection processor → workflow.insights.v1 → insights loader → ClickHouse,
// and a Python consumer (confluent-kafka, Debian's package) decodes the insights topic through the
// registry.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroRegistry } from '../../src/adapters/registry/schemaRegistry.ts';
import { startPulseProcess, type PulseProcess } from '../../src/pipeline/pulseProcess.ts';
import { createExecutionPublisher } from '../../src/sdk/executionPublisher.ts';
import { EXECUTIONS_TOPIC, INSIGHTS_TOPIC, METRICS_TOPIC, topicName } from '../../src/topology/topics.ts';
import { MINUTE } from '../unit/insights/syntheticWindows.ts';
import { makeStormEvents } from '../../src/core/demo/stormScenario.ts';
import {
  configFrom,
  isolatedEnv,
  projectRoot,
  readCommitted,
  testLog,
  waitForGroupCaughtUp,
} from './harness.ts';
import { insightRows, ms } from './insightRows.ts';

/** Runs the Python reader; resolves with its records, rejects with its stderr. */
function readWithPython(
  brokers: string,
  registryUrl: string,
  topic: string,
  count: number,
): Promise<{ partition: number; offset: number; key: string; value: Record<string, unknown> }[]> {
  const script = path.join(projectRoot, 'test', 'integration', 'python', 'read_insights.py');
  // Debian's interpreter: python3-confluent-kafka and python3-avro are installed for it (.ci/run).
  const child = spawn('/usr/bin/python3', [script, brokers, registryUrl, topic, String(count), '90'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`python reader exited ${String(code)}: ${err}`));
      else
        resolve(
          out
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as never),
        );
    });
  });
}

describe('Slack storm end to end: events → metrics → insights → ClickHouse, read from Python', () => {
  let running: PulseProcess | undefined;
  let env: Record<string, string>;
  const tenantId = 'acme';
  const startMs = Date.UTC(2026, 10, 2, 6, 0, 0);
  const stormFrom = startMs + 150 * MINUTE;

  beforeAll(async () => {
    // Windows close on event time only, so the outcome depends on the events alone.
    env = { ...(await isolatedEnv('insights-storm')), PULSE_METRICS_IDLE_TIMEOUT_MS: '0' };
    const config = configFrom(env);
    running = await startPulseProcess(config, projectRoot, testLog, {
      stages: ['metrics-processor', 'detection-processor', 'insights-loader'],
    });
    await running.ready;
    const publisher = await createExecutionPublisher({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    });
    await publisher.publish(
      makeStormEvents({
        runId: randomBytes(4).toString('hex'),
        tenantId,
        startMs,
        minutes: 190,
        workflows: 20,
        stormFrom: 150,
        stormMinutes: 15,
      }),
    );
    await publisher.close();
    const group = (stage: string): string => `${config.PULSE_CONSUMER_GROUP_PREFIX}.${stage}`;
    const topic = (base: string): string => topicName(config.PULSE_TOPIC_PREFIX, base);
    await waitForGroupCaughtUp(config, group('metrics-processor'), topic(EXECUTIONS_TOPIC));
    await waitForGroupCaughtUp(config, group('detection-processor'), topic(METRICS_TOPIC));
    await waitForGroupCaughtUp(config, group('insights-loader'), topic(INSIGHTS_TOPIC));
  }, 300_000);

  afterAll(async () => {
    await running?.stop();
  });

  it('yields exactly one incident listing the 20 workflows, and one resolution', async () => {
    if (running === undefined) throw new Error('not started');
    const db = configFrom(env).CLICKHOUSE_DATABASE;
    const incidents = await insightRows(running, db, `insight_type = 'incident'`);
    expect(new Set(incidents.map((r) => r.insight_id)).size).toBe(1);
    const opened = incidents.filter((r) => r.change === 'opened');
    const resolved = incidents.filter((r) => r.change === 'resolved');
    expect(opened).toHaveLength(1);
    expect(resolved).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      tenant_id: tenantId,
      service: 'slack',
      series_key: `${tenantId}/slack/rate_limit`,
    });
    expect(ms(opened[0]?.opened_at ?? '')).toBeGreaterThanOrEqual(stormFrom);
    expect(ms(opened[0]?.opened_at ?? '')).toBeLessThan(stormFrom + 5 * MINUTE);
    const last = resolved[0];
    expect(last?.state).toBe('resolved');
    expect(last?.related_workflows).toEqual(
      Array.from({ length: 20 }, (_, i) => `wf-${String(i).padStart(2, '0')}`),
    );
    expect(ms(last?.resolved_at ?? '')).toBeGreaterThan(stormFrom + 15 * MINUTE);
    expect(ms(last?.resolved_at ?? '')).toBeLessThan(stormFrom + 30 * MINUTE);
    expect(last?.description).toMatch(/^slack rate_limit failures hit 20 workflows/);
    // No per-workflow alert storm beside it.
    expect(await insightRows(running, db, `insight_type = 'failure_rate'`)).toEqual([]);
  });

  it('decodes the insights topic identically with Python confluent-kafka through the registry', async () => {
    const config = configFrom(env);
    const topic = topicName(config.PULSE_TOPIC_PREFIX, INSIGHTS_TOPIC);
    const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
    const fromJs: { partition: number; offset: number; key: string; value: unknown }[] = [];
    for (const [partition, messages] of await readCommitted(config, topic)) {
      for (const m of messages) {
        fromJs.push({
          partition,
          offset: Number(m.offset),
          key: m.key?.toString() ?? '',
          value: await registry.decode(m.value),
        });
      }
    }
    expect(fromJs.length).toBeGreaterThanOrEqual(2);
    const fromPython = await readWithPython(
      config.PULSE_KAFKA_BROKERS,
      config.PULSE_SCHEMA_REGISTRY_URL,
      topic,
      fromJs.length,
    );
    const order = (a: { partition: number; offset: number }, b: { partition: number; offset: number }) =>
      a.partition - b.partition || a.offset - b.offset;
    expect(fromPython.sort(order)).toEqual(fromJs.sort(order));
    // And ClickHouse holds every change the topic carries.
    if (running === undefined) throw new Error('not started');
    expect(await insightRows(running, config.CLICKHOUSE_DATABASE, '1')).toHaveLength(fromJs.length);
  }, 120_000);
});
