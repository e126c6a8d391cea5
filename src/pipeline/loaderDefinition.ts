// A loader stage, declared: which topic it reads, which table it fills, where bad records go,
// and the pure transform from a decoded value to a row. The runner (loaderRunner.ts) does the I/O.
import type { AvroRecordSchema } from '../adapters/clickhouse/avroRowFile.ts';
import type { SourcePosition } from '../core/executionRow.ts';

export type TransformResult<Row> =
  | { readonly ok: true; readonly row: Row }
  | { readonly ok: false; readonly errorClass: string; readonly reason: string; readonly message: string };

/** A value the contract refuses, as a DLQ record states it: the failing paths, then each problem. */
export function validationFailure(
  problems: readonly { readonly path: string; readonly message: string }[],
): TransformResult<never> {
  return {
    ok: false,
    errorClass: 'ValidationError',
    reason: problems.map((p) => p.path || '(root)').join(','),
    message: problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; '),
  };
}

export interface LoaderDefinition<Row> {
  readonly name: string;
  /** base topic names (the configured prefix is applied by the runner) */
  readonly input: string;
  readonly deadLetters: string;
  readonly table: string;
  transform(decoded: unknown, source: SourcePosition): TransformResult<Row>;
  /**
   * Rows as Avro, from the records' own bytes (embedded chDB; `transform` serves a server): the
   * stage's cheapest path when the table's columns are the input's fields.
   */
  readonly avroRows?: AvroRowsDefinition;
}

export interface AvroRowsDefinition {
  /** the schema of the file's records, before the trailer (avroRowFile.ts) */
  readonly schema: AvroRecordSchema;
  /** per table column, its value as SQL over the file's fields and the trailer's */
  readonly select: Readonly<Record<string, string>>;
  /**
   * For a record's writer schema: a check of a body (from `start` to the buffer's end) that
   * returns the bytes completing it as a record of `schema` (empty when it is one already) when it
   * accepts it as it is, or undefined when the full path must decide. Null: every record of that
   * writer schema takes the full path.
   */
  reader(writerSchema: unknown): ((buffer: Buffer, start: number) => Buffer | undefined) | null;
  /** The full path: a decoded value as a record of `schema`, or why it is refused. */
  encode(decoded: unknown): TransformResult<Buffer>;
}

export type DecodedEntry =
  | { readonly offset: string; readonly timestamp?: number; readonly decoded: unknown }
  | {
      readonly offset: string;
      readonly decodeError: { errorClass: string; reason: string; message: string };
    };

export interface PreparedChunk<Row> {
  readonly rows: Row[];
  readonly rejected: {
    readonly offset: string;
    readonly stage: 'decode' | 'validate';
    readonly errorClass: string;
    readonly reason: string;
    readonly message: string;
  }[];
}

/** Pure: splits a partition's decoded chunk into rows to insert and records for the DLQ. */
export function prepareChunk<Row>(
  definition: LoaderDefinition<Row>,
  partition: number,
  entries: readonly DecodedEntry[],
): PreparedChunk<Row> {
  const rows: Row[] = [];
  const rejected: PreparedChunk<Row>['rejected'][number][] = [];
  for (const entry of entries) {
    if ('decodeError' in entry) {
      rejected.push({ offset: entry.offset, stage: 'decode', ...entry.decodeError });
      continue;
    }
    const source =
      entry.timestamp === undefined
        ? { partition, offset: entry.offset }
        : { partition, offset: entry.offset, timestamp: entry.timestamp };
    const result = definition.transform(entry.decoded, source);
    if (result.ok) rows.push(result.row);
    else
      rejected.push({
        offset: entry.offset,
        stage: 'validate',
        errorClass: result.errorClass,
        reason: result.reason,
        message: result.message,
      });
  }
  return { rows, rejected };
}
