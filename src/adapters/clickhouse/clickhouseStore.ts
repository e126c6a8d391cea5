// ClickHouse access through @clickhouse/client, backed by the embedded chDB engine by default or
// by a server when CLICKHOUSE_URL is set. chDB keeps `clickhouse_settings` in force for the rest of
// the session, so every call here passes every per-call setting explicitly (a dedup token left
// over from one insert would silently swallow the next one).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { PulseConfig } from '../../config.ts';
import { NonRetriableError, TransientError, errorMessage } from '../../errors.ts';
import { compactEachRow } from './compactEachRow.ts';

export interface ClickHouseTarget {
  readonly mode: 'embedded' | 'server';
  readonly database: string;
  /** chDB data folder (embedded) or server URL */
  readonly location: string;
}

export interface InsertOptions {
  /** deterministic token: a replayed insert with the same token is a no-op */
  readonly dedupToken: string;
}

export type QueryParams = Record<string, unknown>;

type RawInsert = (params: {
  table: string;
  columns: readonly string[];
  values: Buffer;
  format: 'JSONCompactEachRow';
  settings: Record<string, string | number>;
}) => Promise<unknown>;

/**
 * The ClickHouse error type (UNKNOWN_TABLE, SYNTAX_ERROR, …): the client's errors carry it as
 * `type`; chDB's raw insert leaves it in the message, `Code: N. DB::Exception: … (TYPE)`.
 */
function errorType(error: unknown): string {
  if (error !== null && typeof error === 'object' && 'type' in error && typeof error.type === 'string')
    return error.type;
  const message = errorMessage(error);
  if (!/Code: \d+\./.test(message)) return '';
  // The last such group: the data quoted earlier in the message may hold one too.
  return [...message.matchAll(/\(([A-Z][A-Z0-9_]{2,})\)/g)].at(-1)?.[1] ?? '';
}

function classify(error: unknown, what: string): Error {
  const message = errorMessage(error);
  // ClickHouse errors carry a type: malformed SQL, unknown objects and type errors will not pass
  // by retrying; connection trouble, overload and timeouts will.
  const type = errorType(error);
  const permanent =
    /^(SYNTAX_ERROR|UNKNOWN_|ILLEGAL_|TYPE_MISMATCH|BAD_ARGUMENTS|NUMBER_OF_ARGUMENTS|CANNOT_PARSE|READONLY|NOT_IMPLEMENTED|NO_SUCH_|THERE_IS_NO_|FUNCTION_|ACCESS_DENIED|INCORRECT_|DUPLICATE_COLUMN|AMBIGUOUS_)/.test(
      type,
    ) || /Cannot execute query in readonly mode|Syntax error/i.test(message);
  if (permanent) {
    return new NonRetriableError(`${what}: ${message}`, { cause: error, code: 'CLICKHOUSE_QUERY' });
  }
  return new TransientError(`${what}: ${message}`, { cause: error, code: 'CLICKHOUSE_UNAVAILABLE' });
}

/**
 * As `classify`, for a loader's own table: a missing table is an outage (detached, being swapped by
 * a replay), not bad input, so the loader pauses and retries until it is back.
 */
function classifyLoaderTable(error: unknown, what: string): Error {
  const failure = classify(error, what);
  return errorType(error) === 'UNKNOWN_TABLE'
    ? new TransientError(failure.message, { cause: error, code: 'CLICKHOUSE_TABLE_UNAVAILABLE' })
    : failure;
}

export class ClickHouseStore {
  readonly target: ClickHouseTarget;
  readonly #client: ClickHouseClient;
  readonly #readOnly: boolean;
  readonly #raw: RawInsert | undefined;

  private constructor(
    target: ClickHouseTarget,
    client: ClickHouseClient,
    readOnly: boolean,
    raw?: RawInsert,
  ) {
    this.target = target;
    this.#client = client;
    this.#readOnly = readOnly;
    this.#raw = raw;
  }

