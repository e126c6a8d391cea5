// Proves the integration tests talk to the real services, not stand-ins.
import { describe, expect, it } from 'vitest';
import { createKafka, parseBrokers } from '../../src/adapters/kafka/kafkaClient.ts';
import { ClickHouseStore } from '../../src/adapters/clickhouse/clickhouseStore.ts';
import { AvroRegistry, DecodeError } from '../../src/adapters/registry/schemaRegistry.ts';
import { RedisState } from '../../src/adapters/redis/redisState.ts';
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
