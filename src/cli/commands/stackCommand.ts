import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { rootLogger } from '../../logger.ts';
import { projectRoot } from '../projectRoot.ts';

function printStatus(
  rows: readonly {
    name: string;
    address: string;
    state: string;
    pid?: number;
    startMs?: number;
    log?: string;
    detail?: string;
  }[],
): void {
  for (const r of rows) {
    const extras = [
      r.pid !== undefined ? `pid ${r.pid}` : '',
      r.startMs !== undefined ? `started in ${(r.startMs / 1000).toFixed(1)} s` : '',
      r.log ?? '',
      r.detail ?? '',
    ].filter((x) => x !== '');
    process.stdout.write(`${r.name.padEnd(11)} ${r.state.padEnd(9)} ${r.address}  ${extras.join('  ')}\n`);
  }
}

export function registerStackCommand(program: Command): void {
  const stack = program
    .command('stack')
    .description('Local Kafka, schema registry, Redis and ClickHouse engine');
  stack
    .command('up')
    .description('Provision (cached) and start every service that is not running; waits until healthy')
    .action(async () => {
      const { stackUp } = await import('../../stack/localStack.ts');
      const started = Date.now();
      const rows = await stackUp(loadConfig(), projectRoot, rootLogger.child({ module: 'stack' }));
      printStatus(rows);
      process.stdout.write(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    });
  stack
    .command('status')
    .description('Show each service, its address and whether it answers')
    .action(async () => {
      const { stackStatus } = await import('../../stack/localStack.ts');
      printStatus(await stackStatus(loadConfig(), projectRoot));
    });
  stack
    .command('down')
    .description('Stop the processes `pulse stack up` started (by pid); --purge also deletes their data')
    .option('--purge', 'delete Kafka and Redis data of the local stack', false)
    .action(async (opts: { purge: boolean }) => {
      const { stackDown } = await import('../../stack/localStack.ts');
      const stopped = await stackDown(loadConfig(), projectRoot, { purge: opts.purge });
      process.stdout.write(
        stopped.length ? `stopped ${stopped.join(', ')}\n` : 'nothing of ours was running\n',
      );
    });
}
