// The metrics processor's decoder: reads what a metric window folds (src/core/metrics/metricInput.ts)
// straight from an execution event's Avro body, for the contract's writer schemas (executions v1,
// and v2 with its trailing region). The other fields are stepped over without building their
// strings, the attributes map or the error's message: avsc's full decode and the check after it
// were about 1.2–2.4 µs of the processor's 6–7 µs per event, and most of its garbage.
//
// It must never accept what the full path (avsc decode, then validateDecodedExecutionEvent)
// rejects, nor read a field differently. So every rule of the contract is still checked, the cheap
// way where it can be decided from the bytes (a string of 1..256 bytes is 1..256 UTF-16 units),
// and anything it cannot decide (a longer non-ASCII id, a varint past 2^48, a truncated body)
// returns undefined: the record then takes the full path, which accepts it or says why not. The
// property test in test/unit/contracts/metricInputReader.test.ts holds the two together.
//
// The archive loader walks the same bodies to check them (`archiveBodyCheck`): it hands the bytes
// themselves to ClickHouse, so there every string must also be valid UTF-8, which the full path
// would otherwise have repaired while decoding. It builds nothing it does not check (a string per
// id was half of that walk's cost).
import { isUtf8 } from 'node:buffer';
import {
  FAILED_TYPES,
  MAX_TIME,
  MIN_TIME,
  SERVICE_ID,
  STEP_TYPES,
  executionEventTypes,
} from '../../core/executionEvent.ts';
import type { MetricInput } from '../../core/metrics/metricInput.ts';

/** Reads one record body from `start` to the buffer's end; undefined when the full path must decide. */
export type MetricInputReader = (buffer: Buffer, start: number) => MetricInput | undefined;

const INT32_MAX = 2147483647;

// The reader walks one body at a time on this thread: a cursor in module state, as avsc's Tap.
const NOTHING = Buffer.alloc(0);
let buf: Buffer = NOTHING;
let pos = 0;
let end = 0;
/**
 * The archive's check rather than the metrics reader: every string must also be valid UTF-8, and
 * nothing is built (no string but the service id, whose pattern is checked, and no result object).
 */
let checkOnly = false;
/** What `read` returns for an accepted body in `checkOnly` mode, and what a skipped string reads as. */
const CHECKED = '';

/** A zigzag varint of at most 7 bytes (|value| < 2^48, exact in a double); NaN otherwise. */
function long(): number {
  // Most are one byte: a union's branch, an enum's index, a short string's length.
  const first = buf[pos] ?? 0x80;
  if (first < 0x80 && pos < end) {
    pos++;
    return (first >>> 1) ^ -(first & 1);
  }
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 7 && pos < end; i++) {
    const byte = buf[pos++] ?? 0;
    n += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
    scale *= 128;
  }
  return NaN;
}

/** Byte length of the next string when it is within [min, max] and inside the body; else -1. */
function stringLength(min: number, max: number): number {
  const length = long();
  if (!(length >= min && length <= max && pos + length <= end)) return -1;
  return checkOnly && !utf8At(pos, length) ? -1 : length;
}

/** Whether the bytes are valid UTF-8: ASCII by a loop (ids mostly are), the rest by node's check. */
function utf8At(start: number, length: number): boolean {
  // One test after the loop, not one per byte: twice as fast on the ids' 20–40 bytes.
  let any = 0;
  for (let i = start; i < start + length; i++) any |= buf[i] as number;
  return any < 0x80 || isUtf8(buf.subarray(start, start + length));
}

function skipString(min: number, max: number): boolean {
  const length = stringLength(min, max);
  if (length < 0) return false;
  pos += length;
  return true;
}

/** The next string; in `checkOnly` mode only checked unless `needed` (its value is then `CHECKED`). */
function readString(min: number, max: number, needed = !checkOnly): string | undefined {
  const length = stringLength(min, max);
  if (length < 0) return undefined;
  const value = needed ? buf.toString('utf8', pos, pos + length) : CHECKED;
  pos += length;
  return value;
}

/** A ["null", X] union's branch: 0 null, 1 the value, -1 anything else. */
function branch(): number {
  const index = long();
  return index === 0 || index === 1 ? index : -1;
}

