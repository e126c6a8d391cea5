// The metrics processor's fast reader must agree with the full path (avsc decode, then the
// contract's check) on every body: whatever it returns, the full path accepts with the same values
// in the fields a window folds; whatever the full path accepts in the ordinary shapes, it reads.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EXECUTION_V1_LAYOUT,
  EXECUTION_V2_LAYOUT,
  archiveBodyCheck,
  layoutOf,
  metricInputReader,
  type MetricInputReader,
} from '../../../src/adapters/registry/metricInputReader.ts';
import { simulateExecution, simulateWorkflows } from '../../../src/core/demo/executionSimulator.ts';
import { executionEventTypes, validateDecodedExecutionEvent } from '../../../src/core/executionEvent.ts';
import { seededRandom } from '../../../src/core/seededRandom.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const schemaOf = (file: string): unknown =>
  JSON.parse(readFileSync(path.join(root, 'schemas', file), 'utf8'));
// As the registry client builds it: the reader is handed this type's schema().
const v1 = avro.Type.forSchema(schemaOf('workflow.executions.v1.avsc') as avro.Schema);
const v2 = avro.Type.forSchema(schemaOf('workflow.executions.v2.avsc') as avro.Schema);

function reader(type: avro.Type): MetricInputReader {
  const read = metricInputReader(type.schema());
  if (read === null) throw new Error('no reader for the contract schema');
  return read;
}
const readV1 = reader(v1);
const readV2 = reader(v2);

/** The full path, and what of it a window reads. */
function fullPath(type: avro.Type, body: Buffer): Record<string, unknown> | undefined {
  let decoded: unknown;
  try {
    decoded = type.fromBuffer(body);
  } catch {
    return undefined;
  }
  const result = validateDecodedExecutionEvent(decoded);
  if (!result.ok) return undefined;
  const e = result.value;
  return {
    type: e.type,
    occurredAt: e.occurredAt,
    tenantId: e.tenantId,
    workflowId: e.workflowId,
    workflowVersion: e.workflowVersion,
    stepId: e.stepId,
    service: e.service,
    attempt: e.attempt,
    durationMs: e.durationMs,
    costMicros: e.costMicros,
    error: e.error === null ? null : { class: e.error.class },
  };
}

/** Framed as on the wire (magic byte, schema id), which the reader skips by its start offset. */
const framed = (body: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), body]);

function expectAgreement(type: avro.Type, read: MetricInputReader, body: Buffer): 'fast' | 'deferred' {
  const fast = read(framed(body), 5);
  if (fast === undefined) return 'deferred';
  // Never accepts what the full path refuses, never reads a field differently. (The full path is
  // run only here: on a corrupted body, avsc can loop for hours on a map count of billions, which
  // the reader, having walked the whole body, has ruled out.)
  expect({ ...fast }).toEqual(fullPath(type, body));
  return 'fast';
}

// Values Avro can encode, valid or not by the contract: each field is mostly valid and sometimes
// not, so that events reach both outcomes. Strings include non-ASCII ones, whose byte length
// differs from their length in characters.
const mostly = <T>(valid: fc.Arbitrary<T>, ...others: fc.Arbitrary<T>[]): fc.Arbitrary<T> =>
  fc.oneof(
    { weight: 12 * others.length, arbitrary: valid },
    ...others.map((arbitrary) => ({ weight: 1, arbitrary })),
  );
