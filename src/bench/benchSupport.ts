// Shared by the benchmark runners: numeric command-line flags, nearest-rank quantiles, and the
// configuration of one isolated run (own topics, groups and chDB folder).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PulseConfig } from '../config.ts';

/** `--name N` from the command line, or `fallback` when absent or not a number. */
export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? undefined : Number(process.argv[i + 1]);
  return value === undefined || !Number.isFinite(value) ? fallback : value;
}

/** Nearest-rank quantile of an ascending array (NaN when empty). */
export const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

/** `base` isolated for one benchmark run and stage: topics, consumer groups and chDB folder. */
export function benchConfig(base: PulseConfig, id: string, stage: string): PulseConfig {
  return {
    ...base,
    PULSE_TOPIC_PREFIX: `bench.${id}.`,
    PULSE_CONSUMER_GROUP_PREFIX: `bench-${id}-${stage}`,
    PULSE_CHDB_PATH: path.join('.data', `bench-${id}-${stage}`),
    PULSE_API_PORT: base.PULSE_API_PORT + 17,
    PULSE_METRICS_IDLE_TIMEOUT_MS: 0,
    PULSE_LOADER_BATCH_MAX: 20_000,
    PULSE_LOG_LEVEL: 'warn',
  };
}

/** CPU seconds per thread name of this process (Linux `/proc/self/task`), empty elsewhere. */
export function threadCpuByName(): Map<string, number> {
  const byName = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return byName;
  }
  const tick = 100; // USER_HZ: 100 on every Linux build Node supports
  for (const task of tasks) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    // "pid (comm) state …": comm may hold spaces, so split after its closing parenthesis.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close).replace(/[\d-]+$/, '');
    const fields = stat.slice(close + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / tick;
    byName.set(name, (byName.get(name) ?? 0) + seconds);
  }
  return byName;
}

/** CPU seconds per thread name spent between two `threadCpuByName` readings, largest first. */
export function threadCpuSpent(before: Map<string, number>, after: Map<string, number>): [string, number][] {
  return [...after]
    .map(([name, s]): [string, number] => [name, s - (before.get(name) ?? 0)])
    .filter(([, s]) => s >= 0.05)
    .sort((a, b) => b[1] - a[1]);
}
