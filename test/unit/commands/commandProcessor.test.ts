import { describe, expect, it } from 'vitest';
import {
  commandProcessor,
  generatedWorkflowId,
  type CommandOutput,
} from '../../../pipelines/commandProcessor.ts';
import { commandRecord, parseCommand, type Command } from '../../../src/core/commands/command.ts';
import type { WorkflowDefinition } from '../../../src/core/generation/workflowDefinition.ts';

const NOW = Date.UTC(2026, 10, 20, 9, 0, 0);
const LEAD = 'When a new lead submits the Typeform, create a contact in HubSpot and post to Slack';

const generate = (commandId: string, tenantId = 't1'): Command => ({
  commandId,
  type: 'generate',
  tenantId,
  userId: 'ana',
  issuedAt: NOW,
  payload: { description: LEAD, strategy: 'hybrid', workflowId: null, selectedServices: [] },
});

const results = (outputs: readonly CommandOutput[]) =>
  outputs.flatMap((o) => (o.kind === 'result' ? [o.result] : []));
const events = (outputs: readonly CommandOutput[]) =>
  outputs.flatMap((o) => (o.kind === 'definition' ? [o.event] : []));

describe('command contract', () => {
  it('accepts a command whose one payload matches its type, and round-trips the Avro record', () => {
    const command = generate('c1');
    expect(parseCommand(commandRecord(command))).toEqual({ ok: true, command });
  });

  it('names every problem: missing payload, a second payload, bad fields, JSON that does not parse', () => {
    const record = commandRecord(generate('c1'));
    expect(parseCommand({ ...record, generate: null })).toEqual({
      ok: false,
      reason: 'generate: Invalid input: expected object, received null',
    });
    expect(
      parseCommand({ ...record, rollBack: { workflowId: 'w', toVersion: 1, reason: 'x' } }),
    ).toMatchObject({
      ok: false,
      reason: 'rollBack: must be null for a generate command',
    });
    expect(parseCommand({ ...record, commandId: '', issuedAt: 12 })).toMatchObject({ ok: false });
    const bad = parseCommand({
      ...record,
      type: 'publish_version',
      generate: null,
      publishVersion: { workflowId: 'w', definitionJson: '{not json', reason: 'r' },
    });
    expect(bad).toEqual({ ok: false, reason: 'publishVersion.definitionJson: must be valid JSON' });
  });
});

