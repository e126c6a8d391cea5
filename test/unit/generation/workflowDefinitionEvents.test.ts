import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decide,
  diffDefinitions,
  emptyProjection,
  evolve,
  isEmptyDiff,
  projectionRows,
  replay,
  versionKey,
  workflowDefinitionEventSchema,
  type DefinitionProjection,
  type Decision,
  type WorkflowCommand,
  type WorkflowDefinitionEvent,
} from '../../../src/core/generation/workflowDefinitionEvents.ts';
import {
  strategies,
  type Strategy,
  type WorkflowDefinition,
} from '../../../src/core/generation/workflowDefinition.ts';
import { generated, run } from './fixtures.ts';

const T0 = Date.UTC(2025, 5, 1);

function baseDefinition(workflowId = 'wf-1', tenantId = 'tenant-1'): WorkflowDefinition {
  const wf = generated(
    run('When a Shopify order comes in, append a row to Google Sheets and notify the team on Slack', {
      workflowId,
    }),
  ).workflow;
  return { ...wf, tenantId };
}

function accept(decision: Decision): readonly WorkflowDefinitionEvent[] {
  if (!decision.ok) throw new Error(`rejected: ${decision.code} ${decision.message}`);
  return decision.events;
}

/** Runs commands, folding accepted events; returns the log and the final state. */
function execute(commands: readonly WorkflowCommand[], start: DefinitionProjection = emptyProjection()) {
  let state = start;
  const log: WorkflowDefinitionEvent[] = [];
  const decisions: Decision[] = [];
  for (const c of commands) {
    const d = decide(c, state);
    decisions.push(d);
    if (d.ok) {
      for (const e of d.events) {
        state = evolve(state, e);
        log.push(e);
      }
    }
  }
  return { state, log, decisions };
}

function withSlackRetries(def: WorkflowDefinition, maxAttempts: number): WorkflowDefinition {
  return {
    ...def,
    steps: def.steps.map((s) => (s.service === 'slack' ? { ...s, retry: { ...s.retry, maxAttempts } } : s)),
  };
}

describe('diffDefinitions', () => {
  const a = baseDefinition();

  it('lists steps added, removed and changed with field paths old -> new', () => {
    const slack = a.steps.find((s) => s.service === 'slack');
    const sheets = a.steps.find((s) => s.service === 'google-sheets');
    if (!slack || !sheets) throw new Error('fixture changed');
    const b: WorkflowDefinition = {
      ...a,
      name: 'Orders, louder',
      strategy: 'reliability',
      trigger: { ...a.trigger, config: { store: 'acme' } },
      steps: [
        {
          ...slack,
          retry: { ...slack.retry, maxAttempts: 5 },
          inputs: { ...slack.inputs, channel: '#sales' },
          fallback: { service: 'microsoft-teams', action: 'send-channel-message' },
        },
        { ...sheets, stepId: 'log-order-v2' },
      ],
    };
    const diff = diffDefinitions(a, b);
    expect(diff.fields).toEqual([
      { path: 'name', from: a.name, to: 'Orders, louder' },
      { path: 'strategy', from: 'hybrid', to: 'reliability' },
      { path: 'trigger.config.store', from: '', to: 'acme' },
    ]);
    expect(diff.stepsAdded).toEqual([
      { stepId: 'log-order-v2', index: 1, service: 'google-sheets', action: 'append-row' },
    ]);
    expect(diff.stepsRemoved).toEqual([
      { stepId: 'log-order', index: 0, service: 'google-sheets', action: 'append-row' },
    ]);
    expect(diff.stepsChanged).toEqual([
      {
        stepId: 'notify-team',
        changes: [
          { path: 'fallback.action', to: 'send-channel-message' },
          { path: 'fallback.service', to: 'microsoft-teams' },
          { path: 'inputs.channel', from: '#orders', to: '#sales' },
          { path: 'retry.maxAttempts', from: 3, to: 5 },
        ],
      },
    ]);
    expect(diff.order).toBeNull();
  });

  it('reports a reorder, and nothing for an identical or re-predicted definition', () => {
    const reordered = { ...a, steps: [...a.steps].reverse() };
    expect(diffDefinitions(a, reordered).order).toEqual({
      from: a.steps.map((s) => s.stepId),
      to: reordered.steps.map((s) => s.stepId),
    });
    expect(isEmptyDiff(diffDefinitions(a, structuredClone(a)))).toBe(true);
    expect(
      isEmptyDiff(
        diffDefinitions(a, { ...a, version: 7, prediction: { ...a.prediction, successRate: 0.5 } }),
      ),
    ).toBe(true);
  });
});

