import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { NonRetriableError, TransientError } from '../../errors.ts';
import { apiBaseUrl, apiHeaders } from '../apiClient.ts';

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      'Rebuild a ClickHouse table from its topic into a fresh table, then swap it in, while the live stages keep running',
    )
    .option(
      '--table <name>',
      'workflow_metrics_1m, workflow_executions, performance_insights, workflow_definition_events or command_results',
      'workflow_metrics_1m',
    )
    .option(
      '--from <iso-time>',
      'replay from this time (older rows are kept); default: the beginning of the topic',
    )
    .action(async (opts: { table: string; from?: string }) => {
      const config = loadConfig();
      // The running pipeline owns the data path (chDB allows one owner), so it does the work.
      let res: Response;
      try {
        res = await fetch(`${apiBaseUrl(config)}/api/admin/replay`, {
          method: 'POST',
          headers: apiHeaders(config),
          body: JSON.stringify({
            table: opts.table,
            ...(opts.from !== undefined ? { from: opts.from } : {}),
          }),
          signal: AbortSignal.timeout(3_600_000),
        });
      } catch {
        throw new TransientError(
          `no pipeline answers on ${config.PULSE_API_HOST}:${config.PULSE_API_PORT}: start it with \`pulse run\` (replay runs inside it)`,
        );
      }
      const body = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new NonRetriableError(`replay failed (${res.status}): ${JSON.stringify(body)}`);
      process.stdout.write(JSON.stringify(body) + '\n');
    });
}
