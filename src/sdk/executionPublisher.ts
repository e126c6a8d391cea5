// The producer SDK for the workflow runtime: validates every event with the zod contract (an
// invalid event is rejected with each failing field named, and nothing of that call is sent),
// encodes it with the registered Avro schema, keys it by workflowId (per-workflow ordering) and
// sends through an idempotent producer. Calls made close together are batched into one send.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Producer } from 'kafkajs';
import {
  createKafka,
  idempotentProducer,
  parseBrokers,
  translateKafkaError,
} from '../adapters/kafka/kafkaClient.ts';
import { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import {
  validateExecutionEvent,
  type ExecutionEvent,
  type ExecutionEventInput,
} from '../core/executionEvent.ts';
import { NonRetriableError, ValidationError, type FieldIssue } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { EXECUTIONS_TOPIC } from '../topology/topics.ts';

export interface ExecutionPublisherConfig {
  /** Kafka bootstrap brokers, e.g. ['127.0.0.1:19092'] or '127.0.0.1:19092,127.0.0.1:19094' */
  readonly brokers: readonly string[] | string;
  /** Confluent-API registry base URL */
  readonly registryUrl: string;
  /** topic to publish to; default workflow.executions.v1 */
  readonly topic?: string;
  readonly clientId?: string;
  /** how long a publish waits for others to share its batch (ms); default 2 */
  readonly lingerMs?: number;
  /** largest number of events in one produce request; default 2000 */
  readonly maxBatch?: number;
  readonly logger?: Logger;
}

export interface PublishResult {
  readonly published: number;
}

export interface ExecutionPublisher {
  publish(events: ExecutionEventInput | readonly ExecutionEventInput[]): Promise<PublishResult>;
  /** sends what is pending and disconnects */
  close(): Promise<void>;
}

const schemaFile = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../schemas/workflow.executions.v1.avsc',
);

interface Pending {
  readonly messages: { key: string; value: Buffer }[];
  resolve(): void;
  reject(error: unknown): void;
}

export async function createExecutionPublisher(
  config: ExecutionPublisherConfig,
): Promise<ExecutionPublisher> {
  const log = (config.logger ?? createLogger()).child({ module: 'execution-publisher' });
  const topic = config.topic ?? EXECUTIONS_TOPIC;
  const brokers = typeof config.brokers === 'string' ? parseBrokers(config.brokers) : [...config.brokers];
  const lingerMs = config.lingerMs ?? 2;
  const maxBatch = config.maxBatch ?? 2000;
  const registry = new AvroRegistry(config.registryUrl);
  const schemaId = await registry.register(`${topic}-value`, readFileSync(schemaFile, 'utf8'));
  const kafka = createKafka({ brokers, clientId: config.clientId ?? 'pulse-sdk' }, log);
  const producer: Producer = idempotentProducer(kafka);
  try {
    await producer.connect();
  } catch (error) {
    throw translateKafkaError(error, `connecting to ${brokers.join(',')}`);
  }

  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let sending = Promise.resolve();
  let closed = false;

  const drain = (): void => {
    timer = undefined;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    sending = sending.then(async () => {
      const messages = batch.flatMap((p) => p.messages);
      try {
        for (let i = 0; i < messages.length; i += maxBatch) {
          await producer.send({ topic, acks: -1, messages: messages.slice(i, i + maxBatch) });
        }
        for (const p of batch) p.resolve();
      } catch (error) {
        const translated = translateKafkaError(error, `publishing to ${topic}`);
        for (const p of batch) p.reject(translated);
      }
    });
  };

  return {
    async publish(input) {
      if (closed) throw new NonRetriableError('publisher is closed');
      const list = Array.isArray(input)
        ? (input as readonly ExecutionEventInput[])
        : [input as ExecutionEventInput];
      const valid: ExecutionEvent[] = [];
      const issues: FieldIssue[] = [];
      list.forEach((event, index) => {
        const result = validateExecutionEvent(event);
        if (result.ok) valid.push(result.value);
        else {
          const at = list.length > 1 ? `[${index}].` : '';
          for (const p of result.problems) issues.push({ path: `${at}${p.path}`, message: p.message });
        }
      });
      if (issues.length > 0)
        throw new ValidationError(`${issues.length} invalid field(s), nothing was published`, issues);
      const messages = await Promise.all(
        valid.map(async (event) => ({
          key: event.workflowId,
          value: await registry.encode(schemaId, event),
        })),
      );
      await new Promise<void>((resolve, reject) => {
        queue.push({ messages, resolve, reject });
        const queued = queue.reduce((n, p) => n + p.messages.length, 0);
        if (queued >= maxBatch) {
          if (timer !== undefined) clearTimeout(timer);
          drain();
        } else timer ??= setTimeout(drain, lingerMs);
      });
      return { published: messages.length };
    },
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      drain();
      await sending;
      await producer.disconnect();
    },
  };
}
