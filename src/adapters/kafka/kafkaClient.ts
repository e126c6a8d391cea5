// kafkajs wiring: one Kafka instance per process, its logs routed into ours, its errors
// translated into the Pulse error family.
import {
  Kafka,
  Partitioners,
  logLevel,
  type KafkaConfig,
  type LogEntry,
  type Message,
  type Producer,
} from 'kafkajs';
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

export function createKafka(settings: KafkaSettings, log: Logger): Kafka {
  const kafkaLog = log.child({ module: 'kafkajs' });
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const fields = { ...rest } as Record<string, unknown>;
        delete fields.timestamp;
        delete fields.logger;
        if (level <= logLevel.ERROR) kafkaLog.error(message, fields);
        else if (level === logLevel.WARN) kafkaLog.warn(message, fields);
        else kafkaLog.debug(message, fields);
      },
  };
  return new Kafka(config);
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
