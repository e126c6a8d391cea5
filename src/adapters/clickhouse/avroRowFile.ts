// A loader's rows as an Avro object container file, built from the records' own bytes, for
// embedded chDB to read with `INSERT … SELECT … FROM file(…, 'Avro')`: no decoded object, row
// object or JSON text per event in JavaScript, and a binary format for the engine to parse
// (docs/performance.md has the figures).
//
//   file    = "Obj" 0x01, metadata map {avro.schema, avro.codec: null}, sync, one block
//   block   = count (long), byte size (long), records, sync
//   record  = a body of the row schema, then the trailer: sourcePartition (int), sourceOffset (long)
//
// Each record is the Kafka record's Avro body unchanged (plus a few bytes that complete a body of
// an older writer schema as one of the row schema, see `add`), so the records are what the
// producer wrote; the trailer carries where each came from, which the table keeps for exactly-once.

/** The Avro record schema of the file: the row schema with the trailer's two fields appended. */
export interface AvroRecordSchema {
  readonly type: 'record';
  readonly name: string;
  readonly fields: readonly { readonly name: string }[];
}

export const TRAILER_FIELDS = [
  { name: 'sourcePartition', type: 'int' },
  { name: 'sourceOffset', type: 'long' },
] as const;

// Any 16 bytes will do: the file has one block, and the reader only compares the two copies.
const SYNC = Buffer.from('pulse.avro.rows!', 'latin1');
const MAGIC = Buffer.from('Obj\x01', 'latin1');
/** A zigzag varint takes at most 10 bytes: the trailer at most 15. */
const TRAILER_MAX = 15;
/** An execution event's body is 150–400 bytes: the first guess at a block's size per record. */
const EXPECTED_RECORD_BYTES = 256;

/** Writes `value` (a safe integer) as a zigzag varint at `at`; returns the position after it. */
function writeLong(target: Buffer, at: number, value: number): number {
  let n = value >= 0 ? value * 2 : -value * 2 - 1;
  let i = at;
  while (n >= 0x80) {
    target[i++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  target[i++] = n;
  return i;
}

function long(value: number): Buffer {
  const out = Buffer.alloc(10);
  return out.subarray(0, writeLong(out, 0, value));
}

function avroBytes(value: Buffer): Buffer[] {
  return [long(value.length), value];
}

/** Per row schema, the file header: built once, not for every chunk of a loader. */
const headers = new WeakMap<AvroRecordSchema, Buffer>();

function headerOf(rowSchema: AvroRecordSchema): Buffer {
  let header = headers.get(rowSchema);
  if (header === undefined) {
    const schema = { ...rowSchema, fields: [...rowSchema.fields, ...TRAILER_FIELDS] };
    header = Buffer.concat([
      MAGIC,
      long(2),
      ...avroBytes(Buffer.from('avro.schema')),
      ...avroBytes(Buffer.from(JSON.stringify(schema))),
      ...avroBytes(Buffer.from('avro.codec')),
      ...avroBytes(Buffer.from('null')),
      long(0),
      SYNC,
    ]);
    headers.set(rowSchema, header);
  }
  return header;
}

export class AvroRowFile {
  readonly #header: Buffer;
  /**
   * The block's records, copied in as they are added: one buffer, not three slices per record
   * (the slices, and the concat of tens of thousands of them, were most of the file's cost).
   */
  #records: Buffer;
  #size = 0;
  #count = 0;

  /** `rowSchema`: the records' schema before the trailer; `expected`: how many records will come. */
  constructor(rowSchema: AvroRecordSchema, expected = 1024) {
    this.#header = headerOf(rowSchema);
    this.#records = Buffer.allocUnsafe(Math.max(expected, 1) * EXPECTED_RECORD_BYTES);
  }

  get count(): number {
    return this.#count;
  }

  /**
   * Adds a record: `body` from `start` to its end, then `suffix` (the bytes that make a body of an
   * older writer schema one of the row schema, for instance a null for a field appended since;
   * empty for a body of the row schema), then the trailer.
   */
  add(body: Buffer, start: number, suffix: Buffer, partition: number, offset: number): void {
    const most = body.length - start + suffix.length + TRAILER_MAX;
    if (this.#size + most > this.#records.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#records.length * 2, this.#size + most));
      this.#records.copy(grown, 0, 0, this.#size);
      this.#records = grown;
    }
    let at = this.#size + body.copy(this.#records, this.#size, start);
    if (suffix.length > 0) at += suffix.copy(this.#records, at);
    this.#size = writeLong(this.#records, writeLong(this.#records, at, partition), offset);
    this.#count++;
  }

  /** The whole file. */
  toBuffer(): Buffer {
    return Buffer.concat([
      this.#header,
      long(this.#count),
      long(this.#size),
      this.#records.subarray(0, this.#size),
      SYNC,
    ]);
  }
}
