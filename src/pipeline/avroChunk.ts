// A loader's chunk as an Avro row file (a definition's `avroRows`): each record's own bytes when
// the definition's reader accepts them as they are, else the full path (decode through the
// registry, then `encode`), which either gives the record's bytes in the row schema or the reason
// it goes to the dead-letter topic. Both paths accept and refuse the same records; the reader only
// saves the decode.
import type { KafkaMessage } from 'kafkajs';
import { AvroRowFile } from '../adapters/clickhouse/avroRowFile.ts';
import { DecodeError, type AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { fastReader } from './inputDecoder.ts';
import type { AvroRowsDefinition, DecodedEntry, PreparedChunk } from './loaderDefinition.ts';

export interface AvroChunk {
  readonly file: AvroRowFile;
  readonly rejected: PreparedChunk<never>['rejected'];
}

const NOTHING = Buffer.alloc(0);

/**
 * A record decoded through the registry, or why it never will be (DLQ material); synchronous
 * once its schema is known, a Promise when the first record of a schema fetches it. Throws when
 * the registry cannot be reached (retry the chunk).
 */
export function decodeEntry(
  registry: AvroRegistry,
  message: KafkaMessage,
): DecodedEntry | Promise<DecodedEntry> {
  const rejected = (error: unknown): DecodedEntry => {
    if (!(error instanceof DecodeError)) throw error;
    return {
      offset: message.offset,
      decodeError: { errorClass: error.name, reason: error.reason, message: error.message },
    };
  };
  const found = (decoded: unknown): DecodedEntry => ({
    offset: message.offset,
    timestamp: Number(message.timestamp),
    decoded,
  });
  try {
    const known = registry.decodeKnown(message.value);
    if (known !== undefined) return found(known);
  } catch (error) {
    return rejected(error);
  }
  return registry.decode(message.value).then(found, rejected);
}

/** Prepares chunks for one definition; throws when the registry cannot be reached (retry). */
export function avroChunkPreparer(
  registry: AvroRegistry,
  definition: AvroRowsDefinition,
): (partition: number, messages: readonly KafkaMessage[]) => Promise<AvroChunk> {
  const readFast = fastReader(registry, (schema) => definition.reader(schema));
  return async (partition, messages) => {
    const file = new AvroRowFile(definition.schema, messages.length);
    const rejected: AvroChunk['rejected'][number][] = [];
    for (const message of messages) {
      const offset = Number(message.offset);
      const suffix = readFast(message.value);
      if (suffix !== undefined) {
        file.add(message.value as Buffer, 5, suffix, partition, offset);
        continue;
      }
      const entry = decodeEntry(registry, message);
      const decoded = entry instanceof Promise ? await entry : entry;
      if ('decodeError' in decoded) {
        rejected.push({ offset: message.offset, stage: 'decode', ...decoded.decodeError });
        continue;
      }
      const encoded = definition.encode(decoded.decoded);
      if (encoded.ok) file.add(encoded.row, 0, NOTHING, partition, offset);
      else
        rejected.push({
          offset: message.offset,
          stage: 'validate',
          errorClass: encoded.errorClass,
          reason: encoded.reason,
          message: encoded.message,
        });
    }
    return { file, rejected };
  };
}
