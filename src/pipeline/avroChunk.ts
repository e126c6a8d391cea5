// A loader's chunk as an Avro row file (a definition's `avroRows`): each record's own bytes when
// the definition's reader accepts them as they are, else the full path (decode through the
// registry, then `encode`), which either gives the record's bytes in the row schema or the reason
// it goes to the dead-letter topic. Both paths accept and refuse the same records; the reader only
// saves the decode.
import type { KafkaMessage } from 'kafkajs';
import { AvroRowFile } from '../adapters/clickhouse/avroRowFile.ts';
import { DecodeError, type AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { fastReader } from './inputDecoder.ts';
import type { AvroRowsDefinition, PreparedChunk } from './loaderDefinition.ts';

export interface AvroChunk {
  readonly file: AvroRowFile;
  readonly rejected: PreparedChunk<never>['rejected'];
}

const NOTHING = Buffer.alloc(0);

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
      let decoded: unknown;
      try {
        // Synchronous once the schema is known; the first record of a schema fetches it.
        decoded = registry.decodeKnown(message.value) ?? (await registry.decode(message.value));
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        rejected.push({
          offset: message.offset,
          stage: 'decode',
          errorClass: error.name,
          reason: error.reason,
          message: error.message,
        });
        continue;
      }
      const encoded = definition.encode(decoded);
      if (encoded.ok) file.add(encoded.row, 0, NOTHING, partition, offset);
      else rejected.push({ offset: message.offset, stage: 'validate', ...withoutOk(encoded) });
    }
    return { file, rejected };
  };
}

function withoutOk(failure: { errorClass: string; reason: string; message: string }): {
  errorClass: string;
  reason: string;
  message: string;
} {
  return { errorClass: failure.errorClass, reason: failure.reason, message: failure.message };
}
