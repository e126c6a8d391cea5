// `pulse demo` as a newcomer runs it: a child process on the shared stack with its own topics,
// groups, chDB folder and API port. Within 120 s of its start it must have shown an incident open
// and resolve, a troubleshooting session, a forecast and a generated workflow, and the pipeline's
// tables (read through its API) must hold them.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiQuery, isolatedEnv, spawnPulse, waitFor } from './harness.ts';

const DURATION_S = 125;

interface Milestone {
  name: string;
  pattern: RegExp;
}

const MILESTONES: Milestone[] = [
  { name: 'backfill published', pattern: /backfill published/ },
  { name: 'forecast', pattern: /forecast for .* \(predict command\)/ },
  { name: 'generated workflow', pattern: /generated workflow .* \(generate command\)/ },
  { name: 'incident opened', pattern: /incident \[\w+\] opened/ },
  { name: 'troubleshooting session', pattern: /troubleshooting session \w+ for / },
  { name: 'incident resolved', pattern: /incident \[\w+\] resolved/ },
];

describe('pulse demo', () => {
  let child: ChildProcess | undefined;
  let env: Record<string, string>;
  const lines: string[] = [];
  const seenAt = new Map<string, number>();
  let startedAt = 0;
  let exit: Promise<number | null>;

  beforeAll(async () => {
    env = await isolatedEnv('demo');
    startedAt = Date.now();
    const c = spawnPulse(['demo', '--duration', String(DURATION_S)], env);
    child = c;
    exit = new Promise((resolve) => c.on('exit', resolve));
    let partial = '';
    c.stdout?.on('data', (d: Buffer) => {
      partial += d.toString();
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) {
        lines.push(line);
        if (process.env.PULSE_TEST_VERBOSE === '1') process.stdout.write(`${line}\n`);
        for (const m of MILESTONES) {
          if (!seenAt.has(m.name) && m.pattern.test(line))
            seenAt.set(m.name, (Date.now() - startedAt) / 1000);
        }
      }
    });
    // Every milestone within 120 s of the start.
    await waitFor(
      'every milestone of the demo',
      () => Promise.resolve(MILESTONES.every((m) => seenAt.has(m.name)) ? true : undefined),
      120_000 - (Date.now() - startedAt),
      250,
    ).catch((error: unknown) => {
      process.stdout.write(`demo output so far:\n${lines.join('\n')}\n`);
      throw error;
    });
  }, 130_000);

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGTERM');
      await exit;
    }
  }, 60_000);

  it('tells the story within 120 s of its start', () => {
    const report = MILESTONES.map((m) => `${m.name}: ${(seenAt.get(m.name) ?? NaN).toFixed(1)} s`).join(', ');
    process.stdout.write(`pulse demo, seconds from start: ${report}\n`);
    for (const m of MILESTONES) expect(seenAt.get(m.name), m.name).toBeLessThan(120);
    // The first lines say what it does, not what it has not got yet.
    expect(lines.some((l) => /backfilling \d+ days of history for 5 tenants/.test(l))).toBe(true);
    expect(lines.some((l) => /live: .*injecting|injecting a Slack rate-limit storm at/.test(l))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/1970-01-01/);
  });

  it('left the incident, the session, the forecast and the workflows in the pipeline tables', async () => {
    const db = env.CLICKHOUSE_DATABASE ?? 'pulse';
    const incidents = await apiQuery<{ state: string; n: string }>(
      env,
      `SELECT state, count() AS n FROM ${db}.performance_insights WHERE insight_type = 'incident' GROUP BY state`,
    );
    const count = (state: string): number => Number(incidents.find((r) => r.state === state)?.n ?? 0);
    expect(count('open')).toBeGreaterThanOrEqual(1);
    expect(count('resolved')).toBeGreaterThanOrEqual(1);
    const sessions = await apiQuery<{ status: string }>(
      env,
      `SELECT resolution_status AS status FROM ${db}.troubleshooting_sessions FINAL`,
    );
    expect(sessions.length).toBeGreaterThanOrEqual(1);
    const forecasts = await apiQuery<{ horizon: number | string; prediction: string }>(
      env,
      `SELECT horizon_hours AS horizon, prediction FROM ${db}.enhanced_workflow_optimization`,
    );
    expect(forecasts.length).toBeGreaterThanOrEqual(1);
    expect(Number(forecasts[0]?.horizon)).toBe(168);
    const workflows = await apiQuery<{ workflow_id: string }>(env, `SELECT workflow_id FROM ${db}.workflows`);
    // The demo's eleven plus the one generated while the story runs.
    expect(workflows.length).toBeGreaterThanOrEqual(12);
    expect(workflows.some((w) => w.workflow_id.startsWith('wf_'))).toBe(true);
  });

  it('stops cleanly at the end of its duration', async () => {
    const code = await exit;
    expect(code).toBe(0);
    expect(lines.at(-1)).toMatch(/stopped cleanly/);
  }, 90_000);
});
