import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { rootLogger, setLogLevel } from '../../logger.ts';
import { projectRoot } from '../projectRoot.ts';
import { onShutdown } from './runCommand.ts';
import { renderTable } from './queryCommand.ts';

interface DemoOptions {
  rate: string;
  duration?: string;
  seed: string;
  keepStack: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Start what is missing (stack, migrations, topics, pipeline), simulate a workflow runtime and show live counts from ClickHouse until Ctrl-C',
    )
    .option('--rate <eventsPerSecond>', 'target events per second', '300')
    .option('--duration <seconds>', 'stop by itself after this many seconds')
    .option('--seed <n>', 'simulation seed', '7')
    .option('--keep-stack', 'leave Kafka and the registry running afterwards', false)
    .action(async (opts: DemoOptions) => {
      const config = loadConfig();
      setLogLevel(config.PULSE_LOG_LEVEL === 'info' ? 'warn' : config.PULSE_LOG_LEVEL);
      const rate = Number(opts.rate);
      if (!Number.isFinite(rate) || rate <= 0)
        throw new Error(`--rate must be a positive number, got ${opts.rate}`);
      const { stackUp, stackDown } = await import('../../stack/localStack.ts');
      const { startPulseProcess } = await import('../../pipeline/pulseProcess.ts');
      const { createExecutionPublisher } = await import('../../sdk/executionPublisher.ts');
      const { simulateWorkflows, simulateExecution } = await import('../../core/demo/executionSimulator.ts');
      const { seededRandom } = await import('../../core/seededRandom.ts');
      const { EXECUTIONS_TOPIC, topicName } = await import('../../topology/topics.ts');
      const out = (line: string): void => void process.stdout.write(line + '\n');

      out('pulse demo: starting the stack (first run downloads Kafka and the registry, then caches them)…');
      const services = await stackUp(config, projectRoot, rootLogger.child({ module: 'stack' }));
      const startedHere = services.some(
        (s) => s.startMs !== undefined && (s.name === 'kafka' || s.name === 'registry'),
      );
      for (const s of services) out(`  ${s.name.padEnd(10)} ${s.state.padEnd(8)} ${s.address}`);
      const running = await startPulseProcess(config, projectRoot, rootLogger);
      await running.ready;
      out(
        `pipeline running; API ${running.apiUrl} (try: bin/pulse query "SELECT count() FROM pulse.workflow_executions_v")`,
      );

      const publisher = await createExecutionPublisher({
        brokers: config.PULSE_KAFKA_BROKERS,
        registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
        topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
      });
      const seed = Number(opts.seed);
      const workflows = simulateWorkflows({ tenants: 5, workflows: 50, seed });
      const totalWeight = workflows.reduce((n, w) => n + w.weight, 0);
      const random = seededRandom(seed + 1);
      const runTag = Date.now().toString(36);
      let published = 0;
      let runs = 0;
      let stop = false;
      const started = Date.now();

      const produce = async (): Promise<void> => {
        while (!stop) {
          const tickStart = Date.now();
          const target = rate / 4; // four ticks a second
          const batch = [];
          while (batch.length < target) {
            let r = random() * totalWeight;
            const workflow = workflows.find((w) => (r -= w.weight) <= 0) ?? workflows[0];
            if (workflow === undefined) break;
            const events = simulateExecution(workflow, `run-${runTag}-${runs++}`, 0, random);
            // Place the run so that its last event happens now: event time never runs ahead of the clock.
            const shift = Date.now() - (events.at(-1)?.occurredAt ?? 0);
            for (const e of events) batch.push({ ...e, occurredAt: e.occurredAt + shift });
          }
          await publisher.publish(batch);
          published += batch.length;
          const wait = 250 - (Date.now() - tickStart);
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      };

      const store = running.store;
      if (store === undefined) throw new Error('the demo runs the loaders, so it owns ClickHouse');
      const db = store.target.database;
      const countEvents = async (): Promise<number> => {
        const [row] = await store.query<{ n: string }>(
          `SELECT count() AS n FROM ${db}.workflow_executions_v`,
        );
        return Number(row?.n ?? 0);
      };
      const before = await countEvents();
      const summarise = async (): Promise<void> => {
        const [totals] = await store.query<{ events: string; runs: string; failed: string }>(
          `SELECT count() AS events, uniqExact(execution_id) AS runs, countIf(event_type = 'WORKFLOW_FAILED') AS failed FROM ${db}.workflow_executions_v`,
        );
        const perService = await store.query<Record<string, unknown>>(
          `SELECT service, countIf(event_type = 'STEP_COMPLETED') AS completed, countIf(event_type = 'STEP_FAILED') AS failed,
                  countIf(event_type = 'STEP_RETRIED') AS retried, round(quantileIf(0.95)(duration_ms, event_type = 'STEP_COMPLETED')) AS p95_ms,
                  topKIf(1)(error_class, event_type = 'STEP_FAILED')[1] AS top_error
           FROM ${db}.workflow_executions_v WHERE service IS NOT NULL GROUP BY service ORDER BY completed + failed DESC LIMIT 12`,
        );
        const [windows] = await store.query<{ n: string; corrected: string; last: string | null }>(
          `SELECT count() AS n, countIf(version > 1) AS corrected, toString(max(window_start)) AS last
           FROM ${db}.workflow_metrics_1m_v`,
        );
        const [insights] = await store.query<{ open: string; all: string; latest: string | null }>(
          `SELECT countIf(state = 'open') AS open, count() AS all, argMax(description, generated_at) AS latest
           FROM ${db}.performance_insights_current`,
        );
        const elapsed = ((Date.now() - started) / 1000).toFixed(0);
        if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        out(
          `pulse demo — ${elapsed} s — published ${published} events — in ClickHouse: ${totals?.events ?? 0} events, ${totals?.runs ?? 0} runs, ${totals?.failed ?? 0} failed runs — Ctrl-C to stop`,
        );
        out(
          `metrics: ${windows?.n ?? 0} closed 1-minute windows (${windows?.corrected ?? 0} corrected by late events), latest ${windows?.last ?? 'none yet'} — see pulse.workflow_metrics_1m_merged`,
        );
        out(
          `insights: ${insights?.open ?? 0} open of ${insights?.all ?? 0}${Number(insights?.all ?? 0) > 0 ? `, latest: ${insights?.latest ?? ''}` : ' (detectors learn a baseline for about 2 hours of event time first)'} — see pulse.performance_insights_current`,
        );
        const columns = ['service', 'completed', 'failed', 'retried', 'p95_ms', 'top_error'].map((name) => ({
          name,
          type: '',
        }));
        out(renderTable({ columns, rows: perService }));
      };

      const producing = produce();
      const ticker = setInterval(() => {
        summarise().catch((error: unknown) => {
          rootLogger.warn('summary failed', { module: 'demo', error });
        });
      }, 2000);
      const duration = opts.duration !== undefined ? Number(opts.duration) * 1000 : undefined;
      await Promise.race([
        onShutdown(() => Promise.resolve()),
        ...(duration !== undefined ? [new Promise((r) => setTimeout(r, duration))] : []),
      ]);
      stop = true;
      clearInterval(ticker);
      await producing;
      await publisher.close();
      // Let the loader catch up so the final summary shows everything that was published.
      const deadline = Date.now() + 15_000;
      for (;;) {
        if ((await countEvents()) - before >= published || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 300));
      }
      await summarise();
      await running.stop();
      if (startedHere && !opts.keepStack) {
        await stackDown(config, projectRoot);
        out('stopped the stack services this demo started (use --keep-stack to keep them)');
      }
      out('pulse demo: stopped cleanly');
    });
}
