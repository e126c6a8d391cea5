import { describe, expect, it } from 'vitest';
import { NOISY_SERIES, noisyWeek, run } from './scenarios.ts';
import { DAY, T0 } from './syntheticWindows.ts';

// A noisy but normal week for 10 differently shaped workflows: nothing in it is an incident, so
// every insight is a false alert. The bound is at most one insight per series per day on average
// (7 in the week), and never more than 2 on one day. Measured with these seeds: 8 insights in 70
// series-days (0.11 per series per day), all of them daily or weekly patterns seen for the first
// time (first 09:00 ramp, first weekend) or a burst of the bursty series.

describe('a noisy but normal week', () => {
  it.each(NOISY_SERIES.map((name, i) => [name, i] as const))(
    '%s: at most 1 insight per day on average, never more than 2 a day',
    (_name, i) => {
      const { insights } = run(noisyWeek(i));
      const opened = insights.filter((x) => x.change === 'opened');
      expect(opened.length).toBeLessThanOrEqual(7);
      const perDay = new Map<number, number>();
      const dayOf = (t: number): number => Math.floor((t - T0) / DAY);
      for (const x of opened) perDay.set(dayOf(x.openedAt), (perDay.get(dayOf(x.openedAt)) ?? 0) + 1);
      expect(Math.max(0, ...perDay.values())).toBeLessThanOrEqual(2);
    },
  );
});
