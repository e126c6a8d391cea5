// A loader's state per input partition, and the intent it leaves in the committed offset's
// metadata (see loaderRunner.ts for the protocol).
import type { Admin, KafkaMessage } from 'kafkajs';
import { committedEntry } from '../adapters/kafka/kafkaClient.ts';
import { ArrivalClock } from './arrivalClock.ts';

/** An offset range [from, to] whose insert may have landed before its offsets were committed. */
export interface Intent {
  readonly from: string;
  readonly to: string;
}

export interface PartitionBuffer {
  messages: KafkaMessage[];
  /** when the oldest buffered message arrived: the flush is due flushMs later */
  firstReceivedAt: number;
  /** when the buffered messages arrived, by fetched batch */
  arrivals: ArrivalClock;
  /** serialises flushes of one partition */
  flushing: Promise<void>;
  paused: boolean;
  retryDelayMs: number;
  /** last offset kafkajs fetched, transaction markers included */
  fetchedThrough: bigint;
  /** offset committed by this instance, -1 when unknown */
  committed: bigint;
  /** whether the committed intent was read since the last assignment */
  intentChecked: boolean;
  /**
   * The range whose intent is committed and whose insert may have landed, until its offsets are
   * committed: a retry after a transient failure (the DLQ send, the final commit) must insert
   * exactly this range again, with its token, never a longer one.
   */
  pending: Intent | null;
}

export function newPartitionBuffer(): PartitionBuffer {
  return {
    messages: [],
    firstReceivedAt: 0,
    arrivals: new ArrivalClock(),
    flushing: Promise.resolve(),
    paused: false,
    retryDelayMs: 200,
    fetchedThrough: -1n,
    committed: -1n,
    intentChecked: false,
    pending: null,
  };
}

/**
 * The index of the first message whose offset is above `bound`, or the length when none is: a
 * binary search, as a partition's messages ascend by offset (parsing every offset of a 20,000
 * message buffer to find a chunk's end cost more than the search).
 */
export function firstAbove(messages: readonly KafkaMessage[], bound: bigint): number {
  let low = 0;
  let high = messages.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const message = messages[middle];
    if (message !== undefined && BigInt(message.offset) > bound) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** After a rebalance: the buffered messages will be fetched again from the committed offsets. */
export function forgetPosition(buffer: PartitionBuffer): void {
  buffer.messages = [];
  buffer.fetchedThrough = -1n;
  buffer.committed = -1n;
  buffer.intentChecked = false;
  buffer.pending = null;
}

/** Whether the timer has work for a partition: a flush due, or transaction markers to commit past. */
export function timerDue(buffer: PartitionBuffer, flushMs: number, now: number): boolean {
  if (buffer.messages.length === 0)
    return buffer.fetchedThrough >= 0n && buffer.fetchedThrough >= buffer.committed;
  return now - buffer.firstReceivedAt >= flushMs;
}

const INTENT_PREFIX = 'pulse-intent:';

/** The committed offset's metadata that records an intent. */
export const intentMetadata = (intent: Intent): string => `${INTENT_PREFIX}${intent.from}-${intent.to}`;

/** The intent left in the committed offset's metadata by a previous owner, if any. */
export async function committedIntent(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<Intent | undefined> {
  const entry = await committedEntry(admin, groupId, topic, partition);
  const metadata = entry?.metadata ?? '';
  if (entry === undefined || !metadata.startsWith(INTENT_PREFIX)) return undefined;
  const [from, to] = metadata.slice(INTENT_PREFIX.length).split('-');
  if (from === undefined || to === undefined || from !== entry.offset) return undefined;
  return { from, to };
}
