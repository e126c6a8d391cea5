import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseTime } from '../../../src/cli/commands/backtestCommand.ts';
import { ValidationError } from '../../../src/errors.ts';
import { Backtest, backtest, parseEngineConfig } from '../../../src/core/insights/backtest.ts';
import { DEFAULT_INSIGHT_ENGINE_CONFIG, InsightEngine } from '../../../src/core/insights/insightEngine.ts';
import type { InsightWindow } from '../../../src/core/insights/insightEngine.ts';
import { sketchFromBuckets, windowFromRow } from '../../../src/core/insights/windowFromRow.ts';
import { DDSketch } from '../../../src/core/metrics/ddSketch.ts';
import { metricsRow, sketchBuckets } from '../../../src/core/metrics/metricsRow.ts';
import type { MetricsRow } from '../../../src/core/metrics/metricsRow.ts';
import { STORM_END, STORM_FROM, STORM_TO, failureSpike, noisyWeek, run, slackStorm } from './scenarios.ts';
import { MINUTE, T0, makeWindow } from './syntheticWindows.ts';

const UINT64 = [
  'executions',
  'successes',
  'failures',
  'retries',
  'duration_zero_count',
  'cost_micros_sum',
  'cost_per_run_micros',
  'late_events',
  'event_count',
] as const;

const chTime = (iso: string): string => iso.replace('T', ' ').replace('Z', '');
const quoted = (m: Record<string, number>): Record<string, string> =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));

/** What a JSONEachRow SELECT returns for a row (64-bit integers quoted, as a server does by default). */
function asClickHouseJson(row: MetricsRow): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row, loaded_at: '2025-01-06 00:00:00.000' };
  for (const k of UINT64) out[k] = row[k] === null ? null : String(row[k]);
  out.window_start = chTime(row.window_start);
  out.window_end = chTime(row.window_end);
  out.duration_bins = quoted(row.duration_bins);
  out.error_classes = quoted(row.error_classes);
  out.workflow_versions = quoted(row.workflow_versions);
  return out;
}

const toRow = (w: InsightWindow): MetricsRow =>
  metricsRow({ ...w, inputPartition: w.inputPartition ?? 0 }, { partition: 0, offset: '42' });

const roundTrip = (w: InsightWindow): InsightWindow => windowFromRow(asClickHouseJson(toRow(w)));

/** The window as stored: every record carries its input partition (the processor sets it on all scopes). */
const asStored = (w: InsightWindow): InsightWindow => ({ ...w, inputPartition: w.inputPartition ?? 0 });

const withoutExtremes = (w: InsightWindow): unknown => ({
  ...w,
  durationSketch: { ...w.durationSketch, min: 'n/a', max: 'n/a' },
});

// Windows with nulls and edge shapes next to the generated streams.
const EDGE_WINDOWS: InsightWindow[] = [
  // No runs: successRate, p50/p95/p99 and costPerRunMicros are null, the sketch is empty.
  makeWindow({ scope: 'workflow', windowStart: T0, executions: 0, workflowVersions: { '3': 2 } }),
  // A service window: workflowId and stepId null.
  makeWindow({
    scope: 'service',
    service: 'slack',
    windowStart: T0,
    executions: 3,
    durations: [10, 20, 30],
    inputPartition: 2,
  }),
  // Runs without durations: an empty sketch next to executions > 0.
  makeWindow({ scope: 'step', windowStart: T0, executions: 4, failures: 1, errorClasses: { auth: 1 } }),
  // Zero durations (zero bucket), one and two runs (exact extreme ranks), far apart buckets.
  makeWindow({ scope: 'workflow', windowStart: T0, executions: 3, durations: [0, 0, 250] }),
  makeWindow({ scope: 'workflow', windowStart: T0, executions: 1, durations: [777] }),
  makeWindow({ scope: 'workflow', windowStart: T0, executions: 2, durations: [5, 90_000] }),
  makeWindow({ scope: 'workflow', windowStart: T0, executions: 5, durations: [100, 102, 104, 5000, 5001] }),
  // Corrections and costs.
  makeWindow({
    scope: 'workflow',
    windowStart: T0,
    version: 3,
    executions: 10,
    failures: 2,
    costMicrosSum: 12345,
    durations: [1, 2, 3],
  }),
];