  /**
   * Opens the store. `readOnly` gives a separate session with readonly=1 for Pulse's own reads
   * (analysts' SQL runs on AnalystQueries' sessions, with limits): in
   * chDB the setting sticks to that session only, so the loaders' session keeps writing.
   */
  static async open(
    config: PulseConfig,
    projectRoot: string,
    options: { readOnly?: boolean } = {},
  ): Promise<ClickHouseStore> {
    const readOnly = options.readOnly ?? false;
    const database = config.CLICKHOUSE_DATABASE;
    if (config.CLICKHOUSE_URL !== undefined) {
      const client = createClient({
        url: config.CLICKHOUSE_URL,
        username: config.CLICKHOUSE_USER,
        password: config.CLICKHOUSE_PASSWORD,
        request_timeout: 60_000,
      });
      return new ClickHouseStore(
        { mode: 'server', database, location: config.CLICKHOUSE_URL },
        client,
        readOnly,
      );
    }
    const dataPath = path.resolve(projectRoot, config.PULSE_CHDB_PATH);
    mkdirSync(dataPath, { recursive: true });
    // chdb is imported lazily: commands that never touch ClickHouse should not load the engine.
    const { createChdbConnection } = await import('chdb/connection');
    let client: ClickHouseClient;
    let raw: RawInsert;
    try {
      const connection = createChdbConnection({ path: dataPath });
      raw = (params) => connection.chdb.rawInsert(params);
      client = createClient({ connection } as Parameters<typeof createClient>[0]);
    } catch (error) {
      throw new NonRetriableError(
        `cannot open the chDB data folder ${dataPath} (PULSE_CHDB_PATH): ${errorMessage(error)}. ` +
          'Only one process may own it; in embedded mode query through the running pipeline (`pulse query`).',
        { cause: error },
      );
    }
    return new ClickHouseStore(
      { mode: 'embedded', database, location: dataPath },
      client,
      readOnly,
      // A read-only session keeps the client path, where readonly=1 refuses the insert.
      readOnly ? undefined : raw,
    );
  }

  #settings(extra: ClickHouseSettings = {}): ClickHouseSettings {
    if (this.#readOnly) return { readonly: '1', ...extra };
    return { insert_deduplication_token: '', ...extra };
  }

  async version(): Promise<string> {
    const rows = await this.query<{ v: string }>('SELECT version() AS v');
    return rows[0]?.v ?? 'unknown';
  }

  async command(sql: string, params: QueryParams = {}): Promise<void> {
    try {
      await this.#client.command({ query: sql, query_params: params, clickhouse_settings: this.#settings() });
    } catch (error) {
      throw classify(error, `ClickHouse command failed (${sql.slice(0, 80)})`);
    }
  }

  /** Rows of a loader's table that came from input offsets [from, to] of a partition. */
  async rowsFromSource(table: string, partition: number, from: bigint, to: bigint): Promise<number> {
    try {
      const result = await this.#client.query({
        query: `SELECT count() AS n FROM ${this.target.database}.${table}
                WHERE source_partition = {partition:UInt16} AND source_offset BETWEEN {from:UInt64} AND {to:UInt64}`,
        query_params: { partition, from: from.toString(), to: to.toString() },
        format: 'JSONEachRow',
        clickhouse_settings: this.#settings(),
      });
      const [row] = await result.json<{ n: string | number }>();
      return Number(row?.n ?? 0);
    } catch (error) {
      throw classifyLoaderTable(error, `reading ${table}'s rows of partition ${String(partition)} failed`);
    }
  }

  async query<T>(sql: string, params: QueryParams = {}): Promise<T[]> {
    try {
      const result = await this.#client.query({
        query: sql,
        query_params: params,
        format: 'JSONEachRow',
        clickhouse_settings: this.#settings(),
      });
      return await result.json<T>();
    } catch (error) {
      throw classify(error, 'ClickHouse query failed');
    }
  }

  /** Inserts rows with an explicit deduplication token; replaying the same token inserts nothing. */
  async insert(
    table: string,
    rows: readonly Record<string, unknown>[],
    options: InsertOptions,
  ): Promise<void> {
    if (rows.length === 0) return;
    try {
      if (this.#raw !== undefined) {
        await this.#raw({
          table: `${this.target.database}.${table}`,
          ...compactEachRow(rows),
          format: 'JSONCompactEachRow',
          settings: {
            insert_deduplication_token: options.dedupToken,
            insert_deduplicate: 1,
            date_time_input_format: 'best_effort',
          },
        });
        return;
      }
      await this.#client.insert({
        table: `${this.target.database}.${table}`,
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: this.#settings({
          insert_deduplication_token: options.dedupToken,
          insert_deduplicate: 1,
          date_time_input_format: 'best_effort',
          // A column the table lacks is schema drift: fail loudly instead of dropping the field.
          input_format_skip_unknown_fields: 0,
        }),
      });
    } catch (error) {
      throw classifyLoaderTable(error, `insert into ${table} failed`);
    }
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
