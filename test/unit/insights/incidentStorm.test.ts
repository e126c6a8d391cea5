import { describe, expect, it } from 'vitest';
import { IncidentGrouper } from '../../../src/core/insights/incidentGrouper.ts';
import { STORM_FROM, STORM_TO, run, slackStorm, workflowIds } from './scenarios.ts';
import { MINUTE, T0, makeWindow, opened, resolved } from './syntheticWindows.ts';

describe('incidents instead of alert storms', () => {
  it('a Slack rate-limit storm across 20 workflows is one incident, resolved once', () => {
    const { insights } = run(slackStorm(20, 20));
    const incidents = insights.filter((i) => i.kind === 'incident');
    expect(opened(incidents)).toHaveLength(1);
    expect(resolved(incidents)).toHaveLength(1);
    const [open] = opened(incidents);
    const [end] = resolved(incidents);
    expect(open).toMatchObject({
      key: 't1/slack/rate_limit',
      service: 'slack',
      state: 'open',
      tenantId: 't1',
    });
    expect(open?.openedAt).toBeGreaterThanOrEqual(STORM_FROM);
    expect(open?.openedAt).toBeLessThan(STORM_FROM + 5 * MINUTE);
    expect(open?.contributors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ dimension: 'service', value: 'slack' }),
        expect.objectContaining({ dimension: 'error_class', value: 'rate_limit' }),
      ]),
    );
    // Every record of the episode shares its id; the resolution lists all 20 workflows.
    expect(new Set(incidents.map((i) => i.insightId))).toEqual(new Set([open?.insightId]));
    expect(end?.relatedWorkflows).toEqual(workflowIds(20));
    expect(end?.resolvedAt).toBeGreaterThan(STORM_TO);
    expect(end?.resolvedAt).toBeLessThan(STORM_TO + 15 * MINUTE);
    expect(end?.severity).toBe('critical');
    // About 60% of 10 runs a minute, 20 workflows, 15 minutes.
    expect(end?.impact.unit).toBe('failed_runs');
    expect(end?.impact.value).toBeGreaterThan(1400);
    expect(end?.impact.value).toBeLessThan(2200);
    expect(end?.description).toMatch(/^slack rate_limit failures hit 20 workflows \(1,\d{3} failed runs\)/);
    // The per-workflow and per-step failure insights are linked to it, not emitted.
    expect(insights.filter((i) => i.kind === 'failure_rate')).toEqual([]);
    // Nothing else happened: the 1% background timeouts across all workflows are no incident.
    expect(insights.filter((i) => i.kind !== 'incident' && i.kind !== 'failure_rate')).toEqual([]);
  });

  it('without grouping the same storm is an alert storm (what the incident replaces)', () => {
    const { insights } = run(slackStorm(20, 20), { incidents: { minWorkflows: 1000 } });
    expect(insights.filter((i) => i.kind === 'incident')).toEqual([]);
    const perWorkflow = opened(insights, 'failure_rate').filter((i) => i.scope === 'workflow');
    expect(perWorkflow.length).toBeGreaterThanOrEqual(15);
  });

  it('a storm in one workflow is that workflow’s failure insight, not an incident', () => {
    const { insights } = run(slackStorm(20, 1));
    expect(insights.filter((i) => i.kind === 'incident')).toEqual([]);
    const failures = opened(insights, 'failure_rate');
    expect(failures.map((i) => i.key)).toEqual(['t1/wf-00']);
    expect(failures[0]?.contributors[0]).toMatchObject({ dimension: 'error_class', value: 'rate_limit' });
    expect(failures[0]?.description).toMatch(
      /^Failure rate of workflow wf-00 rose to \d+% from [\d.]+%, mostly rate_limit errors in step notify/,
    );
    expect(resolved(insights, 'failure_rate')).toHaveLength(1);
  });
});

