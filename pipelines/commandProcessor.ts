// Command processor: workflow.commands.v1 (keyed by tenant) → workflow.definitions.v1 (the
// event-sourced definitions) and workflow.command-results.v1 (one result per command, correlated
// by commandId). It handles generate and the definition commands (publish_version, roll_back,
// record_feedback) and troubleshooting: a troubleshoot command opens a session (root causes from the
// logs and from what ClickHouse recorded; a safe fix published as a new version), and the verifier's
// verify_resolution commands close it as resolved, or roll the fix back and escalate when the
// failure rate does not come back. Predict commands are left to their own processor. Malformed
// commands go to workflow.commands.dlq.v1 with the reason.
//
// State per input partition: the definitions projection of its tenants (what `decide` checks a
// command against) and the results of recent commands. A command whose id was seen gets its first
// result again and changes nothing: delivered twice, executed once. Generation reads live service
// reliability from ClickHouse through `enrich`; a replay after a crash regenerates with what
// ClickHouse says then, which only matters for outputs that were suppressed anyway.
import { z } from 'zod';
import { ValidationError } from '../src/errors.ts';
import { parseCommand, type Command, type CommandResult } from '../src/core/commands/command.ts';
import { generateWorkflow, type UserHistory } from '../src/core/generation/generateWorkflow.ts';
import type { ServiceReliability } from '../src/core/generation/serviceReliability.ts';
import {
  decide,
  emptyProjection,
  replay,
  versionKey,
  type DefinitionProjection,
  type FeedbackRow,
  type WorkflowCommand,
  type WorkflowDefinitionEvent,
  type WorkflowRow,
  type WorkflowVersionRow,
} from '../src/core/generation/workflowDefinitionEvents.ts';
import { fnv1a64 } from '../src/core/insights/insight.ts';
import { predictWorkflowLoad, type HourlyHistory } from '../src/core/forecasting/workflowPrediction.ts';
import {
  parseWorkflowDefinition,
  type WorkflowDefinition,
} from '../src/core/generation/workflowDefinition.ts';
import { analyzeFailures, type RecordedEvidence } from '../src/core/troubleshooting/troubleshootAnalysis.ts';
import type { ProcessorDefinition } from '../src/pipeline/processorDefinition.ts';
import {
  COMMAND_RESULTS_TOPIC,
  COMMANDS_DLQ_TOPIC,
  COMMANDS_TOPIC,
  DEFINITIONS_TOPIC,
  OPTIMIZATIONS_TOPIC,
  TROUBLESHOOTING_TOPIC,
} from '../src/topology/topics.ts';

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

interface Verification {
  readonly baselineFailureRate: number;
  readonly appliedVersion: number;
  readonly previousVersion: number;
  readonly publishedAt: number;
  readonly deadline: number;
  readonly checks: { at: number; runs: number; failedRuns: number; failureRate: number | null }[];
}

