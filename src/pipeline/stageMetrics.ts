// Operational metrics of a stage, rendered in the Prometheus text exposition format.

type Labels = Record<string, string>;

interface Series {
  readonly name: string;
  readonly labels: Labels;
  value: number;
}

/** What `/health` says of a stage: whether it runs, what it owns, how far behind it is. */
export interface StageStatus {
  readonly stage: string;
  /** joining: not yet in its consumer group; running: in it; stopped: left it */
  readonly state: 'joining' | 'running' | 'stopped';
  readonly partitions: readonly number[];
  /** records behind the end of its assigned partitions, as of the last fetch */
  readonly lag: number;
  /** milliseconds since it last committed input offsets; null before its first commit */
  readonly lastCommitAgeMs: number | null;
}

/** A stage's metrics and status as plain data, to send from a stage thread to the process. */
export interface StageMetricsState {
  readonly series: [string, Series][];
  readonly kinds: [string, 'counter' | 'gauge'][];
  readonly state: StageStatus['state'];
  readonly partitions: number[];
  readonly lastCommitAt: number | null;
}

export class StageMetrics {
  readonly stage: string;
  readonly #series = new Map<string, Series>();
  readonly #kinds = new Map<string, 'counter' | 'gauge'>();
  #state: StageStatus['state'] = 'joining';
  #partitions: number[] = [];
  #lastCommitAt: number | null = null;

  constructor(stage: string) {
    this.stage = stage;
  }

  #get(name: string, labels: Labels, kind: 'counter' | 'gauge'): Series {
    const all = { stage: this.stage, ...labels };
    const id = `${name}|${Object.entries(all)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;
    let series = this.#series.get(id);
    if (series === undefined) {
      series = { name, labels: all, value: 0 };
      this.#series.set(id, series);
      this.#kinds.set(name, kind);
    }
    return series;
  }

  add(name: string, delta: number, labels: Labels = {}): void {
    this.#get(name, labels, 'counter').value += delta;
  }

  set(name: string, value: number, labels: Labels = {}): void {
    this.#get(name, labels, 'gauge').value = value;
  }

  value(name: string, labels: Labels = {}): number {
    return this.#get(name, labels, this.#kinds.get(name) ?? 'counter').value;
  }

  /** The runner joined its group with these partitions (after every rebalance). */
  assigned(partitions: Iterable<number>): void {
    this.#state = 'running';
    this.#partitions = [...partitions].sort((a, b) => a - b);
  }

  committed(at: number = Date.now()): void {
    this.#lastCommitAt = at;
  }

  stopped(): void {
    this.#state = 'stopped';
    this.#partitions = [];
  }

  exportState(): StageMetricsState {
    return {
      series: [...this.#series],
      kinds: [...this.#kinds],
      state: this.#state,
      partitions: this.#partitions,
      lastCommitAt: this.#lastCommitAt,
    };
  }

  /** Mirrors a stage that runs in another thread (replaces everything this instance held). */
  importState(state: StageMetricsState): void {
    this.#series.clear();
    for (const [id, series] of state.series) this.#series.set(id, series);
    this.#kinds.clear();
    for (const [name, kind] of state.kinds) this.#kinds.set(name, kind);
    this.#state = state.state;
    this.#partitions = state.partitions;
    this.#lastCommitAt = state.lastCommitAt;
  }

  /** Answered from memory: health must not wait on Kafka or ClickHouse. */
  status(now: number = Date.now()): StageStatus {
    let lag = 0;
    for (const p of this.#partitions) lag += this.value('lag', { partition: String(p) });
    return {
      stage: this.stage,
      state: this.#state,
      partitions: this.#partitions,
      lag,
      lastCommitAgeMs: this.#lastCommitAt === null ? null : now - this.#lastCommitAt,
    };
  }

  render(): string {
    const lines: string[] = [];
    const byName = new Map<string, Series[]>();
    for (const s of this.#series.values()) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    for (const [name, series] of byName) {
      const metric = `pulse_${name}`;
      lines.push(`# TYPE ${metric} ${this.#kinds.get(name) ?? 'gauge'}`);
      for (const s of series) {
        const labels = Object.entries(s.labels)
          .map(([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)
          .join(',');
        lines.push(`${metric}{${labels}} ${s.value}`);
      }
    }
    return lines.join('\n') + '\n';
  }
}
