// Troubleshooting on real services: execution events land in ClickHouse (archive loader), a
// troubleshoot command opens a session (root causes from the logs and the recorded failures), safe
// fixes are published as new versions and verified by the verifier against the runs that follow;
// failures a retry cannot fix get instructions instead; a fix that does not bring the failure rate
// back is rolled back past the version the regression came with, and the session escalated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command, CommandResult } from '../../src/core/commands/command.ts';
import type { ExecutionEventInput } from '../../src/core/executionEvent.ts';
import type { WorkflowDefinition } from '../../src/core/generation/workflowDefinition.ts';
import { startPulseProcess, type PulseProcess } from '../../src/pipeline/pulseProcess.ts';
import { createCommandClient, newCommandId, type CommandClient } from '../../src/sdk/commandClient.ts';
import { createExecutionPublisher, type ExecutionPublisher } from '../../src/sdk/executionPublisher.ts';
import { EXECUTIONS_TOPIC, topicName } from '../../src/topology/topics.ts';
import { configFrom, isolatedEnv, projectRoot, testLog, waitFor, waitForGroupCaughtUp } from './harness.ts';

const MINUTE = 60_000;
const TENANT = 'ops';

interface Failure {
  readonly class: string;
  readonly code: string;
  readonly httpStatus: number | null;
  readonly message: string;
}

const GOOGLE_RATE_LIMIT: Failure = {
  class: 'rate_limit',
  code: 'userRateLimitExceeded',
  httpStatus: 403,
  message:
    '{"error":{"code":403,"message":"User Rate Limit Exceeded","errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded"}]}}',
};
const HUBSPOT_5XX: Failure = {
  class: 'upstream_5xx',
  code: '503',
  httpStatus: 503,
  message: 'HTTP 503 Service Unavailable: upstream connect error',
};

let seq = 0;
/** `perMinute` runs a minute of a one-step workflow over [from, to); a share of them fail at the step. */
function runs(options: {
  workflowId: string;
  version: number;
  stepId: string;
  service: string;
  from: number;
  to: number;
  perMinute: number;
  failShare: number;
  failure?: Failure;
}): ExecutionEventInput[] {
  const events: ExecutionEventInput[] = [];
  const spacing = MINUTE / options.perMinute;
  let i = 0;
  for (let t = options.from; t < options.to; t += spacing, i++) {
    const failed = options.failure !== undefined && (i % 100) / 100 < options.failShare;
    const executionId = `x-${String(seq++)}`;
    const error =
      failed && options.failure !== undefined
        ? {
            class: options.failure.class,
            code: options.failure.code,
            httpStatus: options.failure.httpStatus,
            message: options.failure.message,
            retryable: true,
          }
        : null;
    const base = {
      tenantId: TENANT,
      workflowId: options.workflowId,
      workflowVersion: options.version,
      executionId,
    };
    events.push(
      { ...base, eventId: `${executionId}-s`, type: 'WORKFLOW_STARTED', occurredAt: Math.round(t) },
      {
        ...base,
        eventId: `${executionId}-1`,
        type: failed ? 'STEP_FAILED' : 'STEP_COMPLETED',
        occurredAt: Math.round(t) + 200,
        stepId: options.stepId,
        service: options.service,
        durationMs: 200,
        error,
      },
      {
        ...base,
        eventId: `${executionId}-e`,
        type: failed ? 'WORKFLOW_FAILED' : 'WORKFLOW_COMPLETED',
        occurredAt: Math.round(t) + 201,
        durationMs: 201,
        error,
      },
    );
  }
  return events;
}

