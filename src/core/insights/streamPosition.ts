// Resume tokens of the live insight stream (GET /api/insights/stream): where a subscriber is in the
// insights topic, across all of its partitions, so a reconnect carries on exactly after the last
// record it saw. Grammar:
//   token     = entry *( "," entry )          entries in ascending partition order, no duplicates
//   entry     = partition ":" nextOffset
//   partition = 1*5DIGIT                       0 … 99999
//   nextOffset= 1*19DIGIT                      0 … 2^63-1: the offset of the next record to send
// e.g. "0:15,1:7,2:30". The offset is the *next* one (last sent + 1), so a token is also a valid
// start position, and a transaction marker or aborted record at that offset is simply skipped.

/** Next offset to deliver, per partition. */
export type StreamPosition = ReadonlyMap<number, bigint>;

/** One partition's bounds as the broker reports them (read committed: `high` is the last stable offset). */
export interface PartitionBounds {
  readonly partition: number;
  readonly low: bigint;
  readonly high: bigint;
}

export type StreamStart = 'beginning' | 'end' | StreamPosition;

const MAX_OFFSET = 2n ** 63n - 1n;
const MAX_PARTITION = 99_999;
const ENTRY = /^(\d{1,5}):(\d{1,19})$/;

export function encodeStreamPosition(position: StreamPosition): string {
  return [...position.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partition, offset]) => `${partition}:${offset.toString()}`)
    .join(',');
}

export type DecodedStreamPosition =
  { readonly ok: true; readonly position: StreamPosition } | { readonly ok: false; readonly reason: string };

/** Reads a token; a malformed one says why (the API answers 400 with it). */
export function decodeStreamPosition(token: string): DecodedStreamPosition {
  const text = token.trim();
  if (text === '') return { ok: false, reason: 'empty position' };
  const position = new Map<number, bigint>();
  let previous = -1;
  for (const entry of text.split(',')) {
    const match = ENTRY.exec(entry);
    if (match === null) return { ok: false, reason: `"${entry}" is not partition:nextOffset` };
    const partition = Number(match[1]);
    const offset = BigInt(match[2] ?? '');
    if (partition > MAX_PARTITION) return { ok: false, reason: `partition ${partition} is out of range` };
    if (offset > MAX_OFFSET) return { ok: false, reason: `offset ${offset.toString()} is out of range` };
    if (partition <= previous)
      return { ok: false, reason: 'partitions must be listed once each, in ascending order' };
    previous = partition;
    position.set(partition, offset);
  }
  return { ok: true, position };
}

/**
 * Where to start reading each partition of the topic. A token's partition missing from the topic
 * is dropped; a partition the token does not know (added since) starts at its beginning, since
 * everything in it is new to the subscriber; an offset outside what the broker still holds is
 * clamped to it (records deleted by retention cannot be sent any more).
 */
export function startPosition(bounds: readonly PartitionBounds[], from: StreamStart): StreamPosition {
  const start = new Map<number, bigint>();
  for (const { partition, low, high } of [...bounds].sort((a, b) => a.partition - b.partition)) {
    const wanted = from === 'beginning' ? low : from === 'end' ? high : (from.get(partition) ?? low);
    start.set(partition, wanted < low ? low : wanted > high ? high : wanted);
  }
  return start;
}

/** Whether the record at `offset` of `partition` is still to be sent (not before the position). */
export function isAhead(position: StreamPosition, partition: number, offset: bigint): boolean {
  return offset >= (position.get(partition) ?? 0n);
}

/**
 * The position once everything up to `offset` of `partition` was sent or skipped (filtered out,
 * aborted, a transaction marker). It never moves back: a record seen again changes nothing.
 */
export function advance(position: StreamPosition, partition: number, offset: bigint): StreamPosition {
  if (!isAhead(position, partition, offset)) return position;
  const next = new Map(position);
  next.set(partition, offset + 1n);
  return next;
}
