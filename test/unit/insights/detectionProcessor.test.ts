import { describe, expect, it } from 'vitest';
import {
  detectionProcessor,
  insightRecord,
  type DetectionInput,
} from '../../../pipelines/detectionProcessor.ts';
import type { Insight } from '../../../src/core/insights/insight.ts';
import { STORM_FROM, asMetricsTopic, run, slackStorm } from './scenarios.ts';
import { MINUTE } from './syntheticWindows.ts';

function drive(
  inputs: readonly DetectionInput[],
  definition = detectionProcessor(),
): { insight: Insight; at: DetectionInput }[] {
  const state = definition.initialState();
  return inputs.flatMap((input, i) =>
    definition.apply(state, input, String(i)).outputs.map((insight) => ({ insight, at: input })),
  );
}

describe('detection processor', () => {
  const storm = slackStorm(20, 20);

  it('publishes the storm incident in the minute the last partition closes, not a settle time later', () => {
    const timely = drive(asMetricsTopic(storm));
    const settled = drive(
      asMetricsTopic(storm, false),
      detectionProcessor({ engine: { settleMs: 120_000 } }),
    );
    const opened = (xs: typeof timely) =>
      xs.find((x) => x.insight.kind === 'incident' && x.insight.change === 'opened');
    const early = opened(timely);
    const late = opened(settled);
    expect(early?.insight.insightId).toBeDefined();
    // The same incident either way (same id, same members)...
    expect(early?.insight.insightId).toBe(late?.insight.insightId);
    expect(early?.insight.openedAt).toBeGreaterThanOrEqual(STORM_FROM);
    // ...but out with the windows of the minute that revealed it, two minutes sooner without a settle.
    expect(early?.at.windowStart).toBe(early?.insight.windowStart);
    expect(late?.at.windowStart).toBeGreaterThanOrEqual((late?.insight.windowStart ?? 0) + 2 * MINUTE);
    // And the storm gives one incident, resolved once, with no per-workflow failure alerts.
    const incidents = timely.filter((x) => x.insight.kind === 'incident');
    expect(incidents.filter((x) => x.insight.change === 'opened')).toHaveLength(1);
    expect(incidents.filter((x) => x.insight.change === 'resolved')).toHaveLength(1);
    expect(incidents.at(-1)?.insight.relatedWorkflows).toHaveLength(20);
    expect(timely.filter((x) => x.insight.kind === 'failure_rate')).toEqual([]);
  });

  it('without watermarks behaves exactly like the engine alone, with its settle time', () => {
    const engineOnly = run(storm).insights;
    const definition = detectionProcessor({ engine: { settleMs: 120_000 } });
    expect(drive(asMetricsTopic(storm, false), definition).map((x) => x.insight)).toEqual(engineOnly);
  });

  it('continues from a JSON snapshot with exactly the outputs of an uninterrupted run', () => {
    const inputs = asMetricsTopic(storm);
    const definition = detectionProcessor();
    const whole = drive(inputs).map((x) => x.insight);
    let state = definition.initialState();
    const split: Insight[] = [];
    inputs.forEach((input, i) => {
      if (i % 5000 === 4999)
        state = definition.restore(JSON.parse(JSON.stringify(definition.snapshot(state))));
      split.push(...definition.apply(state, input, String(i)).outputs);
    });
    expect(split).toEqual(whole);
  }, 60_000);

  /** Each input partition's records in their own order, `partition` delivered `lagMs` behind the others. */
  function lagging(inputs: readonly DetectionInput[], partition: number, lagMs: number): DetectionInput[] {
    const due = (w: DetectionInput): number => w.windowStart + (w.inputPartition === partition ? lagMs : 0);
    return inputs
      .map((w, i) => ({ w, i }))
      .sort((a, b) => due(a.w) - due(b.w) || a.i - b.i)
      .map(({ w }) => w);
  }

  const summary = (xs: { insight: Insight }[]): string[] =>
    xs
      .map(
        ({ insight: i }) =>
          `${i.kind} ${i.change} ${i.key} ${String(i.windowStart)} ${String(i.relatedWorkflows?.length ?? 0)}`,
      )
      .sort();

  it('waits for a source partition that catches up far behind the others, and publishes what an even run does', () => {
    const inputs = asMetricsTopic(storm);
    const even = drive(inputs);
    // Partition 2 delivers each minute 90 minutes after partitions 0 and 1 (more than the 60-minute
    // silence bound), but keeps delivering: it is slow, not gone.
    const uneven = drive(lagging(inputs, 2, 90 * MINUTE));
    expect(summary(uneven)).toEqual(summary(even));
    const incident = uneven.find((x) => x.insight.kind === 'incident' && x.insight.change === 'opened');
    expect(incident?.insight.relatedWorkflows).toHaveLength(20);
  });

  it('stops waiting for a source partition that falls silent, an hour of event time later', () => {
    const inputs = asMetricsTopic(storm);
    // Partition 2 stops two hours in (its workflows moved away, or its processor idles).
    const silentFrom = STORM_FROM - 30 * MINUTE;
    const cut = inputs.filter((w) => w.inputPartition !== 2 || w.windowStart < silentFrom);
    const outputs = drive(cut);
    const opened = outputs.find((x) => x.insight.kind === 'incident' && x.insight.change === 'opened');
    expect(opened).toBeDefined();
    // Held back by the silent partition for at most the silence bound (plus the minute it closes).
    expect((opened?.at.windowStart ?? Infinity) - (opened?.insight.windowStart ?? 0)).toBeLessThanOrEqual(
      61 * MINUTE,
    );
    // Partitions 0 and 1 still go into the incident.
    expect(opened?.insight.relatedWorkflows?.length).toBeGreaterThanOrEqual(13);
  });

  it('restores a snapshot of the earlier format (sources per tenant)', () => {
    const inputs = asMetricsTopic(storm);
    const definition = detectionProcessor();
    const whole = drive(inputs).map((x) => x.insight);
    const state = definition.initialState();
    const outputs: Insight[] = [];
    inputs.forEach((input, i) => {
      if (i < 3000) outputs.push(...definition.apply(state, input, String(i)).outputs);
    });
    const v2 = definition.snapshot(state) as {
      tenants: Record<string, unknown>[];
      sources: [number, number, number][];
    };
    const v1 = {
      format: 'pulse.detection.v1',
      tenants: v2.tenants.map((t) => ({ ...t, sources: v2.sources.map(([p, wm]) => [p, wm, wm]) })),
    };
    const restored = definition.restore(JSON.parse(JSON.stringify(v1)));
    inputs.forEach((input, i) => {
      if (i >= 3000) outputs.push(...definition.apply(restored, input, String(i)).outputs);
    });
    expect(outputs).toEqual(whole);
  }, 60_000);

  it('rejects records that are not windows and windows that cannot be', () => {
    const definition = detectionProcessor();
    expect(definition.parse({ hello: 'world' })).toEqual({ ok: false, reason: 'not-a-window' });
    const [w] = asMetricsTopic(storm);
    expect(definition.parse({ ...w, failures: (w?.executions ?? 0) + 1 })).toEqual({
      ok: false,
      reason: 'malformed-window',
    });
    expect(definition.parse({ ...w, closedBefore: undefined })).toMatchObject({ ok: true });
  });

  it('keys insights by tenant and fills the optional fields of the Avro record', () => {
    const [first] = drive(asMetricsTopic(storm));
    expect(first).toBeDefined();
    if (first === undefined) return;
    const definition = detectionProcessor();
    expect(definition.outputKey(first.insight, 0)).toBe('t1');
    expect(insightRecord({ ...first.insight, relatedWorkflows: undefined }).relatedWorkflows).toEqual([]);
  });
});
