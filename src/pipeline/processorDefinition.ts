// A stateful processor stage, declared: its input and output topics and the pure, deterministic
// functions the runner (processorRunner.ts) drives. Given the same input order, `apply` must
// return the same outputs: that is what lets a restarted processor replay a gap without
// re-emitting, and exactly-once hold across crashes.

export type ParseResult<In> =
  { readonly ok: true; readonly value: In } | { readonly ok: false; readonly reason: string };

export interface StepResult<Out> {
  readonly outputs: readonly Out[];
  /** inputs that were counted but not folded (e.g. beyond the correction horizon) */
  readonly discarded?: number;
}

export interface ProcessorDefinition<State, In, Out> {
  readonly name: string;
  /** base topic names; the runner applies the configured prefix */
  readonly input: string;
  readonly output: string;
  /** Further output topics, when `route` sends some outputs elsewhere than `output`. */
  readonly extraOutputs?: readonly string[];
  /** The base topic an output goes to; `output` when absent. */
  route?(output: Out): string;
  /**
   * Where inputs that fail to decode or parse go (with their reason), in the same transaction as
   * the outputs; without it they are counted and skipped.
   */
  readonly deadLetters?: string;
  parse(decoded: unknown): ParseResult<In>;
  /**
   * A faster way from a record's Avro body to the input, for writer schemas it knows: given the
   * writer schema, a reader (or null: that schema always takes the full decode and `parse`). The
   * reader returns undefined for any record it cannot decide, which then takes the full path too;
   * what it returns must be what `parse` would accept, with the same value in every field `apply`
   * reads.
   */
  readonly fastParse?: (writerSchema: unknown) => ((body: Buffer, start: number) => In | undefined) | null;
  /**
   * Looks up what `apply` needs from outside (e.g. live reliability from ClickHouse) before the
   * input is applied. Async and not replay-stable: only for inputs whose outputs do not feed the
   * state in ways a replay must reproduce exactly.
   */
  enrich?(input: In): Promise<In>;
  initialState(): State;
  apply(state: State, input: In, offset: string): StepResult<Out>;
  /** wall-clock progress (idle partitions); null when the stage has none */
  readonly tick: ((state: State, nowMs: number) => StepResult<Out>) | null;
  snapshot(state: State): unknown;
  restore(json: unknown): State;
  /**
   * Record key: all versions of one output series go to one partition, in order. The input
   * partition is given because one series may be computed on several input partitions
   * (a service used by workflows on different partitions): each is then its own partial series.
   */
  outputKey(output: Out, inputPartition: number): string;
  /** the Avro record for the output topic's value schema */
  outputValue(output: Out, inputPartition: number): unknown;
  /** event-time progress for the operational metrics (watermark delay) */
  watermark?(state: State): number | null;
  /**
   * For a busy input: each fetch waits up to this long for 64 KiB of records, so that a steady
   * rate is processed (and committed, one transaction per batch) in fewer, larger batches, at
   * the cost of that much latency. Absent: a fetch returns as soon as any record is there.
   */
  readonly coalesceInputMs?: number;
}

/**
 * Pure: folds a partition's inputs in order. Inputs before `replayUntil` rebuild state only;
 * their outputs were committed before and are suppressed.
 */
export function runInputs<State, In, Out>(
  definition: ProcessorDefinition<State, In, Out>,
  state: State,
  inputs: readonly { offset: string; value: In }[],
  replayUntil: bigint | null,
): { outputs: Out[]; suppressed: number; discarded: number } {
  const outputs: Out[] = [];
  let suppressed = 0;
  let discarded = 0;
  for (const input of inputs) {
    const result = definition.apply(state, input.value, input.offset);
    discarded += result.discarded ?? 0;
    if (replayUntil !== null && BigInt(input.offset) < replayUntil) suppressed += result.outputs.length;
    else for (const output of result.outputs) outputs.push(output);
  }
  return { outputs, suppressed, discarded };
}
