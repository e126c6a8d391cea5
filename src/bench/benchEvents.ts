// Shared by the throughput benches: the simulated execution events they publish, and the Kafka
// figures they wait on (a group's committed offsets, a topic's end).
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { simulateExecution, simulateWorkflows } from '../core/demo/executionSimulator.ts';
import type { ExecutionEvent } from '../core/executionEvent.ts';
import { seededRandom } from '../core/seededRandom.ts';

/**
 * Realistic runs from the demo simulator, generated a chunk at a time to keep memory flat. Runs
 * start 7 ms of event time apart, which is about 0.79 ms of event time per event.
 */
export function* eventChunks(count: number, startMs: number, chunk: number): Generator<ExecutionEvent[]> {
  const workflows = simulateWorkflows({ tenants: 5, workflows: 200, seed: 11 });
  const random = seededRandom(12);
  let produced = 0;
  let run = 0;
  let clock = startMs;
  let events: ExecutionEvent[] = [];
  while (produced < count) {
    const workflow = workflows[run % workflows.length];
    if (workflow === undefined) break;
    for (const e of simulateExecution(workflow, `bench-${run}`, clock, random)) {
      if (produced >= count) break;
      events.push(e);
      produced++;
    }
    run++;
    clock += 7; // ~140 runs per second of event time
    if (events.length >= chunk || produced >= count) {
      yield events;
      events = [];
    }
  }
}

/** Sends `count` events to `topic`, keyed by workflow, four sends of 10,000 in flight. */
export async function sendAll(
  count: number,
  send: (record: {
    topic: string;
    acks: number;
    messages: { key: string; value: Buffer }[];
  }) => Promise<unknown>,
  topic: string,
  encode: (e: ExecutionEvent) => Buffer,
  startMs: number,
): Promise<void> {
  const inFlight: Promise<unknown>[] = [];
  for (const events of eventChunks(count, startMs, 10_000)) {
    inFlight.push(
      send({ topic, acks: -1, messages: events.map((e) => ({ key: e.workflowId, value: encode(e) })) }),
    );
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

/**
 * Sends `count` events to `topic` in one open transaction: read-committed consumers see none of
 * them until `commit()`, then all at once.
 */
export async function preloadHeld(
  count: number,
  kafka: Kafka,
  topic: string,
  encode: (e: ExecutionEvent) => Buffer,
  startMs: number,
): Promise<{ commit: () => Promise<void> }> {
  const producer = kafka.producer({
    transactionalId: `bench-held-${randomBytes(4).toString('hex')}`,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 600_000,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const transaction = await producer.transaction();
  await sendAll(count, (record) => transaction.send(record), topic, encode, startMs);
  return {
    async commit() {
      await transaction.commit();
      await producer.disconnect();
    },
  };
}

/** Sum over partitions of a group's committed offsets on a topic. */
export async function groupCommitted(admin: Admin, groupId: string, topic: string): Promise<bigint> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (entry?.partitions ?? []).reduce((n, p) => n + (BigInt(p.offset) > 0n ? BigInt(p.offset) : 0n), 0n);
}

/** Sum over partitions of a topic's end offsets. */
export async function topicEnd(admin: Admin, topic: string): Promise<bigint> {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + BigInt(p.high), 0n);
}

/**
 * Whether the metrics processor has committed its input up to `inputEnd` and the metrics loader
 * the whole metrics topic (whose end counts up to one transaction marker per partition).
 */
export async function metricsPathCommitted(
  admin: Admin,
  groupPrefix: string,
  input: string,
  inputEnd: bigint,
  metricsTopic: string,
): Promise<boolean> {
  if ((await groupCommitted(admin, `${groupPrefix}.metrics-processor`, input)) < inputEnd) return false;
  return (
    (await groupCommitted(admin, `${groupPrefix}.metrics-loader`, metricsTopic)) >=
    (await topicEnd(admin, metricsTopic)) - 6n
  );
}

export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Reads `total` records of `topic` from the start with kafkajs in a fresh group, each through
 * `decode` when given; returns records/s from the group join (the clock starts when fetching
 * begins, not at the first batch: a single fetch can return every partition's data at once).
 */
export async function consumeAll(
  kafka: Kafka,
  topic: string,
  total: number,
  decode: ((b: Buffer | null) => unknown) | null,
): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `bench-read-${randomBytes(4).toString('hex')}`,
    maxBytes: 64 * 1024 * 1024,
    maxBytesPerPartition: 16 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let started = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    started = performance.now();
  });
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  await consumer.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      if (decode !== null) for (const m of batch.messages) decode(m.value);
      seen += batch.messages.length;
      if (seen >= total) resolveDone();
      await Promise.resolve();
    },
  });
  await done;
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  return total / seconds;
}
