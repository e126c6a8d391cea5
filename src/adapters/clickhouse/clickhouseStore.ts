// ClickHouse access through @clickhouse/client, backed by the embedded chDB engine by default or
// by a server when CLICKHOUSE_URL is set. chDB keeps `clickhouse_settings` in force for the rest of
// the session, so every call here passes every per-call setting explicitly (a dedup token left
// over from one insert would silently swallow the next one).
import { accessSync, constants, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { PulseConfig } from '../../config.ts';
import { NonRetriableError, TransientError, errorMessage } from '../../errors.ts';
import type { AvroRowFile } from './avroRowFile.ts';
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

/** A statement on one of the embedded engine's writing sessions (chdb's `queryAsync`). */
type EngineQuery = (sql: string) => Promise<unknown>;

/**
 * The embedded engine's writing sessions. chDB runs one statement at a time per session (two
 * concurrent queries on one take twice as long as one; on two sessions of the same folder, as
 * long as one), so a statement goes to the session with the fewest in flight.
 */
export class EngineSessions {
  readonly #sessions: { readonly query: EngineQuery; inFlight: number }[];

  constructor(queries: readonly EngineQuery[]) {
    this.#sessions = queries.map((query) => ({ query, inFlight: 0 }));
  }

  readonly run: EngineQuery = async (sql) => {
    let session = this.#sessions[0];
    if (session === undefined) throw new Error('no chDB session');
    for (const other of this.#sessions) if (other.inFlight < session.inFlight) session = other;
    session.inFlight++;
    try {
      return await session.query(sql);
    } finally {
      session.inFlight--;
    }
  };
}

const STAGING_PREFIX = 'pulse-chdb-inserts-';
let storeCount = 0;

/**
 * Where embedded inserts stage their rows: memory-backed where the machine has /dev/shm. One folder
 * per process, each file removed as its insert ends and the folder on close; folders of processes
 * that died without closing (SIGKILL) are removed by the next process to open a store.
 */
function stagingFolder(): string {
  const base = process.platform === 'linux' && isWritable('/dev/shm') ? '/dev/shm' : os.tmpdir();
  for (const entry of readdirSync(base)) {
    const pid = Number(entry.slice(STAGING_PREFIX.length));
    if (entry.startsWith(STAGING_PREFIX) && Number.isInteger(pid) && !isAlive(pid))
      rmSync(path.join(base, entry), { recursive: true, force: true });
  }
  const folder = path.join(base, `${STAGING_PREFIX}${String(process.pid)}`);
  mkdirSync(folder, { recursive: true });
  return folder;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, someone else's
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isWritable(folder: string): boolean {
  try {
    accessSync(folder, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A batch of events that span more than 100 months (a backfill: the contract allows 2000–2100)
 * makes more than 100 parts, which ClickHouse refuses by default; the refusal looks transient, so
 * the loader would retry that batch for ever. The inserts accept it and the engine logs a warning.
 */
const MANY_PARTITIONS = 'throw_on_max_partitions_per_insert_block = 0';

/** A column name as an identifier. */
const quoteName = (name: string): string => `\`${name.replace(/[\\`]/g, '\\$&')}\``;

/** A SQL string literal. */
const sqlString = (value: string): string => `'${value.replace(/[\\']/g, '\\$&')}'`;

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
  readonly #engine: EngineQuery | undefined;
  /** Closes the writing sessions beyond the client's own. */
  readonly #closeSessions: readonly (() => Promise<void>)[];
  #staging: string | undefined;
  #staged = 0;
  readonly #id = (storeCount++).toString(36);
  /** per table, its columns' types: the structure of a staged insert's file */
  readonly #columnTypes = new Map<string, Map<string, string>>();

  private constructor(
    target: ClickHouseTarget,
    client: ClickHouseClient,
    readOnly: boolean,
    engine?: EngineQuery,
    closeSessions: readonly (() => Promise<void>)[] = [],
  ) {
    this.target = target;
    this.#client = client;
    this.#readOnly = readOnly;
    this.#engine = engine;
    this.#closeSessions = closeSessions;
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
    let engine: EngineQuery;
    const closeExtra: (() => Promise<void>)[] = [];
    try {
      const connection = createChdbConnection({ path: dataPath });
      client = createClient({ connection } as Parameters<typeof createClient>[0]);
      const queries: EngineQuery[] = [(sql) => connection.chdb.queryAsync(sql)];
      // A read-only store never inserts: no sessions of its own for that.
      for (let i = 1; i < (readOnly ? 1 : config.PULSE_CHDB_INSERT_SESSIONS); i++) {
        const extra = createChdbConnection({ path: dataPath });
        queries.push((sql) => extra.chdb.queryAsync(sql));
        closeExtra.push(() => extra.close());
      }
      engine = new EngineSessions(queries).run;
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
      readOnly ? undefined : engine,
      closeExtra,
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
      if (this.#engine !== undefined) {
        await this.#insertStaged(this.#engine, table, rows, options);
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
          throw_on_max_partitions_per_insert_block: 0,
        }),
      });
    } catch (error) {
      if (error instanceof NonRetriableError || error instanceof TransientError) throw error;
      throw classifyLoaderTable(error, `insert into ${table} failed`);
    }
  }

  /**
   * Embedded inserts: the rows as JSONCompactEachRow in a file, read by `INSERT … SELECT FROM
   * file()`. chdb's raw insert sends the same bytes inline in the statement, and the engine spent
   * about twice the CPU on it (20k rows of workflow_executions: 184–382 ms against 128–147 ms; see
   * docs/performance.md). The dedup token applies as to any insert: a replay inserts nothing.
   */
  async #insertStaged(
    engine: EngineQuery,
    table: string,
    rows: readonly Record<string, unknown>[],
    options: InsertOptions,
  ): Promise<void> {
    const { columns, values } = compactEachRow(rows);
    const types = this.#columnTypes.get(table) ?? (await this.#readColumnTypes(table));
    const structure = columns.map((column) => {
      const type = types.get(column);
      if (type === undefined) {
        // Schema drift: refuse the batch loudly rather than drop the field.
        throw new NonRetriableError(
          `insert into ${table} failed: the table has no column ${column} (columns: ${[...types.keys()].join(', ')})`,
          { code: 'CLICKHOUSE_QUERY' },
        );
      }
      return `${quoteName(column)} ${type}`;
    });
    try {
      await this.#withStagedFile('json', values, (file) =>
        engine(
          `INSERT INTO ${this.target.database}.${table} (${columns.map(quoteName).join(', ')})
           SETTINGS insert_deduplicate = 1, insert_deduplication_token = ${sqlString(options.dedupToken)},
                    date_time_input_format = 'best_effort', ${MANY_PARTITIONS}
           SELECT * FROM file(${sqlString(file)}, 'JSONCompactEachRow', ${sqlString(structure.join(', '))})`,
        ),
      );
    } catch (error) {
      // The table may have been replaced (a replay swaps tables): read its columns again next time.
      this.#columnTypes.delete(table);
      throw error;
    }
  }

  /** Writes `bytes` to a staging file, runs `use` on its path, and removes the file. */
  async #withStagedFile(
    extension: string,
    bytes: Buffer,
    use: (file: string) => Promise<unknown>,
  ): Promise<void> {
    this.#staging ??= stagingFolder();
    // Two stores of one process (the writer and a replay's) share the folder: the name keeps them apart.
    const file = path.join(this.#staging, `${this.#id}-${String(++this.#staged)}.${extension}`);
    await writeFile(file, bytes);
    try {
      await use(file);
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Whether `insertAvro` is available: the embedded engine reads staged files, a server does not. */
  get readsAvroFiles(): boolean {
    return this.#engine !== undefined;
  }

  /**
   * Inserts an Avro file of rows (see avroRowFile.ts), each column its SQL expression over the
   * file's fields; with an explicit deduplication token, as `insert`. Embedded engine only.
   */
  async insertAvro(
    table: string,
    file: AvroRowFile,
    select: Readonly<Record<string, string>>,
    options: InsertOptions,
  ): Promise<void> {
    if (file.count === 0) return;
    if (this.#engine === undefined)
      throw new NonRetriableError(
        `insert into ${table} failed: Avro files are read by the embedded engine only`,
      );
    const engine = this.#engine;
    const columns = Object.keys(select);
    try {
      await this.#withStagedFile('avro', file.toBuffer(), (staged) =>
        engine(
          `INSERT INTO ${this.target.database}.${table} (${columns.map(quoteName).join(', ')})
           SETTINGS insert_deduplicate = 1, insert_deduplication_token = ${sqlString(options.dedupToken)},
                    enable_nullable_tuple_type = 1, ${MANY_PARTITIONS}
           SELECT ${Object.values(select).join(', ')} FROM file(${sqlString(staged)}, 'Avro')`,
        ),
      );
    } catch (error) {
      throw classifyLoaderTable(error, `insert into ${table} failed`);
    }
  }

  async #readColumnTypes(table: string): Promise<Map<string, string>> {
    const rows = await this.query<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = {database:String} AND table = {table:String}
       ORDER BY position`,
      { database: this.target.database, table },
    );
    if (rows.length === 0) {
      // A loader's own table missing is an outage (see classifyLoaderTable): retry until it is back.
      throw new TransientError(
        `insert into ${table} failed: ${this.target.database}.${table} does not exist`,
        {
          code: 'CLICKHOUSE_TABLE_UNAVAILABLE',
        },
      );
    }
    const types = new Map(rows.map((r) => [r.name, r.type]));
    this.#columnTypes.set(table, types);
    return types;
  }

  async close(): Promise<void> {
    // Only this store's files: another store of the process may be inserting. The folder goes
    // with the last of them.
    if (this.#staging !== undefined) {
      for (const entry of readdirSync(this.#staging))
        if (entry.startsWith(`${this.#id}-`)) rmSync(path.join(this.#staging, entry), { force: true });
      if (readdirSync(this.#staging).length === 0) rmSync(this.#staging, { recursive: true, force: true });
    }
    await Promise.all(this.#closeSessions.map((close) => close()));
    await this.#client.close();
  }
}
