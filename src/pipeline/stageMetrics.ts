// Operational metrics of a stage, rendered in the Prometheus text exposition format.

type Labels = Record<string, string>;

interface Series {
  readonly name: string;
  readonly labels: Labels;
  value: number;
}

export class StageMetrics {
  readonly stage: string;
  readonly #series = new Map<string, Series>();
  readonly #kinds = new Map<string, 'counter' | 'gauge'>();

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