/** A non-negative count within the contract's safe-integer range, or null; undefined to defer. */
function optionalCount(): number | null | undefined {
  const b = branch();
  if (b === 0) return null;
  if (b < 0) return undefined;
  const value = long();
  return value >= 0 ? value : undefined;
}

/**
 * map<string>: every value is a valid string, so it only has to be walked (as avsc reads it). In
 * the archive's check a key must not repeat: the full path keeps the last of them, the bytes all.
 */
function skipStringMap(): boolean {
  let keys: Set<string> | undefined;
  for (;;) {
    let count = long();
    if (Number.isNaN(count)) return false;
    if (count === 0) return true;
    if (count < 0) {
      // A block with its byte size: avsc reads the entries anyway, and so does this.
      count = -count;
      if (Number.isNaN(long())) return false;
    }
    for (let i = 0; i < count; i++) {
      const keyAt = pos;
      if (!skipString(0, Infinity)) return false;
      if (checkOnly) {
        keys ??= new Set();
        const key = buf.toString('latin1', keyAt, pos);
        if (keys.has(key)) return false;
        keys.add(key);
      }
      if (!skipString(0, Infinity)) return false;
    }
  }
}

/** ExecutionError: its class is kept; code, httpStatus, message and retryable are checked and skipped. */
function readError(): { class: string } | undefined {
  // A class of 1..64 bytes is 1..64 characters; more bytes may still be few enough characters.
  const errorClass = readString(1, 64);
  if (errorClass === undefined) return undefined;
  const code = branch();
  if (code < 0 || (code === 1 && !skipString(0, 256))) return undefined;
  const status = branch();
  if (status < 0) return undefined;
  if (status === 1) {
    const httpStatus = long();
    if (!(httpStatus >= 100 && httpStatus <= 599)) return undefined;
  }
  if (!skipString(0, 8192) || pos >= end) return undefined;
  pos++; // retryable: any byte decodes to a boolean
  return { class: errorClass };
}

function read(withRegion: boolean): MetricInput | undefined {
  if (!skipString(1, 256)) return undefined; // eventId
  const type = executionEventTypes[long()];
  if (type === undefined) return undefined;
  const occurredAt = long();
  if (!(occurredAt >= MIN_TIME && occurredAt <= MAX_TIME)) return undefined;
  const tenantId = readString(1, 256);
  if (tenantId === undefined) return undefined;
  const user = branch();
  if (user < 0 || (user === 1 && !skipString(1, 256))) return undefined;
  const workflowId = readString(1, 256);
  if (workflowId === undefined) return undefined;
  const workflowVersion = long();
  if (!(workflowVersion >= 1 && workflowVersion <= INT32_MAX)) return undefined;
  if (!skipString(1, 256)) return undefined; // executionId
  const step = branch();
  if (step < 0) return undefined;
  const stepId = step === 1 ? readString(1, 256) : null;
  if (stepId === undefined) return undefined;
  const hasService = branch();
  if (hasService < 0) return undefined;
  const service = hasService === 1 ? readString(0, 128, true) : null;
  if (service === undefined || (service !== null && !SERVICE_ID.test(service))) return undefined;
  const action = branch();
  if (action < 0 || (action === 1 && !skipString(0, 256))) return undefined;
  const attempt = long();
  if (!(attempt >= 1 && attempt <= INT32_MAX)) return undefined;
  const durationMs = optionalCount();
  if (durationMs === undefined) return undefined;
  const costMicros = optionalCount();
  if (costMicros === undefined) return undefined;
  const failed = branch();
  if (failed < 0) return undefined;
  const error = failed === 1 ? readError() : null;
  if (error === undefined || !skipStringMap()) return undefined;
  if (withRegion) {
    // v2's region is dropped by the contract (zod strips fields it does not know).
    const region = branch();
    if (region < 0 || (region === 1 && !skipString(0, Infinity))) return undefined;
  }
  // avsc refuses trailing bytes; the cross-field rules of the contract close the check.
  if (pos !== end || (STEP_TYPES.has(type) && stepId === null) || (FAILED_TYPES.has(type) && error === null))
    return undefined;
  if (checkOnly) return ACCEPTED;
  return {
    type,
    occurredAt,
    tenantId,
    workflowId,
    workflowVersion,
    stepId,
    service,
    attempt,
    durationMs,
    costMicros,
    error,
  };
}