interface SessionState {
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

function result(
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

export function commandProcessor(
  config: CommandProcessorConfig = {},
): ProcessorDefinition<CommandState, CommandInput, CommandOutput> {
  const remember = config.rememberCommands ?? 2000;
  const verifyWindowMs = config.verifyWindowMs ?? 30 * 60_000;
  const verifyMinRuns = config.verifyMinRuns ?? 10;

  /** Applies the events a decision produced and returns them as outputs. */
  function record(
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

  function sessionOutput(s: SessionState, patch: Partial<SessionRecord>, now: number): CommandOutput {
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

  function troubleshoot(
    state: CommandState,
    command: Extract<CommandInput, { type: 'troubleshoot' }>,
  ): CommandOutput[] {
    const p = command.payload;
    const wf = state.projection.workflows.get(p.workflowId);
    const known = wf !== undefined && wf.tenantId === command.tenantId;
    const current = known
      ? state.projection.versions.get(versionKey(p.workflowId, wf.currentVersion))
      : undefined;
    const versions = [...state.projection.versions.values()]
      .filter((v) => v.workflowId === p.workflowId && v.tenantId === command.tenantId)
      .map((v) => ({ version: v.version, publishedAt: v.publishedAt, definition: v.definition }));
    const analysis = analyzeFailures({
      errorLogs: p.errorLogs,
      evidence: command.evidence ?? null,
      current: current?.definition ?? null,
      versions,
      autoResolve: p.autoResolve,
      now: command.issuedAt,
    });
    const outputs: CommandOutput[] = [];
    const session: SessionState = {
      record: {
        sessionId: command.commandId,
        tenantId: command.tenantId,
        workflowId: p.workflowId,
        revision: 0,
        status: 'no_action',
        startedAt: command.issuedAt,
        updatedAt: command.issuedAt,
        endedAt: null,
        issuesDetectedJson: JSON.stringify(analysis.hypotheses),
        recommendationsJson: JSON.stringify(analysis.recommendations),
        evidenceJson: JSON.stringify({ classified: analysis.classified, recorded: command.evidence ?? null }),
        actionsJson: '[]',
        verificationJson: 'null',
      },
      verification: null,
      actions: [],
    };
    let status: SessionStatus = analysis.hypotheses.length === 0 ? 'no_action' : 'awaiting_user';
    const regression = analysis.hypotheses.find((h) => h.kind === 'version_regression');
    if (analysis.fix !== null && known && current !== undefined) {
      const decision = decide(
        {
          type: 'PublishVersion',
          eventId: `${command.commandId}/fix`,
          occurredAt: command.issuedAt,
          tenantId: command.tenantId,
          workflowId: p.workflowId,
          definition: analysis.fix.definition,
          reason: analysis.fix.reason,
        },
        state.projection,
      );
      if (decision.ok && decision.events.length > 0) {
        outputs.push(...record(state, command, decision.events));
        const applied = state.projection.workflows.get(p.workflowId)?.currentVersion ?? current.version + 1;
        session.actions.push({
          action: 'published_version',
          version: applied,
          service: analysis.fix.service,
          errorClass: analysis.fix.errorClass,
          changedSteps: analysis.fix.changedSteps,
          resolution: analysis.fix.resolution,
          at: command.issuedAt,
        });
        session.verification = {
          baselineFailureRate: analysis.baselineFailureRate ?? 0.01,
          appliedVersion: applied,
          // A regression traced to the running version is rolled back past it, to the one before.
          previousVersion:
            regression?.version === current.version && current.version > 1
              ? current.version - 1
              : current.version,
          publishedAt: command.issuedAt,
          deadline: command.issuedAt + verifyWindowMs,
          checks: [],
        };
        status = 'verifying';
      }
    }
    const terminal = status !== 'verifying';
    outputs.push(
      sessionOutput(session, { status, endedAt: terminal ? command.issuedAt : null }, command.issuedAt),
    );
    if (!terminal) state.sessions.set(command.commandId, session);
    outputs.push({
      kind: 'result',
      result: result(
        command,
        'completed',
        {
          sessionId: command.commandId,
          status,
          hypotheses: analysis.hypotheses,
          recommendations: analysis.recommendations,
          classified: analysis.classified,
          actions: session.actions,
          failureRate: analysis.failureRate,
          baselineFailureRate: analysis.baselineFailureRate,
        },
        { workflowId: p.workflowId, version: session.verification?.appliedVersion ?? null },
      ),
    });
    return outputs;
  }

  function verify(
    state: CommandState,
    command: Extract<CommandInput, { type: 'verify_resolution' }>,
  ): CommandOutput[] {
    const p = command.payload;
    const session = state.sessions.get(p.sessionId);
    const v = session?.verification ?? null;
    if (session === undefined || v === null || session.record.tenantId !== command.tenantId) {
      return [
        {
          kind: 'result',
          result: result(
            command,
            'rejected',
            {},
            {
              error: {
                code: 'not_found',
                message: `no session ${p.sessionId} is being verified`,
                retriable: false,
              },
              workflowId: p.workflowId,
            },
          ),
        },
      ];
    }
    const now = command.issuedAt;
    const rate = p.runs > 0 ? p.failedRuns / p.runs : null;
    session.verification = {
      ...v,
      checks: [...v.checks, { at: now, runs: p.runs, failedRuns: p.failedRuns, failureRate: rate }],
    };
    // Back to normal: at least minRuns runs of the fixed version, failing no more than twice the
    // baseline (and at most 5 points above it).
    const healthy =
      rate !== null &&
      p.runs >= verifyMinRuns &&
      rate <= Math.min(2 * v.baselineFailureRate + 0.02, v.baselineFailureRate + 0.05);
    const outputs: CommandOutput[] = [];
    let status: SessionStatus = 'verifying';
    if (healthy) status = 'resolved';
    else if (now >= v.deadline) {
      const decision = decide(
        {
          type: 'RollBack',
          eventId: `${p.sessionId}/rollback`,
          occurredAt: now,
          tenantId: command.tenantId,
          workflowId: session.record.workflowId,
          toVersion: v.previousVersion,
          reason: `troubleshooting session ${p.sessionId}: failure rate ${rate === null ? 'unknown' : `${(rate * 100).toFixed(1)}%`} did not return to ${(v.baselineFailureRate * 100).toFixed(1)}% within the verification window; escalated`,
        },
        state.projection,
      );
      if (decision.ok) outputs.push(...record(state, command, decision.events));
      session.actions.push({ action: 'rolled_back', toVersion: v.previousVersion, at: now, escalated: true });
      status = 'rolled_back';
    }
    const terminal = status !== 'verifying';
    outputs.push(sessionOutput(session, { status, endedAt: terminal ? now : null }, now));
    if (terminal) state.sessions.delete(p.sessionId);
    outputs.push({
      kind: 'result',
      result: result(
        command,
        'completed',
        { sessionId: p.sessionId, status, failureRate: rate },
        { workflowId: p.workflowId },
      ),
    });
    return outputs;
  }

  function predict(
    state: CommandState,
    command: Extract<CommandInput, { type: 'predict' }>,
  ): CommandOutput[] {
    const p = command.payload;
    const reject = (code: string, message: string): CommandOutput[] => [
      {
        kind: 'result',
        result: result(
          command,
          'rejected',
          {},
          { error: { code, message, retriable: false }, workflowId: p.workflowId },
        ),
      },
    ];
    let definition: WorkflowDefinition | undefined;
    if (p.workflowJson !== null) {
      try {
        definition = parseWorkflowDefinition(JSON.parse(p.workflowJson));
      } catch (error) {
        return reject('invalid', `workflowJson: ${error instanceof Error ? error.message : String(error)}`);
      }
    } else if (p.workflowId !== null) {
      const wf = state.projection.workflows.get(p.workflowId);
      if (wf?.tenantId === command.tenantId) {
        definition = state.projection.versions.get(versionKey(p.workflowId, wf.currentVersion))?.definition;
      }
    }
    if (definition === undefined) {
      return reject(
        p.workflowId === null ? 'invalid' : 'not_found',
        p.workflowId === null
          ? 'workflowId or workflowJson is required'
          : `workflow ${p.workflowId} not found`,
      );
    }
    const hour = 3_600_000;
    const history: HourlyHistory = command.history ?? {
      start: Math.floor(command.issuedAt / hour) * hour,
      executions: [],
      successRate: [],
      p95Ms: [],
      costPerRunMicros: [],
    };
    const prediction = predictWorkflowLoad(definition, history, p.predictionHorizonHours);
    const optimization: OptimizationRecord = {
      optimizationId: command.commandId,
      tenantId: command.tenantId,
      workflowId: p.workflowId ?? definition.workflowId,
      strategy: definition.strategy,
      horizonHours: prediction.horizonHours,
      improvementsJson: JSON.stringify(prediction.improvements),
      appliedChangesJson: '[]',
      confidenceScore: prediction.confidence,
      createdAt: command.issuedAt,
      predictionJson: JSON.stringify(prediction),
    };
    return [
      { kind: 'optimization', optimization },
      {
        kind: 'result',
        result: result(command, 'completed', prediction, {
          workflowId: optimization.workflowId,
          version: definition.version,
        }),
      },
    ];
  }

  function handle(state: CommandState, command: CommandInput): CommandOutput[] | null {
    if (command.type === 'troubleshoot') return troubleshoot(state, command);
    if (command.type === 'predict') return predict(state, command);
    if (command.type === 'verify_resolution') return verify(state, command);
    if (command.type === 'generate') {
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
        return [{ kind: 'result', result: result(command, 'needs_input', generated) }];
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
            result: result(command, 'rejected', generated, {
              error: { code: decision.code, message: decision.message, retriable: false },
              workflowId,
            }),
          },
        ];
      }
      return [
        ...record(state, command, decision.events),
        { kind: 'result', result: result(command, 'completed', generated, { workflowId, version: 1 }) },
      ];
    }
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
          result: result(
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
          result: result(
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
    const outputs = record(state, command, decision.events);
    const wf = workflowId === null ? undefined : state.projection.workflows.get(workflowId);
    const version =
      command.type === 'publish_version'
        ? (wf?.latestVersion ?? null)
        : command.type === 'roll_back'
          ? command.payload.toVersion
          : command.payload.version;
    outputs.push({
      kind: 'result',
      result: result(
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

/**
 * Caller-supplied history (`historical_data`): hourly arrays, oldest first, ending now. Unknown
 * shapes are ignored (the stored history is used instead).
 */
function historyFromJson(json: string | null, now: number): HourlyHistory | null {
  if (json === null) return null;
  const parsed = z
    .object({
      executions: z
        .array(z.number().nonnegative())
        .min(1)
        .max(24 * 366),
      successRate: z.array(z.number().min(0).max(1).nullable()).optional(),
      p95Ms: z.array(z.number().nonnegative().nullable()).optional(),
      costPerRunMicros: z.array(z.number().nonnegative().nullable()).optional(),
    })
    .safeParse(JSON.parse(json));
  if (!parsed.success) return null;
  const d = parsed.data;
  const n = d.executions.length;
  const fit = (xs: (number | null)[] | undefined): (number | null)[] =>
    Array.from({ length: n }, (_, i) => xs?.[i] ?? null);
  const hour = 3_600_000;
  return {
    start: Math.floor(now / hour) * hour - n * hour,
    executions: d.executions,
    successRate: fit(d.successRate),
    p95Ms: fit(d.p95Ms),
    costPerRunMicros: fit(d.costPerRunMicros),
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
