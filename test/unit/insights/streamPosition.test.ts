import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advance,
  decodeStreamPosition,
  encodeStreamPosition,
  isAhead,
  startPosition,
  type StreamPosition,
} from '../../../src/core/insights/streamPosition.ts';

const decoded = (token: string): StreamPosition => {
  const result = decodeStreamPosition(token);
  if (!result.ok) throw new Error(result.reason);
  return result.position;
};

describe('stream position tokens', () => {
  it('encodes every partition in ascending order', () => {
    const position = new Map([
      [2, 30n],
      [0, 15n],
      [1, 7n],
    ]);
    expect(encodeStreamPosition(position)).toBe('0:15,1:7,2:30');
    expect([...decoded('0:15,1:7,2:30')]).toEqual([
      [0, 15n],
      [1, 7n],
      [2, 30n],
    ]);
  });

  it('round-trips any position, offsets up to 2^63-1', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.integer({ min: 0, max: 99_999 }).map(String),
          fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
          { minKeys: 1, maxKeys: 64 },
        ),
        (entries) => {
          const position = new Map(Object.entries(entries).map(([p, o]) => [Number(p), o]));
          const token = encodeStreamPosition(position);
          expect(decoded(token)).toEqual(position);
          expect(encodeStreamPosition(decoded(token))).toBe(token);
        },
      ),
    );
  });

  it.each([
    ['', 'empty position'],
    ['0:1,', 'is not partition:nextOffset'],
    ['0-1', 'is not partition:nextOffset'],
    ['0:-1', 'is not partition:nextOffset'],
    ['0:1.5', 'is not partition:nextOffset'],
    ['a:1', 'is not partition:nextOffset'],
    ['0:9223372036854775808', 'out of range'],
    ['123456:1', 'is not partition:nextOffset'],
    ['1:1,0:1', 'ascending order'],
    ['0:1,0:2', 'ascending order'],
  ])('refuses %j (%s)', (token, reason) => {
    const result = decodeStreamPosition(token);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('advances past a sent record and sends only records at or after the position', () => {
    const position = advance(decoded('0:15,1:7'), 1, 9n);
    expect(encodeStreamPosition(position)).toBe('0:15,1:10');
    expect(isAhead(position, 1, 9n)).toBe(false);
    expect(isAhead(position, 1, 10n)).toBe(true);
    expect(isAhead(position, 0, 14n)).toBe(false);
    // a partition the position does not know yet: everything in it is new
    expect(isAhead(position, 5, 0n)).toBe(true);
    // a record seen again (a batch re-fetched after a seek or a rebalance) never moves it back
    expect(advance(position, 1, 3n)).toBe(position);
  });
});

describe('where a stream starts', () => {
  const bounds = [
    { partition: 1, low: 0n, high: 40n },
    { partition: 0, low: 10n, high: 50n },
    { partition: 2, low: 0n, high: 0n },
  ];

  it('from the beginning or the end of every partition', () => {
    expect(encodeStreamPosition(startPosition(bounds, 'beginning'))).toBe('0:10,1:0,2:0');
    expect(encodeStreamPosition(startPosition(bounds, 'end'))).toBe('0:50,1:40,2:0');
  });

  it('from a token: partitions it does not know start at their beginning, gone ones are dropped, offsets are clamped', () => {
    // partition 0: deleted by retention below 10; partition 1 as given; 2 new since; 7 no longer exists
    expect(encodeStreamPosition(startPosition(bounds, decoded('0:3,1:25,7:4')))).toBe('0:10,1:25,2:0');
    // beyond the last stable offset (a recreated topic): only new records
    expect(encodeStreamPosition(startPosition(bounds, decoded('0:99,1:40,2:0')))).toBe('0:50,1:40,2:0');
  });
});
