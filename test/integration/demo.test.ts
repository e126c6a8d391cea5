// `pulse demo` as a newcomer runs it: a child process on the shared stack with its own topics,
// groups, chDB folder and API port. Within 120 s of its start it must have shown an incident open
// and resolve, a troubleshooting session, a forecast and a generated workflow, and the pipeline's
// tables (read through its API) must hold them. Meanwhile headless Chromium walks through the
// dashboard it serves (dashboardJourney.ts).
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardJourney, type JourneyReport } from './dashboardJourney.ts';
import { apiQuery, isolatedEnv, spawnPulse, waitFor } from './harness.ts';

/** Long enough for the story (120 s) and for the browser's walk to finish while the demo runs. */
const DURATION_S = 165;
const JOURNEY_DEADLINE_S = 155;

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
  let journey: Promise<JourneyReport> | undefined;

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
    // The browser opens the page as soon as the API answers, before anything has happened.
    const base = `http://127.0.0.1:${env.PULSE_API_PORT ?? ''}`;
    journey = waitFor(
      'the demo API',
      async () => ((await fetch(`${base}/health`)).ok ? true : undefined),
      90_000,
      250,
    ).then(() => dashboardJourney(`${base}/`, startedAt + JOURNEY_DEADLINE_S * 1000));
    journey.catch(() => undefined); // awaited by its test; no unhandled rejection meanwhile
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

  it(
    'dashboard: an incident arrives live, its workflow shows the session and a forecast, the form generates a workflow',
    async () => {
      if (journey === undefined) throw new Error('the journey did not start');
      const report = await journey;
      process.stdout.write(
        `dashboard: first paint ${report.firstPaintMs.toFixed(0)} ms; seconds into the walk: ${JSON.stringify(report.at)}; screenshots ${report.screenshots.join(', ')}\n`,
      );
      expect(report.incidentArrivedLive).toBe(true);
      expect(report.incidentText).toMatch(/incident/);
      expect(report.incidentWorkflow).not.toBe('');
      expect(report.sessionText).toMatch(/root cause/);
      expect(report.forecastDrawn).toBe(true);
      expect(report.impactText).toMatch(/root cause|rate_limit|auth/);
      expect(report.generatedWorkflow).toMatch(/^wf_/);
      expect(report.generatedListed).toBe(true);
      expect(report.screenshots).toHaveLength(4);
    },
    (JOURNEY_DEADLINE_S + 10) * 1000,
  );

  it(
    'stops cleanly at the end of its duration',
    async () => {
      const code = await exit;
      expect(code).toBe(0);
      expect(lines.at(-1)).toMatch(/stopped cleanly/);
    },
    (DURATION_S + 60) * 1000,
  );
});
