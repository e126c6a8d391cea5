import { describe, expect, it } from 'vitest';
import { validateExecutionEvent } from '../../../src/core/executionEvent.ts';
import {
  DemoRuntime,
  RATE_LIMITED,
  TOKEN_EXPIRED,
  type RunningVersion,
} from '../../../src/core/demo/demoRuntime.ts';
import { demoStory, runsInMinute, type DemoWorkflowSpec } from '../../../src/core/demo/demoStory.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 2, 9, 0);

const steps = (...services: string[]): RunningVersion['steps'] =>
  services.map((service, i) => ({
    stepId: `step-${String(i + 1)}`,
    service,
    action: 'call',
    maxAttempts: 3,
    initialDelayMs: 1000,
    maxDelayMs: 60_000,
  }));

const spec = (workflowId: string, runsPerMinute = 1, tenantId = 'acme'): DemoWorkflowSpec => ({
  tenantId,
  workflowId,
  description: workflowId,
  runsPerMinute,
});

function runtimeWith(workflows: [DemoWorkflowSpec, RunningVersion][], seed = 1): DemoRuntime {
  const runtime = new DemoRuntime({ seed, runTag: 't' });
  for (const [s, v] of workflows) runtime.addWorkflow(s, v);
  runtime.startAt(T0);
  return runtime;
}

const v1 = (...services: string[]): RunningVersion => ({ version: 1, steps: steps(...services), slow: null });

describe('DemoRuntime', () => {
  it('releases only events before the clock it is advanced to, in order, and valid', () => {
    const runtime = runtimeWith([[spec('wf-a', 3), v1('hubspot', 'slack')]]);
    let previous = -Infinity;
    for (let t = T0 + 7_000; t < T0 + 10 * MINUTE; t += 13_000) {
      const events = runtime.advance(t);
      for (const e of events) {
        expect(e.occurredAt).toBeLessThan(t);
        expect(e.occurredAt).toBeGreaterThanOrEqual(previous);
        previous = e.occurredAt;
        expect(validateExecutionEvent(e).ok).toBe(true);
      }
    }
  });

  it('produces the same events whether advanced at once or in small steps', () => {
    const a = runtimeWith([[spec('wf-a', 2), v1('gmail', 'slack')]], 9);
    const b = runtimeWith([[spec('wf-a', 2), v1('gmail', 'slack')]], 9);
    const end = T0 + 30 * MINUTE;
    const atOnce = a.advance(end);
    const stepwise = [];
    for (let t = T0 + 250; t <= end; t += 250) stepwise.push(...b.advance(t));
    expect(stepwise.map((e) => e.eventId).sort()).toEqual(atOnce.map((e) => e.eventId).sort());
  });

  it('starts at least one run of every workflow every minute, the hour of day setting how many', () => {
    const story = demoStory();
    for (const w of story.workflows) {
      for (let h = 0; h < 24; h++) expect(runsInMinute(w, T0 + h * 3_600_000)).toBeGreaterThanOrEqual(1);
    }
    const busy = spec('wf-busy', 4);
    const at3 = runsInMinute(busy, Date.UTC(2026, 10, 2, 3, 0));
    const at15 = runsInMinute(busy, Date.UTC(2026, 10, 2, 15, 0));
    expect(at15).toBeGreaterThan(at3);

    const runtime = runtimeWith([[spec('wf-a', 1), v1('slack')]]);
    const starts = runtime
      .advance(T0 + 60 * MINUTE + 30_000)
      .filter((e) => e.type === 'WORKFLOW_STARTED')
      .map((e) => Math.floor((e.occurredAt - T0) / MINUTE));
    expect(new Set(starts).size).toBe(60);
  });

  it('fails the calls of a rate-limited service for its tenant only, retrying them per the policy', () => {
    const runtime = runtimeWith([
      [spec('wf-a', 2, 'acme'), v1('hubspot', 'slack')],
      [spec('wf-b', 2, 'globex'), v1('hubspot', 'slack')],
    ]);
    runtime.addOutage({
      tenantId: 'acme',
      service: 'slack',
      from: T0,
      to: T0 + 10 * MINUTE,
      share: 1,
      error: RATE_LIMITED('slack'),
    });
    const events = runtime.advance(T0 + 12 * MINUTE);
    const failed = (tenant: string) =>
      events.filter(
        (e) => e.tenantId === tenant && e.type === 'WORKFLOW_FAILED' && e.occurredAt < T0 + 9 * MINUTE,
      );
    const acmeRuns = events.filter(
      (e) => e.tenantId === 'acme' && e.type === 'WORKFLOW_STARTED' && e.occurredAt < T0 + 9 * MINUTE,
    );
    expect(failed('acme').length).toBeGreaterThanOrEqual(acmeRuns.length - 2);
    expect(failed('acme').every((e) => e.error?.class === 'rate_limit')).toBe(true);
    expect(failed('globex').filter((e) => e.error?.class === 'rate_limit')).toEqual([]);
    // Three attempts each, the default policy of the generated steps.
    const attempts = events
      .filter((e) => e.tenantId === 'acme' && e.type === 'STEP_FAILED')
      .map((e) => e.attempt);
    expect(Math.max(...attempts)).toBe(3);
  });

  it('fails an expired token without retrying, and recovers once the outage ends', () => {
    const runtime = runtimeWith([[spec('wf-g', 2, 'globex'), v1('gmail')]]);
    runtime.addOutage({
      tenantId: 'globex',
      service: 'gmail',
      from: T0 + 5 * MINUTE,
      to: T0 + 10 * MINUTE,
      share: 1,
      error: TOKEN_EXPIRED('gmail'),
    });
    const events = runtime.advance(T0 + 20 * MINUTE);
    const auth = events.filter((e) => e.type === 'STEP_FAILED' && e.error?.class === 'auth');
    expect(auth.length).toBeGreaterThan(5);
    expect(auth.every((e) => e.attempt === 1 && e.occurredAt >= T0 + 5 * MINUTE)).toBe(true);
    expect(
      events.filter(
        (e) => e.type === 'WORKFLOW_FAILED' && e.error?.class === 'auth' && e.occurredAt > T0 + 11 * MINUTE,
      ),
    ).toEqual([]);
  });

  it('runs the version in force when a run starts: a slow version is slower, and tagged', () => {
    const runtime = runtimeWith([[spec('wf-i', 4, 'initech'), v1('hubspot')]]);
    const before = runtime.advance(T0 + 20 * MINUTE);
    runtime.setVersion('wf-i', {
      version: 2,
      steps: steps('hubspot'),
      slow: { service: 'hubspot', factor: 4 },
    });
    const after = runtime.advance(T0 + 40 * MINUTE);
    const p95 = (events: typeof before, version: number) => {
      const d = events
        .filter((e) => e.type === 'STEP_COMPLETED' && e.workflowVersion === version)
        .map((e) => e.durationMs ?? 0)
        .sort((a, b) => a - b);
      return d[Math.floor(d.length * 0.95)] ?? 0;
    };
    expect(before.every((e) => e.workflowVersion === 1)).toBe(true);
    expect(after.some((e) => e.workflowVersion === 2)).toBe(true);
    expect(p95(after, 2)).toBeGreaterThan(2.5 * p95(before, 1));
  });
});
