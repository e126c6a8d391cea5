// Definition commands: generate (a workflow from a sentence, created as version 1) and
// publish_version, roll_back, record_feedback, each decided against the definitions projection
// (workflowDefinitionEvents.ts) and recorded as events.
import { generateWorkflow, type UserHistory } from '../generation/generateWorkflow.ts';
import {
  decide,
  versionKey,
  type DefinitionProjection,
  type WorkflowCommand,
} from '../generation/workflowDefinitionEvents.ts';
import { fnv1a64 } from '../insights/insight.ts';
import type { Command } from './command.ts';
import {
  commandResult,
  recordEvents,
  type CommandInput,
  type CommandOutput,
  type CommandState,
} from './commandOutputs.ts';

/** The workflow id a generate command gets when it names none: stable for the command. */
export function generatedWorkflowId(tenantId: string, commandId: string): string {
  return `wf_${fnv1a64(`${tenantId}\0${commandId}`)}`;
}

/** A user's earlier workflows of the tenant, for generation to break ties with. */
function historyOf(projection: DefinitionProjection, tenantId: string): UserHistory {
  const previousWorkflows = [...projection.workflows.values()]
    .filter((w) => w.tenantId === tenantId)
    .map((w) => {
      const current = projection.versions.get(versionKey(w.workflowId, w.currentVersion));
      return {
        workflowId: w.workflowId,
        name: w.name,
        services: current === undefined ? [] : current.definition.steps.map((s) => s.service),
      };
    });
  return { services: new Map(), previousWorkflows };
}

/** The definition command a bus command stands for, or the reason it cannot be one. */
function workflowCommand(command: Command): WorkflowCommand | { invalid: string } | null {
  const meta = { eventId: `${command.commandId}/${command.type}`, occurredAt: command.issuedAt };
  switch (command.type) {
    case 'publish_version': {
      const definition: unknown = JSON.parse(command.payload.definitionJson);
      if (typeof definition !== 'object' || definition === null)
        return { invalid: 'definitionJson: not an object' };
      return {
        ...meta,
        type: 'PublishVersion',
        tenantId: command.tenantId,
        workflowId: command.payload.workflowId,
        // The decider assigns the version; the definition must belong to the workflow and tenant.
        definition: {
          ...definition,
          workflowId: command.payload.workflowId,
          tenantId: command.tenantId,
          version: 1,
        } as never,
        reason: command.payload.reason,
      };
    }
    case 'roll_back':
      return {
        ...meta,
        type: 'RollBack',
        tenantId: command.tenantId,
        workflowId: command.payload.workflowId,
        toVersion: command.payload.toVersion,
        reason: command.payload.reason,
      };
    case 'record_feedback':
      return {
        ...meta,
        type: 'RecordFeedback',
        tenantId: command.tenantId,
        workflowId: command.payload.workflowId,
        version: command.payload.version,
        userId: command.userId,
        rating: command.payload.rating,
        comment: command.payload.comment,
      };
    default:
      return null;
  }
}

/** A generate command: a workflow from a sentence, created as version 1 (or what it still needs). */
export function handleGenerate(
  state: CommandState,
  command: Extract<CommandInput, { type: 'generate' }>,
): CommandOutput[] {
  const p = command.payload;
  const workflowId = p.workflowId ?? generatedWorkflowId(command.tenantId, command.commandId);
  const generated = generateWorkflow(
    {
      description: p.description,
      tenantId: command.tenantId,
      userId: command.userId,
      strategy: p.strategy,
      workflowId,
      now: command.issuedAt,
      selectedServices: p.selectedServices,
    },
    {
      reliability: command.reliability ?? new Map(),
      userHistory: historyOf(state.projection, command.tenantId),
    },
  );
  if (generated.status !== 'generated')
    return [{ kind: 'result', result: commandResult(command, 'needs_input', generated) }];
  const decision = decide(
    {
      type: 'CreateWorkflow',
      eventId: `${command.commandId}/created`,
      occurredAt: command.issuedAt,
      workflow: generated.workflow,
    },
    state.projection,
  );
  if (!decision.ok) {
    return [
      {
        kind: 'result',
        result: commandResult(command, 'rejected', generated, {
          error: { code: decision.code, message: decision.message, retriable: false },
          workflowId,
        }),
      },
    ];
  }
  return [
    ...recordEvents(state, command, decision.events),
    { kind: 'result', result: commandResult(command, 'completed', generated, { workflowId, version: 1 }) },
  ];
}

/** The commands that change a workflow's definition history. */
export type DefinitionCommandInput = Extract<
  CommandInput,
  { type: 'publish_version' | 'roll_back' | 'record_feedback' }
>;

/** publish_version, roll_back, record_feedback, decided against the projection. */
export function handleDefinitionCommand(
  state: CommandState,
  command: DefinitionCommandInput,
): CommandOutput[] | null {
  let wc: ReturnType<typeof workflowCommand>;
  try {
    wc = workflowCommand(command);
  } catch (error) {
    wc = { invalid: error instanceof Error ? error.message : String(error) };
  }
  if (wc === null) return null;
  const workflowId = 'workflowId' in command.payload ? command.payload.workflowId : null;
  if ('invalid' in wc) {
    return [
      {
        kind: 'result',
        result: commandResult(
          command,
          'rejected',
          {},
          { error: { code: 'invalid', message: wc.invalid, retriable: false }, workflowId },
        ),
      },
    ];
  }
  const decision = decide(wc, state.projection);
  if (!decision.ok) {
    return [
      {
        kind: 'result',
        result: commandResult(
          command,
          'rejected',
          {},
          {
            error: { code: decision.code, message: decision.message, retriable: false },
            workflowId,
          },
        ),
      },
    ];
  }
  const outputs = recordEvents(state, command, decision.events);
  const wf = workflowId === null ? undefined : state.projection.workflows.get(workflowId);
  const version =
    command.type === 'publish_version'
      ? (wf?.latestVersion ?? null)
      : command.type === 'roll_back'
        ? command.payload.toVersion
        : command.payload.version;
  outputs.push({
    kind: 'result',
    result: commandResult(
      command,
      'completed',
      {
        events: decision.events.map((e) => e.type),
        currentVersion: wf?.currentVersion ?? null,
        latestVersion: wf?.latestVersion ?? null,
      },
      { workflowId, version },
    ),
  });
  return outputs;
}
