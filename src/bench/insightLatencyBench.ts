// `npm run bench:insights`: how soon an insight is published after the window that reveals it
// closes, on the real stack (Kafka, Apicurio, Redis) with the metrics and detection processors.
//
//   1. backfill 150 minutes of history for `--tenants` tenants (20 workflows each, 10 runs a
//      minute per workflow) so the detectors have baselines;
//   2. then publish in real time, each event when the clock reaches its event time, with a Slack
//      rate-limit storm in every tenant from the second real-time minute on;
//   3. for every insight record: latency = its Kafka timestamp − the timestamp of the last
//      metrics record of its tenant and window (the moment the last metrics partition closed
//      the window that revealed it). Reported as p50/p99/max with the count.
//
// Usage: npm run bench:insights -- [--minutes 5] [--tenants 8] [--json]
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, parseBrokers } from '../adapters/kafka/kafkaClient.ts';
import { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { parseConfig } from '../config.ts';
import { createLogger, setLogLevel } from '../logger.ts';
import { startPulseProcess } from '../pipeline/pulseProcess.ts';
import { createExecutionPublisher } from '../sdk/executionPublisher.ts';
import { stackUp } from '../stack/localStack.ts';
import { EXECUTIONS_TOPIC, INSIGHTS_TOPIC, METRICS_TOPIC, topicName } from '../topology/topics.ts';
import { makeStormEvents } from '../core/demo/stormScenario.ts';
import { benchConfig, flag, quantile } from './benchSupport.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MINUTE = 60_000;
const HISTORY_MINUTES = 150;

async function main(): Promise<void> {
  const liveMinutes = flag('minutes', 5);
  const tenants = flag('tenants', 8);
  const json = process.argv.includes('--json');
  setLogLevel('warn');
  const log = createLogger({ module: 'bench-insights' });
  const base = parseConfig(process.env);
  await stackUp(base, root, log);
  const id = randomBytes(3).toString('hex');
  const config = benchConfig(base, id, 'insights');
  const pulse = await startPulseProcess(config, root, log, {
    api: false,
    stages: ['metrics-processor', 'detection-processor'],
  });
  await pulse.ready;

  // Measure from the outside: every metrics and insight record with its Kafka timestamp.
  const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
  const kafka = createKafka({ brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'bench' }, log);
  const windowClosed = new Map<string, number>();
  const insights: { at: number; kind: string; change: string; closedAt: string }[] = [];
  const watcher = kafka.consumer({ groupId: `bench-${id}-watch`, readUncommitted: false });
  await watcher.connect();
  const metricsTopic = topicName(config.PULSE_TOPIC_PREFIX, METRICS_TOPIC);
  const insightsTopic = topicName(config.PULSE_TOPIC_PREFIX, INSIGHTS_TOPIC);
  await watcher.subscribe({ topics: [metricsTopic, insightsTopic], fromBeginning: true });
  await watcher.run({
    eachMessage: async ({ topic, message }) => {
      const value = (await registry.decode(message.value)) as {
        tenantId: string;
        windowStart: number;
        kind?: string;
        change?: string;
      };
      const key = `${value.tenantId}/${String(value.windowStart)}`;
      const at = Number(message.timestamp);
      if (topic === metricsTopic) windowClosed.set(key, Math.max(windowClosed.get(key) ?? 0, at));
      else insights.push({ at, kind: value.kind ?? '', change: value.change ?? '', closedAt: key });
    },
  });

  const now = Date.now();
  const startMs = Math.floor(now / MINUTE) * MINUTE - HISTORY_MINUTES * MINUTE;
  const events = Array.from({ length: tenants }, (_, t) =>
    makeStormEvents({
      runId: `${id}-${String(t)}`,
      tenantId: `bench-${String(t)}`,
      startMs,
      minutes: HISTORY_MINUTES + liveMinutes + 1,
      workflows: 20,
      stormFrom: HISTORY_MINUTES + 1,
      stormMinutes: liveMinutes,
      seed: 17 + t,
    }),
  )
    .flat()
    .sort((a, b) => a.occurredAt - b.occurredAt);
  const publisher = await createExecutionPublisher({
    brokers: config.PULSE_KAFKA_BROKERS,
    registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
    topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
  });
  let next = events.findIndex((e) => e.occurredAt > Date.now());
  if (next === -1) next = events.length;
  await publisher.publish(events.slice(0, next));
  const liveFrom = Date.now();
  process.stderr.write(
    `backfilled ${String(next)} events; publishing in real time for ${String(liveMinutes)} min\n`,
  );
  const end = startMs + (HISTORY_MINUTES + liveMinutes) * MINUTE + 15_000;
  while (Date.now() < end) {
    const due = events.findIndex((e, i) => i >= next && e.occurredAt > Date.now());
    const upTo = due === -1 ? events.length : due;
    if (upTo > next) await publisher.publish(events.slice(next, upTo));
    next = upTo;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 5000));
  // Insights revealed by windows that closed during the real-time part.
  const latencies = insights
    .filter((i) => (windowClosed.get(i.closedAt) ?? 0) >= liveFrom)
    .map((i) => ({ ...i, ms: i.at - (windowClosed.get(i.closedAt) ?? i.at) }));
  const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b);
  const report = {
    live_minutes: liveMinutes,
    tenants,
    events_per_second_live: Math.round((tenants * 20 * 10 * 4) / 60),
    insights_total: insights.length,
    windows_closed_live: [...windowClosed.values()].filter((t) => t >= liveFrom).length,
    insights_measured: sorted.length,
    kinds: [...new Set(latencies.map((l) => `${l.kind}:${l.change}`))],
    insight_latency_p50_ms: quantile(sorted, 0.5),
    insight_latency_p99_ms: quantile(sorted, 0.99),
    insight_latency_max_ms: sorted.at(-1) ?? NaN,
    target_ms: 2000,
  };
  if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else
    for (const [k, v] of Object.entries(report))
      process.stdout.write(`${k.padEnd(28)} ${JSON.stringify(v)}\n`);
}

await main();
// kafkajs keeps sockets open for a while after disconnect; the report is out.
process.exit(0);
