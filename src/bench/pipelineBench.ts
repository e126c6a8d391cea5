// `npm run bench`: throughput and latency of the metrics path on the real stack, every figure
// measured in the same run so ratios compare like with like.
//
//   1. preload N execution events (Avro, Confluent framing) into a fresh topic
//   2. raw consume: kafkajs, no decoding, the better of two full reads    → raw_consume_eps
//      (the first read of the process also grows the JS heap and warms kafkajs's decoder: it
//      measured 254k–585k events/s on the same code, more than any change moved the processor,
//      so `ratio` compares with the steady read; the first is reported as raw_consume_first_eps)
//   3. consume + decode (Avro with the registry's schema)                → decode_eps
//   4. metrics processor alone: events in → window records committed     → pipeline_eps, ratio
//   5. whole path: archive loader + processor + metrics loader until every event and window is
//      queryable in ClickHouse                                           → e2e_eps
//      The same events go to the whole path's own input topic inside one Kafka transaction that
//      commits only once every stage has joined its group: the stages read committed, so the
//      clock starts with all N events visible at once and no stage has a head start.
//   6. steady 5,000 events/s: event time → row queryable in ClickHouse   → latency p50/p99
//
// Usage: npm run bench -- [--events 1000000] [--rate 5000] [--latency-seconds 20] [--json] [--progress]
import { randomBytes } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import { createKafka, parseBrokers } from '../adapters/kafka/kafkaClient.ts';
import { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { parseConfig } from '../config.ts';
import { simulateExecution, simulateWorkflows } from '../core/demo/executionSimulator.ts';
import { seededRandom } from '../core/seededRandom.ts';
import type { ExecutionEvent } from '../core/executionEvent.ts';
import { createLogger, setLogLevel } from '../logger.ts';
import { startPulseProcess } from '../pipeline/pulseProcess.ts';
import { stackUp } from '../stack/localStack.ts';
import { EXECUTIONS_TOPIC, METRICS_TOPIC, topicName } from '../topology/topics.ts';
import {
  consumeAll,
  groupCommitted,
  metricsPathCommitted,
  preloadHeld,
  sendAll,
  topicEnd,
  until,
} from './benchEvents.ts';
import { benchConfig, flag, threadCpuByName, threadCpuSpent } from './benchSupport.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const N = flag('events', 1_000_000);
const RATE = flag('rate', 5000);
const LATENCY_SECONDS = flag('latency-seconds', 20);
const JSON_OUT = process.argv.includes('--json');
let rssPeak = 0;
let heapPeak = 0;
// Peak RSS per phase (the phase named by the last `say`), to tell which one sets the peak.
let phase = 'start';
const phasePeaks = new Map<string, number>();
const rssTimer = setInterval(() => {
  const usage = process.memoryUsage();
  rssPeak = Math.max(rssPeak, usage.rss);
  // The JS heap's share of it (the rest is chDB, buffers and code).
  heapPeak = Math.max(heapPeak, usage.heapTotal);
  phasePeaks.set(phase, Math.max(phasePeaks.get(phase) ?? 0, usage.rss));
}, 100);

// Under --cpu-prof each line carries the monotonic clock in µs (the profile's time base), so
// `src/bench/profileSummary.ts --from … --to …` can summarise one phase.
const cpuSecondsOf = ({ user, system }: NodeJS.CpuUsage): number => (user + system) / 1e6;

const PROFILING = process.execArgv.some((a) => a.startsWith('--cpu-prof'));
const say = (line: string, progress = false): void => {
  if (!progress) phase = line.slice(0, 3);
  process.stderr.write((PROFILING ? `${line} (at ${process.hrtime.bigint() / 1000n} µs)` : line) + '\n');
};

/** Produces N events; returns events/s of the encode + produce loop. */
async function preload(
  kafka: Kafka,
  topic: string,
  encode: (e: ExecutionEvent) => Buffer,
  startMs: number,
): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  await sendAll(N, (record) => producer.send({ ...record, acks: 1 }), topic, encode, startMs);
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return N / seconds;
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** Live sampled bytes by allocating function and by its nearest project-code caller. */
function heapSummary({ profile }: { profile: { head: SamplingNode } }): string {
  const bySite = new Map<string, number>();
  const visit = (node: SamplingNode, owner: string): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const here = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/work\/main\//, '')}:${lineNumber + 1}`;
    const mine = url.includes('/work/main/') && !url.includes('node_modules') ? here : owner;
    const key = `${here}  ⟵ ${mine}`;
    if (node.selfSize > 0) bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
    for (const child of node.children) visit(child, mine);
  };
  visit(profile.head, '(none)');
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  return [
    `live JS heap sampled: ${Math.round(total / 1048576)} MB; top allocation sites (⟵ nearest project caller)`,
    ...[...bySite]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([site, bytes]) => `  ${String(Math.round(bytes / 1048576)).padStart(5)} MB  ${site}`),
  ].join('\n');
}

