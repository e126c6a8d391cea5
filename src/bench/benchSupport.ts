// Shared by the benchmark runners: numeric command-line flags, nearest-rank quantiles, and the
// configuration of one isolated run (own topics, groups and chDB folder).
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
