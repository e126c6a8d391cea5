// `npm run bench:clients`: the Kafka read alone, kafkajs against the maintained alternatives, on
// one preloaded topic in one process, alternating rounds so that warm-up and machine noise fall on
// every client alike. The question it answers (#10): is the Kafka client the ceiling of the
// processor, and would another client raise it? Each client reads every record of the topic from
// the start in a fresh group, with no decoding, as the pipeline bench's raw consume does.
//
//   kafkajs              eachBatch, 6 partitions concurrently, 64 MB fetches (as pipelineBench),
//                        with Pulse's record decoder (src/adapters/kafka/recordDecoder.ts) as the
//                        pipeline runs it
//   @platformatic/kafka  its consumer stream, one 'data' event per record, 64 MB fetches
//   @confluentinc/kafka-javascript (librdkafka), only when installed: it needs a prebuilt binary
//                        from GitHub or a build that downloads zlib, OpenSSL and zstd sources
//
// Usage: npm run bench:clients -- [--events 1000000] [--rounds 3] [--json]
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Consumer as PlatformaticConsumer } from '@platformatic/kafka';
import { createKafka, parseBrokers } from '../adapters/kafka/kafkaClient.ts';
import { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { parseConfig } from '../config.ts';
import { createLogger, setLogLevel } from '../logger.ts';
import { applyAllTopics } from '../pipeline/pulseProcess.ts';
import { stackUp } from '../stack/localStack.ts';
import { EXECUTIONS_TOPIC, topicName } from '../topology/topics.ts';
import { consumeAll, sendAll } from './benchEvents.ts';
import { benchConfig, flag, quantile } from './benchSupport.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const N = flag('events', 1_000_000);
const ROUNDS = flag('rounds', 3);
const JSON_OUT = process.argv.includes('--json');
const FETCH_BYTES = 64 * 1024 * 1024;

/** One full read: records/s from the moment the group is joined. */
type Reader = (topic: string) => Promise<number>;

/** @platformatic/kafka: its stream in flowing mode; the clock starts once consume() has joined. */
function platformaticReader(brokers: string[]): Reader {
  return async (topic) => {
    const consumer = new PlatformaticConsumer({
      groupId: `bench-read-${randomBytes(4).toString('hex')}`,
      clientId: 'bench-clients',
      bootstrapBrokers: brokers,
      autocommit: false,
      maxBytes: FETCH_BYTES,
      maxBytesPerPartition: FETCH_BYTES / 4,
      maxWaitTime: 200,
    });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    const started = performance.now();
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      stream.on('data', () => {
        if (++seen === N) resolve();
      });
      stream.on('error', reject);
    });
    const seconds = (performance.now() - started) / 1000;
    await stream.close();
    await consumer.close(true);
    return N / seconds;
  };
}

async function main(): Promise<void> {
  setLogLevel('warn');
  const log = createLogger({ module: 'bench' });
  const base = parseConfig(process.env);
  await stackUp(base, root, log);
  const config = benchConfig(base, randomBytes(3).toString('hex'), 'clients');
  const brokers = parseBrokers(config.PULSE_KAFKA_BROKERS);
  const kafka = createKafka({ brokers, clientId: 'bench-clients' }, log);
  const topic = topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC);
  await applyAllTopics(config, log);
  const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
  const schemaId = await registry.register(
    `${topic}-value`,
    readFileSync(path.join(root, 'schemas/workflow.executions.v1.avsc'), 'utf8'),
  );
  const type = await registry.typeOf(schemaId);
  process.stderr.write(`preload ${N} events\n`);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await sendAll(
    N,
    (record) => producer.send({ ...record, acks: 1 }),
    topic,
    (e) => registry.encodeKnown(schemaId, type, e),
    Date.now() - 3600_000,
  );
  await producer.disconnect();

  const readers = new Map<string, Reader>([
    ['kafkajs', (t) => consumeAll(kafka, t, N, null)],
    ['@platformatic/kafka', platformaticReader(brokers)],
  ]);
  // Not a dependency (it cannot be installed here): looked up by name at run time.
  const confluentPackage = '@confluentinc/kafka-javascript';
  const confluent = await import(confluentPackage).then(
    () => true,
    () => false,
  );
  if (confluent)
    process.stderr.write('@confluentinc/kafka-javascript is installed but has no reader here yet\n');
  else process.stderr.write('@confluentinc/kafka-javascript: not installed (see the header)\n');

  const runs = new Map<string, { eps: number; mainCpuS: number }[]>([...readers.keys()].map((k) => [k, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, read] of readers) {
      const cpu = process.threadCpuUsage();
      const eps = await read(topic);
      const used = process.threadCpuUsage(cpu);
      const mainCpuS = (used.user + used.system) / 1e6;
      runs.get(name)?.push({ eps, mainCpuS });
      process.stderr.write(
        `round ${round}  ${name.padEnd(20)} ${Math.round(eps)} records/s, main thread ${mainCpuS.toFixed(2)} s\n`,
      );
    }
  }

  // The first round warms each client's code up: the summary is of the later ones when there are.
  const summary = [...runs].map(([client, all]) => {
    const warm = all.length > 1 ? all.slice(1) : all;
    const eps = warm.map((r) => r.eps).sort((a, b) => a - b);
    const cpu = warm.map((r) => r.mainCpuS).sort((a, b) => a - b);
    return {
      client,
      median_eps: Math.round(quantile(eps, 0.5)),
      best_eps: Math.round(eps.at(-1) ?? NaN),
      main_cpu_us_per_record: Number(((quantile(cpu, 0.5) * 1e6) / N).toFixed(2)),
    };
  });
  const baseline = summary[0]?.median_eps ?? NaN;
  process.stderr.write(
    '\nclient                median records/s   best   main-thread µs/record   ratio to kafkajs\n',
  );
  for (const s of summary) {
    process.stderr.write(
      `${s.client.padEnd(21)} ${String(s.median_eps).padStart(16)} ${String(s.best_eps).padStart(8)} ${String(s.main_cpu_us_per_record).padStart(23)} ${(s.median_eps / baseline).toFixed(2).padStart(18)}\n`,
    );
  }
  if (JSON_OUT)
    process.stdout.write(
      JSON.stringify({
        events: N,
        rounds: ROUNDS,
        clients: summary.map((s) => ({ ...s, ratio: Number((s.median_eps / baseline).toFixed(3)) })),
      }) + '\n',
    );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
