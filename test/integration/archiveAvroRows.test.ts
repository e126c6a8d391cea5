// The archive's two insert paths must store the same rows: the records' own Avro bytes read by chDB
// (what the loader does with the embedded engine) and the rows built in JavaScript and sent as JSON
// (what it does with a ClickHouse server). Events of every shape the contract allows, v1 and v2,
// written through the real registry, go down both paths into the real table; every column of every
// row is compared.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveLoader } from '../../pipelines/archiveLoader.ts';
import { ClickHouseStore } from '../../src/adapters/clickhouse/clickhouseStore.ts';
import { migrate } from '../../src/adapters/clickhouse/migrations.ts';
import { AvroRegistry } from '../../src/adapters/registry/schemaRegistry.ts';
import { simulateExecution, simulateWorkflows } from '../../src/core/demo/executionSimulator.ts';
import {
  MAX_TIME,
  executionEventTypes,
  validateDecodedExecutionEvent,
} from '../../src/core/executionEvent.ts';
import { seededRandom } from '../../src/core/seededRandom.ts';
import { avroChunkPreparer } from '../../src/pipeline/avroChunk.ts';
import { prepareChunk } from '../../src/pipeline/loaderDefinition.ts';
import { configFrom, isolatedEnv, projectRoot } from './harness.ts';

const PARTITION = 1;
const RECENT = Date.now() - 300 * 86_400_000;

// Valid by the contract, with the shapes that differ between the paths: non-ASCII and long
// strings (the reader leaves long non-ASCII ids to the full path), every optional field null or
// not, extreme numbers, attributes with any text.
const text = (min: number, max: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ minLength: min, maxLength: max }),
    fc.string({ unit: 'grapheme', minLength: min, maxLength: max }),
    fc.constantFrom('x'.repeat(max), 'é'.repeat(max), '😀'.repeat(Math.floor(max / 2))),
  );
const id = text(1, 256);
const optional = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null });
const count = fc.oneof(fc.nat({ max: 100_000 }), fc.constantFrom(0, 2 ** 40, 2 ** 52));
const event = fc.record({
  eventId: id,
  type: fc.constantFrom(...executionEventTypes),
  // The table keeps 400 days: older events would be dropped by its TTL before the comparison.
  occurredAt: fc.oneof(fc.integer({ min: RECENT, max: MAX_TIME }), fc.constantFrom(RECENT, MAX_TIME)),
  tenantId: id,
  userId: optional(id),
  workflowId: id,
  workflowVersion: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(2147483647)),
  executionId: id,
  stepId: id,
  service: optional(fc.constantFrom('slack', 'google-sheets', 'x1', 'a'.repeat(128))),
  action: optional(text(0, 256)),
  attempt: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(65_535, 70_000, 2147483647)),
  durationMs: optional(count),
  costMicros: optional(count),
  error: fc.option(
    fc.record({
      class: text(1, 64),
      code: optional(text(0, 256)),
      httpStatus: optional(fc.integer({ min: 100, max: 599 })),
      message: text(0, 300),
      retryable: fc.boolean(),
    }),
    { nil: null },
  ),
  attributes: fc.dictionary(text(0, 8), text(0, 20), { maxKeys: 4 }),
});