describe('IncidentGrouper', () => {
  const grouper = new IncidentGrouper();
  const wf = (workflowId: string, minute: number, runs: number, failures: number, errorClass = 'auth') =>
    makeWindow({
      scope: 'workflow',
      workflowId,
      windowStart: T0 + minute * MINUTE,
      executions: runs,
      failures,
      errorClasses: failures > 0 ? { [errorClass]: failures } : {},
    });

  it('attributes directly through steps that carry their service', () => {
    // The metrics core emits step windows without a service today; if it carried the step's
    // service, attribution would not depend on service windows.
    const state = grouper.initialState();
    const out = [];
    for (let m = 0; m < 40; m++) {
      for (const id of ['a', 'b', 'c', 'd']) {
        const failing = m >= 30 && m < 34;
        grouper.observe(state, wf(id, m, 10, failing ? 8 : 0));
        if (failing) {
          grouper.observe(
            state,
            makeWindow({
              scope: 'step',
              workflowId: id,
              stepId: 'sheet',
              service: 'google-sheets',
              windowStart: T0 + m * MINUTE,
              executions: 10,
              failures: 8,
              errorClasses: { auth: 8 },
            }),
          );
        }
      }
      out.push(...grouper.closeThrough(state, T0 + (m - 1) * MINUTE));
    }
    out.push(...grouper.closeThrough(state, T0 + 60 * MINUTE));
    expect(out.map((i) => `${i.change} ${i.key} ${i.confidence}`)).toEqual([
      'opened t1/google-sheets/auth 1',
      'resolved t1/google-sheets/auth 1',
    ]);
    expect(out[1]?.relatedWorkflows).toEqual(['a', 'b', 'c', 'd']);
    expect(out[1]?.impact.value).toBe(4 * 4 * 8);
  });

  it('ignores failures nobody can attribute to a service, and background failures', () => {
    const state = grouper.initialState();
    const out = [];
    // 30 workflows with a steady 2% failure rate each, over two hours: always several failing at once.
    for (let m = 0; m < 120; m++) {
      for (let k = 0; k < 30; k++) {
        const id = `w${k}`;
        const fails = (m * 7 + k * 13) % 50 === 0 ? 1 : 0;
        grouper.observe(state, wf(id, m, 1, fails, 'timeout'));
      }
      grouper.observe(
        state,
        makeWindow({
          scope: 'service',
          service: 'http',
          windowStart: T0 + m * MINUTE,
          executions: 30,
          failures: 1,
          errorClasses: { timeout: 1 },
        }),
      );
      out.push(...grouper.closeThrough(state, T0 + (m - 2) * MINUTE));
    }
    expect(out).toEqual([]);
  });

  it('round-trips its state through JSON', () => {
    const state = grouper.initialState();
    for (let m = 0; m < 35; m++) {
      for (const id of ['a', 'b', 'c']) grouper.observe(state, wf(id, m, 10, m >= 30 ? 9 : 0));
      grouper.observe(
        state,
        makeWindow({
          scope: 'service',
          service: 'notion',
          windowStart: T0 + m * MINUTE,
          executions: 30,
          failures: m >= 30 ? 27 : 0,
          errorClasses: m >= 30 ? { auth: 27 } : {},
          inputPartition: 1,
        }),
      );
      grouper.closeThrough(state, T0 + (m - 1) * MINUTE);
    }
    expect(grouper.openIncidents(state).map((i) => i.key)).toEqual(['t1/notion/auth']);
    const snap = JSON.parse(JSON.stringify(grouper.snapshot(state))) as unknown;
    const restored = grouper.restore(snap);
    expect(grouper.snapshot(restored)).toEqual(snap);
    expect(grouper.closeThrough(restored, T0 + 60 * MINUTE)).toEqual(
      grouper.closeThrough(state, T0 + 60 * MINUTE),
    );
    expect(() => grouper.restore({ ...(snap as object), format: 'nope' })).toThrow(/format/);
  });
});
