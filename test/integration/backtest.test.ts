// pulse backtest against real stored windows: the Slack-storm scenario's metric rows go into a fresh
// embedded chDB through the migrations, then the CLI (a child process: chDB allows one owner of a data
// folder) replays them and must report what the engine reports in-process on the same windows.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../../src/adapters/clickhouse/clickhouseStore.ts';
import { migrate } from '../../src/adapters/clickhouse/migrations.ts';
import { parseConfig } from '../../src/config.ts';
import type { Insight } from '../../src/core/insights/insight.ts';
import { InsightEngine } from '../../src/core/insights/insightEngine.ts';
import type { InsightEngineConfigInput, InsightWindow } from '../../src/core/insights/insightEngine.ts';
import { windowFromRow } from '../../src/core/insights/windowFromRow.ts';
import { metricsRow } from '../../src/core/metrics/metricsRow.ts';
import { STORM_END, STORM_FROM, STORM_TO, slackStorm, workflowIds } from '../unit/insights/scenarios.ts';
import { DAY, HOUR, T0 } from '../unit/insights/syntheticWindows.ts';
import { projectRoot } from './harness.ts';

// The table's TTL drops windows older than 400 days, so the scenario moves to last week. Whole weeks
// keep every time-of-day and weekday the detectors could key on.
const WEEK = 7 * DAY;
const SHIFT = Math.floor((Date.now() - 2 * DAY - T0) / WEEK) * WEEK;
const at = (t: number): number => t + SHIFT;
const iso = (t: number): string => new Date(t).toISOString();

const windows: InsightWindow[] = slackStorm(20, 20).map((w) => ({
  ...w,
  windowStart: at(w.windowStart),
  windowEnd: at(w.windowEnd),
}));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Change extends Insight {
  readonly firedAt: number;
}

