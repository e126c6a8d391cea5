// The loader's per-partition pieces: when the flush timer has work, what a rebalance forgets, the
// intent as written to and read back from the committed offset's metadata, and a chunk's dead
// letters carrying their originals.
import type { Admin, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, headerString, rejectedMessages } from '../../../src/pipeline/deadLetters.ts';
import fc from 'fast-check';
import {
  committedIntent,
  firstAbove,
  forgetPosition,
  intentMetadata,
  newPartitionBuffer,
  timerDue,
} from '../../../src/pipeline/loaderPartition.ts';

const message = (offset: string): KafkaMessage => ({
  key: Buffer.from(`k${offset}`),
  value: Buffer.from(`v${offset}`),
  timestamp: `17000000000${offset}`,
  attributes: 0,
  offset,
  headers: {},
});

/** The one admin call committedIntent makes, answering with a partition's committed offset. */
function adminWith(offset: string, metadata: string | null): Admin {
  return {
    fetchOffsets: () => Promise.resolve([{ topic: 't', partitions: [{ partition: 2, offset, metadata }] }]),
  } as unknown as Admin;
}

describe('loader partition state', () => {
  it('finds the first message above an offset as a scan of the ascending offsets would', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), { maxLength: 40 }),
        fc.bigInt({ min: -2n, max: 2n ** 63n }),
        (offsets, bound) => {
          const messages = offsets
            .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
            .map((o) => message(String(o)));
          const scanned = messages.findIndex((m) => BigInt(m.offset) > bound);
          expect(firstAbove(messages, bound)).toBe(scanned === -1 ? messages.length : scanned);
        },
      ),
    );
    const buffered = ['7', '8', '9', '12'].map(message);
    expect(firstAbove(buffered, 8n)).toBe(2);
    expect(firstAbove(buffered, 6n)).toBe(0);
    expect(firstAbove(buffered, 12n)).toBe(4);
    expect(firstAbove([], 0n)).toBe(0);
  });

  it('has timer work when a flush is due, or when only transaction markers are left to commit', () => {
    const buffer = newPartitionBuffer();
    expect(timerDue(buffer, 200, 1_000)).toBe(false); // nothing fetched yet
    buffer.fetchedThrough = 9n;
    buffer.committed = 5n;
    expect(timerDue(buffer, 200, 1_000)).toBe(true); // markers 5..9 to commit past
    buffer.committed = 10n;
    expect(timerDue(buffer, 200, 1_000)).toBe(false);
    buffer.messages = [message('10')];
    buffer.firstReceivedAt = 900;
    expect(timerDue(buffer, 200, 1_099)).toBe(false);
    expect(timerDue(buffer, 200, 1_100)).toBe(true);
  });

  it('forgets its position on a rebalance, keeping its retry state', () => {
    const buffer = newPartitionBuffer();
    Object.assign(buffer, {
      messages: [message('3')],
      fetchedThrough: 3n,
      committed: 3n,
      intentChecked: true,
      pending: { from: '3', to: '3' },
      retryDelayMs: 800,
    });
    forgetPosition(buffer);
    expect(buffer).toMatchObject({
      messages: [],
      fetchedThrough: -1n,
      committed: -1n,
      intentChecked: false,
      pending: null,
      retryDelayMs: 800,
    });
  });

  it('reads back the intent it writes, only while the committed offset is still its start', async () => {
    const metadata = intentMetadata({ from: '120', to: '4119' });
    expect(await committedIntent(adminWith('120', metadata), 'g', 't', 2)).toEqual({
      from: '120',
      to: '4119',
    });
    // The range was committed past: the metadata is history, not an intent.
    expect(await committedIntent(adminWith('4120', metadata), 'g', 't', 2)).toBeUndefined();
    expect(await committedIntent(adminWith('120', null), 'g', 't', 2)).toBeUndefined();
    expect(await committedIntent(adminWith('120', 'other'), 'g', 't', 2)).toBeUndefined();
    // Another partition's entry is not this one's.
    expect(await committedIntent(adminWith('120', metadata), 'g', 't', 3)).toBeUndefined();
  });

  it('sends each refused record with its own key, value and time, and the reason in headers', () => {
    const chunk = ['7', '8', '9'].map(message);
    const letters = rejectedMessages('workflow.executions.v1', 4, chunk, [
      {
        offset: '8',
        stage: 'validate',
        errorClass: 'ValidationError',
        reason: 'occurredAt',
        message: 'too old',
      },
      { offset: '99', stage: 'decode', errorClass: 'DecodeError', reason: 'malformed-avro', message: 'x' },
    ]);
    expect(letters).toHaveLength(2);
    expect(letters[0]?.key).toEqual(Buffer.from('k8'));
    expect(letters[0]?.value).toEqual(Buffer.from('v8'));
    expect(headerString(letters[0]?.headers, DLQ_HEADERS.sourceOffset)).toBe('8');
    expect(headerString(letters[0]?.headers, DLQ_HEADERS.sourcePartition)).toBe('4');
    expect(headerString(letters[0]?.headers, DLQ_HEADERS.sourceTimestamp)).toBe('170000000008');
    expect(headerString(letters[0]?.headers, DLQ_HEADERS.reason)).toBe('occurredAt');
    expect(headerString(letters[0]?.headers, DLQ_HEADERS.stage)).toBe('validate');
    // An offset outside the chunk still gets its letter, without an original to carry.
    expect(letters[1]?.value).toBeNull();
    expect(headerString(letters[1]?.headers, DLQ_HEADERS.reason)).toBe('malformed-avro');
  });
});