describe('windowFromRow', () => {
  const streams: [string, InsightWindow[]][] = [
    ['slack storm (all scopes)', slackStorm(20, 20)],
    ['failure spike', failureSpike()],
    ['low volume (pooled windows)', noisyWeek(1).slice(0, 3000)],
    ['heavy-tailed latency', noisyWeek(4).slice(0, 3000)],
    ['edge cases and nulls', EDGE_WINDOWS],
  ];

  it.each(streams)('%s: metricsRow → ClickHouse JSON → windowFromRow gives the window back', (_, windows) => {
    let exactMin = 0;
    let exactMax = 0;
    for (const w of windows) {
      const back = roundTrip(w);
      // Everything but the sketch's min and max (not stored) comes back equal.
      expect(withoutExtremes(back)).toEqual(withoutExtremes(asStored(w)));
      const a = w.durationSketch;
      const b = back.durationSketch;
      if (a.min === null || a.max === null) {
        expect([b.min, b.max]).toEqual([null, null]);
        continue;
      }
      // Recovered exactly where the stored quantiles pin them, else within the sketch's accuracy.
      expect(Math.abs((b.min ?? NaN) - a.min)).toBeLessThanOrEqual(a.alpha * a.min + 1e-9);
      expect(Math.abs((b.max ?? NaN) - a.max)).toBeLessThanOrEqual(a.alpha * a.max + 1e-9);
      if (b.min === a.min) exactMin++;
      if (b.max === a.max) exactMax++;
      // The rebuilt sketch reports the stored quantiles exactly.
      const sketch = DDSketch.fromJSON(b);
      expect([sketch.quantile(0.5), sketch.quantile(0.95), sketch.quantile(0.99)]).toEqual([
        w.p50Ms,
        w.p95Ms,
        w.p99Ms,
      ]);
    }
    expect(exactMin + exactMax).toBeGreaterThan(0);
  });

  it.each(streams)('%s: the engine gives the same insights on round-tripped windows', (_, windows) => {
    expect(run(windows.map(roundTrip)).insights).toEqual(run(windows).insights);
  });

  it('recovers min and max exactly for one- and two-run windows', () => {
    for (const durations of [[777], [5, 90_000], [0, 12], [3, 3]]) {
      const w = makeWindow({ scope: 'workflow', windowStart: T0, executions: durations.length, durations });
      expect(roundTrip(w).durationSketch).toEqual(w.durationSketch);
    }
  });

  it('sketchFromBuckets inverts sketchBuckets (compact run-length form included)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 10_000_000 })), {
          minLength: 0,
          maxLength: 60,
        }),
        fc.constantFrom(16, 2048),
        (values, maxBins) => {
          const sketch = new DDSketch({ maxBins });
          for (const v of values) sketch.add(v);
          const json = sketch.toJSON();
          const rebuilt = sketchFromBuckets({
            buckets: sketchBuckets(json),
            zeroCount: json.zeroCount,
            alpha: json.alpha,
            sum: json.sum,
            maxBins,
            quantiles: [0.5, 0.95, 0.99].map((q) => [q, sketch.quantile(q)] as const),
          });
          expect({ ...rebuilt, min: null, max: null }).toEqual({ ...json, min: null, max: null });
          if (json.min !== null) {
            const again = DDSketch.fromJSON(rebuilt);
            for (const q of [0.5, 0.95, 0.99]) expect(again.quantile(q)).toBe(sketch.quantile(q));
          }
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });

  it('accepts unquoted 64-bit integers (as chDB returns them)', () => {
    const w = EDGE_WINDOWS[7];
    if (w === undefined) throw new Error('fixture');
    const row = { ...asClickHouseJson(toRow(w)), executions: 10, failures: 2, cost_micros_sum: 12345 };
    expect(windowFromRow(row)).toEqual(roundTrip(w));
  });

  it('names the fields that are wrong', () => {
    const w = EDGE_WINDOWS[7];
    if (w === undefined) throw new Error('fixture');
    const good = asClickHouseJson(toRow(w));
    const issuesOf = (row: unknown): string[] => {
      try {
        windowFromRow(row);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).issues.map((i) => i.path);
      }
      throw new Error('expected a ValidationError');
    };
    expect(issuesOf({ ...good, executions: '-1', scope: 'tenant' })).toEqual(['scope', 'executions']);
    expect(issuesOf({ ...good, window_start: '06/01/2025' })).toEqual(['window_start']);
    expect(issuesOf({ ...good, duration_bins: { x: '1' } })).toEqual(['duration_bins.x']);
    expect(issuesOf({ ...good, error_classes: { auth: 1.5 } })).toEqual(['error_classes.auth']);
    expect(issuesOf({ ...good, failures: '11' })).toEqual(['failures']);
    expect(issuesOf({ ...good, window_end: good.window_start })).toEqual(['window_end']);
    const { sketch_alpha: _, ...missing } = good;
    expect(issuesOf(missing)).toEqual(['sketch_alpha']);
    expect(() => windowFromRow({ ...good, failures: 'x' })).toThrow(
      /workflow_metrics_1m row workflow t1\/wf @ 2025-01-06 00:00:00\.000: failures/,
    );
  });
});