const text = (max: number): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength: max }), fc.string({ unit: 'binary', maxLength: max }));
const sized = (n: number, unit: string): string => unit.repeat(n);
const id = mostly(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom('', sized(256, 'x'), sized(257, 'x'), sized(200, 'é'), sized(129, '😀')),
  text(20),
);
const optional = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null });
const long = mostly(
  fc.nat({ max: 10_000_000 }),
  fc.constantFrom(-1, 0, 2 ** 47 - 1, 2 ** 47, 2 ** 48, 2 ** 52, -(2 ** 50)),
);
const avroEvent = fc.record({
  eventId: id,
  type: fc.constantFrom(...executionEventTypes),
  occurredAt: mostly(
    fc.integer({ min: 946684800000, max: 4102444800000 }),
    fc.constantFrom(0, 946684799999, 4102444800001, -5, 2 ** 52),
  ),
  tenantId: id,
  userId: optional(id),
  workflowId: id,
  workflowVersion: mostly(fc.integer({ min: 1, max: 50 }), fc.constantFrom(0, -1, 2147483647, -2147483648)),
  executionId: id,
  stepId: mostly(id, fc.constant(null)),
  service: optional(
    mostly(
      fc.constantFrom('slack', 'google-sheets', 'x1'),
      fc.constantFrom('Slack', '-x', '', sized(129, 'a')),
      text(8),
    ),
  ),
  action: optional(mostly(id, fc.constant(sized(257, 'a')))),
  attempt: mostly(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, -3, 2147483647)),
  durationMs: optional(long),
  costMicros: optional(long),
  error: optional(
    fc.record({
      class: mostly(
        fc.constantFrom('rate_limit', 'auth'),
        fc.constantFrom('', sized(64, 'c'), sized(65, 'c'), sized(40, 'é')),
        text(6),
      ),
      code: optional(mostly(id, fc.constant(sized(257, 'c')))),
      httpStatus: optional(mostly(fc.integer({ min: 100, max: 599 }), fc.constantFrom(99, 600, -1))),
      message: mostly(text(30), fc.constantFrom(sized(8192, 'm'), sized(8193, 'm'), sized(5000, 'é'))),
      retryable: fc.boolean(),
    }),
  ),
  attributes: fc.dictionary(text(5), text(5), { maxKeys: 4 }),
});

