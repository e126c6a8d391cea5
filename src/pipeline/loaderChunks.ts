// A loader's chunk of messages made ready to insert: the rows in the format the store takes best
// (an Avro file of the records' own bytes where the definition and the embedded engine allow it,
// else rows from the definition's `transform`), and the records refused, for the dead-letter topic.
import type { KafkaMessage } from 'kafkajs';
import type { ClickHouseStore } from '../adapters/clickhouse/clickhouseStore.ts';
import type { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { avroChunkPreparer, decodeEntry } from './avroChunk.ts';
import {
  prepareChunk,
  type DecodedEntry,
  type LoaderDefinition,
  type PreparedChunk,
} from './loaderDefinition.ts';

export interface Insertable {
  readonly count: number;
  readonly rejected: PreparedChunk<unknown>['rejected'];
  insert(dedupToken: string): Promise<void>;
}

/** Prepares a partition's chunks for one loader; throws when the registry cannot be reached (retry). */
export function chunkPreparer<Row>(
  registry: AvroRegistry,
  store: ClickHouseStore,
  definition: LoaderDefinition<Row>,
): (partition: number, chunk: readonly KafkaMessage[]) => Promise<Insertable> {
  const { avroRows } = definition;
  const prepareAvro =
    avroRows !== undefined && store.readsAvroFiles ? avroChunkPreparer(registry, avroRows) : undefined;

  async function decodeAll(messages: readonly KafkaMessage[]): Promise<DecodedEntry[]> {
    const entries: DecodedEntry[] = [];
    for (const message of messages) {
      const entry = decodeEntry(registry, message);
      entries.push(entry instanceof Promise ? await entry : entry);
    }
    return entries;
  }

  return async (partition, chunk) => {
    if (prepareAvro !== undefined && avroRows !== undefined) {
      const { file, rejected } = await prepareAvro(partition, chunk);
      return {
        count: file.count,
        rejected,
        insert: (dedupToken) => store.insertAvro(definition.table, file, avroRows.select, { dedupToken }),
      };
    }
    const { rows, rejected } = prepareChunk(definition, partition, await decodeAll(chunk));
    return {
      count: rows.length,
      rejected,
      insert: (dedupToken) =>
        store.insert(definition.table, rows as Record<string, unknown>[], { dedupToken }),
    };
  };
}