describe('backtest', () => {
  const storm = slackStorm(20, 20);

  it('reports what the engine emits, each change at the windowEnd of the window that fired it', () => {
    const { perWindow } = run(storm);
    const expected = perWindow.flatMap((insights, i) =>
      insights.map((insight) => ({ firedAt: storm[i]?.windowEnd, insight })),
    );
    const report = backtest(storm, { advanceAtEnd: false });
    expect(report.changes).toEqual(expected);
    const incidents = report.changes.filter((c) => c.insight.kind === 'incident');
    expect(incidents.map((c) => c.insight.change)).toEqual(expect.arrayContaining(['opened', 'resolved']));
    // Fired after it opened: the grouper waits for the minute to settle.
    const opened = incidents.find((c) => c.insight.change === 'opened');
    expect(opened?.firedAt).toBeGreaterThan(opened?.insight.openedAt ?? Infinity);
  });

  it('the final advance reports like InsightEngine.advance at the last windowEnd', () => {
    const engine = new InsightEngine();
    const state = engine.initialState();
    const direct = storm.flatMap((w) => engine.apply(state, w));
    direct.push(...engine.advance(state, STORM_END));
    expect(backtest(storm).changes.map((c) => c.insight)).toEqual(direct);
  });

  it('summarises by kind and severity, episodes and openings per series per day', () => {
    const { summary } = backtest(storm);
    expect(summary.windows).toBe(storm.length);
    expect(summary.firstWindowStart).toBe(T0);
    expect(summary.lastWindowEnd).toBe(STORM_END);
    expect(summary.changes.opened).toBe(1);
    expect(summary.changes.resolved).toBe(1);
    expect(summary.byKindSeverity).toEqual([
      { kind: 'incident', severity: 'critical', opened: 1, updated: 0, resolved: 1 },
    ]);
    const [episode] = summary.episodes.list;
    expect(summary.episodes).toMatchObject({ count: 1, resolved: 1, stillOpen: 0 });
    expect(episode).toMatchObject({ kind: 'incident', key: 't1/slack/rate_limit', peakSeverity: 'critical' });
    expect(episode?.durationMs).toBe((episode?.resolvedAt ?? 0) - (episode?.openedAt ?? 0));
    expect(episode?.openedAt).toBeGreaterThanOrEqual(STORM_FROM);
    expect(episode?.resolvedAt).toBeGreaterThan(STORM_TO);
    expect(summary.episodes.durationMs).toEqual({
      min: episode?.durationMs,
      median: episode?.durationMs,
      p90: episode?.durationMs,
      max: episode?.durationMs,
    });
    expect(summary.perSeriesDay).toEqual([
      { day: '2025-01-06', scope: 'service', key: 't1/slack/rate_limit', opened: 1 },
    ]);
  });

  it('warm-up windows train but do not report; only firings in [from, to) count', () => {
    const all = backtest(storm).changes;
    const opened = all.find((c) => c.insight.change === 'opened');
    const resolved = all.find((c) => c.insight.change === 'resolved');
    if (opened === undefined || resolved === undefined) throw new Error('storm fixture');
    // From just after the opening fired: the resolution is reported, the episode's opening is not.
    const late = backtest(storm, { from: opened.firedAt + 1 });
    expect(late.changes.map((c) => c.insight)).toEqual(
      all.filter((c) => c.firedAt > opened.firedAt).map((c) => c.insight),
    );
    expect(late.summary.episodes.list[0]).toMatchObject({
      openedFiredAt: null,
      resolvedFiredAt: resolved.firedAt,
    });
    // `to` is exclusive.
    expect(backtest(storm, { to: opened.firedAt }).changes).toEqual([]);
    expect(backtest(storm, { to: opened.firedAt + 1 }).changes.map((c) => c.insight.change)).toEqual([
      'opened',
    ]);
    // After the storm nothing fires, though every window was read.
    const after = backtest(storm, { from: STORM_END });
    expect(after.changes).toEqual([]);
    expect(after.summary.windows).toBe(storm.length);
  });

  it('a configuration changes the outcome: without grouping the storm is per-workflow insights', () => {
    const { changes } = backtest(storm, { config: parseEngineConfig({ incidents: { minWorkflows: 1000 } }) });
    expect(changes.filter((c) => c.insight.kind === 'incident')).toEqual([]);
    expect(
      changes.filter((c) => c.insight.kind === 'failure_rate' && c.insight.change === 'opened').length,
    ).toBeGreaterThan(10);
  });

  it('streams: Backtest.apply one window at a time equals backtest() over all of them', () => {
    const b = new Backtest({ from: T0 + 60 * MINUTE });
    const streamed = storm.flatMap((w) => b.apply(w));
    streamed.push(...b.finish());
    const whole = backtest(storm, { from: T0 + 60 * MINUTE });
    expect(streamed).toEqual(whole.changes);
    expect(b.summary()).toEqual(whole.summary);
  });
});

