// The command bus on real services: generate commands round-trip through Kafka (request/reply by
// commandId) into event-sourced workflow definitions in ClickHouse; a duplicate command creates
// nothing new; malformed commands are dead-lettered with their reason; generation reads the live
// Slack reliability from the metric rows in ClickHouse; versions are published, diffed, rolled back
// and rated, and the projection is the same after a full replay of the definitions topic.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, idempotentProducer, parseBrokers } from '../../src/adapters/kafka/kafkaClient.ts';
import { AvroRegistry, readSchemaFile } from '../../src/adapters/registry/schemaRegistry.ts';
import type { Command, CommandResult } from '../../src/core/commands/command.ts';
import type { WorkflowDefinition } from '../../src/core/generation/workflowDefinition.ts';
import { metricsRow } from '../../src/core/metrics/metricsRow.ts';
import { headerString, DLQ_HEADERS } from '../../src/pipeline/deadLetters.ts';
import { startPulseProcess, type PulseProcess } from '../../src/pipeline/pulseProcess.ts';
import { createCommandClient, newCommandId, type CommandClient } from '../../src/sdk/commandClient.ts';
import {
  COMMAND_RESULTS_TOPIC,
  COMMANDS_DLQ_TOPIC,
  COMMANDS_TOPIC,
  DEFINITIONS_TOPIC,
  topicName,
} from '../../src/topology/topics.ts';
import { makeWindow } from '../unit/insights/syntheticWindows.ts';
import { configFrom, isolatedEnv, projectRoot, readTopic, testLog, waitForGroupCaughtUp } from './harness.ts';

const LEAD = 'When a new lead submits the Typeform, create a contact in HubSpot and post to Slack';
const MINUTE = 60_000;

