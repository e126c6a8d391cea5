import type { Command } from 'commander';
import { loadConfig, type PulseConfig } from '../../config.ts';
import { TransientError, NonRetriableError, errorMessage } from '../../errors.ts';
import { projectRoot } from '../projectRoot.ts';
import { apiBaseUrl, apiHeaders } from '../apiClient.ts';

interface TableResult {
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
}

/** Asks the running pipeline process; undefined when none is listening. */
async function queryThroughApi(config: PulseConfig, sql: string): Promise<TableResult | undefined> {
  let res: Response;
  try {
    res = await fetch(`${apiBaseUrl(config)}/api/query`, {
      method: 'POST',
      headers: apiHeaders(config),
      body: JSON.stringify({ sql }),
    });
  } catch {
    return undefined;
  }
  const body = (await res.json()) as TableResult & { error?: string; retriable?: boolean };
  if (!res.ok) {
    const message = body.error ?? `HTTP ${res.status}`;
    throw body.retriable === true ? new TransientError(message) : new NonRetriableError(message);
  }
  return body;
}

export function renderTable(result: TableResult): string {
  const names = result.columns.map((c) => c.name);
  const cells = result.rows.map((row) => names.map((n) => formatCell(row[n])));
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' │ ');
  return [
    line(names),
    widths.map((w) => '─'.repeat(w)).join('─┼─'),
    ...cells.map(line),
    `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`,
  ].join('\n');
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'object') return JSON.stringify(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function registerQueryCommand(program: Command): void {
  program
    .command('query')
    .description('Run read-only SQL against Pulse tables (through the running pipeline in embedded mode)')
    .argument(
      '<sql>',
      'SQL, e.g. "SELECT service, count() FROM pulse.workflow_executions_v GROUP BY service"',
    )
    .option('--json', 'print rows as JSON lines instead of a table', false)
    .action(async (sql: string, opts: { json: boolean }) => {
      const config = loadConfig();
      let result = await queryThroughApi(config, sql);
      if (result === undefined) {
        // No pipeline is running: open the engine directly, with the same limits the API applies.
        const { AnalystQueries } = await import('../../adapters/clickhouse/analystQueries.ts');
        let queries;
        try {
          queries = AnalystQueries.open(config, projectRoot);
        } catch (error) {
          throw new NonRetriableError(
            `no pipeline answers on port ${config.PULSE_API_PORT} and ${errorMessage(error)}`,
          );
        }
        try {
          result = await queries.run(sql, new AbortController().signal);
        } finally {
          await queries.close();
        }
      }
      if (opts.json) for (const row of result.rows) process.stdout.write(JSON.stringify(row) + '\n');
      else process.stdout.write(renderTable(result) + '\n');
    });
}
