// kafkajs wiring: one Kafka instance per process, its logs routed into ours, its errors
// translated into the Pulse error family.
import {
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type KafkaConfig,
  type LogEntry,
  type Message,
  type Producer,
} from 'kafkajs';
import { cacheCoordinators } from './coordinatorCache.ts';
import { installRecordDecoder } from './recordDecoder.ts';
import { TransientError, NonRetriableError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
}

export function parseBrokers(list: string): string[] {
  return list
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

/**
 * Broker states that pass by themselves and that kafkajs (or our runners) retry: a broker that is
 * still loading, a coordinator moving, a rebalance, a transaction still finishing. kafkajs logs
 * each at error level; they are debug here, and one warning is logged per kind when it has kept
 * coming back for PERSIST_MS, so a real outage is still seen.
 */
const TRANSIENT_BROKER_STATES: readonly [string, RegExp][] = [
  ['coordinator loading', /coordinator is loading/i],
  ['coordinator unavailable', /coordinator is not available|not the correct coordinator|not coordinator/i],
  ['leader unavailable', /leader (is )?not available|no leader for this topic-partition|not the leader/i],
  ['rebalance', /rebalanc|not aware of this member|member id|group is rebalancing|re-joining the group/i],
  ['concurrent transaction', /concurrent operation on the same transaction|concurrent_transactions/i],
  ['partition loading', /does not host this topic-partition|unknown topic or partition/i],
  ['connection', /ECONNREFUSED|Connection error|Connection timeout|Closed connection/i],
];
const PERSIST_MS = 5000;
/** A kind not seen for this long starts a new streak. */
const STREAK_GAP_MS = 3000;

export class TransientBrokerStates {
  readonly #streaks = new Map<string, { since: number; last: number; warned: boolean }>();

  /** quiet: a transient state, log at debug; persisting: warn once; other: not a transient state. */
  judge(text: string, now: number): 'quiet' | 'persisting' | 'other' {
    const kind = TRANSIENT_BROKER_STATES.find(([, pattern]) => pattern.test(text))?.[0];
    if (kind === undefined) return 'other';
    let streak = this.#streaks.get(kind);
    if (streak === undefined || now - streak.last > STREAK_GAP_MS) {
      streak = { since: now, last: now, warned: false };
      this.#streaks.set(kind, streak);
    }
    streak.last = now;
    if (!streak.warned && now - streak.since >= PERSIST_MS) {
      streak.warned = true;
      return 'persisting';
    }
    return 'quiet';
  }
}

export function createKafka(settings: KafkaSettings, log: Logger): Kafka {
  const kafkaLog = log.child({ module: 'kafkajs' });
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator: () => {
      const quiet = new TransientBrokerStates();
      return ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const fields = { ...rest } as Record<string, unknown>;
        delete fields.timestamp;
        delete fields.logger;
        if (level <= logLevel.WARN) {
          const error = typeof fields.error === 'string' ? fields.error : '';
          const verdict = quiet.judge(`${message} ${error}`, Date.now());
          if (verdict === 'quiet') {
            kafkaLog.debug(message, fields);
            return;
          }
          if (verdict === 'persisting') {
            kafkaLog.warn(`${message} (still after ${String(PERSIST_MS / 1000)} s; retrying)`, fields);
            return;
          }
        }
        if (level <= logLevel.ERROR) kafkaLog.error(message, fields);
        else if (level === logLevel.WARN) kafkaLog.warn(message, fields);
        else kafkaLog.debug(message, fields);
      };
    },
  };
  const kafka = new Kafka(config);
  if (!cacheCoordinators(kafka)) {
    kafkaLog.warn('this kafkajs has no cluster factory to hook: coordinator lookups are not cached');
  }
  const decoder = installRecordDecoder();
  if (decoder !== 'installed') {
    kafkaLog.warn(`fetched records are decoded by kafkajs's own record decoder (${decoder})`);
  }
  return kafka;
}

