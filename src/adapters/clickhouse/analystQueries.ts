// Analysts' SQL, kept away from the data path. Each query runs on a session of its own pool, with
// limits the operator sets (time, result rows and bytes, memory, threads) enforced by the engine,
// at most `concurrency` at once and `queue` waiting; past that a request is refused as busy. In
// embedded mode the pool is a set of chDB sessions on the same data folder (readonly=1 and the
// limits set once per session, so analysts can change neither) and results are streamed block by
// block: a query whose client went away is cancelled at the next block, and no result is ever
// held whole beyond its byte limit. chDB cannot interrupt a block in progress (no interrupt in its
// C API), so a block that never ends is stopped by max_execution_time. Against a server the same
// limits travel with each request and the request is aborted when the client goes away.
import path from 'node:path';
import { createRequire } from 'node:module';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { PulseConfig } from '../../config.ts';
import { checkAnalystSql } from '../../core/query/analystSql.ts';
import { NonRetriableError, TransientError, errorMessage } from '../../errors.ts';

export interface QueryTable {
  readonly columns: { name: string; type: string }[];
  readonly rows: Record<string, unknown>[];
}

export interface AnalystQueryLimits {
  readonly maxExecutionMs: number;
  readonly maxResultRows: number;
  readonly maxResultBytes: number;
  readonly maxMemoryBytes: number;
  readonly maxThreads: number;
  readonly concurrency: number;
  readonly queue: number;
}

export function analystLimits(config: PulseConfig): AnalystQueryLimits {
  return {
    maxExecutionMs: config.PULSE_QUERY_MAX_EXECUTION_MS,
    maxResultRows: config.PULSE_QUERY_MAX_RESULT_ROWS,
    maxResultBytes: config.PULSE_QUERY_MAX_RESULT_BYTES,
    maxMemoryBytes: config.PULSE_QUERY_MAX_MEMORY_BYTES,
    maxThreads: config.PULSE_QUERY_MAX_THREADS,
    concurrency: config.PULSE_QUERY_CONCURRENCY,
    queue: config.PULSE_QUERY_QUEUE,
  };
}

/** SQL that is not a read-only query, or that reaches outside Pulse's tables. */
export class QueryRefusedError extends NonRetriableError {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(`query refused: ${message}`, { code: 'QUERY_REFUSED' });
    this.name = 'QueryRefusedError';
    this.reason = reason;
  }
}

/** A query stopped by one of the operator's limits; `setting` names it. */
export class QueryLimitError extends NonRetriableError {
  readonly setting: string;
  readonly limit: number;
  constructor(setting: string, limit: number, detail: string) {
    super(`query stopped by ${setting}=${String(limit)}: ${detail}`, { code: 'QUERY_LIMIT' });
    this.name = 'QueryLimitError';
    this.setting = setting;
    this.limit = limit;
  }
}

/** Every analyst session is busy and the queue is full. */
export class QueryBusyError extends TransientError {
  constructor(limits: AnalystQueryLimits) {
    super(
      `too many analyst queries: ${String(limits.concurrency)} running and ${String(limits.queue)} queued ` +
        '(PULSE_QUERY_CONCURRENCY, PULSE_QUERY_QUEUE); retry shortly',
      { code: 'QUERY_BUSY' },
    );
    this.name = 'QueryBusyError';
  }
}

/** The client went away before the answer. */
export class QueryCancelledError extends NonRetriableError {
  constructor() {
    super('query cancelled: the client disconnected', { code: 'QUERY_CANCELLED' });
    this.name = 'QueryCancelledError';
  }
}

