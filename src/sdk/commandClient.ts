// The command bus client: sends commands to workflow.commands.v1 (Avro, keyed by tenant) and, for
// `request`, waits for the result with the same commandId on workflow.command-results.v1. A
// request that gets no answer in time rejects with CommandTimeoutError, which is retriable: sending
// the same command (same commandId) again is safe, since the processor executes a commandId once
// and answers a repeat with the first result.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Consumer, Producer } from 'kafkajs';
import {
  createKafka,
  idempotentProducer,
  parseBrokers,
  translateKafkaError,
} from '../adapters/kafka/kafkaClient.ts';
import { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import {
  commandRecord,
  isCommandResult,
  parseCommand,
  type Command,
  type CommandResult,
} from '../core/commands/command.ts';
import { NonRetriableError, TransientError, ValidationError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { COMMAND_RESULTS_TOPIC, COMMANDS_TOPIC } from '../topology/topics.ts';

export interface CommandClientConfig {
  readonly brokers: readonly string[] | string;
  readonly registryUrl: string;
  /** the deployment's PULSE_TOPIC_PREFIX */
  readonly topicPrefix?: string;
  readonly clientId?: string;
  readonly logger?: Logger;
}

export interface CommandClient {
  /** Sends a command without waiting for its result. */
  send(command: Command): Promise<void>;
  /** Sends a command and resolves with its result; rejects with CommandTimeoutError after `timeoutMs`. */
  request(command: Command, timeoutMs?: number): Promise<CommandResult>;
  close(): Promise<void>;
}

export class CommandTimeoutError extends TransientError {
  readonly commandId: string;
  constructor(commandId: string, timeoutMs: number) {
    super(
      `no result for command ${commandId} within ${timeoutMs} ms; it may still complete (send it again to retry safely)`,
    );
    this.commandId = commandId;
  }
}

/** A fresh command id. */
export function newCommandId(): string {
  return randomUUID();
}

const schemaFile = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../schemas/workflow.commands.v1.avsc',
);

export async function createCommandClient(config: CommandClientConfig): Promise<CommandClient> {
  const log = (config.logger ?? createLogger()).child({ module: 'command-client' });
  const prefix = config.topicPrefix ?? '';
  const commandsTopic = `${prefix}${COMMANDS_TOPIC}`;
  const resultsTopic = `${prefix}${COMMAND_RESULTS_TOPIC}`;
  const brokers = typeof config.brokers === 'string' ? parseBrokers(config.brokers) : [...config.brokers];
  const registry = new AvroRegistry(config.registryUrl);
  const schemaId = await registry.register(`${commandsTopic}-value`, readFileSync(schemaFile, 'utf8'));
  const kafka = createKafka({ brokers, clientId: config.clientId ?? 'pulse-command-client' }, log);
  const producer: Producer = idempotentProducer(kafka);
  const waiting = new Map<string, (result: CommandResult) => void>();
  const admin = kafka.admin();
  // Its own group, starting at the end of the results topic as it was before the first command.
  const consumer: Consumer = kafka.consumer({
    groupId: `pulse-command-client-${randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  try {
    await producer.connect();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(resultsTopic);
    await admin.disconnect();
    await consumer.connect();
    await consumer.subscribe({ topic: resultsTopic, fromBeginning: true });
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, () => {
        resolve();
      });
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const decoded = await registry.decode(message.value).catch(() => undefined);
        if (!isCommandResult(decoded)) return;
        waiting.get(decoded.commandId)?.(decoded);
      },
    });
    for (const end of ends)
      consumer.seek({ topic: resultsTopic, partition: end.partition, offset: end.high });
    await joined;
  } catch (error) {
    throw translateKafkaError(error, `connecting the command client to ${brokers.join(',')}`);
  }
  let closed = false;

  async function send(command: Command): Promise<void> {
    if (closed) throw new NonRetriableError('command client is closed');
    const record = commandRecord(command);
    const checked = parseCommand(record);
    if (!checked.ok)
      throw new ValidationError('invalid command', [{ path: 'command', message: checked.reason }]);
    try {
      await producer.send({
        topic: commandsTopic,
        acks: -1,
        messages: [{ key: command.tenantId, value: await registry.encode(schemaId, record) }],
      });
    } catch (error) {
      throw translateKafkaError(error, `sending command ${command.commandId}`);
    }
  }

  return {
    send,
    async request(command, timeoutMs = 10_000) {
      const answer = new Promise<CommandResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(command.commandId);
          reject(new CommandTimeoutError(command.commandId, timeoutMs));
        }, timeoutMs);
        waiting.set(command.commandId, (result) => {
          clearTimeout(timer);
          waiting.delete(command.commandId);
          resolve(result);
        });
      });
      try {
        await send(command);
      } catch (error) {
        waiting.delete(command.commandId);
        throw error;
      }
      return answer;
    },
    async close() {
      closed = true;
      await Promise.allSettled([producer.disconnect(), consumer.disconnect()]);
    },
  };
}
