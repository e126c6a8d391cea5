// The processor runner: consume → decode → apply (deterministic core) → produce outputs and the
// input offsets in one Kafka transaction → snapshot state to Redis.
//
// Exactly-once, Kafka-native:
// - One transactional producer per input partition (transactional.id = <group>.<topic>.<p>): a
//   new owner's InitProducerId fences a zombie, which kafkajs (no KIP-447) needs.
// - Outputs and `sendOffsets` commit together; downstream consumers read committed only.
// - After a commit the state is snapshotted to Redis with the offset it reflects. On
//   (re)assignment the partition registers its transactional id first (so the previous owner's
//   last transaction is complete before its committed offset is read), restores the snapshot and,
//   when the committed offset is ahead of it, replays the gap with outputs suppressed (they were
//   committed before).
// - A failed transaction is aborted and the partition's state is rebuilt the same way, so the
//   in-memory state never runs ahead of what Kafka committed.
import type { Admin, Consumer, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import {
  committedOffset,
  earliestOffset,
  sendInChunks,
  transactionalProducer,
  translateKafkaError,
} from '../adapters/kafka/kafkaClient.ts';
import type { RedisState } from '../adapters/redis/redisState.ts';
import type { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { batchDecoder } from './processorInputs.ts';
import { outputEncoder } from './processorOutputs.ts';
import { runInputs, type ProcessorDefinition } from './processorDefinition.ts';
import type { StageMetrics } from './stageMetrics.ts';

export interface ProcessorOptions {
  readonly groupId: string;
  readonly inputTopic: string;
  /** base topic name → the full topic name and its registered value schema */
  readonly outputs: ReadonlyMap<string, { readonly topic: string; readonly schemaId: number }>;
  /** full name of the dead-letter topic, when the definition has one */
  readonly deadLetterTopic?: string;
  readonly sessionTimeoutMs: number;
  /** snapshot after this many committed batches, or this long, whichever first */
  readonly snapshotEveryBatches: number;
  readonly snapshotEveryMs: number;
  /** wall-clock tick period for idle partitions; 0 disables */
  readonly tickMs: number;
  readonly concurrency?: number;
}

interface Snapshot {
  /** next input offset: the state reflects every input before it */
  readonly offset: string;
  readonly savedAt: number;
  readonly state: unknown;
}

interface PartitionRun<State> {
  state: State;
  producer: Producer;
  /** its transaction could be neither committed nor aborted: replace it before the next one */
  producerStuck: boolean;
  /** next offset to apply */
  nextOffset: bigint;
  /** inputs below this offset were committed before: replay them without output */
  replayUntil: bigint | null;
  committedBatches: number;
  lastSnapshotAt: number;
  /** earliest gap to the next regular snapshot: a multiple of what the last one took */
  snapshotSpacingMs: number;
  /** serialises batches and ticks of one partition */
  lock: Promise<void>;
}

export interface ProcessorHandle {
  readonly metrics: StageMetrics;
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** Regular snapshots of all partitions take at most 1/SNAPSHOT_SPACING of the thread's time. */
const SNAPSHOT_SPACING = 20;
/** …but never more than this many snapshot periods apart. */
const SNAPSHOT_SPACING_CAP = 12;

function isConcurrentTransactions(error: unknown): boolean {
  return (
    error !== null && typeof error === 'object' && 'type' in error && error.type === 'CONCURRENT_TRANSACTIONS'
  );
}

export async function startProcessor<State, In, Out>(deps: {
  readonly kafka: Kafka;
  readonly registry: AvroRegistry;
  readonly state: RedisState;
  readonly definition: ProcessorDefinition<State, In, Out>;
  readonly options: ProcessorOptions;
  readonly metrics: StageMetrics;
  readonly log: Logger;
}): Promise<ProcessorHandle> {
  const { kafka, registry, definition, options, metrics } = deps;
  const log = deps.log.child({ module: 'processor', stage: definition.name });
  const encodeOutputs = await outputEncoder(registry, definition, options.outputs);
  const admin: Admin = kafka.admin();
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    readUncommitted: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.floor(options.sessionTimeoutMs / 5),
    ...(definition.coalesceInputMs === undefined
      ? { maxWaitTimeInMs: 200 }
      : { minBytes: 64 * 1024, maxWaitTimeInMs: definition.coalesceInputMs }),
    // Larger fetches: fewer round trips and larger transactions per partition.
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
  });
  const runs = new Map<number, PartitionRun<State>>();
  let stopping = false;
  // One per input partition: a new owner's registration fences a zombie (see restore).
  const transactionalId = (partition: number): string =>
    `${options.groupId}.${options.inputTopic}.${String(partition)}`;
  const snapshotKey = (partition: number): string =>
    deps.state.key('processor', options.groupId, options.inputTopic, partition, 'snapshot');

  /**
   * Brings a partition's state to its committed offset: keep the live state when it is already
   * there, else restore the snapshot and replay the gap. Returns the offset to consume from.
   */
  async function restore(partition: number): Promise<bigint> {
    const existing = runs.get(partition);
    // A partition new to this process: fence first, then read the committed offset. A
    // transaction's offsets become visible only after EndTxn has returned (the broker writes its
    // markers afterwards), so an offset read while a previous owner's last commit completes can be
    // the one from before it; the replay would then stop short and emit that transaction's outputs
    // a second time (metricsExactlyOnce saw a window twice in about one run in ten). A fresh
    // producer's registration returns only once every earlier transaction of the partition is
    // complete. A partition this process already runs keeps its producer and its state (below).
    const producer = existing?.producer ?? (await transactionalProducer(kafka, transactionalId(partition)));
    const committed = await committedOffset(admin, options.groupId, options.inputTopic, partition);
    if (
      existing !== undefined &&
      committed !== null &&
      existing.nextOffset >= 0n &&
      committed <= existing.nextOffset &&
      existing.replayUntil === null
    ) {
      // The live state is where this process's last commit left it; an offset read lower than that
      // is the same read racing its markers, not a rewind (a running group's offsets cannot be reset).
      return existing.nextOffset;
    }
    const snapshot = await deps.state.getJson<Snapshot>(snapshotKey(partition)).catch((error: unknown) => {
      // Without the snapshot the state is rebuilt from the log: slower, still correct.
      log.warn('snapshot unavailable, rebuilding from the log', { partition, error });
      return undefined;
    });
    let state = definition.initialState();
    let from = committed ?? (await earliestOffset(admin, options.inputTopic, partition));
    if (snapshot !== undefined && committed !== null && BigInt(snapshot.offset) <= committed) {
      state = definition.restore(snapshot.state);
      from = BigInt(snapshot.offset);
    } else if (committed !== null) {
      from = await earliestOffset(admin, options.inputTopic, partition);
      if (snapshot !== undefined)
        log.warn('snapshot is ahead of the committed offset; rebuilding', { partition });
    }
    runs.set(partition, {
      state,
      producer,
      producerStuck: existing?.producerStuck ?? false,
      nextOffset: from,
      replayUntil: committed !== null && from < committed ? committed : null,
      committedBatches: 0,
      lastSnapshotAt: Date.now(),
      snapshotSpacingMs: existing?.snapshotSpacingMs ?? 0,
      lock: existing?.lock ?? Promise.resolve(),
    });
    metrics.add('restores_total', 1);
    log.info(committed !== null && from < committed ? 'replaying gap without output' : 'partition restored', {
      partition,
      from: from.toString(),
      committed: committed?.toString() ?? null,
      snapshot: snapshot?.offset ?? null,
    });
    return from;
  }

  const decodeBatch = batchDecoder(registry, definition, options, metrics);

  async function commit(
    partition: number,
    run: PartitionRun<State>,
    outputs: readonly Out[],
    nextOffset: bigint | null,
    deadLetters: readonly Message[] = [],
  ): Promise<void> {
    if (run.producerStuck) {
      // A new producer with the same transactional id fences the old one, and the broker settles
      // the transaction it left open; until it connects, the batch fails and is retried.
      const stuck = run.producer;
      run.producer = await transactionalProducer(kafka, transactionalId(partition));
      run.producerStuck = false;
      void stuck.disconnect().catch(() => undefined);
    }
    const transaction = await run.producer.transaction();
    try {
      const byTopic = encodeOutputs(outputs, partition);
      for (const [topic, messages] of byTopic) {
        await sendInChunks((record) => transaction.send(record), topic, messages);
      }
      if (deadLetters.length > 0 && options.deadLetterTopic !== undefined) {
        await sendInChunks((record) => transaction.send(record), options.deadLetterTopic, deadLetters);
        metrics.add('dlq_records_total', deadLetters.length);
      }
      if (nextOffset !== null) {
        for (let attempt = 0; ; attempt++) {
          try {
            await transaction.sendOffsets({
              consumerGroupId: options.groupId,
              topics: [
                { topic: options.inputTopic, partitions: [{ partition, offset: nextOffset.toString() }] },
              ],
            });
            break;
          } catch (error) {
            // kafkajs does not retry CONCURRENT_TRANSACTIONS from AddOffsetsToTxn (tulios/kafkajs#430).
            if (!isConcurrentTransactions(error) || attempt >= 50) throw error;
            await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
          }
        }
      }
      await transaction.commit();
      metrics.committed();
    } catch (error) {
      metrics.add('transaction_aborts_total', 1);
      // A broker lost mid-commit leaves kafkajs's transaction state machine in COMMITTING, where it
      // refuses every later transaction: such a producer is replaced.
      if (
        !(await transaction.abort().then(
          () => true,
          () => false,
        ))
      )
        run.producerStuck = true;
      throw translateKafkaError(error, `transaction of ${options.inputTopic}[${partition}]`);
    }
    metrics.add('outputs_total', outputs.length);
  }

  async function maybeSnapshot(partition: number, run: PartitionRun<State>, force: boolean): Promise<void> {
    const sinceLast = Date.now() - run.lastSnapshotAt;
    // A snapshot serialises the partition's whole state on this thread: with every window kept for
    // the correction horizon that takes hundreds of ms. Regular snapshots are spaced so that those
    // of all partitions together take at most 1/SNAPSHOT_SPACING of the thread's time. A longer gap
    // only means a longer replay after a crash, never a different result.
    const due =
      force ||
      ((run.committedBatches >= options.snapshotEveryBatches || sinceLast >= options.snapshotEveryMs) &&
        sinceLast >= run.snapshotSpacingMs);
    if (!due) return;
    const started = performance.now();
    try {
      await deps.state.setJson(snapshotKey(partition), {
        offset: run.nextOffset.toString(),
        savedAt: Date.now(),
        state: definition.snapshot(run.state),
      } satisfies Snapshot);
      const took = performance.now() - started;
      // Capped, so that a slow Redis cannot stretch the replay after a crash without bound.
      run.snapshotSpacingMs = Math.min(
        took * SNAPSHOT_SPACING * Math.max(1, runs.size),
        SNAPSHOT_SPACING_CAP * options.snapshotEveryMs,
      );
      run.committedBatches = 0;
      run.lastSnapshotAt = Date.now();
      metrics.add('snapshots_total', 1);
      metrics.add('snapshot_seconds_total', took / 1000);
    } catch (error) {
      // Redis down: keep processing; the next snapshot or a longer replay covers the gap.
      metrics.add('snapshot_failures_total', 1);
      log.warn('snapshot failed', { partition, error: errorMessage(error) });
    }
    metrics.set('snapshot_age_seconds', (Date.now() - run.lastSnapshotAt) / 1000, {
      partition: String(partition),
    });
  }

  function withLock(run: PartitionRun<State>, work: () => Promise<void>): Promise<void> {
    const next = run.lock.then(work);
    run.lock = next.catch(() => undefined);
    return next;
  }

  async function processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const partition = batch.partition;
    const first = batch.messages[0];
    if (first === undefined) return;
    let run = runs.get(partition);
    // On read-committed input, offsets skip over transaction markers and aborted records, so a
    // batch may start past `nextOffset` without anything being missed; only a rewind (the fetch
    // position reset behind us) or a lost state calls for a restore.
    if (run === undefined || run.nextOffset < 0n || BigInt(first.offset) < run.nextOffset) {
      const from = await restore(partition);
      run = runs.get(partition);
      if (run === undefined) return;
      if (from < BigInt(first.offset) && run.replayUntil !== null) {
        // The gap between the snapshot and the committed offset has to be replayed first.
        consumer.seek({ topic: options.inputTopic, partition, offset: from.toString() });
        return;
      }
    }
    const current = run;
    await withLock(current, async () => {
      const { inputs, deadLetters } = await decodeBatch(partition, current, batch.messages);
      const last = batch.messages.at(-1);
      if (last === undefined) return;
      // The fetch may end in transaction markers after its last record: move past them too.
      const lastOffset =
        BigInt(batch.lastOffset()) > BigInt(last.offset) ? BigInt(batch.lastOffset()) : BigInt(last.offset);
      const result = runInputs(definition, current.state, inputs, current.replayUntil);
      metrics.add('inputs_total', batch.messages.length);
      metrics.add('suppressed_outputs_total', result.suppressed);
      metrics.add('too_late_inputs_total', result.discarded);
      const inReplay = current.replayUntil !== null && lastOffset < current.replayUntil;
      try {
        if (!inReplay) await commit(partition, current, result.outputs, lastOffset + 1n, deadLetters);
      } catch (error) {
        // The state ran ahead of what Kafka committed: rebuild it before going on.
        current.nextOffset = -1n;
        throw error;
      }
      current.nextOffset = lastOffset + 1n;
      if (current.replayUntil !== null && current.nextOffset >= current.replayUntil)
        current.replayUntil = null;
      payload.resolveOffset(last.offset);
      if (!inReplay) {
        current.committedBatches++;
        await maybeSnapshot(partition, current, false);
      }
      const watermark = definition.watermark?.(current.state) ?? null;
      if (watermark !== null) {
        metrics.set('watermark_delay_seconds', (Date.now() - watermark) / 1000, {
          partition: String(partition),
        });
      }
      metrics.set('lag', Number(batch.offsetLag()), { partition: String(partition) });
    });
    await payload.heartbeat();
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    if (payload.isStale() || stopping) return;
    try {
      await processBatch(payload);
    } catch (error) {
      log.warn('batch failed; the partition restores and retries', {
        partition: payload.batch.partition,
        error: errorMessage(error),
      });
      metrics.add('batch_failures_total', 1);
      await new Promise((r) => setTimeout(r, 500));
      // Refetch from the committed offset on the next round.
      const committed = await committedOffset(
        admin,
        options.groupId,
        options.inputTopic,
        payload.batch.partition,
      ).catch(() => null);
      if (committed !== null)
        consumer.seek({
          topic: options.inputTopic,
          partition: payload.batch.partition,
          offset: committed.toString(),
        });
    }
  }

  /** Idle partitions: the wall clock advances their watermark and closes their windows. */
  async function tick(): Promise<void> {
    const tickFn = definition.tick;
    if (tickFn === null || stopping) return;
    for (const [partition, run] of runs) {
      if (run.replayUntil !== null || run.nextOffset < 0n) continue;
      await withLock(run, async () => {
        const result = tickFn(run.state, Date.now());
        if (result.outputs.length === 0) return;
        try {
          await commit(partition, run, result.outputs, null);
        } catch (error) {
          run.nextOffset = -1n;
          throw error;
        }
        // Wall-clock progress is not in the input log, so a replay could not reproduce it:
        // snapshot right away so a restart starts from a state that includes it.
        await maybeSnapshot(partition, run, true);
      }).catch((error: unknown) => {
        log.warn('tick failed', { partition, error: errorMessage(error) });
      });
    }
  }

  await admin.connect();
  await consumer.connect();
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const assigned = new Set(event.payload.memberAssignment[options.inputTopic] ?? []);
    for (const [partition, run] of runs) {
      if (!assigned.has(partition)) {
        runs.delete(partition);
        void run.producer.disconnect().catch(() => undefined);
      }
    }
    metrics.add('rebalances_total', 1);
    metrics.assigned(assigned);
    log.info('partitions assigned', { partitions: [...assigned] });
  });
  // A read-committed input (another processor's output) ends in transaction markers, which take
  // offsets but are never handed to eachBatch: a fetch of nothing but markers (or aborted records)
  // right after what this partition processed is committed past, so the group's lag reads 0.
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    const { partition, batchSize, lastOffset } = event.payload;
    // kafkajs types it as a string, but it is null when the fetch held nothing at or past its offset.
    const firstOffset = event.payload.firstOffset as string | null;
    const run = runs.get(partition);
    if (batchSize !== 0 || firstOffset === null || run === undefined) return;
    void withLock(run, async () => {
      const next = BigInt(lastOffset) + 1n;
      const contiguous = run.nextOffset >= 0n && BigInt(firstOffset) <= run.nextOffset;
      if (stopping || !contiguous || run.replayUntil !== null || next <= run.nextOffset) return;
      await consumer.commitOffsets([{ topic: options.inputTopic, partition, offset: next.toString() }]);
      metrics.committed();
      run.nextOffset = next;
    }).catch((error: unknown) => {
      log.warn('committing past transaction markers failed', { partition, error: errorMessage(error) });
    });
  });
  const ready = new Promise<void>((resolve) => {
    consumer.on(consumer.events.GROUP_JOIN, () => {
      resolve();
    });
  });
  await consumer.subscribe({ topic: options.inputTopic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.concurrency ?? 6,
    eachBatch,
  });
  const ticker = options.tickMs > 0 ? setInterval(() => void tick(), options.tickMs) : undefined;

  return {
    metrics,
    ready,
    async stop() {
      stopping = true;
      if (ticker !== undefined) clearInterval(ticker);
      await Promise.all([...runs.values()].map((r) => r.lock));
      // Final snapshots make the next start skip the replay.
      for (const [partition, run] of runs)
        if (run.replayUntil === null && run.nextOffset >= 0n) await maybeSnapshot(partition, run, true);
      await consumer.disconnect().catch(() => undefined);
      await Promise.all([...runs.values()].map((r) => r.producer.disconnect().catch(() => undefined)));
      await admin.disconnect().catch(() => undefined);
      metrics.stopped();
    },
  };
}
