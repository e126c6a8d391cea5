// The live insight stream against the real Kafka and registry: insights produced in transactions on
// every partition of the insights topic reach a subscriber as SSE; one that drops mid-stream and
// resumes with its Last-Event-ID misses none and sees none twice; aborted transactions are never
// sent; filters, the stream limit and the consumer clean-up hold.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Partitioners, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, parseBrokers } from '../../src/adapters/kafka/kafkaClient.ts';
import { applyTopics } from '../../src/adapters/kafka/topicAdmin.ts';
import { AvroRegistry, readSchemaFile } from '../../src/adapters/registry/schemaRegistry.ts';
import { registerInsightStream, type InsightStreams } from '../../src/api/insightStream.ts';
import {
  readInsightStream,
  StreamRefusedError,
  type InsightStreamRequest,
  type SseMessage,
} from '../../src/cli/commands/insightsCommand.ts';
import type { Insight, InsightSeverity } from '../../src/core/insights/insight.ts';
import { decodeStreamPosition } from '../../src/core/insights/streamPosition.ts';
import { INSIGHTS_TOPIC, topicCatalog, topicName } from '../../src/topology/topics.ts';
import { configFrom, isolatedEnv, projectRoot, testLog, waitFor } from './harness.ts';

const PARTITIONS = 3;
const SEVERITIES: readonly InsightSeverity[] = ['info', 'warning', 'critical'];

function insight(n: number, tenant: string): Insight {
  const windowStart = Date.UTC(2025, 0, 1) + n * 60_000;
  return {
    insightId: `ins_test_${String(n).padStart(4, '0')}`,
    kind: 'failure_rate',
    state: 'open',
    change: 'opened',
    scope: 'workflow',
    key: `${tenant}/wf-${n}`,
    tenantId: tenant,
    workflowId: `wf-${n}`,
    stepId: null,
    service: null,
    metric: 'failure_rate',
    windowStart,
    windowEnd: windowStart + 60_000,
    observed: 0.4,
    expected: 0.02,
    lower: 0,
    upper: 0.05,
    score: 0.9,
    severity: SEVERITIES[n % SEVERITIES.length] ?? 'info',
    confidence: 0.8,
    impact: { unit: 'failed_runs', value: 12 },
    contributors: [{ dimension: 'service', value: 'slack', share: 1 }],
    description: `insight ${n}`,
    openedAt: windowStart,
    resolvedAt: null,
    relatedWorkflows: [],
  };
}

