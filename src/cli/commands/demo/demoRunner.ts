// `pulse demo`: starts what is missing, generates the demo's workflows from sentences (generate
// commands), backfills days of their history through the executions topic, then plays a
// time-lapse of the last minutes up to now in which incidents happen, and prints what comes back
// from the pipeline: insights opening and resolving, the troubleshooting sessions it runs, a
// forecast, a generated workflow. The story is in src/core/demo/demoStory.ts; reactions to what
// the pipeline reports are in demoReactions.ts.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { PulseConfig } from '../../../config.ts';
import { rootLogger } from '../../../logger.ts';
import { DemoRuntime, RATE_LIMITED, TOKEN_EXPIRED, runtimeSteps } from '../../../core/demo/demoRuntime.ts';
import {
  demoStory,
  eventClock,
  historyRange,
  storyTime,
  type DemoIncident,
  type TimeLapse,
} from '../../../core/demo/demoStory.ts';
import { createCommandClient } from '../../../sdk/commandClient.ts';
import { request, type GeneratedDefinition, type Out } from './demoCommands.ts';
import { createExecutionPublisher } from '../../../sdk/executionPublisher.ts';
import { EXECUTIONS_TOPIC, topicName } from '../../../topology/topics.ts';
import { projectRoot } from '../../projectRoot.ts';
import { onShutdown } from '../runCommand.ts';
import { DemoReactions } from './demoReactions.ts';
import { DemoView, utcMinute } from './demoView.ts';

export interface DemoOptions {
  readonly durationMs: number | undefined;
  readonly seed: number;
  readonly keepStack: boolean;
  readonly days: number;
  readonly speed: number;
  readonly lagMinutes: number;
}

