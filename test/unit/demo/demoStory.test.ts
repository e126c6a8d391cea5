import { describe, expect, it } from 'vitest';
import {
  demoStory,
  eventClock,
  historyRange,
  hourlyLoadFactor,
  storyTime,
  wallTimeOf,
} from '../../../src/core/demo/demoStory.ts';

const MINUTE = 60_000;

describe('demo story', () => {
  it('has five tenants, enough workflows per incident for the grouper, and a schedule in order', () => {
    const story = demoStory();
    expect(new Set(story.workflows.map((w) => w.tenantId)).size).toBe(5);
    expect(new Set(story.workflows.map((w) => w.workflowId)).size).toBe(story.workflows.length);
    for (const incident of story.incidents) {
      expect(incident.toMin).toBeGreaterThan(incident.fromMin);
      if (incident.kind !== 'slow_version') {
        // The incident grouper needs three affected workflows of the tenant.
        expect(story.workflows.filter((w) => w.tenantId === incident.tenantId).length).toBeGreaterThanOrEqual(
          3,
        );
      } else {
        expect(story.workflows.some((w) => w.workflowId === incident.workflowId)).toBe(true);
      }
    }
    expect(story.incidents.map((i) => i.kind).sort()).toEqual([
      'rate_limit_storm',
      'slow_version',
      'token_expired',
    ]);
  });

  it('keeps workflow ids of tagged runs apart', () => {
    const ids = demoStory('x1').workflows.map((w) => w.workflowId);
    expect(ids.every((id) => id.endsWith('-x1'))).toBe(true);
  });

  it('loads busiest in the afternoon and averages one over a day', () => {
    const day = Date.UTC(2026, 10, 2);
    const factors = Array.from({ length: 24 * 60 }, (_, m) => hourlyLoadFactor(day + m * MINUTE));
    expect(factors.reduce((a, b) => a + b, 0) / factors.length).toBeCloseTo(1, 6);
    expect(hourlyLoadFactor(day + 15 * 3_600_000)).toBeCloseTo(1.4, 6);
    expect(hourlyLoadFactor(day + 3 * 3_600_000)).toBeCloseTo(0.6, 6);
  });

  it('ends the history on a minute, the lag before now', () => {
    const now = Date.UTC(2026, 10, 2, 12, 34, 56);
    const h = historyRange(now, 2, 25 * MINUTE);
    expect(h.to).toBe(Date.UTC(2026, 10, 2, 12, 9));
    expect(h.to - h.from).toBe(2 * 24 * 60 * MINUTE);
  });

  it('runs the time-lapse fast, never ahead of the wall clock, then with it', () => {
    const wall0 = Date.UTC(2026, 10, 2, 12, 0);
    const lapse = { startEventMs: wall0 - 20 * MINUTE, startWallMs: wall0, speed: 21 };
    expect(eventClock(lapse, wall0)).toBe(wall0 - 20 * MINUTE);
    expect(eventClock(lapse, wall0 + 30_000)).toBe(wall0 - 20 * MINUTE + 21 * 30_000);
    // 20 minutes behind at 21x: caught up after 60 s.
    expect(eventClock(lapse, wall0 + 60_000)).toBe(wall0 + 60_000);
    expect(eventClock(lapse, wall0 + 5 * MINUTE)).toBe(wall0 + 5 * MINUTE);
    for (let t = wall0; t < wall0 + 3 * MINUTE; t += 1234) {
      expect(eventClock(lapse, t)).toBeLessThanOrEqual(t);
      expect(eventClock(lapse, wallTimeOf(lapse, eventClock(lapse, t)))).toBeCloseTo(eventClock(lapse, t), 0);
    }
    expect(storyTime(lapse, 3)).toBe(wall0 - 17 * MINUTE);
  });
});