describe('command bus: generate, versions and feedback through Kafka into ClickHouse', () => {
  let running: PulseProcess;
  let client: CommandClient;
  let env: Record<string, string>;
  const db = (): string => configFrom(env).CLICKHOUSE_DATABASE;
  const query = <T>(sql: string): Promise<T[]> => {
    if (running.store === undefined) throw new Error('this process owns ClickHouse');
    return running.store.query<T>(sql);
  };
  const caughtUp = async (): Promise<void> => {
    const config = configFrom(env);
    const group = (stage: string): string => `${config.PULSE_CONSUMER_GROUP_PREFIX}.${stage}`;
    const topic = (base: string): string => topicName(config.PULSE_TOPIC_PREFIX, base);
    await waitForGroupCaughtUp(config, group('command-processor'), topic(COMMANDS_TOPIC));
    await waitForGroupCaughtUp(config, group('definitions-loader'), topic(DEFINITIONS_TOPIC));
    await waitForGroupCaughtUp(config, group('command-results-loader'), topic(COMMAND_RESULTS_TOPIC));
  };
  const generate = (tenantId: string, description = LEAD): Command => ({
    commandId: newCommandId(),
    type: 'generate',
    tenantId,
    userId: 'ana',
    issuedAt: Date.now(),
    payload: { description, strategy: 'reliability', workflowId: null, selectedServices: [] },
  });
  const body = (r: CommandResult): { status: string; workflow: WorkflowDefinition } =>
    JSON.parse(r.bodyJson) as { status: string; workflow: WorkflowDefinition };

  beforeAll(async () => {
    env = await isolatedEnv('commands');
    const config = configFrom(env);
    running = await startPulseProcess(config, projectRoot, testLog, {
      stages: ['command-processor', 'definitions-loader', 'command-results-loader'],
    });
    await running.ready;
    // The last half hour of Slack calls: tenant "stormy" in a 429 storm, tenant "calm" healthy.
    const now = Date.now();
    const start = Math.floor(now / MINUTE) * MINUTE - 30 * MINUTE;
    const rows = [];
    for (let i = 0; i < 30; i++) {
      for (const [tenantId, failures] of [
        ['stormy', 16],
        ['calm', 0],
      ] as const) {
        const w = makeWindow({
          scope: 'service',
          tenantId,
          service: 'slack',
          windowStart: start + i * MINUTE,
          windowMs: MINUTE,
          executions: 40,
          failures,
          durations: Array.from({ length: 40 }, (_, k) => 200 + k * 5),
          errorClasses: failures > 0 ? { rate_limit: failures } : {},
          inputPartition: 0,
        });
        rows.push(metricsRow({ ...w, inputPartition: 0 }, { partition: 0, offset: String(rows.length) }));
      }
    }
    await running.store?.insert('workflow_metrics_1m', rows as unknown as Record<string, unknown>[], {
      dedupToken: 'test-slack-rows',
    });
    client = await createCommandClient({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topicPrefix: config.PULSE_TOPIC_PREFIX,
      logger: testLog,
    });
  }, 240_000);

  afterAll(async () => {
    await client.close();
    await running.stop();
  });

  it('round-trips a generate command; a duplicate creates nothing; malformed commands are dead-lettered', async () => {
    const command = generate('calm');
    const first = await client.request(command, 30_000);
    expect(first).toMatchObject({ commandId: command.commandId, status: 'completed', version: 1 });
    expect(first.workflowId).toMatch(/^wf_[0-9a-f]{16}$/);
    expect(body(first).workflow.steps.map((s) => s.service)).toEqual(
      expect.arrayContaining(['hubspot', 'slack']),
    );
    // Delivered again (a retry): the same answer, and no second workflow.
    const again = await client.request(command, 30_000);
    expect(again).toEqual(first);

    // Malformed: not Avro at all, and Avro that breaks the contract (type generate, no payload).
    const config = configFrom(env);
    const commandsTopic = topicName(config.PULSE_TOPIC_PREFIX, COMMANDS_TOPIC);
    const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
    const schemaId = await registry.register(
      `${commandsTopic}-value`,
      readSchemaFile(path.join(projectRoot, 'schemas'), 'workflow.commands.v1.avsc'),
    );
    const producer = idempotentProducer(
      createKafka(
        { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'test-bad-commands' },
        testLog,
      ),
    );
    await producer.connect();
    await producer.send({
      topic: commandsTopic,
      messages: [
        { key: 'calm', value: Buffer.from('{"type":"generate"}') },
        {
          key: 'calm',
          value: await registry.encode(schemaId, {
            commandId: 'bad-1',
            type: 'generate',
            tenantId: 'calm',
            userId: 'ana',
            issuedAt: Date.now(),
            generate: null,
            troubleshoot: null,
            predict: null,
            publishVersion: null,
            rollBack: null,
            recordFeedback: null,
          }),
        },
      ],
    });
    await producer.disconnect();
    const dead = await readTopic(config, topicName(config.PULSE_TOPIC_PREFIX, COMMANDS_DLQ_TOPIC), 2);
    expect(dead).toHaveLength(2);
    const reasons = dead.map((m) => headerString(m.headers, DLQ_HEADERS.reason) ?? '');
    expect(reasons[0]).toBe('not-confluent-framed');
    expect(reasons[1]).toMatch(/^generate: /);

    await caughtUp();
    const workflows = await query<{ n: string }>(
      `SELECT count() AS n FROM ${db()}.workflows WHERE tenant_id = 'calm'`,
    );
    expect(Number(workflows[0]?.n)).toBe(1);
    const versions = await query<{ workflow_id: string; version: number; name: string }>(
      `SELECT workflow_id, version, name FROM ${db()}.workflow_versions WHERE tenant_id = 'calm'`,
    );
    expect(versions).toEqual([
      { workflow_id: first.workflowId, version: 1, name: body(first).workflow.name },
    ]);
    const results = await query<{ status: string }>(
      `SELECT status FROM ${db()}.command_results FINAL WHERE command_id = '${command.commandId}'`,
    );
    expect(results).toEqual([{ status: 'completed' }]);
  });

  it('backs off and lowers concurrency on Slack during its 429 storm, citing the evidence; not when healthy', async () => {
    const [stormy, calm] = await Promise.all([
      client.request(generate('stormy'), 30_000),
      client.request(generate('calm'), 30_000),
    ]);
    const slackOf = (r: CommandResult) => {
      const step = body(r).workflow.steps.find((s) => s.service === 'slack');
      if (step === undefined) throw new Error('no Slack step');
      return step;
    };
    expect(slackOf(stormy).retry.initialDelayMs).toBeGreaterThan(slackOf(calm).retry.initialDelayMs);
    expect(slackOf(stormy).retry.respectRetryAfter).toBe(true);
    expect(slackOf(stormy).concurrency).toBeLessThan(slackOf(calm).concurrency);
    const evidence = body(stormy).workflow.prediction.evidence.find((e) => e.kind === 'rate_limit_storm');
    expect(evidence).toMatchObject({ service: 'slack', executions: 1200 });
    expect(evidence?.message).toMatch(/^slack: 40% of calls failed with rate_limit over the last 1 h/);
    expect(body(calm).workflow.prediction.evidence.map((e) => e.kind)).not.toContain('rate_limit_storm');
    expect(body(calm).workflow.prediction.evidence.find((e) => e.service === 'slack')?.kind).toBe('observed');
  });

  it('publishes, diffs, rolls back and rates versions, and a full replay rebuilds the same projection', async () => {
    const created = await client.request(generate('versions'), 30_000);
    const workflowId = created.workflowId ?? '';
    const v1 = body(created).workflow;
    const v2 = {
      ...v1,
      name: `${v1.name} (quiet)`,
      steps: v1.steps.map((s) => (s.service === 'slack' ? { ...s, concurrency: 1 } : s)),
    };
    const base = { tenantId: 'versions', userId: 'ana', issuedAt: Date.now() };
    const published = await client.request(
      {
        ...base,
        commandId: newCommandId(),
        type: 'publish_version',
        payload: { workflowId, definitionJson: JSON.stringify(v2), reason: 'one Slack call at a time' },
      },
      30_000,
    );
    expect(published).toMatchObject({ status: 'completed', version: 2 });
    const unchanged = await client.request(
      {
        ...base,
        commandId: newCommandId(),
        type: 'publish_version',
        payload: { workflowId, definitionJson: JSON.stringify(v2), reason: 'again' },
      },
      30_000,
    );
    expect(unchanged).toMatchObject({ status: 'rejected', error: { code: 'unchanged' } });
    const rolledBack = await client.request(
      {
        ...base,
        commandId: newCommandId(),
        type: 'roll_back',
        payload: { workflowId, toVersion: 1, reason: 'v2 is slower' },
      },
      30_000,
    );
    expect(rolledBack).toMatchObject({ status: 'completed', version: 1 });
    const rated = await client.request(
      {
        ...base,
        commandId: newCommandId(),
        type: 'record_feedback',
        payload: { workflowId, version: 1, rating: 4, comment: 'works' },
      },
      30_000,
    );
    expect(rated.status).toBe('completed');
    const missing = await client.request(
      {
        ...base,
        commandId: newCommandId(),
        type: 'roll_back',
        payload: { workflowId: 'nope', toVersion: 1, reason: 'x' },
      },
      30_000,
    );
    expect(missing).toMatchObject({ status: 'rejected', error: { code: 'not_found' } });

    await caughtUp();
    const projection = async (): Promise<unknown[]> => [
      ...(await query(
        `SELECT workflow_id, name, current_version, latest_version, feedback_count, average_rating
         FROM ${db()}.workflows WHERE tenant_id = 'versions'`,
      )),
      ...(await query(
        `SELECT version, name, diff, reason FROM ${db()}.workflow_versions WHERE tenant_id = 'versions' ORDER BY version`,
      )),
      ...(await query(
        `SELECT version, user_id, rating, comment FROM ${db()}.workflow_feedback WHERE tenant_id = 'versions'`,
      )),
    ];
    const before = await projection();
    expect(before[0]).toMatchObject({
      workflow_id: workflowId,
      name: v1.name,
      current_version: 1,
      latest_version: 2,
      feedback_count: 1,
      average_rating: 4,
    });
    const diff = JSON.parse((before[2] as { diff: string }).diff) as {
      fields: { path: string }[];
      stepsChanged: { stepId: string }[];
    };
    expect(diff.fields.map((f) => f.path)).toContain('name');
    expect(diff.stepsChanged).toHaveLength(1);
    expect(before[3]).toEqual({ version: 1, user_id: 'ana', rating: 4, comment: 'works' });

    // Rebuild the event table from the topic and swap it in: the views read the same.
    const res = await fetch(`${running.apiUrl}/api/admin/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ table: 'workflow_definition_events' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { rowsLoaded: number }).rowsLoaded).toBeGreaterThanOrEqual(6);
    expect(await projection()).toEqual(before);
  });
});
