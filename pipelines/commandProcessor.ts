// Command processor: workflow.commands.v1 (keyed by tenant) → workflow.definitions.v1 (the
// event-sourced definitions) and workflow.command-results.v1 (one result per command, correlated
// by commandId). It handles generate and the definition commands (publish_version, roll_back,
// record_feedback) and troubleshooting: a troubleshoot command opens a session (root causes from the
// logs and from what ClickHouse recorded; a safe fix published as a new version), and the verifier's
// verify_resolution commands close it as resolved, or roll the fix back and escalate when the
// failure rate does not come back. Predict commands are left to their own processor. Malformed
// commands go to workflow.commands.dlq.v1 with the reason.
//
// The handlers are pure and live in src/core/commands/ (definitionHandlers.ts,
// troubleshootHandlers.ts, predictHandler.ts); this file declares the stage: topics, routing,
// enrichment from ClickHouse, idempotency by commandId and snapshots.
//
// State per input partition: the definitions projection of its tenants (what `decide` checks a
// command against) and the results of recent commands. A command whose id was seen gets its first
// result again and changes nothing: delivered twice, executed once. Generation reads live service
// reliability from ClickHouse through `enrich`; a replay after a crash regenerates with what
// ClickHouse says then, which only matters for outputs that were suppressed anyway.
import { z } from 'zod';
import { ValidationError } from '../src/errors.ts';
import { parseCommand, type CommandResult } from '../src/core/commands/command.ts';
import type {
  CommandInput,
  CommandOutput,
  CommandState,
  SessionState,
} from '../src/core/commands/commandOutputs.ts';
import { handleDefinitionCommand, handleGenerate } from '../src/core/commands/definitionHandlers.ts';
import { handlePredict, historyFromJson } from '../src/core/commands/predictHandler.ts';
import { handleTroubleshoot, handleVerify } from '../src/core/commands/troubleshootHandlers.ts';
import type { ServiceReliability } from '../src/core/generation/serviceReliability.ts';
import {
  emptyProjection,
  type FeedbackRow,
  type WorkflowRow,
  type WorkflowVersionRow,
} from '../src/core/generation/workflowDefinitionEvents.ts';
import type { HourlyHistory } from '../src/core/forecasting/workflowPrediction.ts';
import type { RecordedEvidence } from '../src/core/troubleshooting/troubleshootAnalysis.ts';
import type { ProcessorDefinition } from '../src/pipeline/processorDefinition.ts';
import {
  COMMAND_RESULTS_TOPIC,
  COMMANDS_DLQ_TOPIC,
  COMMANDS_TOPIC,
  DEFINITIONS_TOPIC,
  OPTIMIZATIONS_TOPIC,
  TROUBLESHOOTING_TOPIC,
} from '../src/topology/topics.ts';

export type {
  CommandInput,
  CommandOutput,
  CommandState,
  OptimizationRecord,
  SessionRecord,
  SessionStatus,
} from '../src/core/commands/commandOutputs.ts';
export { generatedWorkflowId } from '../src/core/commands/definitionHandlers.ts';

export interface CommandProcessorConfig {
  /** Live reliability per service of a tenant (ClickHouse); none when absent. */
  readonly reliabilityOf?: (
    tenantId: string,
    now: number,
  ) => Promise<ReadonlyMap<string, ServiceReliability>>;
  /** What ClickHouse recorded about a failing workflow; none when absent. */
  readonly evidenceOf?: (
    tenantId: string,
    workflowId: string,
    now: number,
  ) => Promise<RecordedEvidence | null>;
  /** Hourly history of a workflow (ClickHouse); none when absent. */
  readonly historyOf?: (tenantId: string, workflowId: string, now: number) => Promise<HourlyHistory>;
  /**
   * Results kept to answer duplicates with, per input partition (they are in every snapshot, so
   * this bounds its size). An older duplicate is decided again, but every event a command appends
   * carries an id derived from the commandId, already applied: it is answered without appending
   * anything twice. Default 2000.
   */
  readonly rememberCommands?: number;
  /** How long a fix is watched before it is judged a failure and rolled back. Default 30 min. */
  readonly verifyWindowMs?: number;
  /** Runs a verdict of "resolved" needs at least. Default 10. */
  readonly verifyMinRuns?: number;
}

const snapshotSchema = z.object({
  format: z.literal('pulse.commands.v1'),
  workflows: z.array(
    z.tuple([z.string(), z.custom<WorkflowRow>((v) => typeof v === 'object' && v !== null)]),
  ),
  versions: z.array(
    z.tuple([z.string(), z.custom<WorkflowVersionRow>((v) => typeof v === 'object' && v !== null)]),
  ),
  feedback: z.array(z.custom<FeedbackRow>((v) => typeof v === 'object' && v !== null)),
  appliedEventIds: z.array(z.string()),
  results: z.array(
    z.tuple([z.string(), z.custom<CommandResult>((v) => typeof v === 'object' && v !== null)]),
  ),
  sessions: z
    .array(z.tuple([z.string(), z.custom<SessionState>((v) => typeof v === 'object' && v !== null)]))
    .default([]),
});

