// The process that runs Pulse's stages. Loaders write ClickHouse; in embedded mode chDB lets one
// process own the data path, so the loaders and the HTTP API (through which analysts query) run
// in the process that owns it. Processors only touch Kafka and Redis and may run anywhere, as
// many instances as there are input partitions (`pulse run --stages metrics-processor`).
import { createKafka, parseBrokers } from '../adapters/kafka/kafkaClient.ts';
import { applyTopics, type TopicChange } from '../adapters/kafka/topicAdmin.ts';
import { ClickHouseStore } from '../adapters/clickhouse/clickhouseStore.ts';
import { AnalystQueries } from '../adapters/clickhouse/analystQueries.ts';
import { DashboardReads } from '../adapters/clickhouse/dashboardReads.ts';
import { migrate } from '../adapters/clickhouse/migrations.ts';
import { RedisState } from '../adapters/redis/redisState.ts';
import { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { apiSecurityFrom, buildApi } from '../api/apiServer.ts';
import { startApiFront, type ApiFront } from '../api/apiFront.ts';
import type { PulseConfig } from '../config.ts';
import { NonRetriableError, PulseError, errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { archiveLoader } from '../../pipelines/archiveLoader.ts';
import { metricsLoader } from '../../pipelines/metricsLoader.ts';
import { metricsProcessor } from '../../pipelines/metricsProcessor.ts';
import { detectionProcessor } from '../../pipelines/detectionProcessor.ts';
import { insightsLoader } from '../../pipelines/insightsLoader.ts';
import { commandProcessor } from '../../pipelines/commandProcessor.ts';
import { commandResultsLoader } from '../../pipelines/commandResultsLoader.ts';
import { definitionsLoader } from '../../pipelines/definitionsLoader.ts';
import { serviceReliability } from '../adapters/clickhouse/serviceReliabilityQuery.ts';
import {
  runsSince,
  sessionsToVerify,
  troubleshootEvidence,
} from '../adapters/clickhouse/troubleshootEvidenceQuery.ts';
import { sessionsLoader } from '../../pipelines/sessionsLoader.ts';
import { optimizationsLoader } from '../../pipelines/optimizationsLoader.ts';
import { workflowHistory } from '../adapters/clickhouse/workflowHistoryQuery.ts';
import { createCommandClient, newCommandId, type CommandClient } from '../sdk/commandClient.ts';
import { registerTopicSchemas } from '../topology/schemaSetup.ts';
import { INSIGHTS_TOPIC, topicCatalog, topicName } from '../topology/topics.ts';
import type { LoaderDefinition } from './loaderDefinition.ts';
import type { ProcessorDefinition } from './processorDefinition.ts';
import { startLoader } from './loaderRunner.ts';
import { startProcessor } from './processorRunner.ts';
import { replayTable, type ReplayResult } from './replay.ts';
import { StageMetrics } from './stageMetrics.ts';
import { STAGES, type StageName } from './stages.ts';
import { startStageThread } from './stageThread.ts';

/** Stages that run on their own thread: CPU-bound, touching only Kafka and Redis. */
const THREADED_STAGES: readonly StageName[] = ['metrics-processor', 'detection-processor'];

export { STAGES, parseStages, type StageName } from './stages.ts';

export interface StageHandle {
  readonly metrics: StageMetrics;
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export interface PulseProcess {
  readonly apiUrl: string;
  /** the writer session; undefined when this process runs no loader */
  readonly store: ClickHouseStore | undefined;
  readonly stages: ReadonlyMap<StageName, StageHandle>;
  /** resolves once every stage has joined its consumer group */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export async function applyAllTopics(config: PulseConfig, log: Logger): Promise<TopicChange[]> {
  const kafka = createKafka(
    { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: 'pulse-admin' },
    log,
  );
  const specs = topicCatalog.map((t) => ({ ...t, fullName: topicName(config.PULSE_TOPIC_PREFIX, t.name) }));
  // Right after a broker (re)start its partitions are still loading and metadata calls fail with
  // retriable errors for a few seconds: wait for it rather than fail the start-up.
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyTopics(kafka, specs);
    } catch (error) {
      if (!(error instanceof PulseError) || !error.retriable || attempt >= 30) throw error;
      log.warn('applying topics failed, retrying', {
        module: 'process',
        attempt,
        error: errorMessage(error),
      });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export async function startPulseProcess(
  config: PulseConfig,
  projectRoot: string,
  log: Logger,
  options: {
    api?: boolean;
    stages?: readonly StageName[];
    /** already on a stage thread: run every stage here */
    inThread?: boolean;
  } = {},
): Promise<PulseProcess> {
  const stages = new Set(options.stages ?? STAGES);
  // The processors may get a thread of their own (see stageThread.ts, PULSE_PROCESSOR_THREAD); they
  // share nothing in memory with the other stages, only Kafka topics.
  const threaded =
    options.inThread === true || config.PULSE_PROCESSOR_THREAD === 'off'
      ? []
      : THREADED_STAGES.filter((s) => stages.has(s));
  for (const s of threaded) stages.delete(s);
  const prefix = config.PULSE_TOPIC_PREFIX;
  const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
  await applyAllTopics(config, log);
  const schemaIds = new Map(
    (await registerTopicSchemas(registry, projectRoot, prefix)).map((s) => [s.subject, s.id]),
  );

  const needsClickHouse =
    stages.has('archive-loader') ||
    stages.has('metrics-loader') ||
    stages.has('insights-loader') ||
    stages.has('definitions-loader') ||
    stages.has('command-results-loader') ||
    stages.has('sessions-loader') ||
    stages.has('optimizations-loader') ||
    // generation reads live service reliability
    stages.has('command-processor') ||
    options.api !== false;
  const store = needsClickHouse ? await ClickHouseStore.open(config, projectRoot) : undefined;
  const reader = needsClickHouse
    ? await ClickHouseStore.open(config, projectRoot, { readOnly: true })
    : undefined;
  if (store !== undefined) {
    const migration = await migrate(store, projectRoot);
    if (migration.applied.length > 0)
      log.info('migrations applied', { module: 'process', applied: migration.applied });
  }
  // Asked once: /health answers from memory, so a busy engine cannot slow it down.
  const clickhouseVersion = store === undefined ? null : await store.version();
  const queries =
    options.api === false || reader === undefined ? undefined : AnalystQueries.open(config, projectRoot);

  const state = new RedisState(config.PULSE_REDIS_URL, `pulse:${prefix || 'default'}`);
  const kafka = createKafka(
    { brokers: parseBrokers(config.PULSE_KAFKA_BROKERS), clientId: `pulse-${process.pid}` },
    log,
  );
  const handles = new Map<StageName, StageHandle>(
    threaded.length === 0 ? [] : startStageThread(config, projectRoot, threaded, log),
  );
  const group = (name: string): string => `${config.PULSE_CONSUMER_GROUP_PREFIX}.${name}`;

  const startLoaderStage = async <Row>(definition: LoaderDefinition<Row>): Promise<StageHandle> => {
    if (store === undefined) throw new NonRetriableError('loaders need ClickHouse');
    return startLoader({
      kafka,
      registry,
      store,
      definition,
      metrics: new StageMetrics(definition.name),
      log,
      options: {
        groupId: group(definition.name),
        inputTopic: topicName(prefix, definition.input),
        deadLetterTopic: topicName(prefix, definition.deadLetters),
        batchMax: config.PULSE_LOADER_BATCH_MAX,
        flushMs: config.PULSE_LOADER_FLUSH_MS,
        sessionTimeoutMs: config.PULSE_CONSUMER_SESSION_TIMEOUT_MS,
      },
    });
  };

  const startProcessorStage = async <State, In, Out>(
    definition: ProcessorDefinition<State, In, Out>,
  ): Promise<StageHandle> => {
    const outputs = new Map<string, { topic: string; schemaId: number }>();
    for (const base of [definition.output, ...(definition.extraOutputs ?? [])]) {
      const topic = topicName(prefix, base);
      const schemaId = schemaIds.get(`${topic}-value`);
      if (schemaId === undefined) throw new NonRetriableError(`no schema registered for ${topic}`);
      outputs.set(base, { topic, schemaId });
    }
    return startProcessor({
      kafka,
      registry,
      state,
      definition,
      metrics: new StageMetrics(definition.name),
      log,
      options: {
        groupId: group(definition.name),
        inputTopic: topicName(prefix, definition.input),
        outputs,
        ...(definition.deadLetters === undefined
          ? {}
          : { deadLetterTopic: topicName(prefix, definition.deadLetters) }),
        sessionTimeoutMs: config.PULSE_CONSUMER_SESSION_TIMEOUT_MS,
        snapshotEveryBatches: 50,
        snapshotEveryMs: config.PULSE_SNAPSHOT_EVERY_MS,
        tickMs: definition.tick === null ? 0 : 1000,
      },
    });
  };

  if (stages.has('archive-loader')) handles.set('archive-loader', await startLoaderStage(archiveLoader));
  if (stages.has('metrics-loader')) handles.set('metrics-loader', await startLoaderStage(metricsLoader));
  if (stages.has('insights-loader')) handles.set('insights-loader', await startLoaderStage(insightsLoader));
  if (stages.has('metrics-processor')) {
    handles.set(
      'metrics-processor',
      await startProcessorStage(
        metricsProcessor({
          allowedLatenessMs: config.PULSE_METRICS_ALLOWED_LATENESS_MS,
          idleTimeoutMs:
            config.PULSE_METRICS_IDLE_TIMEOUT_MS === 0 ? null : config.PULSE_METRICS_IDLE_TIMEOUT_MS,
          correctionHorizonMs: config.PULSE_METRICS_CORRECTION_HORIZON_MS,
          emitEveryMs: config.PULSE_METRICS_EMIT_EVERY_MS,
        }),
      ),
    );
  }
  if (stages.has('detection-processor')) {
    handles.set('detection-processor', await startProcessorStage(detectionProcessor()));
  }
  if (stages.has('definitions-loader'))
    handles.set('definitions-loader', await startLoaderStage(definitionsLoader));
  if (stages.has('command-results-loader'))
    handles.set('command-results-loader', await startLoaderStage(commandResultsLoader));
  if (stages.has('command-processor')) {
    if (reader === undefined) throw new NonRetriableError('the command processor needs ClickHouse');
    const definition = commandProcessor({
      reliabilityOf: (tenantId, now) => serviceReliability(reader, config.CLICKHOUSE_DATABASE, tenantId, now),
      evidenceOf: (tenantId, workflowId, now) =>
        troubleshootEvidence(reader, config.CLICKHOUSE_DATABASE, tenantId, workflowId, now),
      historyOf: (tenantId, workflowId, now) =>
        workflowHistory(reader, config.CLICKHOUSE_DATABASE, tenantId, workflowId, now),
      verifyWindowMs: config.PULSE_TROUBLESHOOT_VERIFY_WINDOW_MS,
    });
    handles.set('command-processor', await startProcessorStage(definition));
  }
  if (stages.has('sessions-loader')) handles.set('sessions-loader', await startLoaderStage(sessionsLoader));
  if (stages.has('optimizations-loader'))
    handles.set('optimizations-loader', await startLoaderStage(optimizationsLoader));

  // The verifier: for every session whose fix is being watched, reports the runs of the fixed
  // version so far as a verify_resolution command; the command processor gives the verdict. One
  // command id per session and period, so a verifier restarted within a period repeats nothing.
  const verifies = stages.has('command-processor') && stages.has('sessions-loader') && reader !== undefined;
  // Connected on first use (joining its consumer group takes seconds): a process whose API gets
  // no engine request and that verifies nothing never pays for it. A failed connect is retried
  // by the next use.
  let commandClient: Promise<CommandClient> | undefined;
  const commands = (): Promise<CommandClient> =>
    (commandClient ??= createCommandClient({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topicPrefix: prefix,
      logger: log,
    }).catch((error: unknown) => {
      commandClient = undefined;
      throw error;
    }));
  let verifier: { timer: NodeJS.Timeout } | undefined;
  if (verifies) {
    const every = config.PULSE_TROUBLESHOOT_VERIFY_EVERY_MS;
    let busy = false;
    const check = async (): Promise<void> => {
      const db = config.CLICKHOUSE_DATABASE;
      const period = Math.floor(Date.now() / every);
      const sessions = await sessionsToVerify(reader, db);
      if (sessions.length === 0) return;
      const client = await commands();
      for (const s of sessions) {
        const seen = await runsSince(reader, db, s.tenantId, s.workflowId, s.appliedVersion, s.publishedAt);
        await client.send({
          commandId: `${s.sessionId}/verify/${String(period)}`,
          type: 'verify_resolution',
          tenantId: s.tenantId,
          userId: 'pulse-verifier',
          issuedAt: Date.now(),
          payload: { sessionId: s.sessionId, workflowId: s.workflowId, ...seen },
        });
      }
    };
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      check()
        .catch((error: unknown) => {
          log.warn('verification round failed; next round retries', { module: 'verifier', error });
        })
        .finally(() => {
          busy = false;
        });
    }, every);
    verifier = { timer };
  }

  const health = async (): Promise<Record<string, unknown>> => {
    const stageStatus = [...handles.values()].map((h) => h.metrics.status());
    // Redis answers in well under a millisecond; one that does not is reported, not awaited.
    const redis = await Promise.race([
      state.ping(),
      new Promise<string>((r) =>
        setTimeout(() => {
          r('no answer within 50 ms');
        }, 50).unref(),
      ),
    ]);
    return {
      status: stageStatus.every((s) => s.state === 'running') ? 'ok' : 'starting',
      clickhouse: store === undefined ? null : { mode: store.target.mode, version: clickhouseVersion },
      stages: stageStatus,
      notRunning: STAGES.filter((name) => !handles.has(name)),
      redis,
      queries: queries === undefined ? null : { ...queries.limits, cancelled: queries.cancelled },
    };
  };

  let apiUrl = '';
  let front: ApiFront | undefined;
  const api =
    queries === undefined || reader === undefined
      ? undefined
      : buildApi({
          reader,
          queries,
          dashboard: new DashboardReads(reader),
          security: apiSecurityFrom(config),
          insightStream: {
            brokers: parseBrokers(config.PULSE_KAFKA_BROKERS),
            registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
            topic: topicName(prefix, INSIGHTS_TOPIC),
            log,
            groupPrefix: config.PULSE_CONSUMER_GROUP_PREFIX,
          },
          metrics: () => [...handles.values()].map((h) => h.metrics),
          health,
          log,
          commands: {
            request: async (command, timeoutMs) => (await commands()).request(command, timeoutMs),
            newCommandId,
            timeoutMs: config.PULSE_API_COMMAND_TIMEOUT_MS,
          },
          replay:
            store === undefined
              ? undefined
              : (request): Promise<ReplayResult> => {
                  // Loaders have different row types; replay treats rows opaquely.
                  const [definition, timeColumn]: [LoaderDefinition<unknown>, string] = {
                    workflow_metrics_1m: [metricsLoader, 'window_start'],
                    workflow_executions: [archiveLoader, 'occurred_at'],
                    performance_insights: [insightsLoader, 'opened_at'],
                    workflow_definition_events: [definitionsLoader, 'occurred_at'],
                    command_results: [commandResultsLoader, 'issued_at'],
                    troubleshooting_sessions: [sessionsLoader, 'start_time'],
                    enhanced_workflow_optimization: [optimizationsLoader, 'created_at'],
                  }[request.table] as [LoaderDefinition<unknown>, string];
                  return replayTable({
                    kafka,
                    registry,
                    store,
                    definition,
                    log,
                    options: {
                      topic: topicName(prefix, definition.input),
                      deadLetterTopic: topicName(prefix, definition.deadLetters),
                      groupPrefix: config.PULSE_CONSUMER_GROUP_PREFIX,
                      ...(request.from !== undefined ? { fromTimestamp: Date.parse(request.from) } : {}),
                      timeColumn,
                      loadTimeColumn: definition === archiveLoader ? 'ingested_at' : 'loaded_at',
                      sessionTimeoutMs: config.PULSE_CONSUMER_SESSION_TIMEOUT_MS,
                    },
                  });
                },
        });
  if (api !== undefined) {
    // The app listens privately; the front thread owns the public port (see apiFront.ts).
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    const upstreamPort = typeof address === 'object' && address !== null ? address.port : 0;
    front = await startApiFront(
      { host: config.PULSE_API_HOST, port: config.PULSE_API_PORT, upstreamPort },
      health,
      log,
    );
    apiUrl = front.url;
    log.info('api listening', { module: 'process', url: apiUrl });
  }

  return {
    apiUrl,
    store,
    stages: handles,
    ready: Promise.all([...handles.values()].map((h) => h.ready)).then(() => undefined),
    async stop() {
      if (verifier !== undefined) clearInterval(verifier.timer);
      await front?.close();
      await api?.close();
      await commandClient?.then((c) => c.close()).catch(() => undefined);
      await Promise.all([...handles.values()].map((h) => h.stop()));
      await state.close();
      await queries?.close();
      await reader?.close();
      await store?.close();
    },
  };
}
