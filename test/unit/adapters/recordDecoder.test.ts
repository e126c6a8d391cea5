// The record decoder that replaces kafkajs's must give the same record for every input kafkajs
// decodes: records written by kafkajs's own encoder, with offsets and timestamps across the whole
// 64-bit range (numbers while safe, kafkajs's Long past that), repeated and odd header keys, null
// keys and values, and log-append-time batches.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRecord,
  installRecordDecoder,
  type BatchContext,
  type ProtocolDecoder,
  type RecordDecoder,
} from '../../../src/adapters/kafka/recordDecoder.ts';

const require = createRequire(import.meta.url);
// Loaded before any install: kafkajs's own decoder, the reference.
const kafkajsDecodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as RecordDecoder;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => ProtocolDecoder;
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: {
  offsetDelta: number;
  timestampDelta: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | (Buffer | null)[] | null>;
}) => { buffer: Buffer };
const { LOG_APPEND_TIME, CREATE_TIME } = require('kafkajs/src/protocol/timestampTypes.js') as Record<
  string,
  number
>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const int64 = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 40n }),
  fc.bigInt({ min: 2n ** 52n, max: 2n ** 54n }),
  fc.bigInt({ min: 2n ** 53n - 2n ** 20n, max: 2n ** 53n - 1n }),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
);
const bytes = fc.option(fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)));
const headerKey = fc.oneof(
  fc.constantFrom('__proto__', 'toString', 'trace', 'trace'),
  fc.string({ maxLength: 4 }),
);

/** A record as kafkajs's batch decoder hands it to the record decoder: the body after its length. */
function recordBody(encoded: Buffer): Buffer {
  const outer = new Decoder(encoded);
  const body = (outer as unknown as { readVarIntBytes(): Buffer }).readVarIntBytes();
  return body;
}

function decodeBoth(body: Buffer, context: BatchContext): [unknown, unknown] {
  const run = (decode: RecordDecoder): unknown => {
    try {
      const decoder = new Decoder(body);
      const record = decode(decoder, context);
      return { record, consumed: decoder.offset };
    } catch (error) {
      return { error: String(error) };
    }
  };
  return [run(decodeRecord), run(kafkajsDecodeRecord)];
}

describe('record decoder', () => {
  it('decodes every record exactly as kafkajs does', () => {
    fc.assert(
      fc.property(
        fc.record({
          firstOffset: fc.bigInt({ min: 0n, max: INT64_MAX }),
          firstTimestamp: int64,
          maxTimestamp: int64,
          logAppendTime: fc.boolean(),
          offsetDelta: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          timestampDelta: int64,
          key: bytes,
          value: bytes,
          headers: fc.array(fc.tuple(headerKey, bytes), { maxLength: 5 }),
        }),
        (r) => {
          // Repeated keys as kafkajs's encoder writes them: one header per value, in order.
          const headers: Record<string, (Buffer | null)[]> = Object.create(null) as Record<
            string,
            (Buffer | null)[]
          >;
          for (const [key, value] of r.headers) (headers[key] ??= []).push(value);
          let encoded: Buffer;
          try {
            encoded = encodeRecord({
              offsetDelta: r.offsetDelta,
              timestampDelta: r.timestampDelta.toString(),
              key: r.key,
              value: r.value,
              headers,
            }).buffer;
          } catch {
            return; // kafkajs cannot write it (a null header value), so no broker holds it
          }
          const context: BatchContext = {
            firstOffset: r.firstOffset.toString(),
            firstTimestamp: r.firstTimestamp.toString(),
            maxTimestamp: r.maxTimestamp.toString(),
            timestampType: r.logAppendTime ? LOG_APPEND_TIME : CREATE_TIME,
            magicByte: 2,
            isControlBatch: false,
          };
          const [fast, reference] = decodeBoth(recordBody(encoded), context);
          expect(fast).toEqual(reference);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('gives the same result on corrupted bodies', () => {
    // Bytes below 0x80: every varint is one byte, so a corrupt length or header count stays small
    // (a large one makes both decoders loop over the missing bytes for as long as it says).
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40, max: 0x7f }), int64, (body, base) => {
        const context: BatchContext = {
          firstOffset: '41',
          firstTimestamp: base.toString(),
          maxTimestamp: '0',
          timestampType: CREATE_TIME,
        };
        const [fast, reference] = decodeBoth(Buffer.from(body), context);
        expect(fast).toEqual(reference);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same result on every truncation of a record', () => {
    const encoded = encodeRecord({
      offsetDelta: 300,
      timestampDelta: '-70000',
      key: Buffer.from('wf-1'),
      value: Buffer.from([0, 0, 0, 0, 7, 2, 4]),
      headers: { trace: [Buffer.from('a'), Buffer.from('b')] },
    }).buffer;
    const body = recordBody(encoded);
    const context: BatchContext = {
      firstOffset: '1000',
      firstTimestamp: '1764000000000',
      timestampType: CREATE_TIME,
    };
    for (let end = 0; end <= body.length; end++) {
      const [fast, reference] = decodeBoth(body.subarray(0, end), context);
      expect(fast).toEqual(reference);
    }
  });

  it('does not replace a record decoder kafkajs has loaded already', () => {
    // This file loaded kafkajs's decoder above, as a process that fetched before installing would.
    expect(installRecordDecoder()).toBe('already loaded');
  });
});