export function commandProcessor(
  config: CommandProcessorConfig = {},
): ProcessorDefinition<CommandState, CommandInput, CommandOutput> {
  const remember = config.rememberCommands ?? 2000;
  const verifyWindowMs = config.verifyWindowMs ?? 30 * 60_000;
  const verifyMinRuns = config.verifyMinRuns ?? 10;

  function handle(state: CommandState, command: CommandInput): CommandOutput[] | null {
    switch (command.type) {
      case 'troubleshoot':
        return handleTroubleshoot(state, command, verifyWindowMs);
      case 'verify_resolution':
        return handleVerify(state, command, verifyMinRuns);
      case 'predict':
        return handlePredict(state, command);
      case 'generate':
        return handleGenerate(state, command);
      default:
        return handleDefinitionCommand(state, command);
    }
  }

  return {
    name: 'command-processor',
    input: COMMANDS_TOPIC,
    output: COMMAND_RESULTS_TOPIC,
    extraOutputs: [DEFINITIONS_TOPIC, TROUBLESHOOTING_TOPIC, OPTIMIZATIONS_TOPIC],
    route: (o) => {
      switch (o.kind) {
        case 'definition':
          return DEFINITIONS_TOPIC;
        case 'session':
          return TROUBLESHOOTING_TOPIC;
        case 'optimization':
          return OPTIMIZATIONS_TOPIC;
        case 'result':
          return COMMAND_RESULTS_TOPIC;
      }
    },
    deadLetters: COMMANDS_DLQ_TOPIC,
    parse(decoded) {
      const parsed = parseCommand(decoded);
      return parsed.ok ? { ok: true, value: parsed.command } : { ok: false, reason: parsed.reason };
    },
    async enrich(command) {
      if (command.type === 'generate' && config.reliabilityOf !== undefined) {
        return { ...command, reliability: await config.reliabilityOf(command.tenantId, command.issuedAt) };
      }
      if (command.type === 'predict') {
        const parsed = historyFromJson(command.payload.historicalDataJson, command.issuedAt);
        if (parsed !== null) return { ...command, history: parsed };
        if (config.historyOf !== undefined && command.payload.workflowId !== null) {
          return {
            ...command,
            history: await config.historyOf(command.tenantId, command.payload.workflowId, command.issuedAt),
          };
        }
        return command;
      }
      if (command.type === 'troubleshoot' && config.evidenceOf !== undefined) {
        const evidence = await config.evidenceOf(
          command.tenantId,
          command.payload.workflowId,
          command.issuedAt,
        );
        return { ...command, evidence };
      }
      return command;
    },
    initialState: () => ({ projection: emptyProjection(), results: new Map(), sessions: new Map() }),
    apply(state, command) {
      const seen = state.results.get(command.commandId);
      if (seen !== undefined) return { outputs: [{ kind: 'result', result: seen }] };
      const outputs = handle(state, command);
      if (outputs === null) return { outputs: [] };
      for (const o of outputs) {
        if (o.kind !== 'result') continue;
        state.results.set(command.commandId, o.result);
        if (state.results.size > remember) {
          const oldest = state.results.keys().next();
          if (oldest.done !== true) state.results.delete(oldest.value);
        }
      }
      return { outputs };
    },
    tick: null,
    snapshot: (state) => ({
      format: 'pulse.commands.v1',
      workflows: [...state.projection.workflows],
      versions: [...state.projection.versions],
      feedback: state.projection.feedback,
      appliedEventIds: [...state.projection.appliedEventIds],
      results: [...state.results],
      sessions: [...state.sessions],
    }),
    restore(json) {
      const parsed = snapshotSchema.safeParse(json);
      if (!parsed.success) {
        throw new ValidationError(
          'command processor snapshot',
          parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
        );
      }
      const s = parsed.data;
      return {
        projection: {
          workflows: new Map(s.workflows),
          versions: new Map(s.versions),
          feedback: s.feedback,
          appliedEventIds: new Set(s.appliedEventIds),
        },
        results: new Map(s.results),
        sessions: new Map(s.sessions),
      };
    },
    outputKey: (o) => {
      switch (o.kind) {
        case 'definition':
          return o.event.tenantId;
        case 'session':
          return o.session.tenantId;
        case 'optimization':
          return o.optimization.tenantId;
        case 'result':
          return o.result.tenantId;
      }
    },
    outputValue: (o) => {
      switch (o.kind) {
        case 'definition':
          return definitionRecord(o);
        case 'session':
          return o.session;
        case 'optimization':
          return o.optimization;
        case 'result':
          return o.result;
      }
    },
  };
}

/** The Avro record of workflow.definitions.v1 for one event. */
export function definitionRecord(o: Extract<CommandOutput, { kind: 'definition' }>): Record<string, unknown> {
  const e = o.event;
  const workflowId = e.type === 'WorkflowCreated' ? e.workflow.workflowId : e.workflowId;
  const version =
    e.type === 'WorkflowCreated'
      ? e.workflow.version
      : e.type === 'WorkflowRolledBack'
        ? e.toVersion
        : e.version;
  return {
    eventId: e.eventId,
    type: e.type,
    occurredAt: e.occurredAt,
    tenantId: e.tenantId,
    workflowId,
    version,
    currentVersion: o.currentVersion,
    latestVersion: o.latestVersion,
    commandId: o.commandId,
    bodyJson: JSON.stringify(e),
  };
}
