// A loader stage, declared: which topic it reads, which table it fills, where bad records go,
// and the pure transform from a decoded value to a row. The runner (loaderRunner.ts) does the I/O.
import type { SourcePosition } from '../core/executionRow.ts';

export type TransformResult<Row> =
  | { readonly ok: true; readonly row: Row }
  | { readonly ok: false; readonly errorClass: string; readonly reason: string; readonly message: string };

export interface LoaderDefinition<Row> {
  readonly name: string;
  /** base topic names (the configured prefix is applied by the runner) */
  readonly input: string;
  readonly deadLetters: string;
  readonly table: string;
  transform(decoded: unknown, source: SourcePosition): TransformResult<Row>;
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
