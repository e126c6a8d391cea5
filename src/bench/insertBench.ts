// Insert paths into embedded chDB side by side, on the same rows of `workflow_executions`: the
// loaders' cost per row without Kafka. For each path: wall time, CPU of the whole process (chDB
// parses on its own threads) and of the main thread, per insert.
//
//   client-json     @clickhouse/client over chdb's connection, JSONEachRow (the loaders until
//                   issue 10)
//   raw-json        chdb's raw insert, JSONEachRow in one Buffer
//   raw-compact     chdb's raw insert, JSONCompactEachRow inline in the statement (until 2026-12-03)
//   raw-tsv         chdb's raw insert, TabSeparated built in JS
//   staged-compact  JSONCompactEachRow in a file, INSERT … SELECT FROM file() (what
//                   ClickHouseStore.insert does now)
//
// Merges are stopped while it measures, and the paths take turns, so that no path pays for the
// merges of another's parts.
//
// Usage: node src/bench/insertBench.ts [--rows 20000] [--rounds 4] [--paths raw-compact,staged-compact]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { compactEachRow } from '../adapters/clickhouse/compactEachRow.ts';
import { splitStatements } from '../adapters/clickhouse/migrations.ts';
import { simulateExecution, simulateWorkflows } from '../core/demo/executionSimulator.ts';
import { executionRow, type ExecutionRow } from '../core/executionRow.ts';
import { seededRandom } from '../core/seededRandom.ts';
import { flag } from './benchSupport.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROWS = flag('rows', 20_000);
const ROUNDS = flag('rounds', 4);
const pathsFlag = process.argv.indexOf('--paths');
const ONLY = pathsFlag === -1 ? undefined : (process.argv[pathsFlag + 1] ?? '').split(',');

function rows(count: number, prefix: string): ExecutionRow[] {
  const workflows = simulateWorkflows({ tenants: 5, workflows: 200, seed: 11 });
  const random = seededRandom(12);
  const out: ExecutionRow[] = [];
  let clock = Date.UTC(2026, 10, 1);
  for (let run = 0; out.length < count; run++) {
    const workflow = workflows[run % workflows.length];
    if (workflow === undefined) break;
    for (const e of simulateExecution(workflow, `${prefix}-${run}`, clock, random))
      out.push(executionRow(e, { partition: 0, offset: String(out.length) }));
    clock += 7;
  }
  return out.slice(0, count);
}

const tsvText = (v: string): string =>
  v.replace(/[\\\t\n]/g, (ch) => (ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : '\\\\'));