/** Translates the engine's limit errors into ones that name the operator's setting. */
function classify(error: unknown, limits: AnalystQueryLimits): Error {
  const message = errorMessage(error);
  if (/TIMEOUT_EXCEEDED|Timeout exceeded/.test(message))
    return new QueryLimitError('PULSE_QUERY_MAX_EXECUTION_MS', limits.maxExecutionMs, 'it ran too long');
  if (/TOO_MANY_ROWS_OR_BYTES|Limit for result exceeded/.test(message)) {
    return /max bytes/i.test(message)
      ? new QueryLimitError('PULSE_QUERY_MAX_RESULT_BYTES', limits.maxResultBytes, 'the result is too large')
      : new QueryLimitError(
          'PULSE_QUERY_MAX_RESULT_ROWS',
          limits.maxResultRows,
          'the result has too many rows',
        );
  }
  if (/MEMORY_LIMIT_EXCEEDED|memory limit exceeded/i.test(message))
    return new QueryLimitError(
      'PULSE_QUERY_MAX_MEMORY_BYTES',
      limits.maxMemoryBytes,
      'it needs too much memory',
    );
  if (/READONLY|readonly mode/i.test(message))
    return new QueryRefusedError('read_only', 'analyst queries are read-only');
  if (/Code: \d+/.test(message) || /Syntax error|UNKNOWN_|doesn't exist|does not exist/i.test(message))
    return new NonRetriableError(`query failed: ${message.replace(/^Query failed: /, '')}`, {
      code: 'QUERY_FAILED',
      cause: error,
    });
  return new TransientError(`query failed: ${message}`, { code: 'CLICKHOUSE_UNAVAILABLE', cause: error });
}

function engineSettings(limits: AnalystQueryLimits): Record<string, string | number> {
  return {
    max_execution_time: Math.max(1, Math.ceil(limits.maxExecutionMs / 1000)),
    timeout_overflow_mode: 'throw',
    max_result_rows: limits.maxResultRows,
    max_result_bytes: limits.maxResultBytes,
    result_overflow_mode: 'throw',
    max_memory_usage: limits.maxMemoryBytes,
    max_threads: limits.maxThreads,
  };
}

interface AnalystEngine {
  run(sql: string, signal: AbortSignal): Promise<QueryTable>;
  close(): Promise<void>;
}

/** The chDB session API this module uses (chdb ships no types for its streaming cursor). */
interface ChdbStreamChunk {
  readonly numBytes: number;
  text(): string;
}
interface ChdbQueryStream extends AsyncIterable<ChdbStreamChunk> {
  cancel(): void;
}
interface ChdbSession {
  query(sql: string, format?: string): unknown;
  queryStream(sql: string, opts: { format: string }): ChdbQueryStream;
  close(): void;
}

class EmbeddedSession {
  readonly #session: ChdbSession;
  constructor(session: ChdbSession, limits: AnalystQueryLimits, database: string) {
    this.#session = session;
    // Unqualified table names resolve in Pulse's database (created by the migrations before).
    this.#session.query(`USE ${database}`, 'CSV');
    const set = Object.entries(engineSettings(limits))
      .map(([k, v]) => `${k} = ${typeof v === 'number' ? String(v) : `'${v}'`}`)
      .join(', ');
    // readonly last: from here on this session can change no setting, the limits included.
    // 64-bit integers as strings, as the JSON format gives them (JavaScript numbers lose digits).
    this.#session.query(`SET ${set}, output_format_json_quote_64bit_integers = 1, readonly = 1`, 'CSV');
  }

  async run(sql: string, signal: AbortSignal, limits: AnalystQueryLimits): Promise<QueryTable> {
    const stream = this.#session.queryStream(sql, { format: 'JSONCompactEachRowWithNamesAndTypes' });
    const rows: Record<string, unknown>[] = [];
    let columns: { name: string; type: string }[] = [];
    let bytes = 0;
    try {
      for await (const chunk of stream) {
        if (signal.aborted) throw new QueryCancelledError();
        // The engine counts uncompressed block bytes; this counts what would be sent.
        bytes += chunk.numBytes;
        if (bytes > limits.maxResultBytes)
          throw new QueryLimitError(
            'PULSE_QUERY_MAX_RESULT_BYTES',
            limits.maxResultBytes,
            'the result is too large',
          );
        const lines = chunk.text().split('\n');
        // Every block repeats the names and types lines.
        const names = JSON.parse(lines[0] ?? '[]') as string[];
        const types = JSON.parse(lines[1] ?? '[]') as string[];
        if (columns.length === 0) columns = names.map((name, i) => ({ name, type: types[i] ?? '' }));
        for (let i = 2; i < lines.length; i++) {
          const line = lines[i];
          if (line === undefined || line === '') continue;
          const values = JSON.parse(line) as unknown[];
          const row: Record<string, unknown> = {};
          for (let c = 0; c < names.length; c++) row[names[c] ?? String(c)] = values[c];
          rows.push(row);
        }
      }
      return { columns, rows };
    } catch (error) {
      if (error instanceof QueryCancelledError || error instanceof QueryLimitError) throw error;
      // Whatever stopped it, nobody is waiting for the answer any more.
      if (signal.aborted) throw new QueryCancelledError();
      throw classify(error, limits);
    } finally {
      stream.cancel();
    }
  }

  close(): void {
    this.#session.close();
  }
}

class EmbeddedEngine implements AnalystEngine {
  readonly #idle: EmbeddedSession[];
  readonly #open: Set<EmbeddedSession>;
  readonly #waiting: ((s: EmbeddedSession) => void)[] = [];
  readonly #limits: AnalystQueryLimits;
  readonly #newSession: () => EmbeddedSession;

  constructor(newSession: () => EmbeddedSession, limits: AnalystQueryLimits) {
    this.#newSession = newSession;
    this.#idle = Array.from({ length: limits.concurrency }, newSession);
    this.#open = new Set(this.#idle);
    this.#limits = limits;
  }

  async run(sql: string, signal: AbortSignal): Promise<QueryTable> {
    let session = this.#idle.pop() ?? (await this.#wait());
    try {
      return await session.run(sql, signal, this.#limits);
    } catch (error) {
      // A stream the engine ended with an error leaves its cursor behind on the session (chdb
      // does not free it), and the next stream there would read its leftovers: start afresh.
      this.#open.delete(session);
      session.close();
      session = this.#newSession();
      this.#open.add(session);
      throw error;
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next(session);
      else this.#idle.push(session);
    }
  }

  #wait(): Promise<EmbeddedSession> {
    if (this.#waiting.length >= this.#limits.queue) throw new QueryBusyError(this.#limits);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  close(): Promise<void> {
    for (const s of this.#open) s.close();
    return Promise.resolve();
  }
}

class ServerEngine implements AnalystEngine {
  readonly #client: ClickHouseClient;
  readonly #limits: AnalystQueryLimits;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(client: ClickHouseClient, limits: AnalystQueryLimits) {
    this.#client = client;
    this.#limits = limits;
  }

  async run(sql: string, signal: AbortSignal): Promise<QueryTable> {
    if (this.#running >= this.#limits.concurrency) {
      if (this.#waiting.length >= this.#limits.queue) throw new QueryBusyError(this.#limits);
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#running++;
    try {
      const result = await this.#client.query({
        query: sql,
        format: 'JSON',
        abort_signal: signal,
        clickhouse_settings: { readonly: '1', ...engineSettings(this.#limits) },
      });
      const body = await result.json<Record<string, unknown>>();
      return { columns: body.meta ?? [], rows: body.data };
    } catch (error) {
      if (signal.aborted) throw new QueryCancelledError();
      throw classify(error, this.#limits);
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

/** The analysts' query pool of a Pulse process. */
export class AnalystQueries {
  readonly limits: AnalystQueryLimits;
  readonly #engine: AnalystEngine;
  readonly #database: string;
  #cancelled = 0;

  private constructor(engine: AnalystEngine, limits: AnalystQueryLimits, database: string) {
    this.#engine = engine;
    this.limits = limits;
    this.#database = database;
  }

  static open(config: PulseConfig, projectRoot: string): AnalystQueries {
    const limits = analystLimits(config);
    if (config.CLICKHOUSE_URL !== undefined) {
      const client = createClient({
        url: config.CLICKHOUSE_URL,
        username: config.CLICKHOUSE_USER,
        password: config.CLICKHOUSE_PASSWORD,
        database: config.CLICKHOUSE_DATABASE,
        request_timeout: limits.maxExecutionMs + 5000,
        max_open_connections: limits.concurrency,
      });
      return new AnalystQueries(new ServerEngine(client, limits), limits, config.CLICKHOUSE_DATABASE);
    }
    // chdb's streaming cursor is not part of its typed connection API: load the session class.
    const { Session } = createRequire(import.meta.url)('chdb') as {
      Session: new (path: string) => ChdbSession;
    };
    const dataPath = path.resolve(projectRoot, config.PULSE_CHDB_PATH);
    const newSession = (): EmbeddedSession =>
      new EmbeddedSession(new Session(dataPath), limits, config.CLICKHOUSE_DATABASE);
    return new AnalystQueries(new EmbeddedEngine(newSession, limits), limits, config.CLICKHOUSE_DATABASE);
  }

  /** Runs one analyst query; `signal` aborts it when the client goes away. */
  async run(sql: string, signal: AbortSignal): Promise<QueryTable> {
    const verdict = checkAnalystSql(sql);
    if (!verdict.ok) throw new QueryRefusedError(verdict.reason ?? 'refused', verdict.message ?? 'refused');
    try {
      // Unqualified table names resolve in Pulse's database.
      return await this.#engine.run(sql, signal);
    } catch (error) {
      if (error instanceof QueryCancelledError) this.#cancelled++;
      throw error;
    }
  }

  get database(): string {
    return this.#database;
  }

  get cancelled(): number {
    return this.#cancelled;
  }

  close(): Promise<void> {
    return this.#engine.close();
  }
}
