// `pulse backtest`: replays a time range of stored metric windows through an insight engine
// configuration and reports which insights would have fired and when, publishing nothing. Windows
// are read from the FINAL view (latest version of each window: corrections are already folded in)
// in window_start pages, so months of history never sit in memory at once.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { NonRetriableError, ValidationError, errorMessage, type FieldIssue } from '../../errors.ts';
import { rootLogger, setLogLevel } from '../../logger.ts';
import { Backtest, parseEngineConfig } from '../../core/insights/backtest.ts';
import type { BacktestChange, BacktestSummary } from '../../core/insights/backtest.ts';
import type { InsightEngineConfig } from '../../core/insights/insightEngine.ts';
import { windowFromRow } from '../../core/insights/windowFromRow.ts';
import { projectRoot } from '../projectRoot.ts';
import { renderTable } from './queryCommand.ts';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** "90s", "15m", "6h", "2d", "1w", or "0" → ms. */
export function parseDuration(text: string, option: string): number {
  if (text.trim() === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  const unit = m?.[2];
  if (m === null || unit === undefined) {
    throw new ValidationError('backtest', [
      { path: option, message: `expected a duration like 30m, 6h or 2d, got "${text}"` },
    ]);
  }
  return Math.round(Number(m[1]) * (UNIT_MS[unit] ?? 0));
}

/** ISO date or date-time → epoch ms; a date-time without a zone is UTC (as every event time). */
export function parseTime(text: string, option: string): number {
  const t = text.trim();
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  const ms = iso === null ? NaN : Date.parse(t.length > 10 && iso[1] === undefined ? `${t}Z` : t);
  if (!Number.isFinite(ms)) {
    throw new ValidationError('backtest', [
      { path: option, message: `expected an ISO time like 2025-01-06T09:00:00Z, got "${text}"` },
    ]);
  }
  return ms;
}

async function readEngineConfig(file: string): Promise<InsightEngineConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new NonRetriableError(`cannot read --config ${file}: ${errorMessage(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`--config ${file}`, [
      { path: '', message: `not JSON: ${errorMessage(error)}` },
    ]);
  }
  return parseEngineConfig(json, `--config ${file}`);
}

// The columns windowFromRow reads, in the engine's order: per minute service < step < workflow
// (as the metrics processor emits them), partial service windows by input partition.
const COLUMNS = [
  'scope',
  'key',
  'tenant_id',
  'workflow_id',
  'step_id',
  'service',
  'window_start',
  'window_end',
  'version',
  'input_partition',
  'executions',
  'successes',
  'failures',
  'success_rate',
  'retries',
  'p50_ms',
  'p95_ms',
  'p99_ms',
  'duration_bins',
  'duration_zero_count',
  'sketch_alpha',
  'duration_sum',
  'cost_micros_sum',
  'cost_per_run_micros',
  'error_classes',
  'late_events',
  'event_count',
  'workflow_versions',
].join(', ');

function windowsSql(db: string, filters: { tenant: boolean; workflow: boolean }): string {
  return [
    `SELECT ${COLUMNS} FROM ${db}.workflow_metrics_1m_v`,
    `WHERE window_start >= fromUnixTimestamp64Milli({lo:Int64}, 'UTC')`,
    `AND window_start < fromUnixTimestamp64Milli({hi:Int64}, 'UTC')`,
    filters.tenant ? 'AND tenant_id = {tenant:String}' : '',
    // Service windows stay: they attribute the workflow's failures to services.
    filters.workflow ? `AND (workflow_id = {workflow:String} OR scope = 'service')` : '',
    'ORDER BY window_start, tenant_id, scope, key, input_partition',
  ]
    .filter((s) => s !== '')
    .join('\n');
}

interface BacktestCliOptions {
  from: string;
  to: string;
  tenant?: string;
  workflow?: string;
  config?: string;
  format: string;
  warmup: string;
  page: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const clock = (ms: number): string => iso(ms).slice(0, 19).replace('T', ' ');

function formatMs(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function summaryText(s: BacktestSummary, from: number, to: number): string {
  const lines: string[] = [];
  const c = s.changes;
  lines.push(
    `Backtest of [${iso(from)}, ${iso(to)}): ${s.windows} windows read (warm-up included); ` +
      `${c.total} changes (${c.opened} opened, ${c.updated} updated, ${c.resolved} resolved). Nothing was published.`,
  );
  if (s.byKindSeverity.length > 0) {
    const columns = ['kind', 'severity', 'opened', 'updated', 'resolved'].map((name) => ({ name, type: '' }));
    lines.push(
      '',
      'By kind and severity:',
      renderTable({ columns, rows: s.byKindSeverity.map((r) => ({ ...r })) }),
    );
  }
  const e = s.episodes;
  const d = e.durationMs;
  lines.push(
    '',
    `Episodes: ${e.count} (${e.resolved} resolved, ${e.stillOpen} still open at the end)` +
      (d === null
        ? ''
        : `; opened → resolved: min ${formatMs(d.min)}, median ${formatMs(d.median)}, p90 ${formatMs(d.p90)}, max ${formatMs(d.max)}`),
  );
  if (s.perSeriesDay.length > 0) {
    const shown = s.perSeriesDay.slice(0, 20);
    const columns = ['day', 'scope', 'key', 'opened'].map((name) => ({ name, type: '' }));
    lines.push(
      '',
      'Insights opened per series per day (noisiest first):',
      renderTable({ columns, rows: shown.map((r) => ({ ...r })) }),
    );
    if (s.perSeriesDay.length > shown.length)
      lines.push(`… and ${s.perSeriesDay.length - shown.length} more (--format jsonl lists all)`);
  }
  return lines.join('\n');
}

function changesTable(changes: readonly BacktestChange[]): string {
  const columns = ['fired at (UTC)', 'kind', 'change', 'severity', 'key', 'description'].map((name) => ({
    name,
    type: '',
  }));
  const rows = changes.map(({ firedAt, insight: i }) => ({
    'fired at (UTC)': clock(firedAt),
    kind: i.kind,
    change: i.change,
    severity: i.severity,
    key: i.key,
    description: i.description,
  }));
  return renderTable({ columns, rows });
}

async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

export function registerBacktestCommand(program: Command): void {
  program
    .command('backtest')
    .description(
      'Replay stored metric windows of a time range through an insight engine configuration and report which insights would have fired and when (publishes nothing)',
    )
    .requiredOption('--from <iso-time>', 'report insights firing from this time (UTC unless a zone is given)')
    .requiredOption('--to <iso-time>', '...up to, not including, this time')
    .option('--tenant <id>', 'only this tenant')
    .option('--workflow <id>', "only this workflow's series (service windows are kept for attribution)")
    .option('--config <file.json>', 'insight engine configuration (any subset; the rest are defaults)')
    .option(
      '--format <format>',
      'table or jsonl (one JSON object per change, then {"summary": ...})',
      'table',
    )
    .option('--warmup <duration>', 'history before --from that only trains the detectors', '24h')
    .option('--page <duration>', 'window_start span read per query (memory vs. round trips)', '1h')
    .action(async (opts: BacktestCliOptions) => {
      const from = parseTime(opts.from, '--from');
      const to = parseTime(opts.to, '--to');
      const warmupMs = parseDuration(opts.warmup, '--warmup');
      const pageMs = parseDuration(opts.page, '--page');
      const issues: FieldIssue[] = [];
      if (to <= from) issues.push({ path: '--to', message: 'must be after --from' });
      if (opts.format !== 'table' && opts.format !== 'jsonl')
        issues.push({ path: '--format', message: `expected table or jsonl, got "${opts.format}"` });
      if (pageMs <= 0) issues.push({ path: '--page', message: 'must be positive' });
      if (issues.length > 0) throw new ValidationError('backtest', issues);
      const engineConfig = opts.config === undefined ? undefined : await readEngineConfig(opts.config);
      const jsonl = opts.format === 'jsonl';

      const config = loadConfig();
      setLogLevel(config.PULSE_LOG_LEVEL);
      const log = rootLogger.child({ module: 'backtest' });
      const run = new Backtest({ config: engineConfig ?? {}, from, to });
      const table: BacktestChange[] = [];
      const emit = async (changes: readonly BacktestChange[]): Promise<void> => {
        if (changes.length === 0) return;
        if (!jsonl) {
          table.push(...changes);
          return;
        }
        await writeOut(
          changes.map(({ firedAt, insight }) => JSON.stringify({ firedAt, ...insight }) + '\n').join(''),
        );
      };

      // Read-only session; with embedded chDB this needs the data folder to itself (no running pipeline).
      const { ClickHouseStore } = await import('../../adapters/clickhouse/clickhouseStore.ts');
      const store = await ClickHouseStore.open(config, projectRoot, { readOnly: true });
      try {
        const sql = windowsSql(config.CLICKHOUSE_DATABASE, {
          tenant: opts.tenant !== undefined,
          workflow: opts.workflow !== undefined,
        });
        for (let lo = from - warmupMs; lo < to; lo += pageMs) {
          const hi = Math.min(lo + pageMs, to);
          const rows = await store.query<unknown>(sql, {
            lo,
            hi,
            ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
            ...(opts.workflow !== undefined ? { workflow: opts.workflow } : {}),
          });
          for (const row of rows) await emit(run.apply(windowFromRow(row)));
          log.debug('page read', { from: iso(lo), to: iso(hi), windows: rows.length });
        }
      } finally {
        await store.close();
      }
      await emit(run.finish());

      const summary = run.summary();
      log.info('backtest done', { windows: summary.windows, changes: summary.changes.total });
      if (jsonl) {
        await writeOut(JSON.stringify({ summary }) + '\n');
      } else {
        const head =
          table.length === 0
            ? `No insight would have fired in [${iso(from)}, ${iso(to)}).`
            : changesTable(table);
        await writeOut(`${head}\n\n${summaryText(summary, from, to)}\n`);
      }
    });
}
