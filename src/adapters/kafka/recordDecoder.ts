// kafkajs decodes every fetched record's offset and timestamp with its 64-bit `Long`: it parses
// the batch's first offset and first timestamp from their decimal strings again for each record
// (`Long.fromValue(string)`), reads the timestamp delta one `Long` per byte, adds, and prints the
// result back to a string. In a profile of the metrics processor alone that was a tenth of the
// time; every consumer of the process pays it per record.
//
// This decoder gives the same record, field for field: it reads the batch's bases once and does
// the arithmetic on numbers while the values stay safe integers (every offset and millisecond
// timestamp in practice), and hands anything else to kafkajs's own `Long` code.
//
// kafkajs (2.2.4, unmaintained) has no option for it; the decoder is put in place of its record
// module in the require cache before kafkajs loads that module, which it does lazily at the first
// fetch. When kafkajs is another version, or its module was loaded already, nothing is replaced
// and kafkajs decodes as before; a unit test compares both decoders on generated batches.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const KAFKAJS_VERSION = '2.2.4';
const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js';

/** The parts of kafkajs's protocol decoder that a record uses. */
export interface ProtocolDecoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarLong(): LongValue;
  readVarIntBytes(): Buffer | null;
  readVarIntString(): string | null;
}

interface LongValue {
  add(other: LongValue | number): LongValue;
  toString(): string;
}

interface LongClass {
  fromValue(value: string): LongValue;
}

/** What kafkajs's batch decoder passes for each record of a batch (one object per batch). */
export interface BatchContext {
  readonly firstOffset: string;
  readonly firstTimestamp: string;
  readonly maxTimestamp?: string;
  readonly timestampType?: number;
  readonly magicByte?: number;
  readonly isControlBatch?: boolean;
}

export interface DecodedRecord {
  magicByte: number | undefined;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | (Buffer | null)[]>;
  isControlRecord: boolean;
  batchContext: BatchContext;
}

export type RecordDecoder = (decoder: ProtocolDecoder, batchContext: BatchContext) => DecodedRecord;

const Long = require('kafkajs/src/utils/long') as LongClass;
const { LOG_APPEND_TIME } = require('kafkajs/src/protocol/timestampTypes') as { LOG_APPEND_TIME: number };
const readHeader = require('kafkajs/src/protocol/recordBatch/header/v0/decoder') as (
  decoder: ProtocolDecoder,
) => { key: string; value: Buffer | null };

/** A batch's first offset and timestamp as numbers, read once per batch; NaN when not safe. */
interface Bases {
  readonly offset: number;
  readonly timestamp: number;
}

const basesOf = new WeakMap<BatchContext, Bases>();

function bases(context: BatchContext): Bases {
  let found = basesOf.get(context);
  if (found === undefined) {
    const offset = Number(context.firstOffset);
    const timestamp = Number(context.firstTimestamp);
    found = {
      offset: Number.isSafeInteger(offset) ? offset : NaN,
      timestamp: Number.isSafeInteger(timestamp) ? timestamp : NaN,
    };
    basesOf.set(context, found);
  }
  return found;
}

/**
 * A zigzag varlong of at most 7 bytes (49 bits, a safe integer) as a number; undefined, with the
 * decoder where it was, for a longer one.
 */
function readShortVarLong(decoder: ProtocolDecoder): number | undefined {
  const { buffer } = decoder;
  let at = decoder.offset;
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    const byte = buffer[at++];
    if (byte === undefined) return undefined;
    n += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      decoder.offset = at;
      return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
    }
    scale *= 128;
  }
  return undefined;
}

/** kafkajs's header object: a repeated key collects its values in an array, in order. */
function readHeaders(decoder: ProtocolDecoder): DecodedRecord['headers'] {
  const count = decoder.readVarInt();
  // kafkajs reads -1 as no headers and makes an array of any other length: a corrupt one throws.
  if (count < -1) throw new RangeError('Invalid array length');
  const headers: DecodedRecord['headers'] = {};
  for (let i = 0; i < count; i++) {
    const { key, value } = readHeader(decoder);
    const seen = headers[key];
    // Defined, not assigned: kafkajs builds the object with spreads, where "__proto__" is a key.
    Object.defineProperty(headers, key, {
      value: seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return headers;
}

export const decodeRecord: RecordDecoder = (decoder, batchContext) => {
  const {
    firstOffset,
    firstTimestamp,
    magicByte,
    isControlBatch = false,
    timestampType,
    maxTimestamp,
  } = batchContext;
  const base = bases(batchContext);
  const attributes = decoder.readInt8();
  const deltaAt = decoder.offset;
  const delta = readShortVarLong(decoder);
  let timestamp: string;
  if (timestampType === LOG_APPEND_TIME && maxTimestamp) {
    if (delta === undefined) decoder.readVarLong();
    timestamp = maxTimestamp;
  } else if (delta !== undefined && Number.isSafeInteger(base.timestamp + delta)) {
    timestamp = String(base.timestamp + delta);
  } else {
    decoder.offset = deltaAt;
    timestamp = Long.fromValue(firstTimestamp).add(decoder.readVarLong()).toString();
  }
  const offsetDelta = decoder.readVarInt();
  const offset = Number.isSafeInteger(base.offset + offsetDelta)
    ? String(base.offset + offsetDelta)
    : Long.fromValue(firstOffset).add(offsetDelta).toString();
  const key = decoder.readVarIntBytes();
  const value = decoder.readVarIntBytes();
  const headers = readHeaders(decoder);
  return {
    magicByte,
    attributes, // unused by Kafka at record level, kept as kafkajs does
    timestamp,
    offset,
    key,
    value,
    headers,
    isControlRecord: isControlBatch,
    batchContext,
  };
};

export type Installed = 'installed' | 'already loaded' | 'other kafkajs version';

/**
 * Puts `decodeRecord` in place of kafkajs's record decoder for every consumer of this process.
 * Only before kafkajs has loaded its own (it does at the first fetch) and only for the version
 * this decoder reproduces.
 */
export function installRecordDecoder(): Installed {
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== KAFKAJS_VERSION) return 'other kafkajs version';
  const path = require.resolve(RECORD_MODULE);
  const cache = require.cache;
  const existing = cache[path];
  if (existing !== undefined) return existing.exports === decodeRecord ? 'installed' : 'already loaded';
  const Module = require('node:module') as new (id: string) => NodeJS.Module;
  const replacement = new Module(path);
  replacement.filename = path;
  replacement.loaded = true;
  replacement.exports = decodeRecord;
  cache[path] = replacement;
  return 'installed';
}
