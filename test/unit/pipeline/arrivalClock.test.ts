import { describe, expect, it } from 'vitest';
import { ArrivalClock } from '../../../src/pipeline/arrivalClock.ts';

describe('ArrivalClock', () => {
  it('gives the arrival of the batch holding the oldest buffered message, not the time of the last flush', () => {
    const clock = new ArrivalClock();
    clock.arrived(0n, 1_000); // offsets 0-9
    clock.arrived(10n, 1_150); // 10-19, fetched while the flush of 0-9 ran
    clock.arrived(20n, 1_250); // 20-29
    expect(clock.oldest(0n)).toBe(1_000);
    // Flushed through 9: what is left has waited since 1 150, not since the flush ended.
    expect(clock.oldest(10n)).toBe(1_150);
    // batchMax cut inside a batch: its remainder keeps that batch's arrival.
    expect(clock.oldest(24n)).toBe(1_250);
    // Earlier batches are forgotten once passed.
    expect(clock.oldest(10n)).toBe(1_250);
  });

  it('knows nothing once cleared', () => {
    const clock = new ArrivalClock();
    clock.arrived(5n, 10);
    clock.clear();
    expect(clock.oldest(5n)).toBeUndefined();
    clock.arrived(5n, 20);
    expect(clock.oldest(5n)).toBe(20);
  });
});
