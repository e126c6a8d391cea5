// The process that runs Pulse's stages. In embedded mode it owns the chDB data path, so the
// loaders and the HTTP API (through which analysts query) run here.
import { createKafka, parseBrokers } from '../adapters/kafka/kafkaClient.ts';
import { applyTopics, type TopicChange } from '../adapters/kafka/topicAdmin.ts';
import { ClickHouseStore } from '../adapters/clickhouse/clickhouseStore.ts';
import { migrate } from '../adapters/clickhouse/migrations.ts';
import { RedisState } from '../adapters/redis/redisState.ts';
import { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { buildApi } from '../api/apiServer.ts';
import type { PulseConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { archiveLoader } from '../../pipelines/archiveLoader.ts';
import { registerTopicSchemas } from '../topology/schemaSetup.ts';
import { topicCatalog, topicName } from '../topology/topics.ts';
import { startLoader, type LoaderHandle } from './loaderRunner.ts';
import { StageMetrics } from './stageMetrics.ts';

export interface PulseProcess {
  readonly apiUrl: string;
  readonly store: ClickHouseStore;
  readonly loaders: readonly LoaderHandle[];
  /** resolves once every stage has joined its consumer group */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export async function applyAllTopics(config: PulseConfig, log: Logger): Promise<TopicChange[]> {
  const kafka = createKafka(
    { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'pulse-admin' },
    log,
  );
  return applyTopics(
    kafka,
    topicCatalog.map((t) => ({ ...t, fullName: topicName(config.PULSE_TOPIC_PREFIX, t.name) })),
  );
}

export async function startPulseProcess(
  config: PulseConfig,
  projectRoot: string,
  log: Logger,
  options: { api?: boolean } = {},
): Promise<PulseProcess> {
  const prefix = config.PULSE_TOPIC_PREFIX;
  const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
  await applyAllTopics(config, log);
  await registerTopicSchemas(registry, projectRoot, prefix);

  const store = await ClickHouseStore.open(config, projectRoot);
  const reader = await ClickHouseStore.open(config, projectRoot, { readOnly: true });
  const migration = await migrate(store, projectRoot);
  if (migration.applied.length > 0)
    log.info('migrations applied', { module: 'process', applied: migration.applied });

  const state = new RedisState(config.PULSE_REDIS_URL, `pulse:${prefix || 'default'}`);
  const kafka = createKafka(
    { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: `pulse-${process.pid}` },
    log,
  );
  const archiveMetrics = new StageMetrics(archiveLoader.name);
  const archive = await startLoader({
    kafka,
    registry,
    store,
    state,
    definition: archiveLoader,
    metrics: archiveMetrics,
    log,
    options: {
      groupId: `${config.PULSE_CONSUMER_GROUP_PREFIX}.${archiveLoader.name}`,
      inputTopic: topicName(prefix, archiveLoader.input),
      deadLetterTopic: topicName(prefix, archiveLoader.deadLetters),
      batchMax: config.PULSE_LOADER_BATCH_MAX,
      flushMs: config.PULSE_LOADER_FLUSH_MS,
      sessionTimeoutMs: config.PULSE_CONSUMER_SESSION_TIMEOUT_MS,
    },
  });
  const loaders = [archive];

  let apiUrl = '';
  const api =
    options.api === false
      ? undefined
      : buildApi({
          reader,
          metrics: () => loaders.map((l) => l.metrics),
          health: async () => ({
            status: 'ok',
            clickhouse: { mode: store.target.mode, version: await store.version() },
            redis: await state.ping(),
            stages: loaders.map((l) => l.metrics.stage),
          }),
          log,
        });
  if (api !== undefined) {
    apiUrl = await api.listen({ host: config.PULSE_API_HOST, port: config.PULSE_API_PORT });
    log.info('api listening', { module: 'process', url: apiUrl });
  }

  return {
    apiUrl,
    store,
    loaders,
    ready: Promise.all(loaders.map((l) => l.ready)).then(() => undefined),
    async stop() {
      await api?.close();
      await Promise.all(loaders.map((l) => l.stop()));
      await state.close();
      await reader.close();
      await store.close();
    },
  };
}
