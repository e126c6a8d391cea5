import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALERT_HYSTERESIS_CONFIG,
  INITIAL_ALERT_HYSTERESIS_STATE,
  alertHysteresis,
} from '../../../src/core/detection/alertHysteresis.ts';
import type { AlertHysteresisConfig, AlertTransition } from '../../../src/core/detection/alertHysteresis.ts';

const config: AlertHysteresisConfig = {
  ...DEFAULT_ALERT_HYSTERESIS_CONFIG,
  anomalyLevel: 0.5,
  minDeviation: 0,
  holdLevel: 0.3,
  openCount: 3,
  openWindow: 5,
  resolveAfter: 4,
  cooldown: 6,
};

/** Feeds levels (one per window) and returns every transition with its window index. */
function feed(
  levels: readonly number[],
  deviations: readonly number[] = [],
): (AlertTransition & { at: number })[] {
  let state = INITIAL_ALERT_HYSTERESIS_STATE;
  const out: (AlertTransition & { at: number })[] = [];
  levels.forEach((level, at) => {
    const r = alertHysteresis(state, { timestamp: at, level, deviation: deviations[at] ?? 0 }, config);
    state = JSON.parse(JSON.stringify(r.state)) as typeof state; // state must survive a store round trip
    out.push(...r.transitions.map((t) => ({ ...t, at })));
  });
  return out;
}

const kinds = (ts: readonly { kind: string; at: number }[]): string[] => ts.map((t) => `${t.kind}@${t.at}`);

describe('alert hysteresis', () => {
  it('opens only after k anomalous windows among the last n', () => {
    expect(feed([0.9, 0, 0.9, 0, 0, 0, 0.9, 0, 0])).toEqual([]); // never 3 within 5
    expect(kinds(feed([0.9, 0, 0.9, 0, 0.9]))).toEqual(['opened@4']);
  });

  it('does not flap on an alternating sequence: one alert for the whole episode', () => {
    const alternating = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 0.9 : 0.1));
    const episode = [...alternating, 0, 0, 0, 0, 0, 0];
    // The last anomalous window is 198; 199-202 are the four normal ones that resolve it.
    expect(kinds(feed(episode))).toEqual(['opened@4', 'resolved@202']);
  });

  it('resolves after m normal windows in a row, then cools down before reopening', () => {
    const levels = [0.9, 0.9, 0.9, 0, 0, 0, 0, ...Array<number>(6).fill(0.9), 0.9, 0.9, 0.9];
    // opened at 2; resolved at 6; windows 7-12 are the cooldown; 13, 14, 15 reopen.
    expect(kinds(feed(levels))).toEqual(['opened@2', 'resolved@6', 'opened@15']);
  });

  it('keeps an open alert open while the level stays above the lower hold level', () => {
    const levels = [0.9, 0.9, 0.9, 0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 0.2, 0.2, 0.2, 0.2];
    expect(kinds(feed(levels))).toEqual(['opened@2', 'resolved@12']);
  });

  it('escalates when severity rises, not when it falls', () => {
    const t = feed([0.55, 0.55, 0.55, 0.7, 0.9, 0.55, 0.9], [0, 0, 0, 0, 0, 0, 0]);
    expect(t.map((x) => `${x.kind}:${x.severity}`)).toEqual([
      'opened:minor',
      'escalated:major',
      'escalated:critical',
    ]);
    // A large deviation alone makes a window critical.
    expect(feed([0.55, 0.55, 0.55], [0, 0, -20])[0]?.severity).toBe('critical');
  });

  it('ignores significant but small deviations when asked to', () => {
    let state = INITIAL_ALERT_HYSTERESIS_STATE;
    const strict = { ...config, minDeviation: 3 };
    const opened: number[] = [];
    [1, 1, 1, 1, 5, 5, 5].forEach((deviation, at) => {
      const r = alertHysteresis(state, { timestamp: at, level: 0.9, deviation }, strict);
      state = r.state;
      if (r.transitions.some((t) => t.kind === 'opened')) opened.push(at);
    });
    expect(opened).toEqual([6]);
  });

  it('always alternates opened (escalated*) resolved, whatever the levels', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 400 }), (levels) => {
        let open = false;
        for (const t of feed(levels)) {
          if (t.kind === 'opened') expect(open).toBe(false);
          else expect(open).toBe(true);
          open = t.kind !== 'resolved';
        }
      }),
    );
  });
});

describe('alert hysteresis over detector levels', () => {
  it('raises one alert for a sustained shift and none for the noise around it', async () => {
    const { AnomalyDetector } = await import('../../../src/core/detection/anomalyDetector.ts');
    const { noise, pointsOf } = await import('./syntheticSeries.ts');
    // 1-minute windows: 3000 normal, 60 shifted by 8 sd, then normal again.
    const values = noise(4000, 11).map((v, i) => (i >= 3000 && i < 3060 ? v + 40 : v));
    const detector = new AnomalyDetector();
    let state = INITIAL_ALERT_HYSTERESIS_STATE;
    const transitions: AlertTransition[] = [];
    for (const p of pointsOf(values)) {
      const o = detector.update(p);
      const r = alertHysteresis(state, { timestamp: p.timestamp, level: o.level, deviation: o.deviation });
      state = r.state;
      transitions.push(...r.transitions);
    }
    const opened = transitions.filter((t) => t.kind === 'opened');
    expect(opened).toHaveLength(1);
    const minute = (t: number): number => (t - (pointsOf([0])[0]?.timestamp ?? 0)) / 60_000;
    expect(minute(opened[0]?.timestamp ?? 0)).toBeGreaterThanOrEqual(3000);
    expect(minute(opened[0]?.timestamp ?? 0)).toBeLessThan(3010);
    expect(transitions.some((t) => t.kind === 'resolved' && minute(t.timestamp) > 3060)).toBe(true);
  });
});
