// A processor's fetched batch as the definition's inputs: decoded (fast reader or full path),
// enriched, past what the partition has applied already; records that do not decode or validate
// become dead letters, except those a replay has sent before.
import type { KafkaMessage, Message } from 'kafkajs';
import type { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { deadLetterMessage } from './deadLetters.ts';
import { inputDecoder } from './inputDecoder.ts';
import type { ProcessorDefinition } from './processorDefinition.ts';
import type { StageMetrics } from './stageMetrics.ts';

/** Where a partition stands: the next offset to apply, and the end of a replay in progress. */
export interface AppliedPosition {
  readonly nextOffset: bigint;
  /** inputs below this offset were committed before (their dead letters too) */
  readonly replayUntil: bigint | null;
}

export interface DecodedBatch<In> {
  readonly inputs: { offset: string; value: In }[];
  readonly deadLetters: Message[];
}

export function batchDecoder<In>(
  registry: AvroRegistry,
  definition: Pick<ProcessorDefinition<unknown, In, unknown>, 'parse' | 'fastParse' | 'enrich'>,
  options: { readonly inputTopic: string; readonly deadLetterTopic?: string },
  metrics: StageMetrics,
): (
  partition: number,
  position: AppliedPosition,
  messages: readonly KafkaMessage[],
) => Promise<DecodedBatch<In>> {
  const decode = inputDecoder(registry, definition, metrics);
  return async (partition, position, messages) => {
    const inputs: { offset: string; value: In }[] = [];
    const deadLetters: Message[] = [];
    const first = messages[0];
    // Offsets rise within a batch: only a batch that starts behind needs each one compared.
    const startsBehind = first !== undefined && BigInt(first.offset) < position.nextOffset;
    for (const message of messages) {
      if (startsBehind && BigInt(message.offset) < position.nextOffset) continue;
      const decoded = decode(message);
      const result = decoded instanceof Promise ? await decoded : decoded;
      if ('value' in result) {
        const value = definition.enrich === undefined ? result.value : await definition.enrich(result.value);
        inputs.push({ offset: message.offset, value });
      } else if (options.deadLetterTopic !== undefined) {
        const replayed = position.replayUntil !== null && BigInt(message.offset) < position.replayUntil;
        if (!replayed) {
          deadLetters.push(
            deadLetterMessage({
              key: message.key,
              value: message.value,
              sourceTopic: options.inputTopic,
              sourcePartition: partition,
              sourceOffset: message.offset,
              sourceTimestamp: message.timestamp,
              ...result.rejected,
            }),
          );
        }
      }
    }
    return { inputs, deadLetters };
  };
}