describe('command processor', () => {
  it('generates a workflow as a WorkflowCreated event and a completed result', () => {
    const p = commandProcessor();
    const state = p.initialState();
    const out = p.apply(state, generate('c1'), '0').outputs;
    const [created] = events(out);
    const [result] = results(out);
    expect(created?.type).toBe('WorkflowCreated');
    expect(result).toMatchObject({
      status: 'completed',
      version: 1,
      workflowId: generatedWorkflowId('t1', 'c1'),
    });
    expect(out.map((o) => p.route?.(o))).toEqual(['workflow.definitions.v1', 'workflow.command-results.v1']);
    expect(out.map((o) => p.outputKey(o, 0))).toEqual(['t1', 't1']);
  });

  it('executes a command delivered twice once, answering the repeat with the first result', () => {
    const p = commandProcessor();
    const state = p.initialState();
    const first = p.apply(state, generate('c1'), '0').outputs;
    const second = p.apply(state, generate('c1'), '1').outputs;
    expect(events(second)).toEqual([]);
    expect(results(second)).toEqual(results(first));
    expect(state.projection.workflows.size).toBe(1);
  });

  it('publishes, rolls back and rates versions, rejecting what the decider refuses', () => {
    const p = commandProcessor();
    const state = p.initialState();
    const created = results(p.apply(state, generate('c1'), '0').outputs)[0];
    const workflowId = created?.workflowId ?? '';
    const v1 = (JSON.parse(created?.bodyJson ?? '{}') as { workflow: WorkflowDefinition }).workflow;
    const base = { tenantId: 't1', userId: 'ana', issuedAt: NOW + 1000 };
    const publish = (commandId: string, definition: WorkflowDefinition): Command => ({
      ...base,
      commandId,
      type: 'publish_version',
      payload: { workflowId, definitionJson: JSON.stringify(definition), reason: 'tuning' },
    });
    const v2 = { ...v1, name: 'Leads, quietly' };
    const published = p.apply(state, publish('c2', v2), '1').outputs;
    expect(events(published).map((e) => e.type)).toEqual(['WorkflowVersionPublished']);
    expect(results(published)[0]).toMatchObject({ status: 'completed', version: 2 });
    expect(results(p.apply(state, publish('c3', v2), '2').outputs)[0]).toMatchObject({
      status: 'rejected',
      error: { code: 'unchanged' },
    });
    const back = p.apply(
      state,
      {
        ...base,
        commandId: 'c4',
        type: 'roll_back',
        payload: { workflowId, toVersion: 1, reason: 'slower' },
      },
      '3',
    ).outputs;
    expect(back.find((o) => o.kind === 'definition')).toMatchObject({ currentVersion: 1, latestVersion: 2 });
    const other = p.apply(
      state,
      {
        ...base,
        tenantId: 't2',
        commandId: 'c5',
        type: 'roll_back',
        payload: { workflowId, toVersion: 1, reason: 'x' },
      },
      '4',
    ).outputs;
    expect(results(other)[0]).toMatchObject({ status: 'rejected', error: { code: 'not_found' } });
  });

  it('predicts a stored workflow from the history given, and rejects an unknown one', async () => {
    const p = commandProcessor();
    const state = p.initialState();
    const created = results(p.apply(state, generate('c1'), '0').outputs)[0];
    const predict = (commandId: string, workflowId: string): Command => ({
      commandId,
      type: 'predict',
      tenantId: 't1',
      userId: 'ana',
      issuedAt: NOW,
      payload: {
        workflowId,
        workflowJson: null,
        historicalDataJson: JSON.stringify({
          executions: Array.from({ length: 24 * 7 }, (_, h) => 50 + (h % 24)),
        }),
        predictionHorizonHours: 48,
      },
    });
    // enrich turns historical_data into the history apply forecasts from (as the runner does).
    const enriched = (await p.enrich?.(predict('c2', created?.workflowId ?? ''))) ?? predict('c2', '');
    const out = p.apply(state, enriched, '1').outputs;
    expect(out.map((o) => o.kind)).toEqual(['optimization', 'result']);
    expect(out.map((o) => p.route?.(o))).toEqual([
      'workflow.optimizations.v1',
      'workflow.command-results.v1',
    ]);
    const prediction = JSON.parse(results(out)[0]?.bodyJson ?? '{}') as { executions: { point: number[] } };
    expect(prediction.executions.point).toHaveLength(48);
    expect(results(p.apply(state, predict('c3', 'nope'), '2').outputs)[0]).toMatchObject({
      status: 'rejected',
      error: { code: 'not_found' },
    });
  });

  it('continues from a JSON snapshot exactly like an uninterrupted run', () => {
    const p = commandProcessor();
    const a = p.initialState();
    p.apply(a, generate('c1'), '0');
    const b = p.restore(JSON.parse(JSON.stringify(p.snapshot(a))));
    expect(p.apply(b, generate('c1'), '1').outputs).toEqual(p.apply(a, generate('c1'), '1').outputs);
    expect(p.apply(b, generate('c2'), '2').outputs).toEqual(p.apply(a, generate('c2'), '2').outputs);
  });
});

describe('command processor, past its duplicate memory', () => {
  it('still creates no second workflow for a generate command seen long ago', () => {
    const p = commandProcessor({ rememberCommands: 1 });
    const state = p.initialState();
    const first = p.apply(state, generate('old'), '0').outputs;
    p.apply(state, generate('newer'), '1');
    const again = p.apply(state, generate('old'), '2').outputs;
    expect(events(first)).toHaveLength(1);
    expect(events(again)).toEqual([]);
    // Its event id was applied already: the same workflow is answered, nothing is appended.
    expect(results(again)[0]).toMatchObject({
      status: 'completed',
      workflowId: results(first)[0]?.workflowId,
    });
    expect(state.projection.workflows.size).toBe(2);
  });
});
