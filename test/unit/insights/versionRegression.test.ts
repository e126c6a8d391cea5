import { describe, expect, it } from 'vitest';
import { DEPLOY, orders, run, versionRegression } from './scenarios.ts';
import { MINUTE, T0, opened, simulate } from './syntheticWindows.ts';
import type { WorkflowProfile } from './syntheticWindows.ts';

describe('version regression attribution', () => {
  it('names the version published right before a p95 regression', () => {
    const { insights } = run(versionRegression());
    // One latency insight: the step-level one (enrich) is linked to the workflow's, not repeated.
    const latency = opened(insights, 'latency_p95');
    expect(latency).toHaveLength(1);
    const [insight] = latency;
    expect(insight).toMatchObject({ scope: 'workflow', key: 't1/orders', metric: 'p95_ms', state: 'open' });
    expect(insight?.openedAt).toBeGreaterThanOrEqual(DEPLOY);
    expect(insight?.openedAt).toBeLessThan(DEPLOY + 5 * MINUTE);
    expect(insight?.contributors[0]).toMatchObject({ dimension: 'workflow_version', value: '2', share: 1 });
    expect(insight?.contributors).toContainEqual(
      expect.objectContaining({ dimension: 'step', value: 'enrich' }),
    );
    expect(insight?.description).toMatch(
      /^p95 latency of workflow orders rose from \d{3} ms to \d(\.\d)? s right after version 2 was published\.$/,
    );
    expect(insight?.expected).toBeLessThan(700);
    expect(insight?.observed).toBeGreaterThan(1500);
    // Still going an hour later: the regression is not forgotten as the detector gets used to it.
    expect(insights.filter((i) => i.kind === 'latency_p95' && i.change === 'resolved')).toEqual([]);
    // Nothing else was affected.
    expect(insights.filter((i) => i.kind !== 'latency_p95')).toEqual([]);
  });

  it('does not blame a version that is published without a regression', () => {
    const { insights } = run(simulate([orders(false)], T0, DEPLOY + 60 * MINUTE, 11));
    expect(insights).toEqual([]);
  });

  it('does not blame a version published long before the regression', () => {
    const late = DEPLOY + 90 * MINUTE;
    const profile: WorkflowProfile = {
      ...orders(false),
      at: (t) => ({
        ...orders(false).at(t),
        slowStep: t >= late ? { index: 1, factor: 5.5 } : undefined,
      }),
    };
    const { insights } = run(simulate([profile], T0, late + 20 * MINUTE, 11, { steps: false }));
    const latency = opened(insights, 'latency_p95');
    expect(latency).toHaveLength(1);
    expect(latency[0]?.contributors.filter((c) => c.dimension === 'workflow_version')).toEqual([]);
    expect(latency[0]?.description).not.toMatch(/version/);
  });
});
