import { describe, expect, it } from 'vitest';
import { InsightEngine } from '../../../src/core/insights/insightEngine.ts';
import type { InsightWindow } from '../../../src/core/insights/insightEngine.ts';
import type { Insight } from '../../../src/core/insights/insight.ts';
import { ValidationError } from '../../../src/errors.ts';
import { failureSpike, run, slackStorm } from './scenarios.ts';
import { MINUTE, makeWindow } from './syntheticWindows.ts';

const storm = slackStorm(8, 8, 21);

/**
 * Runs the stream, and at each cut stores the state as JSON and continues in a fresh engine
 * restored from it, as a processor does after a restart.
 */
function runWithRestores(windows: readonly InsightWindow[], cuts: readonly number[]): Insight[] {
  let engine = new InsightEngine();
  let state = engine.initialState();
  const out: Insight[] = [];
  windows.forEach((w, i) => {
    if (cuts.includes(i)) {
      const stored = JSON.parse(JSON.stringify(engine.snapshot(state))) as unknown;
      engine = new InsightEngine();
      state = engine.restore(stored);
      // The snapshot is canonical: restoring and snapshotting again gives the same JSON.
      expect(engine.snapshot(state)).toEqual(stored);
    }
    out.push(...engine.apply(state, w));
  });
  return out;
}

/** A copy of `w` with some runs turned into failures, re-emitted as a correction. */
function corrected(w: InsightWindow, extraFailures: number): InsightWindow {
  return makeWindow({
    scope: 'workflow',
    tenantId: w.tenantId,
    workflowId: w.workflowId,
    windowStart: w.windowStart,
    version: w.version + 1,
    executions: w.executions,
    failures: w.failures + extraFailures,
    costMicrosSum: w.costMicrosSum,
    errorClasses: { ...w.errorClasses, upstream_5xx: (w.errorClasses.upstream_5xx ?? 0) + extraFailures },
    workflowVersions: w.workflowVersions,
  });
}

describe('snapshot and restore', () => {
  const straight = run(storm);
  const incidentAt = straight.perWindow.findIndex((out) => out.some((i) => i.kind === 'incident'));

  it('continues with identical output from any point of the stream', () => {
    expect(incidentAt).toBeGreaterThan(0);
    // Before anything happened, right after the incident opened (failure insights still held), while
    // it is open, and during the tail where everything resolves.
    const cuts = [1000, incidentAt + 1, incidentAt + 40, storm.length - 200];
    expect(runWithRestores(storm, cuts)).toEqual(straight.insights);
  });

  it('keeps insights held for incident grouping across a restore', () => {
    // A single workflow's failure insight is held until its minute is grouped, then emitted.
    const windows = failureSpike();
    const spike = run(windows);
    const releasedAt = spike.perWindow.findIndex((out) => out.some((i) => i.change === 'opened'));
    expect(releasedAt).toBeGreaterThan(0);
    expect(runWithRestores(windows, [releasedAt - 1])).toEqual(spike.insights);
  });

  it('refuses a snapshot that is not one, naming the field', () => {
    const engine = new InsightEngine();
    const snap = JSON.parse(JSON.stringify(engine.snapshot(engine.initialState()))) as Record<
      string,
      unknown
    >;
    expect(() => engine.restore({ ...snap, format: 'other' })).toThrow(ValidationError);
    expect(() => engine.restore({ ...snap, series: [{ scope: 'workflow' }] })).toThrow(/series\.0\.key/);
    expect(() => engine.restore('nope')).toThrow(ValidationError);
  });
});

describe('duplicates and corrections', () => {
  it('ignores duplicate deliveries, immediate or replayed later', () => {
    const straight = run(storm).insights;
    const twice = storm.flatMap((w) => [w, w]);
    expect(run(twice).insights).toEqual(straight);
    // A consumer restarting from an older offset re-delivers the last 10 minutes' windows.
    const replayed: InsightWindow[] = [];
    storm.forEach((w, i) => {
      replayed.push(w);
      const next = storm[i + 1];
      if (
        next !== undefined &&
        next.windowStart !== w.windowStart &&
        next.windowStart % (30 * MINUTE) === 0
      ) {
        replayed.push(
          ...storm.filter(
            (x) => x.windowStart > w.windowStart - 10 * MINUTE && x.windowStart <= w.windowStart,
          ),
        );
      }
    });
    expect(replayed.length).toBeGreaterThan(storm.length);
    expect(run(replayed).insights).toEqual(straight);
  });

  it('a correction updates an open insight once, by the difference, and never re-fires', () => {
    const windows = failureSpike();
    const straight = run(windows);
    const openAt = straight.perWindow.findIndex((out) => out.some((i) => i.change === 'opened'));
    const opening = straight.perWindow[openAt]?.find((i) => i.change === 'opened');
    expect(opening?.kind).toBe('failure_rate');
    if (opening === undefined) return;
    // The second window of the episode gains 3 failed runs in a late correction (version 2).
    const target = windows.find((w) => w.windowStart === opening.openedAt + MINUTE);
    if (target === undefined) throw new Error('no window to correct');
    const correction = corrected(target, 3);
    // Delivered twice, and followed by a replay of the original (version 1) record.
    const stream = [
      ...windows.slice(0, openAt + 1),
      correction,
      correction,
      target,
      ...windows.slice(openAt + 1),
    ];
    const fixed = run(stream);
    const extra = fixed.perWindow[openAt + 1] ?? [];
    expect(extra).toHaveLength(1);
    expect(extra[0]).toMatchObject({ insightId: opening.insightId, change: 'updated', state: 'open' });
    expect(fixed.perWindow[openAt + 2]).toEqual([]); // the same correction again is a duplicate
    expect(fixed.perWindow[openAt + 3]).toEqual([]); // an older version never overrides a newer one
    const before =
      straight.perWindow
        .slice(0, openAt + 1)
        .flat()
        .at(-1)?.impact.value ?? 0;
    expect(extra[0]?.impact.value).toBeCloseTo(before + 3, 6);
    // Same episodes, same ids; the final impact is 3 higher, nothing opened again.
    const kinds = (xs: readonly Insight[]) => xs.map((i) => `${i.change} ${i.kind} ${i.insightId}`);
    const withoutUpdate = fixed.insights.filter((i) => i !== extra[0]);
    expect(kinds(withoutUpdate)).toEqual(kinds(straight.insights));
    const end = (xs: readonly Insight[]) => xs.find((i) => i.change === 'resolved')?.impact.value ?? 0;
    expect(end(fixed.insights)).toBeCloseTo(end(straight.insights) + 3, 6);
  });

  it('a correction of a quiet window cannot raise an insight', () => {
    const windows = failureSpike();
    const straight = run(windows).insights;
    const quiet = windows[100];
    if (quiet === undefined) throw new Error('short stream');
    // Window 100 is corrected to 60% failures half an hour later: too late to count as news.
    const stream = [
      ...windows.slice(0, 130),
      corrected(quiet, Math.round(quiet.executions * 0.6)),
      ...windows.slice(130),
    ];
    expect(run(stream).insights).toEqual(straight);
  });
});
