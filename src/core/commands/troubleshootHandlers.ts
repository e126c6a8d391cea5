// Troubleshooting commands: troubleshoot opens a session and may publish a fix; the verifier's
// verify_resolution commands judge the fix by the failure rate of the runs since, and roll it back
// (escalating to the user) when it does not bring the rate back within the verification window.
import { decide, versionKey } from '../generation/workflowDefinitionEvents.ts';
import { analyzeFailures } from '../troubleshooting/troubleshootAnalysis.ts';
import {
  commandResult,
  recordEvents,
  sessionOutput,
  type CommandInput,
  type CommandOutput,
  type CommandState,
  type SessionState,
  type SessionStatus,
} from './commandOutputs.ts';

/**
 * A troubleshoot command opens a session: root causes from the logs and from what ClickHouse
 * recorded, and a safe fix published as a new version, which the verifier then watches.
 */
export function handleTroubleshoot(
  state: CommandState,
  command: Extract<CommandInput, { type: 'troubleshoot' }>,
  verifyWindowMs: number,
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
      outputs.push(...recordEvents(state, command, decision.events));
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
    result: commandResult(
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

/** A verify_resolution command closes a session as resolved, or rolls the fix back and escalates. */
export function handleVerify(
  state: CommandState,
  command: Extract<CommandInput, { type: 'verify_resolution' }>,
  verifyMinRuns: number,
): CommandOutput[] {
  const p = command.payload;
  const session = state.sessions.get(p.sessionId);
  const v = session?.verification ?? null;
  if (session === undefined || v === null || session.record.tenantId !== command.tenantId) {
    return [
      {
        kind: 'result',
        result: commandResult(
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
    if (decision.ok) outputs.push(...recordEvents(state, command, decision.events));
    session.actions.push({ action: 'rolled_back', toVersion: v.previousVersion, at: now, escalated: true });
    status = 'rolled_back';
  }
  const terminal = status !== 'verifying';
  outputs.push(sessionOutput(session, { status, endedAt: terminal ? now : null }, now));
  if (terminal) state.sessions.delete(p.sessionId);
  outputs.push({
    kind: 'result',
    result: commandResult(
      command,
      'completed',
      { sessionId: p.sessionId, status, failureRate: rate },
      { workflowId: p.workflowId },
    ),
  });
  return outputs;
}