/**
 * The execution event's layout as this reader walks it: one entry per field, in order, its name
 * and Avro type with docs, defaults and logical types left out (see `layoutOf`).
 */
export const EXECUTION_V1_LAYOUT: readonly string[] = [
  'eventId:string',
  `type:enum(${executionEventTypes.join(',')})`,
  'occurredAt:long',
  'tenantId:string',
  'userId:[null|string]',
  'workflowId:string',
  'workflowVersion:int',
  'executionId:string',
  'stepId:[null|string]',
  'service:[null|string]',
  'action:[null|string]',
  'attempt:int',
  'durationMs:[null|long]',
  'costMicros:[null|long]',
  'error:[null|{class:string,code:[null|string],httpStatus:[null|int],message:string,retryable:boolean}]',
  'attributes:map<string>',
];
export const EXECUTION_V2_LAYOUT: readonly string[] = [...EXECUTION_V1_LAYOUT, 'region:[null|string]'];

function typeLayout(type: unknown): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return `[${type.map(typeLayout).join('|')}]`;
  if (typeof type !== 'object' || type === null) return '?';
  const t = type as {
    type?: unknown;
    symbols?: unknown;
    values?: unknown;
    items?: unknown;
    fields?: unknown;
  };
  switch (t.type) {
    case 'enum':
      return `enum(${Array.isArray(t.symbols) ? t.symbols.join(',') : '?'})`;
    case 'map':
      return `map<${typeLayout(t.values)}>`;
    case 'array':
      return `array<${typeLayout(t.items)}>`;
    case 'record':
      return `{${fieldsLayout(t.fields).join(',')}}`;
    default:
      return typeLayout(t.type);
  }
}

function fieldsLayout(fields: unknown): string[] {
  if (!Array.isArray(fields)) return ['?'];
  return fields.map((f: { name?: unknown; type?: unknown }) => `${String(f.name)}:${typeLayout(f.type)}`);
}

/** A record schema's fields as `EXECUTION_V1_LAYOUT` lists them. */
export function layoutOf(schema: unknown): string[] {
  return typeof schema === 'object' && schema !== null && 'fields' in schema
    ? fieldsLayout(schema.fields)
    : [];
}

const sameLayout = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((field, i) => field === b[i]);

/** Whether the writer schema is the contract's v2 (true), v1 (false), or neither (undefined). */
function contractVersion(writerSchema: unknown): boolean | undefined {
  const layout = layoutOf(writerSchema);
  if (sameLayout(layout, EXECUTION_V2_LAYOUT)) return true;
  return sameLayout(layout, EXECUTION_V1_LAYOUT) ? false : undefined;
}

/** `read`'s answer in `checkOnly` mode: the body passed, and nothing of it was built. */
const ACCEPTED: MetricInput = {
  type: 'WORKFLOW_STARTED',
  occurredAt: 0,
  tenantId: CHECKED,
  workflowId: CHECKED,
  workflowVersion: 1,
  stepId: null,
  service: null,
  attempt: 1,
  durationMs: null,
  costMicros: null,
  error: null,
};

function walk(buffer: Buffer, start: number, withRegion: boolean, check: boolean): MetricInput | undefined {
  buf = buffer;
  pos = start;
  end = buffer.length;
  checkOnly = check;
  const input = read(withRegion);
  // A record's bytes are a slice of its whole fetch response: do not hold that past the read.
  buf = NOTHING;
  return input;
}

/** A reader for this writer schema, or null when it is not a layout the reader knows. */
export function metricInputReader(writerSchema: unknown): MetricInputReader | null {
  const withRegion = contractVersion(writerSchema);
  if (withRegion === undefined) return null;
  return (buffer, start) => walk(buffer, start, withRegion, false);
}

/**
 * The archive's check of a body from `start` to the buffer's end, for this writer schema (null when
 * it is not a contract layout): true when the full path would accept the record and decode every
 * string to exactly its bytes; false when the full path must decide.
 */
export function archiveBodyCheck(writerSchema: unknown): ((buffer: Buffer, start: number) => boolean) | null {
  const withRegion = contractVersion(writerSchema);
  if (withRegion === undefined) return null;
  return (buffer, start) => walk(buffer, start, withRegion, true) !== undefined;
}
