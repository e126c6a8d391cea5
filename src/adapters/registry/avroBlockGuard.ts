// avsc reads an array's or map's block count from the body and then reads that many entries,
// whatever is left of it: past the end every byte reads as 0, so nothing stops the loop. A
// corrupted or hostile record of 27 bytes (an execution event whose attributes count is 2^31) did
// not decode in 30 s, and every stage reading the topic would have stalled on it, been dropped by
// its group and stalled again. Every entry takes at least one byte (a map key's length; an array
// item of any type but null or an empty record), so a block longer than the bytes left is a
// malformed body: these readers refuse it at once, and the record goes to the dead-letter topic.
import avro from 'avsc';

interface Tap {
  readonly buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
}

interface ReadableType {
  _read(tap: Tap): unknown;
}

/** The fewest bytes a value of this type takes (0 for null and empty records). */
function minBytes(type: unknown, seen = new Set<unknown>()): number {
  const t = type as {
    typeName?: string;
    fields?: { type: unknown }[];
    size?: number;
    underlyingType?: unknown;
  };
  switch (t.typeName) {
    case 'null':
      return 0;
    case 'fixed':
      return t.size ?? 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'record':
    case 'error': {
      if (seen.has(type)) return 0; // a recursive record: no bound assumed
      seen.add(type);
      return (t.fields ?? []).reduce((sum, f) => sum + minBytes(f.type, seen), 0);
    }
    default:
      // Logical types take their underlying type's bytes; everything else starts with a varint.
      return t.underlyingType !== undefined ? minBytes(t.underlyingType, seen) : 1;
  }
}

function blockCount(tap: Tap, entryBytes: number): number {
  let n = tap.readLong();
  if (n < 0) {
    n = -n;
    tap.skipLong(); // the block's byte size
  }
  const left = tap.buf.length - tap.pos;
  if (entryBytes > 0 && n * entryBytes > left) {
    throw new Error(`block of ${n} entries cannot fit in the ${Math.max(0, left)} bytes left`);
  }
  return n;
}

const itemBytes = new WeakMap<object, number>();

let installed = false;

/** Replaces avsc's array and map readers with ones that refuse impossible block counts. */
export function guardAvroBlockCounts(): void {
  if (installed) return;
  installed = true;
  const types = avro.types as unknown as Record<'ArrayType' | 'MapType', { prototype: object }>;
  Object.assign(types.ArrayType.prototype, {
    _read(this: { itemsType: ReadableType }, tap: Tap): unknown[] {
      const items = this.itemsType;
      let size = itemBytes.get(this);
      if (size === undefined) itemBytes.set(this, (size = minBytes(items)));
      const value: unknown[] = [];
      for (let n = blockCount(tap, size); n !== 0; n = blockCount(tap, size)) {
        while (n-- > 0) value.push(items._read(tap));
      }
      return value;
    },
  });
  Object.assign(types.MapType.prototype, {
    _read(this: { valuesType: ReadableType }, tap: Tap): Record<string, unknown> {
      const values = this.valuesType;
      const value: Record<string, unknown> = {};
      for (let n = blockCount(tap, 1); n !== 0; n = blockCount(tap, 1)) {
        while (n-- > 0) {
          const key = tap.readString();
          value[key] = values._read(tap);
        }
      }
      return value;
    },
  });
}