/**
 * The group moved on without this member (a broker restart, a session that timed out, a
 * rebalance): its offset commits are refused until it rejoins, and the partitions may now be
 * someone else's. Not a failure of the work itself: drop what was buffered and let the rejoin
 * hand out partitions again, from their committed offsets. (kafkajs also refuses commits while it
 * restarts a consumer that lost every broker: "Consumer group was not initialized".)
 */
export function isLostAssignment(error: unknown): boolean {
  const types = new Set([
    'UNKNOWN_MEMBER_ID',
    'ILLEGAL_GENERATION',
    'REBALANCE_IN_PROGRESS',
    'FENCED_INSTANCE_ID',
  ]);
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const { type, message } = e as { type?: unknown; message?: unknown };
    if (typeof type === 'string' && types.has(type)) return true;
    if (
      typeof message === 'string' &&
      /not aware of this member|generation id is not valid|group is rebalancing|consumer group was not initialized/i.test(
        message,
      )
    )
      return true;
    e =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
  }
  return false;
}

/** kafkajs marks its errors with `retriable`; keep that meaning when crossing into Pulse. */
export function translateKafkaError(error: unknown, what: string): Error {
  if (error instanceof TransientError || error instanceof NonRetriableError) return error;
  const retriable =
    error !== null && typeof error === 'object' && 'retriable' in error ? Boolean(error.retriable) : true;
  const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
  return retriable
    ? new TransientError(message, { cause: error })
    : new NonRetriableError(message, { cause: error });
}

/**
 * An idempotent producer with the Java-compatible murmur2 partitioner (the same key lands on the
 * same partition as with Java clients). Retries are unbounded, as the idempotence guarantee
 * requires; callers bound the wait themselves.
 */
export function idempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 5000 },
  });
}

/**
 * A connected transactional producer whose id is registered: kafkajs registers the id
 * (InitProducerId) at the first transaction only, so an empty one registers it now. That fences
 * every earlier producer with the id, and the broker answers only once a transaction such a
 * producer left is complete.
 */
export async function transactionalProducer(kafka: Kafka, transactionalId: string): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId,
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 5000 },
  });
  await producer.connect();
  await (await producer.transaction()).abort();
  return producer;
}

/** The group's committed offset of a partition with its metadata, as the broker has it. */
export async function committedEntry(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<{ offset: string; metadata: string | null } | undefined> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return offsets?.partitions.find((p) => p.partition === partition);
}

/** The group's committed offset of a partition, or null when it has none. */
export async function committedOffset(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<bigint | null> {
  const entry = await committedEntry(admin, groupId, topic, partition);
  const offset = entry === undefined ? -1n : BigInt(entry.offset);
  return offset < 0n ? null : offset;
}

/** A partition's earliest offset still in the log. */
export async function earliestOffset(admin: Admin, topic: string, partition: number): Promise<bigint> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return BigInt(offsets.find((o) => o.partition === partition)?.low ?? '0');
}

/** Record batches above the broker's message.max.bytes (1 MiB by default) are rejected whole. */
const MAX_REQUEST_BYTES = 512 * 1024;

/**
 * Splits messages into sends of at most ~512 KiB of keys and values, in order, so a large
 * transaction or dead-letter burst never exceeds the broker's batch limit.
 */
export async function sendInChunks(
  send: (record: { topic: string; messages: Message[]; acks?: number }) => Promise<unknown>,
  topic: string,
  messages: readonly Message[],
  acks?: number,
): Promise<void> {
  let chunk: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = sizeOf(message.value) + sizeOf(message.key) + 64;
    if (chunk.length > 0 && bytes + size > MAX_REQUEST_BYTES) {
      await send({ topic, messages: chunk, ...(acks !== undefined ? { acks } : {}) });
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) await send({ topic, messages: chunk, ...(acks !== undefined ? { acks } : {}) });
}

function sizeOf(value: Message['value'] | Message['key']): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}
