// Applies infra/clickhouse/migrations/NNNN_name.sql in order, once each, recording them in
// <db>.schema_migrations. Statements are separated by a line ending in `;` and use `{db}` for
// the database, so the same files serve chDB and a server. Safe to re-run.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClickHouseStore } from './clickhouseStore.ts';

export interface MigrationResult {
  readonly applied: string[];
  readonly alreadyApplied: string[];
}

export function migrationsDir(projectRoot: string): string {
  return path.join(projectRoot, 'infra', 'clickhouse', 'migrations');
}

export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) =>
      s
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((s) => s !== '');
}

export async function migrate(store: ClickHouseStore, projectRoot: string): Promise<MigrationResult> {
  const db = store.target.database;
  await store.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await store.command(
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY version`,
  );
  const done = new Set(
    (
      await store.query<{ version: number | string }>(`SELECT version FROM ${db}.schema_migrations FINAL`)
    ).map((r) => Number(r.version)),
  );
  const dir = migrationsDir(projectRoot);
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort();
  const result: MigrationResult = { applied: [], alreadyApplied: [] };
  for (const file of files) {
    const version = Number(file.slice(0, 4));
    if (done.has(version)) {
      result.alreadyApplied.push(file);
      continue;
    }
    const sql = readFileSync(path.join(dir, file), 'utf8').replaceAll('{db}', db);
    for (const statement of splitStatements(sql)) await store.command(statement);
    await store.insert('schema_migrations', [{ version, name: file }], {
      dedupToken: `migration-${version}`,
    });
    result.applied.push(file);
  }
  return result;
}
