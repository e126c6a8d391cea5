import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { projectRoot } from '../projectRoot.ts';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Apply ClickHouse migrations from infra/clickhouse/migrations (re-runnable)')
    .action(async () => {
      const { ClickHouseStore } = await import('../../adapters/clickhouse/clickhouseStore.ts');
      const { migrate } = await import('../../adapters/clickhouse/migrations.ts');
      const store = await ClickHouseStore.open(loadConfig(), projectRoot);
      try {
        const result = await migrate(store, projectRoot);
        for (const f of result.applied) process.stdout.write(`applied  ${f}\n`);
        for (const f of result.alreadyApplied) process.stdout.write(`present  ${f}\n`);
      } finally {
        await store.close();
      }
    });
}
