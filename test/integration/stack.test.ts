// Proves the integration tests talk to the real services, not stand-ins.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKafka, parseBrokers } from '../../src/adapters/kafka/kafkaClient.ts';
import { ClickHouseStore } from '../../src/adapters/clickhouse/clickhouseStore.ts';
import { metricInputReader } from '../../src/adapters/registry/metricInputReader.ts';
import { AvroRegistry, DecodeError, readSchemaFile } from '../../src/adapters/registry/schemaRegistry.ts';
import { RedisState } from '../../src/adapters/redis/redisState.ts';
import { NonRetriableError, TransientError } from '../../src/errors.ts';
import { configFrom, isolatedEnv, projectRoot, testLog } from './harness.ts';

describe('the real stack', () => {
  it('Kafka broker reports a KRaft cluster id', async () => {
    const config = configFrom(await isolatedEnv('stack'));
    const admin = createKafka(
      { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'stack-test' },
      testLog,
    ).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.clusterId).toMatch(/^[\w-]{22}$/);
      expect(cluster.brokers.length).toBeGreaterThan(0);
    } finally {
      await admin.disconnect();
    }
  });

  it('registry lists a subject we register, under BACKWARD compatibility', async () => {
    const env = await isolatedEnv('stack');
    const registry = new AvroRegistry(env.PULSE_SCHEMA_REGISTRY_URL ?? '');
    const subject = `${env.PULSE_TOPIC_PREFIX}probe-value`;
    const schema = JSON.stringify({ type: 'record', name: 'Probe', fields: [{ name: 'a', type: 'int' }] });
    const id = await registry.register(subject, schema);
    expect(await registry.subjects()).toContain(subject);
    const res = await fetch(`${env.PULSE_SCHEMA_REGISTRY_URL}/config`);
    expect(((await res.json()) as { compatibilityLevel: string }).compatibilityLevel).toBe('BACKWARD');
    const bytes = await registry.encode(id, { a: 42 });
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect(await registry.decode(bytes)).toEqual({ a: 42 });
    // An incompatible change (new field without default) is refused by the BACKWARD rule.
    const breaking = JSON.stringify({
      type: 'record',
      name: 'Probe',
      fields: [
        { name: 'a', type: 'int' },
        { name: 'b', type: 'string' },
      ],
    });
    await expect(registry.register(subject, breaking)).rejects.toThrow(/rejected|409|422|compatib/i);
    const unknown = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2]);
    await expect(registry.decode(unknown)).rejects.toBeInstanceOf(DecodeError);
  });

  it("registry's writer schemas of the execution contract are the ones the metrics reader knows", async () => {
    const env = await isolatedEnv('stack');
    const registry = new AvroRegistry(env.PULSE_SCHEMA_REGISTRY_URL ?? '');
    const subject = `${env.PULSE_TOPIC_PREFIX}workflow.executions.v1-value`;
    const event = {
      eventId: 'e-1',
      type: 'STEP_FAILED',
      occurredAt: Date.now(),
      tenantId: 'acme',
      userId: null,
      workflowId: 'wf-1',
      workflowVersion: 3,
      executionId: 'x-1',
      stepId: 'send',
      service: 'slack',
      action: 'chat.postMessage',
      attempt: 1,
      durationMs: 120,
      costMicros: null,
      error: { class: 'rate_limit', code: null, httpStatus: 429, message: 'slow down', retryable: true },
      attributes: { source: 'test' },
    };
    for (const [file, extra] of [
      ['workflow.executions.v1.avsc', {}],
      ['workflow.executions.v2.avsc', { region: 'eu-west-1' }],
    ] as const) {
      const id = await registry.register(subject, readSchemaFile(path.join(projectRoot, 'schemas'), file));
      expect(registry.writerSchema(id)).toBeUndefined();
      const bytes = await registry.encode(id, { ...event, ...extra });
      await registry.decode(bytes);
      // What the processors' input decoder hands the metrics definition once the id is known.
      const reader = metricInputReader(registry.writerSchema(id));
      expect(reader, file).not.toBeNull();
      expect(reader?.(bytes, 5)).toMatchObject({
        type: 'STEP_FAILED',
        tenantId: event.tenantId,
        service: 'slack',
        durationMs: 120,
        error: { class: 'rate_limit' },
      });
      // A body whose attributes block claims 2^31 entries is malformed at once (avsc alone loops on it).
      const empty = await registry.encode(id, { ...event, ...extra, attributes: {} });
      const at = file === 'workflow.executions.v1.avsc' ? empty.length - 1 : empty.length - 2;
      const hostile = Buffer.concat([
        empty.subarray(0, at),
        Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10]),
        empty.subarray(at + 1),
      ]);
      const refused = await registry.decode(hostile).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DecodeError);
      expect((refused as DecodeError).reason).toBe('malformed-avro');
    }
  });

  it('ClickHouse engine answers version() and keeps per-call settings from leaking', async () => {
    const config = configFrom(await isolatedEnv('stack'));
    const store = await ClickHouseStore.open(config, projectRoot);
    try {
      expect(await store.version()).toMatch(/^\d+\.\d+/);
      const db = config.CLICKHOUSE_DATABASE;
      await store.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
      await store.command(
        `CREATE TABLE ${db}.token_probe (a UInt32) ENGINE = MergeTree ORDER BY a SETTINGS non_replicated_deduplication_window = 100`,
      );
      await store.insert('token_probe', [{ a: 1 }], { dedupToken: 'X' });
      await store.insert('token_probe', [{ a: 1 }], { dedupToken: 'X' }); // replay: no-op
      // In chDB a token passed once would stick to the session and swallow this insert.
      await store.insert('token_probe', [{ a: 2 }], { dedupToken: 'Y' });
      await store.command(`INSERT INTO ${db}.token_probe VALUES (3)`);
      const rows = await store.query<{ a: number }>(`SELECT a FROM ${db}.token_probe ORDER BY a`);
      expect(rows.map((r) => r.a)).toEqual([1, 2, 3]);
    } finally {
      await store.close();
    }
  });

  it('ClickHouse inserts keep any text and say which failures to retry', async () => {
    const config = configFrom(await isolatedEnv('stack'));
    // What a process killed in the middle of an insert leaves behind: removed by the next store.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const leftover = path.join('/dev/shm', `pulse-chdb-inserts-${dead.stdout.toString()}`);
    const shm = existsSync('/dev/shm');
    if (shm) {
      mkdirSync(leftover, { recursive: true });
      writeFileSync(path.join(leftover, '0-1.json'), '["x"]');
    }
    const store = await ClickHouseStore.open(config, projectRoot);
    try {
      const db = config.CLICKHOUSE_DATABASE;
      await store.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
      await store.command(
        `CREATE TABLE ${db}.text_probe (id UInt32, s Nullable(String), at DateTime64(3, 'UTC'),
           m Map(String, String), tag LowCardinality(String)) ENGINE = MergeTree ORDER BY id
         SETTINGS non_replicated_deduplication_window = 100`,
      );
      const awkward = `quote ' double " backslash \\ newline \n tab \t emoji 🚀 nul \u0000 end`;
      const rows = [
        { id: 1, s: awkward, at: '2026-12-03T08:00:00.123Z', m: { "k'ey": 'v\\al' }, tag: 'a' },
        { id: 2, s: null, at: '2026-12-03T08:00:00.000Z', m: {}, tag: 'b' },
      ];
      const token = `tok'en\\1`;
      await store.insert('text_probe', rows, { dedupToken: token });
      if (shm) expect(existsSync(leftover)).toBe(false);
      await store.insert('text_probe', rows, { dedupToken: token }); // replay: no-op
      const back = await store.query<{ id: number; s: string | null; at: string; m: Record<string, string> }>(
        `SELECT id, s, toString(at) AS at, m FROM ${db}.text_probe ORDER BY id`,
      );
      expect(back).toEqual([
        { id: 1, s: awkward, at: '2026-12-03 08:00:00.123', m: { "k'ey": 'v\\al' } },
        { id: 2, s: null, at: '2026-12-03 08:00:00.000', m: {} },
      ]);

      // A field the table lacks is schema drift: refused, naming the field, not retried.
      const drift = store.insert('text_probe', [{ ...rows[1], extra: 1 }], { dedupToken: 'drift' });
      await expect(drift).rejects.toBeInstanceOf(NonRetriableError);
      await expect(drift).rejects.toThrow(/no column extra/);
      // A value the column cannot hold: refused, not retried.
      const bad = store.insert('text_probe', [{ ...rows[1], id: 'one' }], { dedupToken: 'bad' });
      await expect(bad).rejects.toBeInstanceOf(NonRetriableError);
      // A missing table is an outage for its loader: retried until it is back.
      const missing = store.insert('no_such_table', rows, { dedupToken: 'missing' });
      await expect(missing).rejects.toBeInstanceOf(TransientError);
    } finally {
      await store.close();
    }
    // Staged rows do not outlive their inserts.
    const staging = shm
      ? readdirSync('/dev/shm').filter((f) => f === `pulse-chdb-inserts-${process.pid}`)
      : [];
    expect(staging).toEqual([]);
  });

  it('Redis answers', async () => {
    const env = await isolatedEnv('stack');
    const state = new RedisState(env.PULSE_REDIS_URL ?? '', env.PULSE_TOPIC_PREFIX ?? '');
    try {
      await state.setJson(state.key('probe'), { ok: 1 });
      expect(await state.getJson(state.key('probe'))).toEqual({ ok: 1 });
    } finally {
      await state.close();
    }
  });
});