describe('parseEngineConfig', () => {
  const issues = (json: unknown): { path: string; message: string }[] => {
    try {
      parseEngineConfig(json);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return [...(error as ValidationError).issues];
    }
    throw new Error('expected a ValidationError');
  };

  it('completes a partial configuration, nested objects too, with the defaults', () => {
    const c = parseEngineConfig({
      minExecutions: 20,
      alerting: { openCount: 2 },
      incidents: { minWorkflows: 5 },
    });
    expect(c.minExecutions).toBe(20);
    expect(c.alerting).toEqual({ ...DEFAULT_INSIGHT_ENGINE_CONFIG.alerting, openCount: 2 });
    expect(c.incidents).toEqual({ ...DEFAULT_INSIGHT_ENGINE_CONFIG.incidents, minWorkflows: 5 });
    expect(c.detector).toEqual(DEFAULT_INSIGHT_ENGINE_CONFIG.detector);
    expect(parseEngineConfig({})).toEqual(DEFAULT_INSIGHT_ENGINE_CONFIG);
  });

  it('rejects unknown keys by their path', () => {
    expect(
      issues({ minExecution: 5, incidents: { minWorkflow: 2 }, detector: { seasonal: { cycles: 1 } } }),
    ).toEqual(
      expect.arrayContaining([
        { path: 'minExecution', message: 'unknown key' },
        { path: 'incidents.minWorkflow', message: 'unknown key' },
        { path: 'detector.seasonal.cycles', message: 'unknown key' },
      ]),
    );
  });

  it('rejects wrong types and combinations the engine refuses', () => {
    expect(
      issues({ trackSteps: 'yes', minExecutions: -1 })
        .map((i) => i.path)
        .sort(),
    ).toEqual(['minExecutions', 'trackSteps']);
    expect(issues([])[0]?.path).toBe('');
    expect(issues({ retainMs: 1000, maxPoolMs: 5000 })[0]?.message).toMatch(/retainMs >= maxPoolMs/);
  });
});

describe('backtest CLI arguments', () => {
  it('parses ISO times (UTC unless a zone is given) and durations', () => {
    expect(parseTime('2025-01-06', '--from')).toBe(T0);
    expect(parseTime('2025-01-06T02:30', '--from')).toBe(T0 + 150 * MINUTE);
    expect(parseTime('2025-01-06 02:30:00', '--from')).toBe(T0 + 150 * MINUTE);
    expect(parseTime('2025-01-06T03:30:00+01:00', '--from')).toBe(T0 + 150 * MINUTE);
    expect(() => parseTime('yesterday', '--from')).toThrow(/--from: expected an ISO time/);
    expect(parseDuration('6h', '--warmup')).toBe(6 * 60 * MINUTE);
    expect(parseDuration('90s', '--warmup')).toBe(1.5 * MINUTE);
    expect(parseDuration('0', '--warmup')).toBe(0);
    expect(() => parseDuration('6 hours', '--warmup')).toThrow(/--warmup: expected a duration/);
  });
});