const mapText = (m: Record<string, string>): string =>
  `{${Object.entries(m)
    .map(([k, v]) => `'${k.replace(/[\\']/g, '\\$&')}':'${v.replace(/[\\']/g, '\\$&')}'`)
    .join(',')}}`;

function tsv(batch: readonly ExecutionRow[], columns: readonly string[]): Buffer {
  const lines = batch.map((row) =>
    columns
      .map((column) => {
        const v = (row as unknown as Record<string, unknown>)[column];
        if (v === null || v === undefined) return '\\N';
        if (column === 'attributes') return tsvText(mapText(v as Record<string, string>));
        if (column === 'occurred_at') return (v as string).slice(0, 10) + ' ' + (v as string).slice(11, 23);
        if (typeof v === 'string') return tsvText(v);
        return typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
      })
      .join('\t'),
  );
  return Buffer.from(lines.join('\n'), 'utf8');
}

const dir = path.join(os.tmpdir(), `pulse-insert-bench-${process.pid}`);
rmSync(dir, { recursive: true, force: true });
const { createChdbConnection } = await import('chdb/connection');
const connection = createChdbConnection({ path: dir });
const client: ClickHouseClient = createClient({ connection } as Parameters<typeof createClient>[0]);
await connection.chdb.queryAsync('CREATE DATABASE IF NOT EXISTS ib');
const ddl = splitStatements(
  readFileSync(path.join(root, 'infra/clickhouse/migrations/0001_workflow_executions.sql'), 'utf8'),
)[0];
if (ddl === undefined) throw new Error('no CREATE TABLE in 0001_workflow_executions.sql');
await connection.chdb.queryAsync(ddl.replaceAll('{db}', 'ib'));

const columnTypes = new Map(
  (
    await connection.chdb.queryAsync(
      "SELECT name, type FROM system.columns WHERE database = 'ib' AND table = 'workflow_executions'",
      { format: 'JSONEachRow' },
    )
  )
    .text()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { name: string; type: string })
    .map((c) => [c.name, c.type]),
);
const staging = path.join(dir, 'staging');
mkdirSync(staging, { recursive: true });

const settings = { insert_deduplicate: 1, date_time_input_format: 'best_effort' } as const;
let token = 0;
const paths: Record<string, (batch: ExecutionRow[]) => Promise<unknown>> = {
  'client-json': (batch) =>
    client.insert({
      table: 'ib.workflow_executions',
      values: batch,
      format: 'JSONEachRow',
      clickhouse_settings: { ...settings, insert_deduplication_token: `t${token++}` },
    }),
  'raw-json': (batch) =>
    connection.chdb.rawInsert({
      table: 'ib.workflow_executions',
      values: Buffer.from(batch.map((r) => JSON.stringify(r)).join('\n'), 'utf8'),
      format: 'JSONEachRow',
      settings: { ...settings, insert_deduplication_token: `t${token++}` },
    }),
  'raw-compact': (batch) =>
    connection.chdb.rawInsert({
      table: 'ib.workflow_executions',
      ...compactEachRow(batch as unknown as Record<string, unknown>[]),
      format: 'JSONCompactEachRow',
      settings: { ...settings, insert_deduplication_token: `t${token++}` },
    }),
  'raw-tsv': (batch) => {
    const columns = Object.keys(batch[0] ?? {});
    return connection.chdb.rawInsert({
      table: 'ib.workflow_executions',
      columns,
      values: tsv(batch, columns),
      format: 'TSV',
      settings: { ...settings, date_time_input_format: 'basic', insert_deduplication_token: `t${token++}` },
    });
  },
  'staged-compact': async (batch) => {
    const { columns, values } = compactEachRow(batch as unknown as Record<string, unknown>[]);
    const structure = columns.map((c) => `${c} ${columnTypes.get(c) ?? 'String'}`).join(', ');
    const file = path.join(staging, `${String(token)}.json`);
    writeFileSync(file, values);
    await connection.chdb.queryAsync(
      `INSERT INTO ib.workflow_executions (${columns.join(', ')})
       SETTINGS insert_deduplicate = 1, insert_deduplication_token = 't${String(token++)}',
                date_time_input_format = 'best_effort'
       SELECT * FROM file('${file}', 'JSONCompactEachRow', '${structure.replaceAll("'", "\\'")}')`,
    );
    rmSync(file);
  },
};

const ms = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
const chosen = Object.entries(paths).filter(([name]) => ONLY === undefined || ONLY.includes(name));
const totals = new Map<string, { cpu: number; rounds: number }>();
// Background merges would bill their CPU to whichever insert runs next: stopped while measuring,
// and the paths take turns round by round.
await connection.chdb.queryAsync('SYSTEM STOP MERGES ib.workflow_executions');
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, insert] of chosen) {
    // Fresh ids each round, so that no merge collapses rows and every insert writes a new part.
    const batch = rows(ROWS, `${name}-${round}`);
    const cpu = process.cpuUsage();
    const mainCpu = process.threadCpuUsage();
    const started = performance.now();
    await insert(batch);
    const wall = performance.now() - started;
    const processCpu = ms(process.cpuUsage(cpu));
    // The first round of a path warms it up; the mean leaves it out.
    if (round > 0) {
      const total = totals.get(name) ?? { cpu: 0, rounds: 0 };
      totals.set(name, { cpu: total.cpu + processCpu, rounds: total.rounds + 1 });
    }
    process.stdout.write(
      `${name.padEnd(14)} ${batch.length} rows  wall ${wall.toFixed(0).padStart(5)} ms  process CPU ${processCpu.toFixed(0).padStart(5)} ms  main thread ${ms(process.threadCpuUsage(mainCpu)).toFixed(0).padStart(5)} ms\n`,
    );
  }
}
const result = await connection.chdb.queryAsync('SELECT count() FROM ib.workflow_executions', {
  format: 'CSV',
});
for (const [name, total] of totals)
  process.stdout.write(
    `${name.padEnd(14)} mean process CPU per insert ${(total.cpu / total.rounds).toFixed(1)} ms\n`,
  );
process.stdout.write(
  `rows in the table: ${result.text().trim()} (expected ${chosen.length * ROUNDS * ROWS})\n`,
);
await client.close();
rmSync(dir, { recursive: true, force: true });
