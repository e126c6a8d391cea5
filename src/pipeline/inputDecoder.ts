// A processor's input, from Kafka record to the definition's parsed value or the reason it is
// rejected (for the dead-letter topic): Avro decode through the registry, then `parse`.
import type { KafkaMessage } from 'kafkajs';
import { DecodeError, type AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import type { ProcessorDefinition } from './processorDefinition.ts';
import type { StageMetrics } from './stageMetrics.ts';

export type DecodedInput<In> =
  | { readonly value: In }
  | {
      readonly rejected: {
        stage: 'decode' | 'validate';
        errorClass: string;
        reason: string;
        message: string;
      };
    };

/**
 * A record's value read by a fast reader made for its writer schema (`readerFor`, once per schema
 * id; null: none for that schema), or undefined when the full path must decide: not framed, a
 * schema not fetched yet (the full path fetches it, and the next record finds it), or the reader
 * declined.
 */
export function fastReader<T>(
  registry: AvroRegistry,
  readerFor: (writerSchema: unknown) => ((body: Buffer, start: number) => T | undefined) | null,
): (buffer: Buffer | null) => T | undefined {
  const readers = new Map<number, ((body: Buffer, start: number) => T | undefined) | null>();
  return (buffer) => {
    if (buffer === null || buffer.length < 5 || buffer[0] !== 0) return undefined;
    const schemaId = buffer.readInt32BE(1);
    let reader = readers.get(schemaId);
    if (reader === undefined) {
      const schema = registry.writerSchema(schemaId);
      if (schema === undefined) return undefined;
      reader = readerFor(schema);
      readers.set(schemaId, reader);
    }
    return reader === null ? undefined : reader(buffer, 5);
  };
}

/**
 * Decodes and parses one input; a Promise only when its schema must first be fetched from the
 * registry (once per schema id), so that the hot path costs no microtask per message. Records that
 * can never decode and values `parse` refuses are counted and returned as rejected; a registry
 * that cannot be reached throws (retry later).
 */
export function inputDecoder<In>(
  registry: AvroRegistry,
  definition: Pick<ProcessorDefinition<unknown, In, unknown>, 'parse' | 'fastParse'>,
  metrics: StageMetrics,
): (message: KafkaMessage) => DecodedInput<In> | Promise<DecodedInput<In>> {
  const readFast =
    definition.fastParse === undefined ? () => undefined : fastReader(registry, definition.fastParse);

  function parse(decoded: unknown): DecodedInput<In> {
    const parsed = definition.parse(decoded);
    if (parsed.ok) return { value: parsed.value };
    metrics.add('invalid_inputs_total', 1, { reason: 'validation' });
    return {
      rejected: {
        stage: 'validate',
        errorClass: 'ValidationError',
        reason: parsed.reason,
        message: parsed.reason,
      },
    };
  }

  function rejectUndecodable(error: unknown): DecodedInput<In> {
    if (!(error instanceof DecodeError)) throw error;
    // Without a dead-letter topic the stage counts and skips it (its source's loader keeps it).
    metrics.add('invalid_inputs_total', 1, { reason: error.reason });
    return {
      rejected: { stage: 'decode', errorClass: error.name, reason: error.reason, message: error.message },
    };
  }

  return (message) => {
    const fast = readFast(message.value);
    if (fast !== undefined) return { value: fast };
    try {
      const known = registry.decodeKnown(message.value);
      if (known === undefined) return registry.decode(message.value).then(parse, rejectUndecodable);
      return parse(known);
    } catch (error) {
      return rejectUndecodable(error);
    }
  };
}