export async function runDemo(baseConfig: PulseConfig, options: DemoOptions): Promise<void> {
  const started = Date.now();
  const out: Out = (line) => {
    const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
    process.stdout.write(`[${s} s] ${line}\n`);
  };
  const tag = randomBytes(3).toString('hex');
  // A demo starts from empty topics and tables: history it backfills would be too late for
  // pipelines whose clocks an earlier run moved to now. An explicit prefix (tests) is kept.
  const fresh = baseConfig.PULSE_TOPIC_PREFIX === '';
  const config: PulseConfig = {
    ...baseConfig,
    ...(fresh
      ? {
          PULSE_TOPIC_PREFIX: `demo.${tag}.`,
          PULSE_CONSUMER_GROUP_PREFIX: `${baseConfig.PULSE_CONSUMER_GROUP_PREFIX}-demo-${tag}`,
          PULSE_CHDB_PATH: path.join(path.dirname(baseConfig.PULSE_CHDB_PATH), 'demo', tag),
        }
      : {}),
    // Event time runs behind the wall clock until the time-lapse has caught up: a partition must
    // not close its windows by the wall clock meanwhile (every partition gets runs each minute).
    PULSE_METRICS_IDLE_TIMEOUT_MS: 0,
    PULSE_TROUBLESHOOT_VERIFY_EVERY_MS: Math.min(baseConfig.PULSE_TROUBLESHOOT_VERIFY_EVERY_MS, 5000),
  };
  const story = demoStory();
  const tenants = new Set(story.workflows.map((w) => w.tenantId)).size;

  out('pulse demo: starting the stack (first run downloads Kafka and the registry, then caches them)…');
  const { stackUp, stackDown } = await import('../../../stack/localStack.ts');
  const { startPulseProcess } = await import('../../../pipeline/pulseProcess.ts');
  const services = await stackUp(config, projectRoot, rootLogger.child({ module: 'stack' }));
  const startedHere = services.some(
    (s) => s.startMs !== undefined && (s.name === 'kafka' || s.name === 'registry'),
  );
  for (const s of services) out(`  ${s.name.padEnd(10)} ${s.state.padEnd(8)} ${s.address}`);
  const running = await startPulseProcess(config, projectRoot, rootLogger);
  await running.ready;
  const store = running.store;
  if (store === undefined) throw new Error('the demo runs the loaders, so it owns ClickHouse');
  out(
    `pipeline running (topics ${config.PULSE_TOPIC_PREFIX || '(no prefix)'}*); API ${running.apiUrl} — try: bin/pulse query "SELECT count() FROM pulse.workflow_executions_v"`,
  );
  const view = new DemoView(store, store.target.database);
  const client = await createCommandClient({
    brokers: config.PULSE_KAFKA_BROKERS,
    registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
    topicPrefix: config.PULSE_TOPIC_PREFIX,
    logger: rootLogger.child({ module: 'demo' }),
  });
  const publisher = await createExecutionPublisher({
    brokers: config.PULSE_KAFKA_BROKERS,
    registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
    topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
  });

  // 1. The workflows, generated from sentences by the command processor.
  out(
    `generating ${String(story.workflows.length)} workflows for ${String(tenants)} tenants from sentences (generate commands)…`,
  );
  const runtime = new DemoRuntime({ seed: options.seed, runTag: tag });
  const definitions = await Promise.all(
    story.workflows.map(async (spec) => {
      const { body } = await request(client, {
        type: 'generate',
        tenantId: spec.tenantId,
        payload: {
          description: spec.description,
          strategy: 'hybrid',
          workflowId: spec.workflowId,
          selectedServices: [],
        },
      });
      const generated = body as { workflow?: GeneratedDefinition };
      if (generated.workflow === undefined)
        throw new Error(`generate gave no workflow for "${spec.description}"`);
      return { spec, definition: generated.workflow };
    }),
  );
  for (const { spec, definition } of definitions) {
    runtime.addWorkflow(spec, { version: 1, steps: runtimeSteps(definition.steps), slow: null });
  }
  const first = definitions[0];
  if (first !== undefined) {
    out(
      `  e.g. "${first.spec.description}" → ${first.definition.workflowId}: ${[first.definition.trigger.service, ...first.definition.steps.map((s) => s.service)].join(' → ')}`,
    );
  }

  // 2. History, through the same topic and stages as live events.
  const history = historyRange(Date.now(), options.days, options.lagMinutes * 60_000);
  out(
    `backfilling ${String(options.days)} days of history for ${String(tenants)} tenants (${String(story.workflows.length)} workflows, ${utcMinute(history.from)} ${new Date(history.from).toISOString().slice(0, 10)} → ${utcMinute(history.to)} UTC) so detectors have baselines…`,
  );
  const backfillStart = Date.now();
  runtime.startAt(history.from);
  let published = 0;
  const inFlight: Promise<unknown>[] = [];
  for (let t = history.from; t < history.to;) {
    t = Math.min(history.to, t + 20 * 60_000);
    const events = runtime.advance(t);
    if (events.length === 0) continue;
    inFlight.push(publisher.publish(events));
    published += events.length;
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const backfillSeconds = (Date.now() - backfillStart) / 1000;
  out(
    `backfill published ${published.toLocaleString('en-US')} events (${runtime.runsStarted.toLocaleString('en-US')} runs) in ${backfillSeconds.toFixed(1)} s (${Math.round(published / backfillSeconds).toLocaleString('en-US')} events/s); the pipeline digests them while the story starts`,
  );

  // 3. The time-lapse from the end of the history up to now, with the incidents.
  const lapse: TimeLapse = { startEventMs: history.to, startWallMs: Date.now(), speed: options.speed };
  const catchUpS = (lapse.startWallMs - lapse.startEventMs) / (options.speed - 1) / 1000;
  out(
    `live: replaying ${utcMinute(lapse.startEventMs)}–now at ${String(options.speed)}× event time (caught up with the clock in about ${catchUpS.toFixed(0)} s, then real time):`,
  );
  for (const incident of story.incidents) out(`  ${describeIncident(incident, lapse)}`);
  for (const incident of story.incidents) {
    if (incident.kind === 'slow_version') continue;
    runtime.addOutage({
      tenantId: incident.tenantId,
      service: incident.service,
      from: storyTime(lapse, incident.fromMin),
      to: storyTime(lapse, incident.toMin),
      share: incident.kind === 'rate_limit_storm' ? incident.failShare : 1,
      error:
        incident.kind === 'rate_limit_storm'
          ? RATE_LIMITED(incident.service)
          : TOKEN_EXPIRED(incident.service),
    });
  }
  const reactions = new DemoReactions({
    out,
    view,
    client,
    runtime,
    story,
    lapse,
    historyEnd: history.to,
    definitions: new Map<string, GeneratedDefinition>(
      definitions.map((d) => [d.spec.workflowId, d.definition]),
    ),
  });

  let stop = false;
  let livePublished = 0;
  const produce = async (): Promise<void> => {
    while (!stop) {
      const tick = Date.now();
      const now = eventClock(lapse, tick);
      await reactions.scheduled(now);
      const events = runtime.advance(now);
      if (events.length > 0) {
        await publisher.publish(events);
        livePublished += events.length;
      }
      const wait = 250 - (Date.now() - tick);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const producing = produce();
  let watching = true;
  const watch = async (): Promise<void> => {
    let lastStatus = 0;
    while (watching) {
      try {
        await reactions.poll();
        if (Date.now() - lastStatus >= 10_000) {
          lastStatus = Date.now();
          const s = await view.status();
          out(
            `status: event time ${utcMinute(runtime.clock ?? 0)} UTC; ${String(published + livePublished)} events published, ${s?.events ?? 0} in ClickHouse (${s?.runs ?? 0} runs, ${s?.failed ?? 0} failed); ${s?.windows ?? 0} metric windows, latest ${s?.last_window ?? 'none yet'}; insights ${s?.open ?? 0} open of ${s?.insights ?? 0}`,
          );
        }
      } catch (error) {
        rootLogger.warn('demo watcher round failed', { module: 'demo', error });
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const watching$ = watch();
  const durationMs = options.durationMs;
  await Promise.race([
    onShutdown(() => Promise.resolve()),
    ...(durationMs !== undefined
      ? [new Promise((r) => setTimeout(r, Math.max(0, started + durationMs - Date.now())))]
      : []),
  ]);
  stop = true;
  await producing;
  watching = false;
  await watching$;
  await reactions.settle();
  await publisher.close();
  await client.close();
  await running.stop();
  if (startedHere && !options.keepStack) {
    await stackDown(config, projectRoot);
    out('stopped the stack services this demo started (use --keep-stack to keep them)');
  }
  out('pulse demo: stopped cleanly');
}

function describeIncident(incident: DemoIncident, lapse: TimeLapse): string {
  const at = utcMinute(storyTime(lapse, incident.fromMin));
  const until = utcMinute(storyTime(lapse, incident.toMin));
  switch (incident.kind) {
    case 'rate_limit_storm':
      return `injecting a ${incident.service === 'slack' ? 'Slack' : incident.service} rate-limit storm at ${at}–${until} UTC (${incident.tenantId}: ${String(Math.round(incident.failShare * 100))}% of ${incident.service} calls answered 429, across its workflows)`;
    case 'token_expired':
      return `expiring ${incident.tenantId}'s ${incident.service} OAuth token at ${at} UTC (every ${incident.service} call fails auth until it is re-authorised at ${until})`;
    case 'slow_version':
      return `publishing a version of ${incident.workflowId} at ${at} UTC whose ${incident.service} step is ${String(incident.factor)}× slower (publish_version command)`;
  }
}
