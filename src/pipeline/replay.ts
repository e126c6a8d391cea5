// Rebuilds a loader's table from its topic while the live stages keep running:
//   1. create <table>_rebuild_<ts> with the live table's structure;
//   2. when replaying from a timestamp, copy the live rows older than it;
//   3. load the topic (from the beginning, or from the offsets at that timestamp) into the new
//      table with a fresh consumer group, up to the end offsets seen at the start;
//   4. EXCHANGE the two tables atomically, then copy over what the live loader wrote meanwhile
//      (the ReplacingMergeTree keys make overlaps collapse) and drop the old table.
// Analysts' views keep working throughout: they read the table by name.
import type { Kafka } from 'kafkajs';
import type { ClickHouseStore } from '../adapters/clickhouse/clickhouseStore.ts';
import type { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { NonRetriableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { LoaderDefinition } from './loaderDefinition.ts';
import { startLoader } from './loaderRunner.ts';
import { StageMetrics } from './stageMetrics.ts';

export interface ReplayOptions {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly groupPrefix: string;
  /** epoch ms; undefined replays from the beginning of the topic */
  readonly fromTimestamp?: number;
  /** event-time column: rows older than the timestamp are kept when replaying from one */
  readonly timeColumn: string;
  /** load-time column: rows the live loader wrote during the replay are carried over */
  readonly loadTimeColumn: string;
  readonly sessionTimeoutMs: number;
}

export interface ReplayResult {
  readonly table: string;
  readonly rowsLoaded: number;
  readonly rowsKeptBeforeTimestamp: number;
  readonly rowsCopiedAfterSwap: number;
  readonly seconds: number;
}

export async function replayTable<Row>(deps: {
  readonly kafka: Kafka;
  readonly registry: AvroRegistry;
  readonly store: ClickHouseStore;
  readonly definition: LoaderDefinition<Row>;
  readonly options: ReplayOptions;
  readonly log: Logger;
}): Promise<ReplayResult> {
  const { kafka, store, definition, options } = deps;
  const log = deps.log.child({ module: 'replay', table: definition.table });
  const db = store.target.database;
  const started = Date.now();
  const stamp = new Date(started).toISOString().replace(/\D/g, '').slice(0, 14);
  const live = `${db}.${definition.table}`;
  const rebuildName = `${definition.table}_rebuild_${stamp}`;
  const rebuild = `${db}.${rebuildName}`;
  const groupId = `${options.groupPrefix}.replay-${definition.table}-${stamp}`;
  const count = async (sql: string): Promise<number> =>
    Number((await store.query<{ n: string }>(sql))[0]?.n ?? 0);

  await store.command(`CREATE TABLE ${rebuild} AS ${live}`);
  let kept = 0;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(options.topic);
    if (options.fromTimestamp !== undefined) {
      const from = new Date(options.fromTimestamp).toISOString();
      await store.command(
        `INSERT INTO ${rebuild} SELECT * FROM ${live} FINAL WHERE ${options.timeColumn} < parseDateTime64BestEffort({from:String}, 3)`,
        { from },
      );
      kept = await count(`SELECT count() AS n FROM ${rebuild}`);
      const offsets = await admin.fetchTopicOffsetsByTimestamp(options.topic, options.fromTimestamp);
      await admin.setOffsets({
        groupId,
        topic: options.topic,
        partitions: offsets.map((o) => ({ partition: o.partition, offset: o.offset })),
      });
    }
    const loaderStarted = Date.now();
    const loader = await startLoader({
      kafka,
      registry: deps.registry,
      store,
      definition: { ...definition, name: `${definition.name}-replay`, table: rebuildName },
      metrics: new StageMetrics(`${definition.name}-replay`),
      log,
      options: {
        groupId,
        inputTopic: options.topic,
        deadLetterTopic: options.deadLetterTopic,
        batchMax: 20_000,
        flushMs: 200,
        sessionTimeoutMs: options.sessionTimeoutMs,
      },
    });
    try {
      for (;;) {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [options.topic] });
        const behind = ends.filter((end) => {
          const c = BigInt(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1');
          return BigInt(end.high) > BigInt(end.low) && c < BigInt(end.high);
        });
        if (behind.length === 0) break;
        if (Date.now() - loaderStarted > 3_600_000)
          throw new NonRetriableError('replay did not catch up within an hour');
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await loader.stop();
    }
  } finally {
    await admin.disconnect();
  }
  const loaded = (await count(`SELECT count() AS n FROM ${rebuild}`)) - kept;
  await store.command(`EXCHANGE TABLES ${live} AND ${rebuild}`);
  // What the live loader wrote while the replay ran is in the old table now: bring it over.
  const since = new Date(started - 60_000).toISOString();
  await store.command(
    `INSERT INTO ${live} SELECT * FROM ${rebuild} WHERE ${options.loadTimeColumn} >= parseDateTime64BestEffort({since:String}, 3)`,
    { since },
  );
  const copied = await count(
    `SELECT count() AS n FROM ${rebuild} WHERE ${options.loadTimeColumn} >= parseDateTime64BestEffort('${since}', 3)`,
  );
  await store.command(`DROP TABLE ${rebuild} SYNC`);
  const result = {
    table: live,
    rowsLoaded: loaded,
    rowsKeptBeforeTimestamp: kept,
    rowsCopiedAfterSwap: copied,
    seconds: (Date.now() - started) / 1000,
  };
  log.info('replay finished', { ...result });
  return result;
}
