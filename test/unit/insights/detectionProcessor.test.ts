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
