// When the messages of a loader's partition buffer arrived, by fetched batch: the flush is due
// flushMs after the oldest buffered message arrived, also after a flush that left some behind
// (those that came in while it ran, or beyond batchMax).

export class ArrivalClock {
  // First offset and arrival time of each fetched batch still (partly) buffered, oldest first.
  #batches: { from: bigint; at: number }[] = [];

  /** A fetched batch whose first buffered message has offset `from` arrived at `at`. */
  arrived(from: bigint, at: number): void {
    this.#batches.push({ from, at });
  }

  /** The buffer was emptied (flushed whole, or dropped on a rebalance). */
  clear(): void {
    this.#batches = [];
  }

  /**
   * Arrival time of the buffered message at `offset`, now the oldest one: batches before it are
   * forgotten. Undefined when no batch is known for it (nothing buffered).
   */
  oldest(offset: bigint): number | undefined {
    const batches = this.#batches;
    let i = 0;
    while (i + 1 < batches.length && (batches[i + 1]?.from ?? offset + 1n) <= offset) i++;
    if (i > 0) batches.splice(0, i);
    return batches[0]?.at;
  }
}
