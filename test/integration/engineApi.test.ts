// The engines' HTTP endpoints on real services (the command bus behind them): generate, predict
// with a week's forecast against documented rate limits from the workflow's stored metrics, the
// prediction stored in enhanced_workflow_optimization, results by command id, and 400s that name
// the failing fields.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsRow } from '../../src/core/metrics/metricsRow.ts';
import { startPulseProcess, type PulseProcess } from '../../src/pipeline/pulseProcess.ts';
import { OPTIMIZATIONS_TOPIC, topicName } from '../../src/topology/topics.ts';
import { makeWindow } from '../unit/insights/syntheticWindows.ts';
import { configFrom, isolatedEnv, projectRoot, testLog, waitForGroupCaughtUp } from './harness.ts';

const HOUR = 3_600_000;

describe('engine endpoints', () => {
  let running: PulseProcess;
  let env: Record<string, string>;
  const post = async (
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${running.apiUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    env = { ...(await isolatedEnv('engine-api')), PULSE_API_COMMAND_TIMEOUT_MS: '20000' };
    running = await startPulseProcess(configFrom(env), projectRoot, testLog, {
      stages: ['command-processor', 'definitions-loader', 'command-results-loader', 'optimizations-loader'],
    });
    await running.ready;
  }, 240_000);

  afterAll(async () => {
    await running.stop();
  });

  it('generates through the API, predicts a week with throttle risks from stored history, and keeps the prediction', async () => {
    const generated = await post('/api/workflows/automation/generate', {
      description: 'When a new lead submits the Typeform, create a contact in HubSpot and post to Slack',
      user_id: 'ana',
      tenant_id: 'acme',
      strategy: 'reliability',
    });
    expect(generated.status).toBe(200);
    expect(generated.body).toMatchObject({ status: 'completed', version: 1 });
    const workflowId = String(generated.body.workflow_id);

    // Two weeks of hourly history: a weekday 09:00-11:00 peak of 3,000 runs an hour, 200 otherwise.
    const now = Date.now();
    const end = Math.floor(now / HOUR) * HOUR;
    const rows = [];
    for (let t = end - 14 * 24 * HOUR; t < end; t += HOUR) {
      const d = new Date(t);
      const weekday = d.getUTCDay() >= 1 && d.getUTCDay() <= 5;
      const peak = weekday && d.getUTCHours() >= 9 && d.getUTCHours() < 11;
      const executions = peak ? 3000 : 200;
      const w = makeWindow({
        scope: 'workflow',
        tenantId: 'acme',
        workflowId,
        windowStart: t,
        windowMs: 60_000,
        executions,
        failures: Math.round(executions * 0.01),
        durations: [300, 400, 500, 900],
        costMicrosSum: executions * 1500,
        errorClasses: { timeout: Math.round(executions * 0.01) },
      });
      rows.push(metricsRow({ ...w, inputPartition: 0 }, { partition: 0, offset: String(rows.length) }));
    }
    await running.store?.insert('workflow_metrics_1m', rows as unknown as Record<string, unknown>[], {
      dedupToken: `history-${workflowId}`,
    });

    const predicted = await post('/api/workflows/optimization/predict', {
      workflow: workflowId,
      prediction_horizon: 168,
      user_id: 'ana',
      tenant_id: 'acme',
    });
    expect(predicted.status).toBe(200);
    const prediction = predicted.body.result as {
      horizonHours: number;
      executions: { point: number[]; lo: number[]; hi: number[] };
      expectedRuns: number;
      projectedCostMicros: { point: number };
      throttleRisks: { service: string; throttleAt: number | null; message: string }[];
      improvements: { kind: string; service: string | null }[];
      confidence: number;
    };
    expect(prediction.horizonHours).toBe(168);
    expect(prediction.executions.point).toHaveLength(168);
    expect(prediction.executions.hi.every((h, i) => h >= (prediction.executions.lo[i] ?? Infinity))).toBe(
      true,
    );
    // About 5 weekdays x 2 h x 3,000 plus 158 h x 200 runs.
    expect(prediction.expectedRuns).toBeGreaterThan(40_000);
    expect(prediction.expectedRuns).toBeLessThan(80_000);
    expect(prediction.projectedCostMicros.point).toBeGreaterThan(0);
    const slack = prediction.throttleRisks.find((r) => r.service === 'slack');
    expect(slack?.throttleAt).not.toBeNull();
    expect(slack?.message).toMatch(
      /^slack will throttle on (Monday|Tuesday|Wednesday|Thursday|Friday) (09|10):00 UTC/,
    );
    expect(prediction.improvements.some((i) => i.service === 'slack')).toBe(true);

    const config = configFrom(env);
    await waitForGroupCaughtUp(
      config,
      `${config.PULSE_CONSUMER_GROUP_PREFIX}.optimizations-loader`,
      topicName(config.PULSE_TOPIC_PREFIX, OPTIMIZATIONS_TOPIC),
    );
    const stored = await running.store?.query<{
      workflow_id: string;
      strategy: string;
      confidence_score: number;
      improvements: string;
    }>(
      `SELECT workflow_id, strategy, confidence_score, improvements FROM ${config.CLICKHOUSE_DATABASE}.enhanced_workflow_optimization FINAL
       WHERE optimization_id = '${String(predicted.body.command_id)}'`,
    );
    expect(stored?.[0]).toMatchObject({ workflow_id: workflowId, strategy: 'reliability' });
    expect(stored?.[0]?.confidence_score).toBeGreaterThan(0);
    expect(JSON.parse(stored?.[0]?.improvements ?? '[]')).toEqual(prediction.improvements);

    const byId = await fetch(`${running.apiUrl}/api/commands/${String(predicted.body.command_id)}`);
    expect(byId.status).toBe(200);
    expect(((await byId.json()) as { status: string }).status).toBe('completed');
    expect((await fetch(`${running.apiUrl}/api/commands/nope`)).status).toBe(404);
  });

  it('answers 400 naming the failing fields, and 422 when the engine rejects the command', async () => {
    const bad = await post('/api/workflows/troubleshooting/analyze', { workflow_id: 'w', error_logs: [] });
    expect(bad.status).toBe(400);
    expect((bad.body.issues as { path: string }[]).map((i) => i.path).sort()).toEqual([
      'error_logs',
      'user_id',
    ]);
    const noWorkflow = await post('/api/workflows/optimization/predict', { user_id: 'ana' });
    expect(noWorkflow.status).toBe(400);
    expect((noWorkflow.body.issues as { path: string }[]).map((i) => i.path)).toEqual(['workflow']);
    const unknown = await post('/api/workflows/optimization/predict', {
      user_id: 'ana',
      tenant_id: 'acme',
      workflow: 'nope',
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: 'not_found' });
  });
});
