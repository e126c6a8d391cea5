// The loaders' Avro row files must be object container files any Avro reader takes: avsc's block
// decoder reads back every record, with the suffix and the trailer where the file says they are.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AvroRowFile, type AvroRecordSchema } from '../../../src/adapters/clickhouse/avroRowFile.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const schemaOf = (file: string): AvroRecordSchema =>
  JSON.parse(readFileSync(path.join(root, 'schemas', file), 'utf8')) as AvroRecordSchema;

function decodeFile(file: Buffer): Promise<{ header: unknown; records: unknown[] }> {
  return new Promise((resolve, reject) => {
    const records: unknown[] = [];
    let header: unknown;
    const decoder = new avro.streams.BlockDecoder();
    decoder.on('metadata', (type: avro.Type) => (header = type.schema()));
    decoder.on('data', (record: unknown) => records.push(record));
    decoder.on('end', () => {
      resolve({ header, records });
    });
    decoder.on('error', reject);
    decoder.end(file);
  });
}

describe('AvroRowFile', () => {
  const schema: AvroRecordSchema = {
    type: 'record',
    name: 'Row',
    fields: [
      { name: 'name', type: 'string' } as { name: string },
      { name: 'n', type: 'long' } as { name: string },
    ],
  };
  const rowType = avro.Type.forSchema(schema as unknown as avro.Schema);

  it('reads back as the rows plus where each came from, whatever the offsets and sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            name: fc.string({ unit: 'grapheme', maxLength: 40 }),
            n: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
            partition: fc.nat({ max: 65_535 }),
            offset: fc.oneof(fc.nat({ max: 1000 }), fc.constant(2 ** 52)),
            framed: fc.boolean(),
          }),
          { maxLength: 300 },
        ),
        fc.nat({ max: 4 }),
        async (rows, expected) => {
          // A small `expected` makes the trailer buffer grow while records are added.
          const file = new AvroRowFile(schema, expected);
          for (const row of rows) {
            const body = rowType.toBuffer({ name: row.name, n: row.n });
            // As from Kafka: the body after the 5-byte frame, or on its own.
            const record = row.framed ? Buffer.concat([Buffer.from([0, 0, 0, 0, 9]), body]) : body;
            file.add(record, row.framed ? 5 : 0, Buffer.alloc(0), row.partition, row.offset);
          }
          expect(file.count).toBe(rows.length);
          const { records } = await decodeFile(file.toBuffer());
          expect(records.map((r) => ({ ...(r as object) }))).toEqual(
            rows.map((r) => ({ name: r.name, n: r.n, sourcePartition: r.partition, sourceOffset: r.offset })),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('completes an older body with its suffix: a v1 execution event and a null region read as v2', async () => {
    const v1 = avro.Type.forSchema(schemaOf('workflow.executions.v1.avsc') as unknown as avro.Schema);
    const event = {
      eventId: 'e-1',
      type: 'STEP_FAILED',
      occurredAt: 1764115200000,
      tenantId: 'acme',
      userId: null,
      workflowId: 'wf',
      workflowVersion: 3,
      executionId: 'x',
      stepId: 's',
      service: 'slack',
      action: 'post',
      attempt: 2,
      durationMs: 120,
      costMicros: null,
      error: { class: 'rate_limit', code: null, httpStatus: 429, message: 'slow down', retryable: true },
      attributes: { k: 'v' },
    };
    const file = new AvroRowFile(schemaOf('workflow.executions.v2.avsc'));
    file.add(v1.toBuffer(event), 0, Buffer.from([0]), 4, 77);
    const { header, records } = await decodeFile(file.toBuffer());
    expect((header as AvroRecordSchema).fields.map((f) => f.name).slice(-3)).toEqual([
      'region',
      'sourcePartition',
      'sourceOffset',
    ]);
    expect(JSON.parse(JSON.stringify(records[0]))).toEqual({
      ...event,
      region: null,
      sourcePartition: 4,
      sourceOffset: 77,
    });
  });
});
