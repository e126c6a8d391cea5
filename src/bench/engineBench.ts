// `npm run bench:engines`: round-trip latency of the engines over the command bus on the real
// stack (Kafka, Apicurio, Redis, chDB): a command sent, processed (with its ClickHouse lookups)
// and its correlated result received, one at a time.
//
//   generate      description → workflow (reads live service reliability)
//   predict       a workflow with 4 weeks of hourly history → 7-day forecast, throttle risks, cost
//   troubleshoot  error logs + recorded failures → hypotheses, recommendations
//
// Usage: npm run bench:engines -- [--requests 30] [--json]
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../config.ts';
import type { Command } from '../core/commands/command.ts';
import { metricsRow } from '../core/metrics/metricsRow.ts';
import { DDSketch } from '../core/metrics/ddSketch.ts';
import { createLogger, setLogLevel } from '../logger.ts';
import { startPulseProcess } from '../pipeline/pulseProcess.ts';
import { createCommandClient, newCommandId } from '../sdk/commandClient.ts';
import { stackUp } from '../stack/localStack.ts';
import { benchConfig, flag, quantile } from './benchSupport.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOUR = 3_600_000;

async function main(): Promise<void> {
  const requests = flag('requests', 30);
  const json = process.argv.includes('--json');
  setLogLevel('warn');
  const log = createLogger({ module: 'bench-engines' });
  const base = parseConfig(process.env);
  await stackUp(base, root, log);
  const id = randomBytes(3).toString('hex');
  const config = benchConfig(base, id, 'engines');
  const pulse = await startPulseProcess(config, root, log, {
    api: false,
    stages: ['command-processor', 'definitions-loader', 'command-results-loader', 'optimizations-loader'],
  });
  await pulse.ready;
  const client = await createCommandClient({
    brokers: config.PULSE_KAFKA_BROKERS,
    registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
    topicPrefix: config.PULSE_TOPIC_PREFIX,
    logger: log,
  });
  const tenantId = 'bench';
  const base0 = (): Omit<Command, 'type' | 'payload'> => ({
    commandId: newCommandId(),
    tenantId,
    userId: 'bench',
    issuedAt: Date.now(),
  });
  const time = async (
    command: Command,
  ): Promise<{ ms: number; status: string; workflowId: string | null }> => {
    const started = performance.now();
    const result = await client.request(command, 30_000);
    return { ms: performance.now() - started, status: result.status, workflowId: result.workflowId };
  };

  const descriptions = [
    'When a new lead submits the Typeform, create a contact in HubSpot and post to Slack',
    'When a Shopify order comes in, append a row to Google Sheets and notify the team on Slack',
    'Summarize each new Gmail email with OpenAI and post the summary to Slack',
    'When a Stripe payment succeeds, create a contact in HubSpot',
  ];
  const generateMs: number[] = [];
  let workflowId = '';
  for (let i = 0; i < requests; i++) {
    const r = await time({
      ...base0(),
      type: 'generate',
      payload: {
        description: descriptions[i % descriptions.length] ?? '',
        strategy: 'hybrid',
        workflowId: null,
        selectedServices: [],
      },
    });
    generateMs.push(r.ms);
    if (i === 0) workflowId = r.workflowId ?? '';
  }

  // Four weeks of hourly history for the first workflow (one 1-minute row per hour).
  const end = Math.floor(Date.now() / HOUR) * HOUR;
  const rows = [];
  for (let t = end - 28 * 24 * HOUR, i = 0; t < end; t += HOUR, i++) {
    const d = new Date(t);
    // A daily wave, lower at weekends.
    const executions = Math.round(
      260 + 150 * Math.sin((2 * Math.PI * d.getUTCHours()) / 24) + (d.getUTCDay() % 6 === 0 ? -80 : 0),
    );
    const sketch = new DDSketch();
    for (const v of [250, 300, 420, 900]) sketch.add(v);
    rows.push(
      metricsRow(
        {
          scope: 'workflow',
          key: `${tenantId}/${workflowId}`,
          tenantId,
          workflowId,
          stepId: null,
          service: null,
          windowStart: t,
          windowEnd: t + 60_000,
          version: 1,
          inputPartition: 0,
          executions,
          successes: executions - 2,
          failures: 2,
          successRate: (executions - 2) / executions,
          retries: 0,
          p50Ms: 300,
          p95Ms: 900,
          p99Ms: 900,
          durationSketch: sketch.toJSON(),
          costMicrosSum: executions * 1500,
          costPerRunMicros: 1500,
          errorClasses: { timeout: 2 },
          lateEvents: 0,
          eventCount: executions,
          workflowVersions: { '1': executions },
        },
        { partition: 0, offset: String(i) },
      ),
    );
  }
  await pulse.store?.insert('workflow_metrics_1m', rows as unknown as Record<string, unknown>[], {
    dedupToken: `bench-history-${id}`,
  });

  const predictMs: number[] = [];
  for (let i = 0; i < requests; i++) {
    const r = await time({
      ...base0(),
      type: 'predict',
      payload: { workflowId, workflowJson: null, historicalDataJson: null, predictionHorizonHours: 168 },
    });
    if (r.status !== 'completed') throw new Error(`predict ${r.status}`);
    predictMs.push(r.ms);
  }
  const troubleshootMs: number[] = [];
  for (let i = 0; i < requests; i++) {
    const r = await time({
      ...base0(),
      type: 'troubleshoot',
      payload: {
        workflowId,
        errorLogs: [
          {
            service: 'slack',
            stepId: null,
            log: '{"ok":false,"error":"ratelimited"}',
            httpStatus: 429,
            occurredAt: null,
          },
        ],
        metricsJson: null,
        autoResolve: false,
      },
    });
    troubleshootMs.push(r.ms);
  }
  await client.close();
  await pulse.stop();

  const stats = (xs: number[]): { p50: number; p99: number; max: number } => {
    const s = [...xs].sort((a, b) => a - b);
    return {
      p50: Math.round(quantile(s, 0.5)),
      p99: Math.round(quantile(s, 0.99)),
      max: Math.round(s.at(-1) ?? NaN),
    };
  };
  const report = {
    requests,
    generate_ms: stats(generateMs),
    predict_ms: stats(predictMs),
    troubleshoot_ms: stats(troubleshootMs),
    targets: { generate_ms: 1000, predict_ms: 2000 },
  };
  if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else
    for (const [k, v] of Object.entries(report))
      process.stdout.write(`${k.padEnd(18)} ${JSON.stringify(v)}\n`);
}

await main();
process.exit(0);
