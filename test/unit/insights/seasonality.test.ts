import { describe, expect, it } from 'vitest';
import { NIGHTLY_DAYS as DAYS, SURPRISE_DAY, nightlyPeak, run } from './scenarios.ts';
import { DAY, HOUR, T0, opened } from './syntheticWindows.ts';

describe('seasonality', () => {
  it('stops alerting on a nightly batch peak once the daily pattern is learned, and still sees a new peak', () => {
    // 16 days of 1-minute workflow windows (about 23k).
    const { insights } = run(nightlyPeak());
    const byDay = (from: number, to: number) =>
      opened(insights).filter((i) => i.openedAt >= T0 + from * DAY && i.openedAt < T0 + to * DAY);
    // The first batch is news...
    const first = byDay(0, 1);
    expect(first.map((i) => i.kind)).toEqual(['throughput_spike']);
    expect(first[0]?.description).toMatch(
      /^Runs of workflow nightly-sync jumped to \d+\/min from an expected \d+(\.\d)?\/min\.$/,
    );
    // ...and after two weeks of the same batch every night, nothing alerts.
    expect(byDay(2, SURPRISE_DAY)).toEqual([]);
    expect(opened(insights).filter((i) => i.openedAt < T0 + 2 * DAY).length).toBeLessThanOrEqual(3);
    // A peak at an hour it has never happened is still caught.
    const surprise = byDay(SURPRISE_DAY, DAYS);
    expect(surprise.map((i) => i.kind)).toEqual(['throughput_spike']);
    expect((surprise[0]?.openedAt ?? 0) % DAY).toBeGreaterThanOrEqual(14 * HOUR);
    expect((surprise[0]?.openedAt ?? 0) % DAY).toBeLessThan(14 * HOUR + 10 * 60_000);
  });
});