describe('GET /api/insights/stream', () => {
  let app: FastifyInstance;
  let streams: InsightStreams;
  let producer: Producer;
  let admin: Admin;
  let registry: AvroRegistry;
  let schemaId: number;
  let topic: string;
  let groupPrefix: string;
  let request: InsightStreamRequest;
  let produced = 0;
  /** every committed insight, and the partition it went to */
  const committed: Insight[] = [];
  const partitionOf = new Map<string, number>();

  /** Produces `count` insights in one transaction, spread over every partition (tenants t0…t2). */
  const produce = async (count: number, outcome: 'commit' | 'abort' = 'commit'): Promise<Insight[]> => {
    const batch = Array.from({ length: count }, (_, i) => insight(produced + i, `t${(produced + i) % 3}`));
    produced += count;
    const transaction = await producer.transaction();
    await transaction.send({
      topic,
      messages: await Promise.all(
        batch.map(async (value, i) => ({
          // partitions in an order that does not follow tenants, so a drop lands mid-partition
          partition: (i * 2) % PARTITIONS,
          key: value.tenantId,
          value: await registry.encode(schemaId, value),
        })),
      ),
    });
    if (outcome === 'commit') await transaction.commit();
    else await transaction.abort();
    batch.forEach((value, i) => partitionOf.set(value.insightId, (i * 2) % PARTITIONS));
    if (outcome === 'commit') committed.push(...batch);
    return batch;
  };

  /** Reads a stream until `stopAfter` insights arrived or `until` holds, then drops the connection. */
  const subscribe = async (
    query: Partial<InsightStreamRequest>,
    options: { lastEventId?: string; stopAfter?: number; onReady?: () => void } = {},
  ): Promise<{
    insights: Insight[];
    lastEventId: string;
    messages: SseMessage[];
    done: Promise<string>;
    stop: () => void;
  }> => {
    const drop = new AbortController();
    const received = {
      insights: [] as Insight[],
      messages: [] as SseMessage[],
      lastEventId: options.lastEventId ?? '',
    };
    let ready: () => void = () => undefined;
    const isReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const done = readInsightStream(
      { ...request, ...query },
      {
        lastEventId: options.lastEventId,
        signal: drop.signal,
        onMessage: (message) => {
          received.messages.push(message);
          received.lastEventId = message.lastEventId;
          if (message.event === 'ready') ready();
          if (message.event === 'insight' && message.data !== undefined) {
            received.insights.push(JSON.parse(message.data) as Insight);
            if (received.insights.length === options.stopAfter) drop.abort();
          }
        },
      },
    );
    await Promise.race([isReady, done]);
    return {
      get insights() {
        return received.insights;
      },
      get lastEventId() {
        return received.lastEventId;
      },
      messages: received.messages,
      done,
      stop: () => {
        drop.abort();
      },
    };
  };

  beforeAll(async () => {
    const config = configFrom(await isolatedEnv('insight-stream'));
    topic = topicName(config.PULSE_TOPIC_PREFIX, INSIGHTS_TOPIC);
    groupPrefix = config.PULSE_CONSUMER_GROUP_PREFIX;
    const brokers = parseBrokers(config.PULSE_KAFKA_BROKERS);
    const kafka = createKafka({ brokers, clientId: 'insight-stream-test' }, testLog);
    const spec = topicCatalog.find((t) => t.name === INSIGHTS_TOPIC);
    if (spec?.valueSchema == null) throw new Error('the insights topic has no schema');
    expect(spec.partitions).toBe(PARTITIONS);
    await applyTopics(kafka, [{ ...spec, fullName: topic }]);
    registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
    schemaId = await registry.register(
      `${topic}-value`,
      readSchemaFile(path.join(projectRoot, 'schemas'), spec.valueSchema),
    );
    producer = kafka.producer({
      transactionalId: `insight-stream-test-${randomBytes(4).toString('hex')}`,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 5000 },
    });
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();

    // undici leaves spare connections that never send a request; do not wait for them on close.
    app = Fastify({ logger: false, forceCloseConnections: true });
    streams = registerInsightStream(app, {
      brokers,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topic,
      log: testLog,
      maxStreams: 2,
      heartbeatMs: 300,
      groupPrefix,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    request = { baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
  });

  afterAll(async () => {
    await app.close();
    await producer.disconnect();
    await admin.disconnect();
  });

  it('resumes after a dropped connection with no insight missed or sent twice, on every partition', async () => {
    // Before the subscriber: not sent, it starts at the end.
    await produce(6);
    const first = await subscribe({}, { stopAfter: 14 });
    const startedAt = decodeStreamPosition(first.lastEventId);
    expect(startedAt.ok && [...startedAt.position.keys()]).toEqual([0, 1, 2]);

    const a1 = await produce(12);
    await produce(5, 'abort');
    const a2 = await produce(12);
    await first.done;
    expect(first.insights).toHaveLength(14);
    // The server closes the stream's consumer once the client is gone.
    await waitFor(
      'the dropped stream to close',
      () => Promise.resolve(streams.active() === 0 || undefined),
      30_000,
    );

    // Produced while nobody listens.
    const b = await produce(15);
    const second = await subscribe({}, { lastEventId: first.lastEventId });
    const c = await produce(9, 'abort').then(() => produce(9));
    const expected = [...a1, ...a2, ...b, ...c];
    await waitFor(
      'the rest of the insights',
      () => Promise.resolve(first.insights.length + second.insights.length >= expected.length || undefined),
      60_000,
    );
    // Linger: a duplicate or an aborted record would show up now.
    await new Promise((r) => setTimeout(r, 1500));
    second.stop();
    await second.done;

    const seen = [...first.insights, ...second.insights].map((i) => i.insightId);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(expected.map((i) => i.insightId).sort());
    // The first subscriber dropped in the middle of A, having read from every partition.
    const partitions = (list: Insight[]): number[] =>
      [...new Set(list.map((i) => partitionOf.get(i.insightId)))].sort() as number[];
    expect(partitions(first.insights)).toEqual([0, 1, 2]);
    const inA = new Set([...a1, ...a2].map((i) => i.insightId));
    expect(second.insights.filter((i) => inA.has(i.insightId)).length).toBe(a1.length + a2.length - 14);
    // Within a partition, insights arrive in the order they were produced.
    for (const p of [0, 1, 2]) {
      const order = (list: Insight[]): string[] =>
        list.filter((i) => partitionOf.get(i.insightId) === p).map((i) => i.insightId);
      expect(order([...first.insights, ...second.insights])).toEqual(order(expected));
    }
    // What arrives is the insight as produced.
    const last = c.at(-1);
    expect(second.insights.find((i) => i.insightId === last?.insightId)).toEqual(last);
  });

  it('replays from the beginning with tenant and severity filters, and passes heartbeats', async () => {
    const wanted = committed.filter(
      (i) => i.tenantId === 't1' && (i.severity === 'warning' || i.severity === 'critical'),
    );
    expect(wanted.length).toBeGreaterThan(0);
    const stream = await subscribe({ from: 'beginning', tenant: 't1', severity: 'warning,critical' });
    await waitFor(
      'the filtered replay',
      () => Promise.resolve(stream.insights.length >= wanted.length || undefined),
      60_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    stream.stop();
    await stream.done;
    expect(stream.insights.map((i) => i.insightId).sort()).toEqual(wanted.map((i) => i.insightId).sort());
    // After the replay, a heartbeat carries the position past the filtered-out records, markers
    // included (an id-only block): the end of every partition.
    expect(stream.messages.at(-1)?.data).toBeUndefined();
    const end = await admin.fetchTopicOffsets(topic);
    expect(stream.lastEventId).toBe(
      end
        .sort((x, y) => x.partition - y.partition)
        .map((o) => `${o.partition}:${o.high}`)
        .join(','),
    );
  });

  it('refuses a bad position with 400 and a stream past the limit with 429', async () => {
    await expect(
      readInsightStream({ ...request, from: '0:abc' }, { onMessage: () => undefined }),
    ).rejects.toThrow(StreamRefusedError);
    await expect(
      readInsightStream({ ...request, severity: 'loud' }, { onMessage: () => undefined }),
    ).rejects.toMatchObject({ status: 400 });
    const one = await subscribe({});
    const two = await subscribe({});
    await expect(readInsightStream(request, { onMessage: () => undefined })).rejects.toMatchObject({
      status: 429,
    });
    one.stop();
    two.stop();
    await Promise.all([one.done, two.done]);
    await waitFor('the streams to close', () => Promise.resolve(streams.active() === 0 || undefined), 30_000);
    // Their throwaway groups are gone or empty: nothing is left consuming, nothing was committed.
    const groups = (await admin.listGroups()).groups.filter((g) =>
      g.groupId.startsWith(`${groupPrefix}-insight-stream-`),
    );
    expect(groups.length).toBeGreaterThan(0);
    await waitFor(
      'the stream groups to empty',
      async () => {
        const described = await admin.describeGroups(groups.map((g) => g.groupId));
        return described.groups.every((g) => g.state === 'Empty' || g.state === 'Dead') || undefined;
      },
      30_000,
    );
    const committed = await Promise.all(
      groups.map(async (g) => admin.fetchOffsets({ groupId: g.groupId, topics: [topic] })),
    );
    for (const [entry] of committed) for (const p of entry?.partitions ?? []) expect(p.offset).toBe('-1');
  });
});