describe('pulse backtest', () => {
  let dir: string;
  const env: Record<string, string> = {};

  const pulse = (args: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
      delete childEnv.CLICKHOUSE_URL;
      const child = spawn(path.join(projectRoot, 'bin', 'pulse'), ['backtest', ...args], {
        cwd: projectRoot,
        env: childEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        resolve({ code, stdout, stderr });
      });
    });

  const jsonl = async (args: string[]): Promise<{ changes: Change[]; summary: Record<string, unknown> }> => {
    const r = await pulse([...args, '--format', 'jsonl']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = lines.pop();
    if (last === undefined || !('summary' in last)) throw new Error(`no summary line in ${r.stdout}`);
    return { changes: lines as unknown as Change[], summary: last.summary as Record<string, unknown> };
  };

  /** The engine in-process: apply per window, advance to the last windowEnd, keep firings in [from, to). */
  const inProcess = (from: number, to: number, config: InsightEngineConfigInput = {}): Insight[] => {
    const engine = new InsightEngine(config);
    const state = engine.initialState();
    const out: Insight[] = [];
    let end = -Infinity;
    for (const w of windows) {
      const fired = engine.apply(state, w);
      if (w.windowEnd >= from && w.windowEnd < to) out.push(...fired);
      end = Math.max(end, w.windowEnd);
    }
    const fired = engine.advance(state, end);
    if (end >= from && end < to) out.push(...fired);
    return out;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pulse-backtest-'));
    env.PULSE_CHDB_PATH = dir;
    env.PULSE_LOG_LEVEL = 'warn';
    const store = await ClickHouseStore.open(parseConfig({ PULSE_CHDB_PATH: dir }), projectRoot);
    try {
      await migrate(store, projectRoot);
      const rows = windows.map((w, i) =>
        // A spread is a plain object type, which is what insert takes.
        ({
          ...metricsRow({ ...w, inputPartition: w.inputPartition ?? 0 }, { partition: 0, offset: String(i) }),
        }),
      );
      await store.insert('workflow_metrics_1m', rows, { dedupToken: 'backtest-storm' });
      // The real round trip: what the view returns parses back into the windows (see windowFromRow
      // for the sketch's min/max, which are not stored).
      const stored = await store.query<unknown>('SELECT * FROM pulse.workflow_metrics_1m_v');
      expect(stored).toHaveLength(windows.length);
      const strip = (w: InsightWindow): unknown => ({
        ...w,
        inputPartition: w.inputPartition ?? 0,
        durationSketch: { ...w.durationSketch, min: null, max: null },
      });
      const idOf = (w: InsightWindow): string =>
        `${w.windowStart} ${w.scope} ${w.key} ${w.inputPartition ?? 0}`;
      const back = new Map(stored.map((row) => windowFromRow(row)).map((w) => [idOf(w), strip(w)]));
      for (const w of windows) expect(back.get(idOf(w))).toEqual(strip(w));
    } finally {
      // chDB allows one process per data folder: the CLI below needs it.
      await store.close();
    }
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the storm as one incident, opened and resolved inside it, like the engine in-process', async () => {
    const from = at(T0);
    const to = at(STORM_END + HOUR);
    const { changes, summary } = await jsonl(['--from', iso(from), '--to', iso(to)]);
    const incidents = changes.filter((c) => c.kind === 'incident');
    const opened = incidents.filter((c) => c.change === 'opened');
    const resolved = incidents.filter((c) => c.change === 'resolved');
    expect(opened).toHaveLength(1);
    expect(resolved).toHaveLength(1);
    expect(opened[0]?.relatedWorkflows).toEqual(workflowIds(20));
    expect(resolved[0]?.relatedWorkflows).toEqual(workflowIds(20));
    expect(opened[0]?.insightId).toBe(resolved[0]?.insightId);
    expect(opened[0]?.firedAt).toBeGreaterThanOrEqual(at(STORM_FROM));
    expect(opened[0]?.firedAt).toBeLessThanOrEqual(at(STORM_TO));
    expect(resolved[0]?.firedAt).toBeGreaterThan(at(STORM_TO));
    expect(resolved[0]?.firedAt).toBeLessThanOrEqual(at(STORM_END));
    // Failure insights are linked to the incident; nothing else happened.
    expect(changes).toHaveLength(2);

    const direct = inProcess(from, to);
    expect(changes.map((c) => c.insightId)).toEqual(direct.map((i) => i.insightId));
    expect(changes.map(({ firedAt: _, ...insight }) => insight)).toEqual(direct);
    expect(summary).toMatchObject({
      windows: windows.length,
      changes: { opened: 1, updated: 0, resolved: 1, total: 2 },
      episodes: { count: 1, resolved: 1, stillOpen: 0 },
    });
  });

  it('reports nothing from after the storm; the storm only trained the engine', async () => {
    const { changes, summary } = await jsonl([
      '--from',
      iso(at(STORM_END)),
      '--to',
      iso(at(STORM_END + HOUR)),
      '--warmup',
      '6h',
    ]);
    expect(changes).toEqual([]);
    expect(summary).toMatchObject({ windows: windows.length, changes: { total: 0 } });
    const other = await jsonl(['--from', iso(at(T0)), '--to', iso(at(STORM_END)), '--tenant', 'nobody']);
    expect(other.changes).toEqual([]);
    expect(other.summary).toMatchObject({ windows: 0 });
  });

  it('takes an engine configuration file, and rejects one with unknown keys by name', async () => {
    const good = path.join(dir, 'no-grouping.json');
    writeFileSync(good, JSON.stringify({ incidents: { minWorkflows: 1000 } }));
    const from = at(T0);
    const to = at(STORM_END + HOUR);
    const { changes } = await jsonl(['--from', iso(from), '--to', iso(to), '--config', good]);
    expect(changes.filter((c) => c.kind === 'incident')).toEqual([]);
    expect(changes.filter((c) => c.kind === 'failure_rate' && c.change === 'opened').length).toBeGreaterThan(
      10,
    );
    expect(changes.map((c) => c.insightId)).toEqual(
      inProcess(from, to, { incidents: { minWorkflows: 1000 } }).map((i) => i.insightId),
    );

    const bad = path.join(dir, 'typo.json');
    writeFileSync(bad, JSON.stringify({ incidents: { minWorkflow: 2 }, settleMillis: 5 }));
    const r = await pulse(['--from', iso(from), '--to', iso(to), '--config', bad, '--format', 'jsonl']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/incidents\.minWorkflow: unknown key/);
    expect(r.stderr).toMatch(/settleMillis: unknown key/);
  });

  it('prints a table with one line per change and a summary', async () => {
    const r = await pulse(['--from', iso(at(T0)), '--to', iso(at(STORM_END + HOUR))]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^fired at \(UTC\)\s+│ kind\s+│ change\s+│ severity\s+│ key\s+│ description/);
    expect(lines.filter((l) => /│ incident │ (opened|resolved)/.test(l))).toHaveLength(2);
    expect(r.stdout).toMatch(/2 changes \(1 opened, 0 updated, 1 resolved\)\. Nothing was published\./);
    expect(r.stdout).toMatch(
      /Episodes: 1 \(1 resolved, 0 still open at the end\); opened → resolved: min \d+ min/,
    );
    expect(r.stdout).toContain(new Date(at(STORM_FROM)).toISOString().slice(0, 10));
  });
});
