import { describe, expect, it } from 'vitest';
import { run } from './scenarios.ts';
import { DAY, HOUR, T0, opened, simulate } from './syntheticWindows.ts';
import type { WorkflowProfile } from './syntheticWindows.ts';

const DAYS = 16;
const SURPRISE_DAY = DAYS - 1;

/**
 * `nightly-sync` runs 5 times a minute, and 60 times a minute during its 02:00-03:00 UTC batch,
 * every day. On the last day a second, unscheduled peak runs at 14:00.
 */
const nightly: WorkflowProfile = {
  tenantId: 't1',
  workflowId: 'nightly-sync',
  partition: 0,
  steps: [{ stepId: 'export', service: 'salesforce', medianMs: 400 }],
  at: (t) => {
    const hour = (t % DAY) / HOUR;
    const day = Math.floor((t - T0) / DAY);
    const batch = hour >= 2 && hour < 3;
    const unscheduled = day === SURPRISE_DAY && hour >= 14 && hour < 15;
    return {
      runsPerMinute: batch || unscheduled ? 60 : 5,
      failureRate: 0.01,
      failingStep: 0,
      errorClass: 'timeout',
      version: 1,
      costPerRunMicros: 1000,
    };
  },
};

describe('seasonality', () => {
  it('stops alerting on a nightly batch peak once the daily pattern is learned, and still sees a new peak', () => {
    // 16 days of 1-minute workflow windows (about 23k).
    const { insights } = run(simulate([nightly], T0, T0 + DAYS * DAY, 5, { steps: false }));
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
