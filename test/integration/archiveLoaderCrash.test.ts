// Killing the archive loader with SIGKILL mid-stream and restarting it loses and duplicates
// nothing. The count is read without FINAL: the replayed inserts must be deduplicated by their
// tokens, not merely hidden by ReplacingMergeTree.
import { randomBytes, randomInt } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { createExecutionPublisher } from '../../src/sdk/executionPublisher.ts';
import { EXECUTIONS_TOPIC, topicName } from '../../src/topology/topics.ts';
import { makeEvents } from './eventFactory.ts';
import { apiQuery, configFrom, isolatedEnv, spawnPulse, waitFor } from './harness.ts';

async function startLoader(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawnPulse(['run'], env);
  await waitFor(
    'pulse run to answer',
    async () => ((await apiQuery(env, 'SELECT 1 AS one')).length === 1 ? true : undefined),
    90_000,
    250,
  );
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('archive loader under SIGKILL', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('loses and duplicates nothing across three kills', async () => {
    const env = await isolatedEnv('crash');
    const config = configFrom(env);
    const db = config.CLICKHOUSE_DATABASE;
    const total = 30_000;
    const events = makeEvents(total, randomBytes(4).toString('hex'));
    let child = await startLoader(env);
    children.push(child);
    const publisher = await createExecutionPublisher({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    });
    const chunk = 1000;
    const killAt = new Set<number>();
    while (killAt.size < 3) killAt.add(randomInt(3, total / chunk - 2));
    for (let i = 0; i < total / chunk; i++) {
      await publisher.publish(events.slice(i * chunk, (i + 1) * chunk));
      if (killAt.has(i)) {
        // Let the loader get part-way through what is there, then kill it without warning.
        await new Promise((r) => setTimeout(r, randomInt(50, 600)));
        await kill9(child);
        child = await startLoader(env);
        children.push(child);
      }
    }
    await publisher.close();
    const landed = await waitFor(
      `${total} rows`,
      async () => {
        const [row] = await apiQuery<{ n: string }>(
          env,
          `SELECT count() AS n FROM ${db}.workflow_executions`,
        );
        return row !== undefined && Number(row.n) >= total ? Number(row.n) : undefined;
      },
      120_000,
      500,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const [after] = await apiQuery<{ n: string; ids: string }>(
      env,
      `SELECT count() AS n, uniqExact(event_id) AS ids FROM ${db}.workflow_executions`,
    );
    expect(landed).toBe(total);
    expect(Number(after?.n)).toBe(total);
    expect(Number(after?.ids)).toBe(total);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  });
});
