// Acceptance of the first slice: SDK → Kafka → archive loader → ClickHouse, exactly once, with
// bad messages dead-lettered and good ones still landing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseStore } from '../../src/adapters/clickhouse/clickhouseStore.ts';
import { createKafka, parseBrokers } from '../../src/adapters/kafka/kafkaClient.ts';
import { AvroRegistry } from '../../src/adapters/registry/schemaRegistry.ts';
import { DLQ_HEADERS, headerString } from '../../src/pipeline/deadLetters.ts';
import { startPulseProcess, type PulseProcess } from '../../src/pipeline/pulseProcess.ts';
import { createExecutionPublisher } from '../../src/sdk/executionPublisher.ts';
import { EXECUTIONS_DLQ_TOPIC, EXECUTIONS_TOPIC, topicName } from '../../src/topology/topics.ts';
import { makeEvents } from './eventFactory.ts';
import { configFrom, isolatedEnv, projectRoot, readTopic, testLog, waitFor } from './harness.ts';

describe('archive loader', () => {
  let env: Record<string, string>;
  let running: PulseProcess;

  beforeAll(async () => {
    env = await isolatedEnv('archive');
    running = await startPulseProcess(configFrom(env), projectRoot, testLog, { stages: ['archive-loader'] });
    await running.ready;
  });

  const store = (): ClickHouseStore => {
    if (running.store === undefined) throw new Error('no store');
    return running.store;
  };

  afterAll(async () => {
    await running.stop();
  });

  it('lands 10,000 SDK events exactly once, and dead-letters 100 bad messages with reasons', async () => {
    const config = configFrom(env);
    const topic = topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC);
    const runId = randomBytes(4).toString('hex');
    const events = makeEvents(10_000, runId);
    const publisher = await createExecutionPublisher({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topic,
    });

    // 100 bad messages of four kinds, interleaved with the good ones.
    const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
    const schemaId = await registry.register(
      `${topic}-value`,
      (await import('node:fs')).readFileSync(`${projectRoot}/schemas/workflow.executions.v1.avsc`, 'utf8'),
    );
    const good = (await registry.encode(schemaId, { ...events[0], eventId: 'template' })).subarray(5);
    const bad: { key: string; value: Buffer; kind: string }[] = [];
    for (let i = 0; i < 25; i++) {
      bad.push({
        key: `bad-${i}`,
        value: Buffer.from(`{"not":"avro","i":${i}}`),
        kind: 'not-confluent-framed',
      });
      bad.push({
        key: `bad-${i}`,
        value: Buffer.concat([Buffer.from([1, 0, 0, 0, schemaId]), good]),
        kind: 'not-confluent-framed',
      });
      const unknownId = Buffer.alloc(5);
      unknownId.writeInt32BE(987_654 + i, 1);
      bad.push({ key: `bad-${i}`, value: Buffer.concat([unknownId, good]), kind: 'unknown-schema-id' });
      // Avro-valid but contract-invalid: a step failure without an error, in seconds instead of millis.
      const invalid = await registry.encode(schemaId, {
        ...events[0],
        eventId: `invalid-${i}`,
        type: 'STEP_FAILED',
        stepId: 's',
        error: null,
        occurredAt: 1_700_000_000,
        userId: null,
        service: null,
        action: null,
        attempt: 1,
        durationMs: null,
        costMicros: null,
        attributes: {},
      });
      bad.push({ key: `bad-${i}`, value: invalid, kind: 'validation' });
    }
    const kafka = createKafka(
      { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'bad-producer' },
      testLog,
    );
    const rawProducer = kafka.producer();
    await rawProducer.connect();
    for (let chunk = 0; chunk < 10; chunk++) {
      await publisher.publish(events.slice(chunk * 1000, (chunk + 1) * 1000));
      await rawProducer.send({
        topic,
        messages: bad.slice(chunk * 10, (chunk + 1) * 10).map((b) => ({ key: b.key, value: b.value })),
      });
    }
    await rawProducer.disconnect();
    await publisher.close();

    const landed = await waitFor(
      '10,000 rows',
      async () => {
        const rows = await store().query<{ n: string; ids: string }>(
          `SELECT count() AS n, uniqExact(event_id) AS ids FROM ${config.CLICKHOUSE_DATABASE}.workflow_executions`,
        );
        const r = rows[0];
        return r !== undefined && Number(r.n) >= 10_000 ? r : undefined;
      },
      120_000,
    );
    // Settle, then check nothing more arrives (no duplicates) and nothing is missing.
    await new Promise((r) => setTimeout(r, 1500));
    const ids = await store().query<{ event_id: string }>(
      `SELECT event_id FROM ${config.CLICKHOUSE_DATABASE}.workflow_executions`,
    );
    expect(Number(landed.n)).toBe(10_000);
    expect(ids.length).toBe(10_000);
    expect(new Set(ids.map((r) => r.event_id))).toEqual(new Set(events.map((e) => e.eventId)));

    const dlq = await readTopic(config, topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_DLQ_TOPIC), 100);
    expect(dlq.length).toBe(100);
    const reasons = dlq.map((m) => headerString(m.headers, DLQ_HEADERS.reason));
    expect(reasons.filter((r) => r === 'not-confluent-framed')).toHaveLength(50);
    expect(reasons.filter((r) => r === 'unknown-schema-id')).toHaveLength(25);
    expect(reasons.filter((r) => r?.includes('error'))).toHaveLength(25);
    for (const m of dlq) {
      expect(headerString(m.headers, DLQ_HEADERS.sourceTopic)).toBe(topic);
      expect(Number(headerString(m.headers, DLQ_HEADERS.sourceOffset))).toBeGreaterThanOrEqual(0);
      expect(headerString(m.headers, DLQ_HEADERS.stage)).toMatch(/^(decode|validate)$/);
      expect(headerString(m.headers, DLQ_HEADERS.message)).not.toBe('');
      // The original bytes travel unchanged.
      expect(bad.some((b) => m.value !== null && b.value.equals(m.value))).toBe(true);
    }
    expect(running.stages.get('archive-loader')?.metrics.value('dlq_records_total')).toBe(100);
  });
});