describe('troubleshooting sessions', () => {
  let running: PulseProcess;
  let client: CommandClient;
  let publisher: ExecutionPublisher;
  let env: Record<string, string>;

  const query = <T>(sql: string): Promise<T[]> => {
    if (running.store === undefined) throw new Error('this process owns ClickHouse');
    return running.store.query<T>(sql);
  };
  const db = (): string => configFrom(env).CLICKHOUSE_DATABASE;
  const loaded = async (): Promise<void> => {
    const config = configFrom(env);
    await waitForGroupCaughtUp(
      config,
      `${config.PULSE_CONSUMER_GROUP_PREFIX}.archive-loader`,
      topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    );
  };
  const generate = async (description: string): Promise<WorkflowDefinition> => {
    const r = await client.request(
      {
        commandId: newCommandId(),
        type: 'generate',
        tenantId: TENANT,
        userId: 'ana',
        issuedAt: Date.now(),
        payload: { description, strategy: 'hybrid', workflowId: null, selectedServices: [] },
      },
      30_000,
    );
    expect(r.status).toBe('completed');
    return (JSON.parse(r.bodyJson) as { workflow: WorkflowDefinition }).workflow;
  };
  const troubleshoot = (
    workflowId: string,
    logs: { service: string; log: string; httpStatus: number | null }[],
  ): Promise<CommandResult> =>
    client.request(
      {
        commandId: newCommandId(),
        type: 'troubleshoot',
        tenantId: TENANT,
        userId: 'ana',
        issuedAt: Date.now(),
        payload: {
          workflowId,
          errorLogs: logs.map((l) => ({ ...l, stepId: null, occurredAt: null })),
          metricsJson: null,
          autoResolve: true,
        },
      },
      30_000,
    );
  interface Body {
    sessionId: string;
    status: string;
    hypotheses: { kind: string; errorClass: string; service: string | null; version: number | null }[];
    recommendations: { action: string; automatic: boolean; instructions: string }[];
    classified: { class: string; autoResolvable: boolean }[];
    actions: { action: string; version?: number }[];
  }
  const bodyOf = (r: CommandResult): Body => JSON.parse(r.bodyJson) as Body;
  const session = async (
    id: string,
    status: string,
  ): Promise<{ actions_taken: string; end_time: string | null }> =>
    waitFor(
      `session ${id} to be ${status}`,
      async () =>
        (
          await query<{ resolution_status: string; actions_taken: string; end_time: string | null }>(
            `SELECT resolution_status, actions_taken, toString(end_time) AS end_time
             FROM ${db()}.troubleshooting_sessions FINAL WHERE session_id = '${id}'`,
          )
        ).find((r) => r.resolution_status === status),
      90_000,
      500,
    );

  beforeAll(async () => {
    env = {
      ...(await isolatedEnv('troubleshoot')),
      PULSE_TROUBLESHOOT_VERIFY_EVERY_MS: '1000',
      PULSE_TROUBLESHOOT_VERIFY_WINDOW_MS: '15000',
    };
    const config = configFrom(env);
    running = await startPulseProcess(config, projectRoot, testLog, {
      stages: [
        'archive-loader',
        'command-processor',
        'definitions-loader',
        'command-results-loader',
        'sessions-loader',
      ],
    });
    await running.ready;
    client = await createCommandClient({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topicPrefix: config.PULSE_TOPIC_PREFIX,
      logger: testLog,
    });
    publisher = await createExecutionPublisher({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    });
  }, 240_000);

  afterAll(async () => {
    await publisher.close();
    await client.close();
    await running.stop();
  });

  it('auto-resolves a Google 403 rateLimitExceeded with backoff and closes the session once the failures stop', async () => {
    const wf = await generate('When a Typeform is submitted, append a row to Google Sheets');
    const step = wf.steps[0];
    if (step === undefined) throw new Error('no step');
    const now = Date.now();
    const common = {
      workflowId: wf.workflowId,
      version: 1,
      stepId: step.stepId,
      service: step.service,
      perMinute: 12,
    };
    await publisher.publish([
      ...runs({ ...common, from: now - 40 * MINUTE, to: now - 10 * MINUTE, failShare: 0 }),
      ...runs({
        ...common,
        from: now - 10 * MINUTE,
        to: now - 1000,
        failShare: 0.5,
        failure: GOOGLE_RATE_LIMIT,
      }),
    ]);
    await loaded();
    const result = await troubleshoot(wf.workflowId, [
      { service: 'google-sheets', log: GOOGLE_RATE_LIMIT.message, httpStatus: 403 },
    ]);
    const body = bodyOf(result);
    expect(body.status).toBe('verifying');
    expect(body.hypotheses[0]).toMatchObject({
      kind: 'service_error',
      errorClass: 'rate_limit',
      service: 'google-sheets',
    });
    expect(body.recommendations[0]).toMatchObject({ action: 'backoff', automatic: true });
    expect(body.actions).toEqual([expect.objectContaining({ action: 'published_version', version: 2 })]);
    const v2 = await query<{ definition: string }>(
      `SELECT definition FROM ${db()}.workflow_versions WHERE workflow_id = '${wf.workflowId}' AND version = 2`,
    ).then(async (rows) =>
      rows.length > 0
        ? rows
        : waitFor('version 2 in ClickHouse', async () => {
            const r = await query<{ definition: string }>(
              `SELECT definition FROM ${db()}.workflow_versions WHERE workflow_id = '${wf.workflowId}' AND version = 2`,
            );
            return r.length > 0 ? r : undefined;
          }),
    );
    const fixed = (JSON.parse(v2[0]?.definition ?? '{}') as WorkflowDefinition).steps[0];
    expect(fixed?.retry.initialDelayMs).toBeGreaterThan(step.retry.initialDelayMs);
    expect(fixed?.retry.respectRetryAfter).toBe(true);
    expect(fixed?.concurrency).toBeLessThanOrEqual(step.concurrency);

    // The injected failures stop: version 2 runs clean, and the verifier closes the session.
    const after = Date.now();
    await publisher.publish(
      runs({ ...common, version: 2, from: after, to: after + 2 * MINUTE, failShare: 0 }),
    );
    const closed = await session(body.sessionId, 'resolved');
    expect(closed.end_time).not.toBeNull();
  });

  it('does not retry or auto-resolve an OpenAI insufficient_quota 429; an expired Slack token gets reconnect instructions', async () => {
    const wf = await generate('Summarize each new Gmail email with OpenAI and post the summary to Slack');
    const result = await troubleshoot(wf.workflowId, [
      {
        service: 'openai',
        log: '{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","code":"insufficient_quota"}}',
        httpStatus: 429,
      },
    ]);
    const body = bodyOf(result);
    expect(body.status).toBe('awaiting_user');
    expect(body.classified[0]).toMatchObject({ class: 'quota', autoResolvable: false });
    expect(body.recommendations[0]).toMatchObject({ action: 'raise_quota', automatic: false });
    expect(body.recommendations[0]?.instructions).toMatch(/not retried/);
    expect(body.actions).toEqual([]);
    expect(result.version).toBeNull();

    const slack = bodyOf(
      await troubleshoot(wf.workflowId, [
        { service: 'slack', log: '{"ok":false,"error":"token_expired"}', httpStatus: 200 },
      ]),
    );
    expect(slack.status).toBe('awaiting_user');
    expect(slack.recommendations[0]).toMatchObject({ action: 'reconnect_credentials', automatic: false });
    expect(slack.recommendations[0]?.instructions).toMatch(/^Reconnect the Slack connection/);
    await session(slack.sessionId, 'awaiting_user');
  });

  it('traces a regression to the version published just before and rolls it back when the fix fails verification', async () => {
    const wf = await generate('When a Stripe payment succeeds, create a contact in HubSpot');
    const step = wf.steps[0];
    if (step === undefined) throw new Error('no step');
    const now = Date.now();
    const published = now - 8 * MINUTE;
    const v2 = { ...wf, name: `${wf.name} (v2)`, steps: wf.steps.map((s) => ({ ...s, timeoutMs: 5000 })) };
    const publish: Command = {
      commandId: newCommandId(),
      type: 'publish_version',
      tenantId: TENANT,
      userId: 'ana',
      issuedAt: published,
      payload: { workflowId: wf.workflowId, definitionJson: JSON.stringify(v2), reason: 'shorter timeout' },
    };
    expect((await client.request(publish, 30_000)).version).toBe(2);
    const common = { workflowId: wf.workflowId, stepId: step.stepId, service: step.service, perMinute: 12 };
    await publisher.publish([
      ...runs({ ...common, version: 1, from: now - 40 * MINUTE, to: published, failShare: 0 }),
      ...runs({
        ...common,
        version: 2,
        from: published + MINUTE,
        to: now - 1000,
        failShare: 0.6,
        failure: HUBSPOT_5XX,
      }),
    ]);
    await loaded();
    const body = bodyOf(
      await troubleshoot(wf.workflowId, [{ service: 'hubspot', log: HUBSPOT_5XX.message, httpStatus: 503 }]),
    );
    expect(body.hypotheses.find((h) => h.kind === 'version_regression')).toMatchObject({ version: 2 });
    expect(body.status).toBe('verifying');
    expect(body.actions).toEqual([expect.objectContaining({ action: 'published_version', version: 3 })]);
    // The fix does not help: version 3 keeps failing until the verification window ends.
    const after = Date.now();
    await publisher.publish(
      runs({
        ...common,
        version: 3,
        from: after,
        to: after + 2 * MINUTE,
        failShare: 0.6,
        failure: HUBSPOT_5XX,
      }),
    );
    const escalated = await session(body.sessionId, 'rolled_back');
    expect(JSON.parse(escalated.actions_taken)).toContainEqual(
      expect.objectContaining({ action: 'rolled_back', toVersion: 1, escalated: true }),
    );
    const current = await waitFor('the rollback in ClickHouse', async () => {
      const rows = await query<{ current_version: number; latest_version: number }>(
        `SELECT current_version, latest_version FROM ${db()}.workflows WHERE workflow_id = '${wf.workflowId}'`,
      );
      return rows[0]?.current_version === 1 ? rows[0] : undefined;
    });
    expect(current).toEqual({ current_version: 1, latest_version: 3 });
  });
});
