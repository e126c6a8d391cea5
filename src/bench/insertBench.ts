// Insert paths into embedded chDB, side by side on the same rows: the loaders' cost per row
// without Kafka. Prints wall time and main-thread CPU per path and table.
//
// Usage: node src/bench/insertBench.ts [--rows 20000] [--rounds 5]
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClickHouseStore } from '../adapters/clickhouse/clickhouseStore.ts';
import { migrate } from '../adapters/clickhouse/migrations.ts';
import { parseConfig } from '../config.ts';
import { simulateExecution, simulateWorkflows } from '../core/demo/executionSimulator.ts';
import { executionRow } from '../core/executionRow.ts';
import { WindowOperator } from '../core/metrics/windowOperator.ts';
import { metricsRow } from '../core/metrics/metricsRow.ts';
import type { ExecutionEvent } from '../core/executionEvent.ts';
import { seededRandom } from '../core/seededRandom.ts';
import { flag } from './benchSupport.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROWS = flag('rows', 20_000);
const ROUNDS = flag('rounds', 5);

function events(count: number): ExecutionEvent[] {
  const workflows = simulateWorkflows({ tenants: 5, workflows: 200, seed: 11 });
  const random = seededRandom(12);
  const out: ExecutionEvent[] = [];
  let clock = Date.UTC(2026, 10, 1);
  for (let run = 0; out.length < count; run++) {
    const workflow = workflows[run % workflows.length];
    if (workflow === undefined) break;
    out.push(...simulateExecution(workflow, `ib-${run}`, clock, random));
    clock += 7;
  }
  return out.slice(0, count);
}

const input = events(ROWS * 4);
const executionRows = input
  .slice(0, ROWS)
  .map((e, i) => executionRow(e, { partition: 0, offset: String(i) }));
const operator = new WindowOperator({ idleTimeoutMs: null });
const state = operator.initialState();
const windows = operator.applyBatch(state, input).emitted;
const metricsRows = windows
  .slice(0, ROWS)
  .map((w, i) => metricsRow({ ...w, inputPartition: 0 }, { partition: 0, offset: String(i) }));

const dir = path.join(os.tmpdir(), `pulse-insert-bench-${process.pid}`);
const config = parseConfig({ ...process.env, PULSE_CHDB_PATH: dir, CLICKHOUSE_DATABASE: 'ib' });
const store = await ClickHouseStore.open(config, root);
await migrate(store, root);

let seq = 0;
for (const [table, rows] of [
  ['workflow_executions', executionRows],
  ['workflow_metrics_1m', metricsRows],
] as const) {
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = process.threadCpuUsage();
    const started = performance.now();
    await store.insert(table, rows as unknown as Record<string, unknown>[], { dedupToken: `ib-${seq++}` });
    const ms = performance.now() - started;
    const used = process.threadCpuUsage(cpu);
    const [count] = await store.query<{ n: string }>(`SELECT count() AS n FROM ib.${table}`);
    process.stdout.write(
      `${table.padEnd(22)} ${rows.length} rows  ${ms.toFixed(0).padStart(5)} ms wall  ${((used.user + used.system) / 1000).toFixed(0).padStart(5)} ms main-thread CPU  ${Math.round((rows.length / ms) * 1000)} rows/s  (table holds ${count?.n})\n`,
    );
  }
}
await store.close();
rmSync(dir, { recursive: true, force: true });
