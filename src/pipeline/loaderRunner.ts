// The loader runner: consume → decode → validate → insert idempotently into ClickHouse → commit.
//
// Exactly-once into ClickHouse without transactions there:
//   1. Messages are buffered per partition and flushed as one contiguous offset range [from, to].
//   2. Before inserting, the range is committed to Kafka as the partition's *intent*: offset
//      `from` (unchanged) with the metadata `pulse-intent:<from>-<to>`, so the intent is as
//      durable as the offsets themselves and needs no other store.
//   3. The insert carries the deterministic token `<group>:<topic>:<partition>:<from>-<to>`;
//      ClickHouse drops an insert whose token it has already seen.
//   4. Dead letters are produced (awaited), then offset to+1 is committed.
// After a crash anywhere in 2–4 the partition restarts at `from`; the intent makes the runner
// rebuild exactly the same range, so the replayed insert carries the same token and is a no-op.
// The table's ReplacingMergeTree natural key is the second line of defence.
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { ClickHouseStore } from '../adapters/clickhouse/clickhouseStore.ts';
import {
  idempotentProducer,
  isLostAssignment,
  sendInChunks,
  translateKafkaError,
} from '../adapters/kafka/kafkaClient.ts';
import type { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { errorMessage, isRetriable } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { rejectedMessages } from './deadLetters.ts';
import { chunkPreparer, type Insertable } from './loaderChunks.ts';
import type { LoaderDefinition } from './loaderDefinition.ts';
import {
  committedIntent,
  firstAbove,
  forgetPosition,
  intentMetadata,
  newPartitionBuffer,
  timerDue,
  type PartitionBuffer,
} from './loaderPartition.ts';
import type { StageMetrics } from './stageMetrics.ts';

export interface LoaderOptions {
  readonly groupId: string;
  readonly inputTopic: string;
  readonly deadLetterTopic: string;
  readonly batchMax: number;
  readonly flushMs: number;
  readonly sessionTimeoutMs: number;
  /** partitions processed concurrently by this instance */
  readonly concurrency?: number;
}

export interface LoaderHandle {
  readonly metrics: StageMetrics;
  /** resolves when the consumer is running */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export async function startLoader<Row>(deps: {
  readonly kafka: Kafka;
  readonly registry: AvroRegistry;
  readonly store: ClickHouseStore;
  readonly definition: LoaderDefinition<Row>;
  readonly options: LoaderOptions;
  readonly metrics: StageMetrics;
  readonly log: Logger;
}): Promise<LoaderHandle> {
  const { kafka, registry, store, definition, options, metrics } = deps;
  const admin: Admin = kafka.admin();
  const log = deps.log.child({ module: 'loader', stage: definition.name });
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    // Offsets are committed by hand after the rows are durable.
    maxWaitTimeInMs: Math.min(500, options.flushMs),
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.floor(options.sessionTimeoutMs / 5),
    readUncommitted: false,
  });
  const producer: Producer = idempotentProducer(kafka);
  const buffers = new Map<number, PartitionBuffer>();
  let stopping = false;
  // Read through a function: the flag changes while awaits are pending.
  const isStopping = (): boolean => stopping;

  /** Per partition, the last offset this process has inserted (kept across rebalances). */
  const insertedThrough = new Map<number, bigint>();

  const bufferOf = (partition: number): PartitionBuffer => {
    let buffer = buffers.get(partition);
    if (buffer === undefined) {
      buffer = newPartitionBuffer();
      buffers.set(partition, buffer);
    }
    return buffer;
  };

  const prepare = chunkPreparer(registry, store, definition);

  /**
   * Drops buffered messages that are in ClickHouse already: fetched again after kafkajs restarted
   * its consumer before their offsets were committed (seen in the chaos soak while the broker
   * restarts; only their offsets are left to commit), or after a rebalance while a flush of theirs
   * was finishing.
   */
  async function dropInserted(partition: number, buffer: PartitionBuffer): Promise<void> {
    const done = insertedThrough.get(partition);
    if (done !== undefined && buffer.messages.length > 0) {
      const keep = firstAbove(buffer.messages, done);
      if (keep !== 0) {
        log.warn('messages this process already inserted were fetched again; not inserting them twice', {
          partition,
          through: done.toString(),
        });
        buffer.messages = buffer.messages.slice(keep);
        if (buffer.pending !== null && BigInt(buffer.pending.to) <= done) buffer.pending = null;
        if (buffer.messages.length === 0 && done + 1n > buffer.committed) {
          await consumer.commitOffsets([
            { topic: options.inputTopic, partition, offset: (done + 1n).toString() },
          ]);
          metrics.committed();
          buffer.committed = done + 1n;
        }
      }
    }
    if (buffer.committed >= 0n) {
      const stale = firstAbove(buffer.messages, buffer.committed - 1n);
      if (stale !== 0) buffer.messages = buffer.messages.slice(stale);
    }
  }

  /**
   * The range to flush, starting at the first buffered message: the pending one when retrying, the
   * one a crashed attempt left as its intent (undefined until all of it is buffered), or a new one
   * of at most batchMax messages, whose intent is committed first. `retried`: an earlier attempt
   * at this range may have inserted it (a crash or a failure after the insert).
   */
  async function rangeToFlush(
    partition: number,
    buffer: PartitionBuffer,
    messages: readonly KafkaMessage[],
    first: KafkaMessage,
  ): Promise<{ to: bigint; retried: boolean } | undefined> {
    const pending = buffer.pending;
    // Retrying a range whose insert may have landed: the same range, so the same token.
    if (pending !== null && pending.from === first.offset) return { to: BigInt(pending.to), retried: true };
    // Only the first flush after an assignment can meet an intent left by a crashed attempt.
    const intent = buffer.intentChecked
      ? undefined
      : await committedIntent(admin, options.groupId, options.inputTopic, partition);
    buffer.intentChecked = true;
    let range: { to: bigint; retried: boolean };
    if (intent !== undefined && intent.from === first.offset) {
      // A previous attempt at this range may have inserted already: rebuild exactly that range.
      range = { to: BigInt(intent.to), retried: true };
      const last = messages.at(-1);
      if (last === undefined || BigInt(last.offset) < range.to) {
        buffer.intentChecked = false;
        return undefined;
      }
    } else {
      const end = messages[Math.min(messages.length, options.batchMax) - 1] ?? first;
      range = { to: BigInt(end.offset), retried: false };
      await consumer.commitOffsets([
        {
          topic: options.inputTopic,
          partition,
          offset: first.offset,
          metadata: intentMetadata({ from: first.offset, to: end.offset }),
        },
      ]);
    }
    buffer.pending = { from: first.offset, to: range.to.toString() };
    return range;
  }

  /**
   * Inserts a range's rows with its token. A range that is already whole in the table is not sent
   * at all, which also covers a part that landed while its deduplication entry was lost with a
   * killed process (the chaos soak saw a range inserted twice after a SIGKILL).
   */
  async function insertRange(
    partition: number,
    range: { from: string; to: bigint; retried: boolean },
    prepared: Insertable,
  ): Promise<void> {
    const present = range.retried
      ? await store.rowsFromSource(definition.table, partition, BigInt(range.from), range.to)
      : 0;
    if (present > 0 && present >= prepared.count) {
      log.warn('range already in ClickHouse; not inserting it again', {
        partition,
        from: range.from,
        to: range.to.toString(),
        rows: present,
      });
      return;
    }
    const token = `${options.groupId}:${options.inputTopic}:${partition}:${range.from}-${range.to}`;
    await prepared.insert(token);
  }

  async function sendDeadLetters(
    partition: number,
    chunk: readonly KafkaMessage[],
    rejected: Insertable['rejected'],
  ): Promise<void> {
    if (rejected.length === 0) return;
    await sendInChunks(
      (record) => producer.send(record),
      options.deadLetterTopic,
      rejectedMessages(options.inputTopic, partition, chunk, rejected),
      -1,
    );
    metrics.add('dlq_records_total', rejected.length);
  }

  /** Flushes the partition's buffer once; returns false when it has to wait for more messages. */
  async function flushOnce(partition: number): Promise<boolean> {
    const buffer = bufferOf(partition);
    await dropInserted(partition, buffer);
    const messages = buffer.messages;
    const first = messages[0];
    if (first === undefined) return true;
    const range = await rangeToFlush(partition, buffer, messages, first);
    if (range === undefined) return false;
    const { to } = range;
    const chunk = messages.slice(0, firstAbove(messages, to));
    const prepared = await prepare(partition, chunk);
    await insertRange(partition, { from: first.offset, ...range }, prepared);
    insertedThrough.set(partition, to);
    await sendDeadLetters(partition, chunk, prepared.rejected);
    await consumer.commitOffsets([{ topic: options.inputTopic, partition, offset: (to + 1n).toString() }]);
    metrics.committed();
    buffer.committed = to + 1n;
    buffer.pending = null;
    // A rebalance during the flush replaced the buffer: what it holds now is not ours to trim.
    if (buffer.messages !== messages) return true;
    buffer.messages = messages.slice(chunk.length);
    // What is left arrived while this flush ran, or earlier when batchMax cut the chunk: it has
    // been waiting since then (restarting its clock here made it wait up to two periods).
    const oldest = buffer.messages[0];
    if (oldest === undefined) buffer.arrivals.clear();
    buffer.firstReceivedAt =
      oldest === undefined ? 0 : (buffer.arrivals.oldest(BigInt(oldest.offset)) ?? Date.now());
    metrics.add('rows_inserted_total', prepared.count);
    metrics.add('messages_total', chunk.length);
    metrics.set('committed_offset', Number(to + 1n), { partition: String(partition) });
    return true;
  }

  /**
   * On transactional input the last offsets of a partition are commit markers, which kafkajs
   * never hands to eachBatch. Once everything delivered is flushed, commit past them too, so the
   * group's lag reads 0 instead of 1 forever.
   */
  async function commitPastMarkers(partition: number, buffer: PartitionBuffer): Promise<void> {
    const next = buffer.fetchedThrough + 1n;
    if (buffer.fetchedThrough < 0n || next <= buffer.committed || stopping) return;
    await consumer.commitOffsets([{ topic: options.inputTopic, partition, offset: next.toString() }]);
    metrics.committed();
    buffer.committed = next;
  }

  /** Flushes with backoff: on a transient failure the partition pauses until a retry succeeds. */
  function flush(partition: number, force: boolean): Promise<void> {
    const buffer = bufferOf(partition);
    // A failed flush must not block the ones after it: its messages stay buffered and are tried again.
    buffer.flushing = buffer.flushing
      .catch(() => undefined)
      .then(async () => {
        for (;;) {
          if (buffer.messages.length === 0) {
            await commitPastMarkers(partition, buffer);
            return;
          }
          const due =
            force ||
            buffer.messages.length >= options.batchMax ||
            Date.now() - buffer.firstReceivedAt >= options.flushMs;
          if (!due) return;
          try {
            const progressed = await flushOnce(partition);
            if (buffer.paused) {
              buffer.paused = false;
              consumer.resume([{ topic: options.inputTopic, partitions: [partition] }]);
              log.info('partition resumed', { partition });
            }
            buffer.retryDelayMs = 200;
            if (!progressed || buffer.messages.length < options.batchMax) return;
          } catch (error) {
            if (isLostAssignment(error)) {
              // The insert may have landed; its range stays in the committed intent, so whoever
              // owns the partition after the rejoin inserts the same range with the same token.
              log.info('partition lost to a rebalance; its buffer is dropped until the group rejoins', {
                partition,
              });
              forgetPosition(buffer);
              if (buffer.paused) {
                buffer.paused = false;
                consumer.resume([{ topic: options.inputTopic, partitions: [partition] }]);
              }
              return;
            }
            if (!isRetriable(error) || stopping) {
              log.error('flush failed', { partition, error });
              if (!isRetriable(error)) throw error;
              return;
            }
            if (!buffer.paused) {
              buffer.paused = true;
              consumer.pause([{ topic: options.inputTopic, partitions: [partition] }]);
              metrics.add('pauses_total', 1);
            }
            log.warn('flush failed, partition paused, retrying', {
              partition,
              error,
              retryInMs: buffer.retryDelayMs,
            });
            await new Promise((r) => setTimeout(r, buffer.retryDelayMs));
            buffer.retryDelayMs = Math.min(buffer.retryDelayMs * 2, 10_000);
            metrics.add('retries_total', 1);
          }
        }
      });
    return buffer.flushing;
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (payload.isStale() || stopping) return;
    const buffer = bufferOf(batch.partition);
    // Offsets ascend within a batch: what is buffered already or committed is a prefix of it.
    const lastBuffered = buffer.messages.at(-1)?.offset;
    let floor = lastBuffered === undefined ? -1n : BigInt(lastBuffered);
    if (buffer.committed - 1n > floor) floor = buffer.committed - 1n;
    const start = firstAbove(batch.messages, floor);
    const first = batch.messages[start];
    if (first !== undefined) {
      const arrived = Date.now();
      if (buffer.messages.length === 0) {
        buffer.firstReceivedAt = arrived;
        buffer.arrivals.clear();
      }
      buffer.arrivals.arrived(BigInt(first.offset), arrived);
      for (let i = start; i < batch.messages.length; i++) {
        const message = batch.messages[i];
        if (message !== undefined) buffer.messages.push(message);
      }
    }
    // Resolving moves kafkajs's fetch position only; the commit happens after the insert.
    const lastOffset = batch.messages.at(-1)?.offset;
    if (lastOffset !== undefined) payload.resolveOffset(lastOffset);
    metrics.set('lag', Number(batch.offsetLag()), { partition: String(batch.partition) });
    // Backpressure: a full buffer is flushed before more is fetched for this partition. During an
    // outage the flush keeps retrying with the partition paused, so memory stays bounded; the wait
    // here is capped so heartbeats keep the instance in its group meanwhile.
    if (buffer.messages.length >= options.batchMax) {
      const done = flush(batch.partition, false);
      for (;;) {
        const finished = await Promise.race([
          done.then(() => true),
          new Promise<false>((r) => {
            setTimeout(() => {
              r(false);
            }, options.sessionTimeoutMs / 3);
          }),
        ]);
        if (finished || payload.isStale() || isStopping()) break;
        await payload.heartbeat();
      }
    }
    await payload.heartbeat();
  }

  await producer.connect();
  await admin.connect();
  await consumer.connect();
  // A rebalance resets fetch positions to the committed offsets; buffered messages would be
  // fetched again (here or by another instance), so they are dropped.
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const assigned = event.payload.memberAssignment[options.inputTopic] ?? [];
    for (const [partition, buffer] of buffers) {
      forgetPosition(buffer);
      if (!assigned.includes(partition)) buffers.delete(partition);
    }
    metrics.add('rebalances_total', 1);
    metrics.assigned(assigned);
    log.info('partitions assigned', { partitions: assigned });
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    const buffer = bufferOf(event.payload.partition);
    const last = BigInt(event.payload.lastOffset);
    if (last > buffer.fetchedThrough) buffer.fetchedThrough = last;
  });
  await consumer.subscribe({ topic: options.inputTopic, fromBeginning: true });
  const ready = new Promise<void>((resolve) => {
    consumer.on(consumer.events.GROUP_JOIN, () => {
      resolve();
    });
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.concurrency ?? 3,
    eachBatch,
  });

  // Fine-grained so that a buffer is flushed close to flushMs after its oldest message arrived
  // (the tick's granularity adds to every event's latency); idle partitions cost one comparison.
  const timer = setInterval(
    () => {
      for (const [partition, buffer] of buffers) {
        if (!timerDue(buffer, options.flushMs, Date.now())) continue;
        flush(partition, false).catch((error: unknown) => {
          log.error('loader stopped on a non-retriable error', { error });
        });
      }
    },
    Math.max(10, Math.floor(options.flushMs / 10)),
  );

  return {
    metrics,
    ready,
    async stop() {
      stopping = true;
      clearInterval(timer);
      try {
        consumer.pause([{ topic: options.inputTopic }]);
        await Promise.all([...buffers.keys()].map((p) => flush(p, true).catch(() => undefined)));
      } finally {
        await consumer.disconnect().catch((error: unknown) => {
          log.warn('consumer disconnect failed', {
            error: errorMessage(translateKafkaError(error, 'disconnect')),
          });
        });
        await producer.disconnect().catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
        metrics.stopped();
      }
    },
  };
}
