// `npm run bench:memory`: the whole path as operators run it, `pulse run` in a process of its own,
// so that its memory is the pipeline's alone. (`npm run bench` runs every phase, its own producers
// and consumers included, in one process: its `rss_peak_mb` counts the bench as well.)
//
//   1. N events go to a fresh topic inside one open Kafka transaction;
//   2. `pulse run --no-api` starts with that topic prefix; once it logs that every stage joined,
//      the transaction commits and the clock starts;
//   3. done when the archive loader and the metrics processor have committed the whole input and
//      the metrics loader the whole metrics topic.
// Prints the child's peak RSS (VmHWM), its CPU and the events/s of step 3; `--json` adds one line.
//
// Usage: npm run bench:memory -- [--events 1000000] [--json]
//        (NODE_OPTIONS for the child, e.g. --max-old-space-size=600, pass through the environment)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, parseBrokers } from '../adapters/kafka/kafkaClient.ts';
import { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { parseConfig } from '../config.ts';
import { createLogger, setLogLevel } from '../logger.ts';
import { applyAllTopics } from '../pipeline/pulseProcess.ts';
import { stackUp } from '../stack/localStack.ts';
import { EXECUTIONS_TOPIC, METRICS_TOPIC, topicName } from '../topology/topics.ts';
import { groupCommitted, metricsPathCommitted, preloadHeld, topicEnd, until } from './benchEvents.ts';
import { benchConfig, flag } from './benchSupport.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const N = flag('events', 1_000_000);
const JSON_OUT = process.argv.includes('--json');

/** Resident set (VmRSS) and its peak (VmHWM) of a process, in MB, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system, every thread) a process has used, from /proc (100 ticks/s). */
function cpuSecondsOf(pid: number): number {
  const fields =
    readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
      .split(') ')[1]
      ?.split(' ') ?? [];
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}

async function main(): Promise<void> {
  const base = parseConfig(process.env);
  setLogLevel('warn');
  const log = createLogger({ bench: 'memory' });
  await stackUp(base, root, log);
  const id = randomBytes(4).toString('hex');
  const config = benchConfig(base, id, 'mem');
  const kafka = createKafka({ brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'bench' }, log);
  const admin = kafka.admin();
  await admin.connect();
  await applyAllTopics(config, log);
  const input = topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC);
  const metricsTopic = topicName(config.PULSE_TOPIC_PREFIX, METRICS_TOPIC);
  const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
  const schemaId = await registry.register(
    `${input}-value`,
    readFileSync(path.join(root, 'schemas/workflow.executions.v1.avsc'), 'utf8'),
  );
  const type = await registry.typeOf(schemaId);
  process.stderr.write(`1/3 preloading ${String(N)} events in one open transaction\n`);
  const held = await preloadHeld(
    N,
    kafka,
    input,
    (e) => registry.encodeKnown(schemaId, type, e),
    Date.now() - Math.ceil(N * 0.8) - 2 * 60_000,
  );

  process.stderr.write('2/3 starting `pulse run --no-api`\n');
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const [key, value] of Object.entries(config) as [string, string | number | boolean | undefined][]) {
    if (value !== undefined && /^(PULSE_|CLICKHOUSE_)/.test(key)) env[key] = String(value);
  }
  env.PULSE_LOG_LEVEL = 'info';
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      '--disable-warning=TimeoutNegativeWarning',
      path.join(root, 'src/cli/main.ts'),
      'run',
      '--no-api',
      '--no-stack',
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('bench: could not start pulse run');
  let exited = false;
  child.once('exit', () => (exited = true));
  const running = new Promise<void>((resolve) => {
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        if (chunk.toString('utf8').includes('"msg":"pipeline running"')) resolve();
      });
    }
  });
  await Promise.race([
    running,
    until(() => Promise.resolve(exited), 300_000, 'pulse run to start').then(() => {
      throw new Error('bench: pulse run exited before every stage joined');
    }),
  ]);

  const groups = config.PULSE_CONSUMER_GROUP_PREFIX;
  // Nothing may have been loaded before the clock starts (a run that saw its input early would
  // report an impossible rate).
  if ((await groupCommitted(admin, `${groups}.archive-loader`, input)) > 0n) {
    throw new Error('bench: the archive loader committed input before the transaction did');
  }
  await held.commit();
  const started = performance.now();
  const cpuAtStart = cpuSecondsOf(pid);
  let rssMax = 0;
  const sampler = setInterval(() => {
    if (!exited) rssMax = Math.max(rssMax, memoryOf(pid).rss);
  }, 100);
  process.stderr.write('3/3 whole path: archive loader, metrics processor, metrics loader\n');
  // Right after the commit the end offsets can still read low: wait until they count the input.
  await until(async () => (await topicEnd(admin, input)) >= BigInt(N), 30_000, 'the input end offsets');
  const end = await topicEnd(admin, input);
  await until(
    async () => {
      if (exited) throw new Error('bench: pulse run exited during the run');
      if ((await groupCommitted(admin, `${groups}.archive-loader`, input)) < end) return false;
      return metricsPathCommitted(admin, groups, input, end, metricsTopic);
    },
    900_000,
    'the whole path',
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const memory = memoryOf(pid);
  const figures = {
    events: N,
    e2e_eps: Math.round(N / seconds),
    pipeline_cpu_s: Number((cpuSecondsOf(pid) - cpuAtStart).toFixed(1)),
    // VmHWM covers the process's whole life, start-up included; the sampled maximum only the run.
    pipeline_rss_peak_mb: Math.round(memory.peak),
    pipeline_rss_max_during_run_mb: Math.round(Math.max(rssMax, memory.rss)),
    node_options: process.env.NODE_OPTIONS ?? '',
  };
  child.kill('SIGTERM');
  await until(() => Promise.resolve(exited), 60_000, 'pulse run to stop');
  await admin.disconnect();
  rmSync(path.join(root, config.PULSE_CHDB_PATH), { recursive: true, force: true });
  process.stdout.write(
    [
      `events                          ${String(N)}`,
      `whole path, pulse run alone     ${String(figures.e2e_eps)} events/s, ${String(figures.pipeline_cpu_s)} s of CPU`,
      `peak RSS of pulse run           ${String(figures.pipeline_rss_peak_mb)} MB (VmHWM; ${String(figures.pipeline_rss_max_during_run_mb)} MB sampled during the run)`,
      '',
    ].join('\n'),
  );
  if (JSON_OUT) process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