describe('metricInputReader', () => {
  it('knows the contract schemas by their layout, and no other', () => {
    expect(layoutOf(schemaOf('workflow.executions.v1.avsc'))).toEqual(EXECUTION_V1_LAYOUT);
    expect(layoutOf(schemaOf('workflow.executions.v2.avsc'))).toEqual(EXECUTION_V2_LAYOUT);
    expect(layoutOf(v1.schema())).toEqual(EXECUTION_V1_LAYOUT);
    expect(metricInputReader(schemaOf('workflow.metrics.v1.avsc'))).toBeNull();
    const reordered = schemaOf('workflow.executions.v1.avsc') as { fields: unknown[] };
    expect(metricInputReader({ ...reordered, fields: [...reordered.fields].reverse() })).toBeNull();
  });

  it('agrees with the full path on any encodable event, in v1 and v2', () => {
    const seen = { fast: 0, deferred: 0 };
    fc.assert(
      fc.property(avroEvent, optional(fc.string({ maxLength: 6 })), (event, region) => {
        seen[expectAgreement(v1, readV1, v1.toBuffer(event))]++;
        seen[expectAgreement(v2, readV2, v2.toBuffer({ ...event, region }))]++;
      }),
      { numRuns: 4000 },
    );
    // Both outcomes occur: the generator reaches past the fast path and into it.
    expect(seen.fast).toBeGreaterThan(100);
    expect(seen.deferred).toBeGreaterThan(100);
  });

  it('never accepts a truncated, extended or corrupted body the full path refuses', () => {
    fc.assert(
      fc.property(
        avroEvent,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('truncate', 'append', 'flip'),
        (event, at, byte, how) => {
          const body = v1.toBuffer(event);
          const i = at % body.length;
          const changed =
            how === 'truncate'
              ? body.subarray(0, i)
              : how === 'append'
                ? Buffer.concat([body, Buffer.from([byte])])
                : Buffer.from(body.map((b, j) => (j === i ? byte : b)));
          expectAgreement(v1, readV1, changed);
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('reads every event the demo simulator produces, without deferring one', () => {
    const random = seededRandom(5);
    let read = 0;
    for (const [i, workflow] of simulateWorkflows({ tenants: 3, workflows: 20, seed: 4 }).entries()) {
      for (const event of simulateExecution(workflow, `run-${i}`, 1764115200000 + i * 1000, random)) {
        expect(expectAgreement(v1, readV1, v1.toBuffer(event))).toBe('fast');
        read++;
      }
    }
    expect(read).toBeGreaterThan(100);
  });
});

/** The schema with every string read as bytes (the same encoding), a map as an array of entries. */
function asBytes(schema: unknown): unknown {
  if (schema === 'string') return 'bytes';
  if (Array.isArray(schema)) return schema.map(asBytes);
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as Record<string, unknown>;
  if (s.type === 'map')
    return {
      type: 'array',
      items: {
        type: 'record',
        name: `Entry${String(Math.random()).slice(2)}`,
        fields: [
          { name: 'k', type: 'bytes' },
          { name: 'v', type: asBytes(s.values) },
        ],
      },
    };
  if (s.type === 'record')
    return { ...s, fields: (s.fields as { type: unknown }[]).map((f) => ({ ...f, type: asBytes(f.type) })) };
  return { ...s, type: asBytes(s.type) };
}

/**
 * Whether the full path's value holds exactly the body's bytes: re-encoding what avsc decoded gives
 * what re-encoding the raw bytes gives unless a string was repaired (invalid UTF-8) or a map key
 * repeated (the decoded object keeps one).
 */
function keepsBytes(type: avro.Type, raw: avro.Type, body: Buffer): boolean {
  return type.toBuffer(type.fromBuffer(body)).equals(raw.toBuffer(raw.fromBuffer(body)));
}

describe('archiveBodyCheck', () => {
  const check = (type: avro.Type): ((buffer: Buffer, start: number) => boolean) => {
    const c = archiveBodyCheck(type.schema());
    if (c === null) throw new Error('no check for the contract schema');
    return c;
  };
  const checks = [
    {
      type: v1,
      raw: avro.Type.forSchema(asBytes(v1.schema()) as avro.Schema),
      check: check(v1),
      read: readV1,
    },
    {
      type: v2,
      raw: avro.Type.forSchema(asBytes(v2.schema()) as avro.Schema),
      check: check(v2),
      read: readV2,
    },
  ];

  /** Accepts only what the full path accepts, and only bodies whose bytes the full path keeps. */
  function expectSound(i: 0 | 1, body: Buffer): boolean {
    const { type, raw, check: accepts, read } = checks[i] as (typeof checks)[number];
    if (!accepts(framed(body), 5)) return false;
    expect(fullPath(type, body)).toBeDefined();
    expect(read(framed(body), 5)).toBeDefined();
    expect(keepsBytes(type, raw, body)).toBe(true);
    return true;
  }

  it('accepts only bodies the full path accepts and keeps byte for byte', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        avroEvent,
        optional(fc.string({ maxLength: 6 })),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('as is', 'truncate', 'flip'),
        (event, region, at, byte, how) => {
          for (const [i, body] of [v1.toBuffer(event), v2.toBuffer({ ...event, region })].entries()) {
            const j = at % body.length;
            const changed =
              how === 'as is'
                ? body
                : how === 'truncate'
                  ? body.subarray(0, j)
                  : Buffer.from(body.map((b, k) => (k === j ? byte : b)));
            if (expectSound(i as 0 | 1, changed)) accepted++;
          }
        },
      ),
      { numRuns: 4000 },
    );
    expect(accepted).toBeGreaterThan(1000);
  });

  it('leaves invalid UTF-8 and repeated map keys to the full path, which the metrics reader reads', () => {
    const event = simulateExecution(
      simulateWorkflows({ tenants: 1, workflows: 1, seed: 1 })[0] as Parameters<typeof simulateExecution>[0],
      'run',
      1764115200000,
      seededRandom(1),
    )[0];
    const body = v1.toBuffer({ ...event, eventId: 'abcd', attributes: { k: 'v' } });
    expect(checks[0]?.check(framed(body), 5)).toBe(true);
    // eventId's bytes start after its one-byte length: a lone continuation byte is not UTF-8.
    const invalid = Buffer.from(body);
    invalid[2] = 0x80;
    expect(readV1(framed(invalid), 5)).toBeDefined();
    expect(checks[0]?.check(framed(invalid), 5)).toBe(false);
    // The map is the body's end: count 2, then k → v twice, then 0.
    const entry = Buffer.from([2, 0x6b, 2, 0x76]);
    const repeated = Buffer.concat([
      body.subarray(0, body.length - 6),
      Buffer.from([4]),
      entry,
      entry,
      Buffer.from([0]),
    ]);
    expect(v1.fromBuffer(repeated)).toMatchObject({ attributes: { k: 'v' } });
    expect(readV1(framed(repeated), 5)).toBeDefined();
    expect(checks[0]?.check(framed(repeated), 5)).toBe(false);
  });
});