async function main(): Promise<void> {
  setLogLevel('warn');
  const log = createLogger({ module: 'bench' });
  const base = parseConfig(process.env);
  await stackUp(base, root, log);
  const id = randomBytes(3).toString('hex');
  const config = benchConfig(base, id, 'proc');
  const kafka = createKafka({ brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'bench' }, log);
  const admin = kafka.admin();
  await admin.connect();
  const input = topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC);

  // Topics and schemas come from the normal start-up path; the processor run registers them.
  const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
  const { applyAllTopics } = await import('../pipeline/pulseProcess.ts');
  await applyAllTopics(config, log);
  const schemaId = await registry.register(
    `${input}-value`,
    readFileSync(path.join(root, 'schemas/workflow.executions.v1.avsc'), 'utf8'),
  );
  const type = await registry.typeOf(schemaId);

  say(`1/6 preload ${N} events`);
  const preloadEps = await preload(
    kafka,
    input,
    (e) => registry.encodeKnown(schemaId, type, e),
    Date.now() - 6 * 3600_000,
  );
  say('2/6 raw consume');
  const rawFirstEps = await consumeAll(kafka, input, N, null);
  const rawEps = Math.max(rawFirstEps, await consumeAll(kafka, input, N, null));
  say('3/6 consume + decode');
  const decodeEps = await consumeAll(kafka, input, N, (b) => registry.decodeKnown(b));

  say('4/6 metrics processor alone');
  const processor = await startPulseProcess(config, root, log, { api: false, stages: ['metrics-processor'] });
  await processor.ready;
  const processorStart = performance.now();
  // CPU moves less than the rate on a shared machine: compare changes by it too.
  const processorCpu = process.cpuUsage();
  const processorMainCpu = process.threadCpuUsage();
  const processorGroup = `${config.PULSE_CONSUMER_GROUP_PREFIX}.metrics-processor`;
  const end = await topicEnd(admin, input);
  await until(
    async () => (await groupCommitted(admin, processorGroup, input)) >= end,
    900_000,
    'the processor',
  );
  const processorSeconds = (performance.now() - processorStart) / 1000;
  const pipelineCpuS = cpuSecondsOf(process.cpuUsage(processorCpu));
  const pipelineMainCpuS = cpuSecondsOf(process.threadCpuUsage(processorMainCpu));
  const windows = processor.stages.get('metrics-processor')?.metrics.value('outputs_total') ?? 0;
  await processor.stop();
  const pipelineEps = N / processorSeconds;

  say('5/6 whole path to ClickHouse');
  // Its own topics, filled while no stage runs and made visible only once all have joined.
  const e2eConfig = { ...benchConfig(base, id, 'e2e'), PULSE_TOPIC_PREFIX: `bench.${id}.e2e.` };
  await applyAllTopics(e2eConfig, log);
  const e2eInput = topicName(e2eConfig.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC);
  const e2eSchemaId = await registry.register(
    `${e2eInput}-value`,
    readFileSync(path.join(root, 'schemas/workflow.executions.v1.avsc'), 'utf8'),
  );
  // Event time ends a few minutes before the latency phase starts (the generator spends 0.79 ms of
  // event time per event), as a live platform's backlog would: with the 6 hours the other phases
  // use, the detection processor's first latency event stepped every series through a 6-hour gap,
  // one 1.9 s stall of the main thread that set the latency phase's p99.
  const held = await preloadHeld(
    N,
    kafka,
    e2eInput,
    (e) => registry.encodeKnown(e2eSchemaId, type, e),
    Date.now() - Math.ceil(N * 0.8) - 2 * 60_000,
  );
  // --heap-sample: which allocation sites hold the JS heap at the end of the whole path (V8's
  // sampling heap profiler keeps a sample of the objects still alive).
  const heapSession = process.argv.includes('--heap-sample') ? new Session() : undefined;
  if (heapSession !== undefined) {
    heapSession.connect();
    await heapSession.post('HeapProfiler.startSampling', { samplingInterval: 64 * 1024 });
  }
  const whole = await startPulseProcess(e2eConfig, root, log, { api: false });
  await whole.ready;
  say('5/6 every stage ready; events visible');
  await held.commit();
  const e2eStart = performance.now();
  const e2eCpu = process.cpuUsage();
  const e2eMainCpu = process.threadCpuUsage();
  const e2eThreads = threadCpuByName();
  const e2eEnd = await topicEnd(admin, e2eInput);
  const store = whole.store;
  if (store === undefined) throw new Error('bench: the whole-path process must own ClickHouse');
  const db = e2eConfig.CLICKHOUSE_DATABASE;
  const metricsTopic = topicName(e2eConfig.PULSE_TOPIC_PREFIX, METRICS_TOPIC);
  const e2eGroup = (stage: string): string => `${e2eConfig.PULSE_CONSUMER_GROUP_PREFIX}.${stage}`;
  // --progress: where each stage of the whole path stands, every 2 s (which one holds it up).
  const progressTimer = process.argv.includes('--progress')
    ? setInterval(() => {
        void (async () => {
          const [rows] = await store.query<{ n: string }>(
            `SELECT count() AS n FROM ${db}.workflow_executions`,
          );
          const [windows] = await store.query<{ n: string }>(
            `SELECT count() AS n FROM ${db}.workflow_metrics_1m`,
          );
          const processed = await groupCommitted(admin, e2eGroup('metrics-processor'), e2eInput);
          const metricsEnd = await topicEnd(admin, metricsTopic);
          const metricsLoaded = await groupCommitted(admin, e2eGroup('metrics-loader'), metricsTopic);
          const [tracked] = await store.query<{ v: string }>(
            `SELECT value AS v FROM system.metrics WHERE metric = 'MemoryTracking'`,
          );
          const snapshotSeconds = (['metrics-processor', 'detection-processor'] as const)
            .map((stage) => whole.stages.get(stage)?.metrics.value('snapshot_seconds_total') ?? 0)
            .map((v) => v.toFixed(1))
            .join('/');
          const rebalances = [...whole.stages.values()].reduce(
            (n, stage) => n + stage.metrics.value('rebalances_total'),
            0,
          );
          const usage = process.memoryUsage();
          const mb = (bytes: number): number => Math.round(bytes / 1048576);
          say(
            `   ${((performance.now() - e2eStart) / 1000).toFixed(0)} s: archive rows ${rows?.n}, processor ${processed}/${e2eEnd}, windows produced ${metricsEnd}, loaded ${metricsLoaded} (rows ${windows?.n}); rss ${mb(usage.rss)} MB, heap ${mb(usage.heapUsed)}/${mb(usage.heapTotal)} MB, external ${mb(usage.external)} MB, chDB tracked ${mb(Number(tracked?.v ?? 0))} MB; snapshots ${snapshotSeconds} s, rebalances ${rebalances}`,
            true,
          );
        })().catch(() => undefined);
      }, 2000)
    : undefined;
  await until(
    async () => {
      const [row] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${db}.workflow_executions`);
      if (Number(row?.n ?? 0) < N) return false;
      // The end offset counts the commit marker; the processor commits past it.
      return metricsPathCommitted(
        admin,
        e2eConfig.PULSE_CONSUMER_GROUP_PREFIX,
        e2eInput,
        e2eEnd,
        metricsTopic,
      );
    },
    900_000,
    'the whole path',
  );
  const e2eEps = N / ((performance.now() - e2eStart) / 1000);
  clearInterval(progressTimer);
  if (heapSession !== undefined) say(heapSummary(await heapSession.post('HeapProfiler.getSamplingProfile')));
  // CPU of the whole process (every thread: chDB's included) and of the main thread alone.
  const e2eCpuSeconds = cpuSecondsOf(process.cpuUsage(e2eCpu));
  const e2eMainCpuSeconds = cpuSecondsOf(process.threadCpuUsage(e2eMainCpu));
  // Which threads the whole path's CPU went to: the main thread (`node`), V8's GC helpers, libuv's
  // pool, chDB's own threads (by ClickHouse's thread names).
  const e2eByThread = threadCpuSpent(e2eThreads, threadCpuByName());

  // Query patterns for analysts over the loaded windows: FINAL against argMax.
  const timeQuery = async (sql: string): Promise<number> => {
    const t = performance.now();
    for (let i = 0; i < 5; i++) await store.query(sql);
    return (performance.now() - t) / 5;
  };
  const finalMs = await timeQuery(
    `SELECT scope, sum(executions) FROM ${db}.workflow_metrics_1m FINAL GROUP BY scope`,
  );
  const argMaxMs = await timeQuery(
    `SELECT scope, sum(e) FROM (SELECT scope, key, window_start, input_partition, argMax(executions, version) AS e FROM ${db}.workflow_metrics_1m GROUP BY scope, key, window_start, input_partition) GROUP BY scope`,
  );
  const rawMs = await timeQuery(
    `SELECT scope, sum(executions) FROM ${db}.workflow_metrics_1m GROUP BY scope`,
  );

  say(`6/6 latency at ${RATE} events/s for ${LATENCY_SECONDS} s`);
  const producer = kafka.producer();
  await producer.connect();
  const latencyStart = Date.now();
  const latencyCpu = process.cpuUsage();
  const latencyMainCpu = process.threadCpuUsage();
  // How long the main thread (ten stages and this publisher) kept callbacks waiting meanwhile.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const workflows = simulateWorkflows({ tenants: 5, workflows: 50, seed: 3 });
  const random = seededRandom(4);
  let sent = 0;
  let run = 0;
  const latencyRunPrefix = `lat-${id}`;
  while (Date.now() - latencyStart < LATENCY_SECONDS * 1000) {
    const tick = Date.now();
    const due = Math.floor(((tick - latencyStart) / 1000) * RATE) - sent;
    const batch: { key: string; value: Buffer }[] = [];
    while (batch.length < due) {
      const workflow = workflows[run % workflows.length];
      if (workflow === undefined) break;
      const now = Date.now();
      for (const e of simulateExecution(workflow, `${latencyRunPrefix}-${run}`, now, random)) {
        // Event time = send time: the latency below runs from the event to its queryable row.
        batch.push({
          key: e.workflowId,
          value: registry.encodeKnown(e2eSchemaId, type, { ...e, occurredAt: now }),
        });
      }
      run++;
    }
    if (batch.length > 0) await producer.send({ topic: e2eInput, acks: -1, messages: batch });
    sent += batch.length;
    await new Promise((r) => setTimeout(r, Math.max(0, 20 - (Date.now() - tick))));
  }
  loopDelay.disable();
  // CPU of the whole process (every stage, chDB's parsing and merges, this publisher) at the steady rate.
  const latencyCpuS = cpuSecondsOf(process.cpuUsage(latencyCpu));
  const latencyMainCpuS = cpuSecondsOf(process.threadCpuUsage(latencyMainCpu));
  await producer.disconnect();
  await until(
    async () => {
      const [row] = await store.query<{ n: string }>(
        `SELECT count() AS n FROM ${db}.workflow_executions WHERE execution_id LIKE '${latencyRunPrefix}-%'`,
      );
      return Number(row?.n ?? 0) >= sent;
    },
    120_000,
    'latency events',
  );
  const [latency] = await store.query<{
    p50: number | string;
    p90: number | string;
    p99: number | string;
    max: number | string;
  }>(
    `SELECT quantileExact(0.5)(ms) AS p50, quantileExact(0.9)(ms) AS p90, quantileExact(0.99)(ms) AS p99, max(ms) AS max FROM
       (SELECT dateDiff('millisecond', occurred_at, ingested_at) AS ms FROM ${db}.workflow_executions
        WHERE execution_id LIKE '${latencyRunPrefix}-%')`,
  );
  say('done');
  await whole.stop();
  await admin.disconnect();
  clearInterval(rssTimer);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  for (const stage of ['proc', 'e2e'])
    rmSync(path.join(root, '.data', `bench-${id}-${stage}`), { recursive: true, force: true });

  const figures = {
    events: N,
    preload_eps: Math.round(preloadEps),
    raw_consume_eps: Math.round(rawEps),
    raw_consume_first_eps: Math.round(rawFirstEps),
    decode_eps: Math.round(decodeEps),
    pipeline_eps: Math.round(pipelineEps),
    ratio: Number((pipelineEps / rawEps).toFixed(3)),
    pipeline_cpu_s: Number(pipelineCpuS.toFixed(1)),
    pipeline_main_thread_cpu_s: Number(pipelineMainCpuS.toFixed(1)),
    windows_emitted: windows,
    e2e_eps: Math.round(e2eEps),
    e2e_cpu_s: Number(e2eCpuSeconds.toFixed(1)),
    e2e_main_thread_cpu_s: Number(e2eMainCpuSeconds.toFixed(1)),
    e2e_cpu_s_by_thread: Object.fromEntries(e2eByThread.map(([name, s]) => [name, Number(s.toFixed(1))])),
    rss_peak_mb: Math.round(rssPeak / 1024 / 1024),
    heap_peak_mb: Math.round(heapPeak / 1024 / 1024),
    rss_peak_mb_by_phase: Object.fromEntries(
      [...phasePeaks].map(([p, bytes]) => [p, Math.round(bytes / 1024 / 1024)]),
    ),
    latency_rate_eps: RATE,
    latency_events: sent,
    latency_p50_ms: Number(latency?.p50 ?? NaN),
    latency_p90_ms: Number(latency?.p90 ?? NaN),
    latency_p99_ms: Number(latency?.p99 ?? NaN),
    latency_max_ms: Number(latency?.max ?? NaN),
    latency_loop_delay_p99_ms: Math.round(loopDelay.percentile(99) / 1e6),
    latency_loop_delay_max_ms: Math.round(loopDelay.max / 1e6),
    latency_cpu_s: Number(latencyCpuS.toFixed(1)),
    latency_main_thread_cpu_s: Number(latencyMainCpuS.toFixed(1)),
    query_final_ms: Number(finalMs.toFixed(1)),
    query_argmax_ms: Number(argMaxMs.toFixed(1)),
    query_no_dedup_ms: Number(rawMs.toFixed(1)),
  };
  const lines = [
    `events                          ${N}`,
    `preload (acks=1)                ${figures.preload_eps} events/s`,
    `raw consume (no decoding)       ${figures.raw_consume_eps} events/s  (better of two reads; the first ${figures.raw_consume_first_eps})`,
    `consume + Avro decode           ${figures.decode_eps} events/s  (${(decodeEps / rawEps).toFixed(2)} × raw)`,
    `metrics processor alone         ${figures.pipeline_eps} events/s  (ratio to raw consume ${figures.ratio}); ${windows} windows; CPU ${figures.pipeline_cpu_s} s, main thread ${figures.pipeline_main_thread_cpu_s} s`,
    `whole path to ClickHouse        ${figures.e2e_eps} events/s  (archive + processor + metrics loader)`,
    `  CPU during the whole path      ${figures.e2e_cpu_s} s, main thread ${figures.e2e_main_thread_cpu_s} s`,
    `  by thread name                 ${e2eByThread.map(([name, s]) => `${name} ${s.toFixed(1)}`).join(', ')}`,
    `peak RSS                        ${figures.rss_peak_mb} MB (JS heap at most ${figures.heap_peak_mb} MB)`,
    `event → queryable at ${RATE}/s    p50 ${figures.latency_p50_ms} ms, p90 ${figures.latency_p90_ms}, p99 ${figures.latency_p99_ms}, max ${figures.latency_max_ms} (${sent} events); main thread's event-loop delay p99 ${figures.latency_loop_delay_p99_ms} ms, max ${figures.latency_loop_delay_max_ms} ms; CPU ${figures.latency_cpu_s} s, main thread ${figures.latency_main_thread_cpu_s} s`,
    `analyst query, 1m windows       FINAL ${figures.query_final_ms} ms, argMax ${figures.query_argmax_ms} ms, no dedup ${figures.query_no_dedup_ms} ms`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (JSON_OUT) process.stdout.write(JSON.stringify(figures) + '\n');
}

await main();
