import { describe, expect, it } from 'vitest';
import {
  binomialUpperLogTail,
  poissonLowerLogTail,
  poissonUpperLogTail,
  tailDeviation,
} from '../../../src/core/insights/countTails.ts';
import { InsightEngine } from '../../../src/core/insights/insightEngine.ts';
import type { InsightWindow } from '../../../src/core/insights/insightEngine.ts';
import { formatDuration, formatRate, insightId } from '../../../src/core/insights/insight.ts';
import { failureSpike, run } from './scenarios.ts';
import { HOUR, MINUTE, T0, makeWindow, opened, random, resolved } from './syntheticWindows.ts';

/** A workflow with `runs` runs a minute for `minutes` minutes; `failures(i)` failed runs in minute i. */
function steady(minutes: number, runs: number, failures: (i: number) => number): InsightWindow[] {
  const r = random(9);
  return Array.from({ length: minutes }, (_, i) =>
    makeWindow({
      scope: 'workflow',
      workflowId: 'crm-sync',
      windowStart: T0 + i * MINUTE,
      executions: runs,
      failures: failures(i),
      errorClasses: failures(i) > 0 ? { timeout: failures(i) } : {},
      durations: Array.from({ length: runs }, () => r.logNormal(800, 0.2)),
      costMicrosSum: runs * 1000,
    }),
  );
}

describe('count tails', () => {
  it('match the binomial and Poisson tails', () => {
    expect(Math.exp(binomialUpperLogTail(1, 2, 0.01))).toBeCloseTo(1 - 0.99 ** 2, 10);
    expect(Math.exp(binomialUpperLogTail(3, 10, 0.1))).toBeCloseTo(0.0701908, 6);
    expect(binomialUpperLogTail(1, 100, 0.05)).toBe(0); // below the mean: nothing to see
    expect(Math.exp(poissonUpperLogTail(5, 1))).toBeCloseTo(0.0036599, 6);
    expect(poissonLowerLogTail(0, 40)).toBeCloseTo(-40, 9);
    // Far tails stay finite in log space: 300 failures in 300 runs at 1%.
    expect(binomialUpperLogTail(300, 300, 0.01)).toBeCloseTo(300 * Math.log(0.01), 6);
  });

  it('turn tails into standard deviations', () => {
    expect(tailDeviation(Math.log(0.00135))).toBeCloseTo(3, 2);
    expect(tailDeviation(Math.log(0.02275))).toBeCloseTo(2, 2);
    expect(tailDeviation(Math.log(0.5))).toBe(0);
    expect(tailDeviation(0)).toBe(0);
    expect(tailDeviation(-1e6)).toBe(40);
  });
});

describe('InsightEngine', () => {
  it('does not treat 1 failure in 2 runs as an anomaly, but sees a workflow that keeps failing', () => {
    // 2 runs a minute, normally clean; single failures scattered over 10 hours.
    const scattered = steady(600, 2, (i) => ((i * 37) % 41 === 0 ? 1 : 0));
    expect(scattered.filter((w) => w.failures === 1).length).toBeGreaterThan(10);
    expect(run(scattered).insights).toEqual([]);
    // The same workflow failing every run for 20 minutes is an insight.
    const broken = steady(600, 2, (i) => (i >= 500 && i < 520 ? 2 : (i * 37) % 41 === 0 ? 1 : 0));
    const failures = opened(run(broken).insights, 'failure_rate');
    expect(failures).toHaveLength(1);
    expect(failures[0]?.openedAt).toBeGreaterThanOrEqual(T0 + 500 * MINUTE);
    expect(failures[0]?.impact.unit).toBe('failed_runs');
  });

  it('reports a workflow that stops running once time moves on without it', () => {
    const windows = steady(240, 30, () => 0);
    const engine = new InsightEngine();
    const state = engine.initialState();
    expect(windows.flatMap((w) => engine.apply(state, w))).toEqual([]);
    // No more windows: the processor's watermark advances minute by minute.
    const out = [];
    for (let m = 241; m <= 260; m++) out.push(...engine.advance(state, T0 + m * MINUTE));
    const drops = opened(out, 'throughput_drop');
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ key: 't1/crm-sync', observed: 0, metric: 'executions_per_minute' });
    expect(drops[0]?.expected).toBeGreaterThan(20);
    expect(drops[0]?.description).toBe('Runs of workflow crm-sync dropped to 0/min from an expected 30/min.');
    // It comes back: the drop resolves.
    const back = steady(300, 30, () => 0).slice(262);
    const after = back.flatMap((w) => engine.apply(state, w));
    expect(resolved(after, 'throughput_drop').map((i) => i.insightId)).toEqual([drops[0]?.insightId]);
    expect(resolved(after, 'throughput_drop')[0]?.impact.value).toBeGreaterThan(300);
    // A workflow gone for longer than forgetSeriesMs (with nothing open) is forgotten.
    expect(state.series.size).toBe(1);
    engine.advance(state, T0 + 9 * 24 * HOUR);
    expect(state.series.size).toBe(0);
  });

  it('gives every episode a stable id and a complete lifecycle', () => {
    const windows = failureSpike();
    const a = run(windows).insights;
    expect(run(windows).insights).toEqual(a);
    expect(a.length).toBeGreaterThan(0);
    const first = a[0];
    if (first === undefined) return;
    expect(first.insightId).toBe(insightId(first.kind, 'workflow', 't1/billing', first.openedAt));
    const byId = new Map<string, string[]>();
    for (const i of a) byId.set(i.insightId, [...(byId.get(i.insightId) ?? []), i.change]);
    for (const changes of byId.values()) {
      expect(changes[0]).toBe('opened');
      expect(changes.filter((c) => c === 'opened')).toHaveLength(1);
      expect(changes.filter((c) => c === 'resolved').length).toBeLessThanOrEqual(1);
      if (changes.includes('resolved')) expect(changes.at(-1)).toBe('resolved');
    }
    for (const i of a) {
      expect(i.score).toBeGreaterThanOrEqual(0);
      expect(i.score).toBeLessThanOrEqual(1);
      expect(i.confidence).toBeGreaterThan(0);
      expect(i.confidence).toBeLessThanOrEqual(1);
      expect(i.state).toBe(i.change === 'resolved' ? 'resolved' : 'open');
      expect(i.resolvedAt === null).toBe(i.change !== 'resolved');
    }
  });

  it('rejects malformed windows and only uses service windows for incidents', () => {
    const engine = new InsightEngine();
    const state = engine.initialState();
    const w = makeWindow({ scope: 'workflow', windowStart: T0, executions: 3 });
    expect(() => engine.apply(state, { ...w, windowEnd: w.windowStart })).toThrow(RangeError);
    expect(() => engine.apply(state, { ...w, failures: 4 })).toThrow(RangeError);
    engine.apply(state, makeWindow({ scope: 'service', service: 'slack', windowStart: T0, executions: 5 }));
    expect(state.series.size).toBe(0);
    expect(() => new InsightEngine({ minExecutions: 0 })).toThrow(RangeError);
  });

  it('formats values for people', () => {
    expect(formatDuration(420)).toBe('420 ms');
    expect(formatDuration(1870)).toBe('1.9 s');
    expect(formatDuration(999.7)).toBe('1 s');
    expect(formatDuration(95_000)).toBe('1.6 min');
    expect(formatRate(0.6)).toBe('60%');
    expect(formatRate(0.0213)).toBe('2.1%');
    expect(T0 % HOUR).toBe(0);
  });
});
