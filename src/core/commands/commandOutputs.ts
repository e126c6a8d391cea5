// What the command processor's handlers produce and the state they fold over: definition events
// (workflow.definitions.v1), results (workflow.command-results.v1), troubleshooting session
// states (workflow.troubleshooting.v1) and predictions (workflow.optimizations.v1). Pure types and
// the small helpers every handler shares; the stage itself is pipelines/commandProcessor.ts.
import type { Command, CommandResult } from './command.ts';
import type { ServiceReliability } from '../generation/serviceReliability.ts';
import {
  replay,
  type DefinitionProjection,
  type WorkflowDefinitionEvent,
} from '../generation/workflowDefinitionEvents.ts';
import type { HourlyHistory } from '../forecasting/workflowPrediction.ts';
import type { RecordedEvidence } from '../troubleshooting/troubleshootAnalysis.ts';

/** A command as applied, with what `enrich` looked up in ClickHouse. */
export type CommandInput = Command & {
  readonly reliability?: ReadonlyMap<string, ServiceReliability>;
  readonly evidence?: RecordedEvidence | null;
  readonly history?: HourlyHistory | null;
};

/** One prediction (workflow.optimizations.v1). */
export interface OptimizationRecord {
  readonly optimizationId: string;
  readonly tenantId: string;
  readonly workflowId: string | null;
  readonly strategy: string;
  readonly horizonHours: number;
  readonly improvementsJson: string;
  readonly appliedChangesJson: string;
  readonly confidenceScore: number;
  readonly createdAt: number;
  readonly predictionJson: string;
}

export type SessionStatus = 'awaiting_user' | 'verifying' | 'resolved' | 'rolled_back' | 'no_action';

/** One state of a troubleshooting session (workflow.troubleshooting.v1). */
export interface SessionRecord {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly workflowId: string;
  readonly revision: number;
  readonly status: SessionStatus;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly endedAt: number | null;
  readonly issuesDetectedJson: string;
  readonly recommendationsJson: string;
  readonly evidenceJson: string;
  readonly actionsJson: string;
  readonly verificationJson: string;
}

export interface Verification {
  readonly baselineFailureRate: number;
  readonly appliedVersion: number;
  readonly previousVersion: number;
  readonly publishedAt: number;
  readonly deadline: number;
  readonly checks: { at: number; runs: number; failedRuns: number; failureRate: number | null }[];
}

export interface SessionState {
  record: SessionRecord;
  verification: Verification | null;
  actions: unknown[];
}

export type CommandOutput =
  | {
      readonly kind: 'definition';
      readonly event: WorkflowDefinitionEvent;
      readonly commandId: string;
      readonly currentVersion: number;
      readonly latestVersion: number;
    }
  | { readonly kind: 'result'; readonly result: CommandResult }
  | { readonly kind: 'session'; readonly session: SessionRecord }
  | { readonly kind: 'optimization'; readonly optimization: OptimizationRecord };

export interface CommandState {
  projection: DefinitionProjection;
  /** commandId → its result, oldest first (bounded by `rememberCommands`). */
  readonly results: Map<string, CommandResult>;
  /** Troubleshooting sessions still open (awaiting a verdict). */
  readonly sessions: Map<string, SessionState>;
}

/** The result of a command, correlated by its commandId. */
export function commandResult(
  command: Command,
  status: CommandResult['status'],
  body: unknown,
  extra: Partial<Pick<CommandResult, 'error' | 'workflowId' | 'version'>> = {},
): CommandResult {
  return {
    commandId: command.commandId,
    type: command.type,
    tenantId: command.tenantId,
    userId: command.userId,
    status,
    error: extra.error ?? null,
    workflowId: extra.workflowId ?? null,
    version: extra.version ?? null,
    issuedAt: command.issuedAt,
    bodyJson: JSON.stringify(body),
  };
}

/** Applies the events a decision produced and returns them as outputs. */
export function recordEvents(
  state: CommandState,
  command: Command,
  events: readonly WorkflowDefinitionEvent[],
): CommandOutput[] {
  const outputs: CommandOutput[] = [];
  for (const event of events) {
    state.projection = replay([event], state.projection);
    const wf = state.projection.workflows.get(
      'workflow' in event ? event.workflow.workflowId : event.workflowId,
    );
    outputs.push({
      kind: 'definition',
      event,
      commandId: command.commandId,
      currentVersion: wf?.currentVersion ?? 1,
      latestVersion: wf?.latestVersion ?? 1,
    });
  }
  return outputs;
}

/** The session's next revision, with the patch, its actions and verification as they stand. */
export function sessionOutput(s: SessionState, patch: Partial<SessionRecord>, now: number): CommandOutput {
  s.record = {
    ...s.record,
    ...patch,
    revision: s.record.revision + 1,
    updatedAt: now,
    actionsJson: JSON.stringify(s.actions),
    verificationJson: JSON.stringify(s.verification),
  };
  return { kind: 'session', session: s.record };
}