describe('archive rows as Avro', () => {
  let store: ClickHouseStore;
  let registry: AvroRegistry;
  let subject: string;

  beforeAll(async () => {
    const env = await isolatedEnv('avro-rows');
    // Avro files are read by the embedded engine: this test needs it whatever the suite runs on.
    delete env.CLICKHOUSE_URL;
    delete env.CLICKHOUSE_DATABASE;
    store = await ClickHouseStore.open(configFrom(env), projectRoot);
    await migrate(store, projectRoot);
    registry = new AvroRegistry(env.PULSE_SCHEMA_REGISTRY_URL ?? '');
    subject = `${env.PULSE_TOPIC_PREFIX ?? ''}workflow.executions.v1-value`;
  });
  afterAll(async () => {
    await store.close();
  });

  it('stores every column of every event as the JSON path does, for v1 and v2 records', async () => {
    const schema = (file: string): string => readFileSync(path.join(projectRoot, 'schemas', file), 'utf8');
    const v1 = await registry.register(subject, schema('workflow.executions.v1.avsc'));
    const v2 = await registry.register(subject, schema('workflow.executions.v2.avsc'));
    const random = seededRandom(3);
    const simulated = simulateWorkflows({ tenants: 2, workflows: 10, seed: 2 }).flatMap((workflow, i) =>
      simulateExecution(workflow, `sim-${String(i)}`, 1764115200000 + i, random),
    );
    // Unique ids: the table is a ReplacingMergeTree, which would collapse repeated keys.
    const generated = fc
      .sample(event, { numRuns: 1500, seed: 42 })
      .map((e, i) => ({ ...e, eventId: `${String(i)}:${Array.from(e.eventId).slice(0, 240).join('')}` }))
      .filter((e) => validateDecodedExecutionEvent(e).ok);
    const events = [...simulated, ...generated];
    expect(generated.length).toBeGreaterThan(1000);

    const messages: KafkaMessage[] = [];
    for (const [i, e] of events.entries()) {
      const value =
        i % 2 === 0
          ? await registry.encode(v1, e)
          : await registry.encode(v2, { ...e, region: i % 4 === 1 ? 'eu-west-1' : null });
      messages.push({ key: null, value, offset: String(i), timestamp: '0', attributes: 0, headers: {} });
    }
    // Make sure the writer schemas are known, as they are after a stage's first records.
    await registry.decode(messages[0]?.value ?? null);
    await registry.decode(messages[1]?.value ?? null);

    const { avroRows } = archiveLoader;
    if (avroRows === undefined) throw new Error('the archive loader has no Avro rows');
    let fast = 0;
    const countingRows = {
      ...avroRows,
      reader(writerSchema: unknown) {
        const read = avroRows.reader(writerSchema);
        return read === null
          ? null
          : (buffer: Buffer, start: number) => {
              const suffix = read(buffer, start);
              if (suffix !== undefined) fast++;
              return suffix;
            };
      },
    };
    const avro = await avroChunkPreparer(registry, countingRows)(PARTITION, messages);
    expect(avro.rejected).toEqual([]);
    expect(avro.file.count).toBe(events.length);
    // Both of the Avro path's branches ran: the reader's bytes and the full path's re-encoding.
    expect(fast).toBeGreaterThan(200);
    expect(events.length - fast).toBeGreaterThan(200);
    await store.insertAvro('workflow_executions', avro.file, avroRows.select, { dedupToken: 'avro' });

    const json = prepareChunk(
      archiveLoader,
      PARTITION,
      await Promise.all(
        messages.map(async (m) => ({ offset: m.offset, decoded: await registry.decode(m.value) })),
      ),
    );
    expect(json.rejected).toEqual([]);
    // A table of its own: the same events in one table would be collapsed by the merges.
    await store.command(
      `CREATE TABLE ${store.target.database}.executions_via_json AS ${store.target.database}.workflow_executions`,
    );
    await store.insert('executions_via_json', json.rows as unknown as Record<string, unknown>[], {
      dedupToken: 'json',
    });

    const rows = (table: string): Promise<Record<string, unknown>[]> =>
      store.query(
        `SELECT * EXCEPT (ingested_at, source_partition) FROM ${store.target.database}.${table} ORDER BY source_offset`,
      );
    const [viaAvro, viaJson] = await Promise.all([rows('workflow_executions'), rows('executions_via_json')]);
    expect(viaAvro).toHaveLength(events.length);
    // Every value as sent: an attempt past 65,535 once wrapped in a UInt16 column.
    expect(viaAvro.map((r) => Number(r.attempt))).toEqual(events.map((e) => e.attempt));
    for (const [i, row] of viaJson.entries()) expect(viaAvro[i], `event ${String(i)}`).toEqual(row);
  });
});