describe('decide and evolve', () => {
  const v1 = baseDefinition();
  const create: WorkflowCommand = { type: 'CreateWorkflow', eventId: 'e1', occurredAt: T0, workflow: v1 };
  const publish = (
    eventId: string,
    def: WorkflowDefinition,
    at: number,
  ): Extract<WorkflowCommand, { type: 'PublishVersion' }> => ({
    type: 'PublishVersion',
    eventId,
    occurredAt: at,
    tenantId: 'tenant-1',
    workflowId: 'wf-1',
    definition: def,
    reason: 'more retries for Slack',
  });
  const rollBack = (eventId: string, toVersion: number, at: number): WorkflowCommand => ({
    type: 'RollBack',
    eventId,
    occurredAt: at,
    tenantId: 'tenant-1',
    workflowId: 'wf-1',
    toVersion,
    reason: 'v2 floods the channel',
  });

  it('publish increments the version and carries the diff', () => {
    const { state, log } = execute([create, publish('e2', withSlackRetries(v1, 5), T0 + 1000)]);
    const published = log[1];
    expect(published?.type).toBe('WorkflowVersionPublished');
    if (published?.type !== 'WorkflowVersionPublished') return;
    expect(published.version).toBe(2);
    expect(published.definition.version).toBe(2);
    expect(published.diff.stepsChanged).toEqual([
      { stepId: 'notify-team', changes: [{ path: 'retry.maxAttempts', from: 3, to: 5 }] },
    ]);
    expect(state.workflows.get('wf-1')).toMatchObject({
      currentVersion: 2,
      latestVersion: 2,
      updatedAt: T0 + 1000,
    });
    expect(state.versions.get(versionKey('wf-1', 2))?.reason).toBe('more retries for Slack');
  });

  it('rejects a publish that changes nothing, or another tenant', () => {
    const { state } = execute([create]);
    expect(decide(publish('e2', v1, T0 + 1), state)).toMatchObject({ ok: false, code: 'unchanged' });
    expect(
      decide({ ...publish('e2', withSlackRetries(v1, 5), T0 + 1), tenantId: 'tenant-2' }, state),
    ).toMatchObject({
      ok: false,
      code: 'not_found',
    });
    expect(decide({ ...create, eventId: 'e9' }, state)).toMatchObject({ ok: false, code: 'conflict' });
  });

  it('rolls back only to an existing earlier version; the next publish diffs against it', () => {
    const { state, log } = execute([
      create,
      publish('e2', withSlackRetries(v1, 5), T0 + 1000),
      publish('e3', withSlackRetries(v1, 7), T0 + 2000),
      rollBack('e4', 1, T0 + 3000),
    ]);
    expect(log.map((e) => e.type)).toEqual([
      'WorkflowCreated',
      'WorkflowVersionPublished',
      'WorkflowVersionPublished',
      'WorkflowRolledBack',
    ]);
    expect(log[3]).toMatchObject({ fromVersion: 3, toVersion: 1 });
    expect(state.workflows.get('wf-1')).toMatchObject({ currentVersion: 1, latestVersion: 3 });
    expect(decide(rollBack('e5', 1, T0 + 4000), state)).toMatchObject({ ok: false, code: 'invalid' });
    expect(decide(rollBack('e5', 2, T0 + 4000), state)).toMatchObject({ ok: false, code: 'invalid' });

    const after = execute([publish('e6', withSlackRetries(v1, 4), T0 + 5000)], state);
    const event = after.log[0];
    expect(event).toMatchObject({ type: 'WorkflowVersionPublished', version: 4 });
    if (event?.type === 'WorkflowVersionPublished') {
      expect(event.diff.stepsChanged[0]?.changes).toEqual([{ path: 'retry.maxAttempts', from: 3, to: 4 }]);
    }
    const fresh = execute([create]).state;
    expect(decide(rollBack('e7', 0, T0), fresh)).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('records feedback on existing versions with ratings 1..5', () => {
    const { state } = execute([create]);
    const feedback = (eventId: string, version: number, rating: number): WorkflowCommand => ({
      type: 'RecordFeedback',
      eventId,
      occurredAt: T0 + 10,
      tenantId: 'tenant-1',
      workflowId: 'wf-1',
      version,
      userId: 'user-1',
      rating,
      comment: 'ok',
    });
    expect(decide(feedback('f1', 1, 6), state)).toMatchObject({ ok: false, code: 'invalid' });
    expect(decide(feedback('f1', 2, 4), state)).toMatchObject({ ok: false, code: 'not_found' });
    const next = evolve(state, accept(decide(feedback('f1', 1, 4), state))[0] as WorkflowDefinitionEvent);
    expect(next.workflows.get('wf-1')).toMatchObject({ feedbackCount: 1, ratingSum: 4 });
    expect(projectionRows(next).workflowFeedback).toEqual([
      expect.objectContaining({
        workflowId: 'wf-1',
        version: 1,
        rating: 4,
        userId: 'user-1',
        recordedAt: T0 + 10,
      }),
    ]);
  });

  it('is idempotent on event ids: redelivery and retried commands change nothing', () => {
    const { state, log } = execute([create, publish('e2', withSlackRetries(v1, 5), T0 + 1000)]);
    const again = log.reduce(evolve, state);
    expect(again).toBe(state);
    expect(decide(publish('e2', withSlackRetries(v1, 6), T0 + 2000), state)).toEqual({
      ok: true,
      events: [],
    });
  });

  it('an event that arrives before what it depends on is skipped, and applies when redelivered', () => {
    const { state, log } = execute([create, publish('e2', withSlackRetries(v1, 5), T0 + 1000)]);
    const [created, published] = log;
    if (!created || !published) throw new Error('expected two events');
    const early = replay([published, created]);
    expect(early.workflows.get('wf-1')?.latestVersion).toBe(1);
    expect(early.appliedEventIds.has('e2')).toBe(false);
    expect(replay([published, created, published])).toEqual(state);
  });

  it('events survive a JSON round trip through the event schema', () => {
    const { log } = execute([
      create,
      publish('e2', withSlackRetries(v1, 5), T0 + 1000),
      rollBack('e3', 1, T0 + 2000),
    ]);
    const parsed = log.map((e) => workflowDefinitionEventSchema.parse(JSON.parse(JSON.stringify(e))));
    expect(parsed).toEqual(log);
  });
});

// Random command sequences over a few workflows and tenants: the incremental projection, a replay
// from scratch, a replay with redelivered duplicates and a replay of JSON-decoded events agree.
describe('replay determinism', () => {
  const workflows = ['wf-a', 'wf-b', 'wf-c'];
  const definitions = new Map(workflows.map((id) => [id, baseDefinition(id)]));

  type Spec =
    | { kind: 'create'; wf: string }
    | { kind: 'publish'; wf: string; attempts: number; strategy: Strategy }
    | { kind: 'rollback'; wf: string; to: number }
    | { kind: 'feedback'; wf: string; version: number; rating: number; tenant: string };

  const command: fc.Arbitrary<Spec> = fc.oneof(
    fc.record({ kind: fc.constant('create' as const), wf: fc.constantFrom(...workflows) }),
    fc.record({
      kind: fc.constant('publish' as const),
      wf: fc.constantFrom(...workflows),
      attempts: fc.integer({ min: 1, max: 10 }),
      strategy: fc.constantFrom(...strategies),
    }),
    fc.record({
      kind: fc.constant('rollback' as const),
      wf: fc.constantFrom(...workflows),
      to: fc.integer({ min: 0, max: 6 }),
    }),
    fc.record({
      kind: fc.constant('feedback' as const),
      wf: fc.constantFrom(...workflows),
      version: fc.integer({ min: 1, max: 6 }),
      rating: fc.integer({ min: 0, max: 6 }),
      tenant: fc.constantFrom('tenant-1', 'tenant-2'),
    }),
  );

  function toCommands(specs: readonly Spec[]): WorkflowCommand[] {
    return specs.map((s, i): WorkflowCommand => {
      const base = { eventId: `ev-${i}`, occurredAt: T0 + i * 1000 };
      const def = definitions.get(s.wf) ?? baseDefinition(s.wf);
      switch (s.kind) {
        case 'create':
          return { type: 'CreateWorkflow', ...base, workflow: def };
        case 'publish':
          return {
            type: 'PublishVersion',
            ...base,
            tenantId: 'tenant-1',
            workflowId: s.wf,
            definition: { ...withSlackRetries(def, s.attempts), strategy: s.strategy },
            reason: `publish ${i}`,
          };
        case 'rollback':
          return {
            type: 'RollBack',
            ...base,
            tenantId: 'tenant-1',
            workflowId: s.wf,
            toVersion: s.to,
            reason: `rollback ${i}`,
          };
        case 'feedback':
          return {
            type: 'RecordFeedback',
            ...base,
            tenantId: s.tenant,
            workflowId: s.wf,
            version: s.version,
            userId: 'user-1',
            rating: s.rating,
            comment: '',
          };
      }
    });
  }

  it('replaying all events from scratch yields the same projection', () => {
    fc.assert(
      fc.property(
        fc.array(command, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (specs, dupAt) => {
          const { state, log } = execute(toCommands(specs));
          expect(replay(log)).toEqual(state);
          expect(log.reduce(evolve, emptyProjection())).toEqual(state);

          // At-least-once delivery: an event may come again, some time after its first delivery.
          const withDuplicates = [...log];
          for (const n of dupAt) {
            const e = log[n % Math.max(1, log.length)];
            if (!e) break;
            const first = withDuplicates.indexOf(e);
            withDuplicates.splice(Math.min(withDuplicates.length, first + 1 + (n % 3)), 0, e);
          }
          expect(replay(withDuplicates)).toEqual(state);
          const decoded = log.map((e) => workflowDefinitionEventSchema.parse(JSON.parse(JSON.stringify(e))));
          expect(projectionRows(replay(decoded))).toEqual(projectionRows(state));

          for (const wf of state.workflows.values()) {
            expect(wf.currentVersion).toBeLessThanOrEqual(wf.latestVersion);
            for (let v = 1; v <= wf.latestVersion; v++)
              expect(state.versions.has(versionKey(wf.workflowId, v))).toBe(true);
            const feedback = state.feedback.filter((f) => f.workflowId === wf.workflowId);
            expect(feedback.length).toBe(wf.feedbackCount);
            expect(feedback.every((f) => f.rating >= 1 && f.rating <= 5 && f.tenantId === wf.tenantId)).toBe(
              true,
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
