// Property: whatever bytes arrive on workflow.executions.v1 (random, truncated Avro, a schema id
// the registry does not know, valid Avro whose fields break the contract), the decode → validate
// path of the loaders and processors yields an event or a rejection with a reason, and never
// throws (a throw would stall the partition instead of dead-lettering the record).
// The registry client is replaced by one that knows schema id 1 only, so no service is needed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { AvroRegistry, DecodeError } from '../../../src/adapters/registry/schemaRegistry.ts';
import { prepareChunk, type DecodedEntry } from '../../../src/pipeline/loaderDefinition.ts';
import { archiveLoader } from '../../../pipelines/archiveLoader.ts';
import { metricsProcessor } from '../../../pipelines/metricsProcessor.ts';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const KNOWN_ID = 1;

vi.mock('@kafkajs/confluent-schema-registry', async () => {
  const { readFileSync: read } = await import('node:fs');
  const { default: avsc } = await import('avsc');
  const schema = read(new URL('../../../schemas/workflow.executions.v1.avsc', import.meta.url), 'utf8');
  const known = avsc.Type.forSchema(JSON.parse(schema) as avro.Schema);
  return {
    SchemaType: { AVRO: 'AVRO' },
    SchemaRegistry: class {
      getSchema(id: number): Promise<unknown> {
        return id === 1
          ? Promise.resolve(known)
          : Promise.reject(Object.assign(new Error(`Schema ${id} not found`), { status: 404 }));
      }
    },
  };
});

const v1 = avro.Type.forSchema(
  JSON.parse(readFileSync(path.join(root, 'schemas/workflow.executions.v1.avsc'), 'utf8')) as avro.Schema,
);
const fixtures = JSON.parse(
  readFileSync(path.join(root, 'test/fixtures/execution-events.json'), 'utf8'),
) as Record<string, unknown>[];

function framed(schemaId: number, body: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

const registry = new AvroRegistry('http://registry.invalid');
const processor = metricsProcessor();

/** The loaders' decode step (loaderRunner.decodeAll) and validate step (prepareChunk), for one record. */
async function load(value: Buffer | null): Promise<{ decoded: unknown; entry: DecodedEntry }> {
  try {
    const decoded = registry.decodeKnown(value) ?? (await registry.decode(value));
    return { decoded, entry: { offset: '7', decoded } };
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return {
      decoded: undefined,
      entry: {
        offset: '7',
        decodeError: { errorClass: error.name, reason: error.reason, message: error.message },
      },
    };
  }
}

/** 'row', or the rejection as `stage:reason`. */
async function expectEventOrReason(value: Buffer | null): Promise<string> {
  const { decoded, entry } = await load(value);
  const prepared = prepareChunk(archiveLoader, 3, [entry]);
  expect(prepared.rows.length + prepared.rejected.length).toBe(1);
  const rejected = prepared.rejected[0];
  if (rejected !== undefined) {
    expect(rejected.reason).not.toBe('');
    expect(rejected.message).not.toBe('');
  }
  if (!('decodeError' in entry)) {
    // the processors' validate step agrees with the loader's
    const parsed = processor.parse(decoded);
    expect(parsed.ok).toBe(rejected === undefined);
    if (!parsed.ok) expect(parsed.reason).not.toBe('');
  }
  return rejected === undefined ? 'row' : `${rejected.stage}:${rejected.reason.split(',')[0] ?? ''}`;
}

const validBody = fc.constantFrom(...fixtures).map((f) => v1.toBuffer(f));

const text = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.constantFrom('', ' ', 'x'.repeat(257), '\u0000', 'UPPER'),
);
const long = fc.oneof(
  fc.integer({ min: -(2 ** 53) + 2, max: 2 ** 53 - 2 }),
  // avsc refuses to write 2^53 - 1 itself
  fc.constantFrom(0, -1, 946684799999, 4102444800001, 2 ** 53 - 2),
);
const int = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const optional = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null });

const EVENT_TYPES = (v1.schema() as { fields: { name: string; type: { symbols?: string[] } }[] }).fields.find(
  (f) => f.name === 'type',
)?.type.symbols ?? ['WORKFLOW_STARTED'];

/** Field values Avro accepts but the event contract may not. */
const overrides = fc.record(
  {
    eventId: text,
    type: fc.constantFrom(...EVENT_TYPES),
    occurredAt: long,
    tenantId: text,
    userId: optional(text),
    workflowId: text,
    workflowVersion: int,
    executionId: text,
    stepId: optional(text),
    service: optional(text),
    action: optional(text),
    attempt: int,
    durationMs: optional(long),
    costMicros: optional(long),
    error: optional(
      fc.record({
        class: text,
        code: optional(text),
        httpStatus: optional(int),
        message: text,
        retryable: fc.boolean(),
      }),
    ),
    attributes: fc.dictionary(text, text, { maxKeys: 5 }),
  },
  { requiredKeys: [] },
);

describe('Kafka record decoding fuzz', () => {
  it('turns any bytes into an event or a rejection with a reason, never a throw', async () => {
    const outcomes = new Map<string, number>();
    const record = fc.oneof(
      fc.constant(null),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      // known schema id, random body
      fc.uint8Array({ maxLength: 300 }).map((b) => framed(KNOWN_ID, b)),
      // a schema id the registry does not have
      fc
        .tuple(
          fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((id) => id !== KNOWN_ID),
          validBody,
        )
        .map(([id, body]) => framed(id, body)),
      // valid Avro cut short, or with bytes after it, or with one byte changed
      fc
        .tuple(validBody, fc.nat())
        .map(([body, n]) => framed(KNOWN_ID, body).subarray(0, n % (body.length + 5))),
      fc
        .tuple(validBody, fc.uint8Array({ minLength: 1, maxLength: 20 }))
        .map(([body, tail]) => Buffer.concat([framed(KNOWN_ID, body), tail])),
      fc.tuple(validBody, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([body, at, flip]) => {
        const bytes = framed(KNOWN_ID, body);
        const i = 5 + (at % body.length);
        bytes[i] = (bytes[i] ?? 0) ^ flip;
        return bytes;
      }),
      // valid Avro whose fields break the event contract (or happen not to)
      fc
        .tuple(fc.constantFrom(...fixtures), overrides)
        .map(([fixture, o]) => framed(KNOWN_ID, v1.toBuffer({ ...fixture, ...o }))),
    );
    await fc.assert(
      fc.asyncProperty(record, async (value) => {
        const outcome = await expectEventOrReason(value);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { numRuns: 1500 },
    );
    // the fuzz reached every branch: rows, each decode failure and contract violations
    const kinds = [...outcomes.keys()];
    expect(kinds).toContain('row');
    for (const reason of ['decode:not-confluent-framed', 'decode:unknown-schema-id', 'decode:malformed-avro'])
      expect(kinds).toContain(reason);
    expect(kinds.some((k) => k.startsWith('validate:'))).toBe(true);
  });

  it('decodes the fixtures into rows', async () => {
    for (const fixture of fixtures)
      expect(await expectEventOrReason(framed(KNOWN_ID, v1.toBuffer(fixture)))).toBe('row');
  });
});
