import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { rootLogger, setLogLevel } from '../../logger.ts';
import { projectRoot } from '../projectRoot.ts';
import { STAGES, parseStages } from '../../pipeline/stages.ts';

/** Stops the process cleanly on SIGTERM/SIGINT: finish the batch, commit, leave the group. */
export function onShutdown(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const handler = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      rootLogger.info('shutting down', { module: 'cli', signal });
      stop()
        .catch((error: unknown) => {
          rootLogger.error('shutdown failed', { module: 'cli', error });
          process.exitCode = 1;
        })
        .finally(resolve);
    };
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  });
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'Run pipeline stages and the HTTP API until SIGTERM/SIGINT (finish the batch, commit, snapshot, leave)',
    )
    .option('--no-api', 'do not serve the HTTP API')
    .option(
      '--no-stack',
      'do not start the local stack (Kafka, registry, Redis) when the configured brokers are the local default and nothing answers',
    )
    .option(
      '--stages <list>',
      `comma-separated subset of the stages, to scale one out (default: all of them): ${STAGES.join(', ')}. ` +
        'Loaders (and the API) need the process that owns the ClickHouse data path in embedded mode.',
      STAGES.join(','),
    )
    .action(async (opts: { api: boolean; stack: boolean; stages: string }) => {
      const config = loadConfig();
      setLogLevel(config.PULSE_LOG_LEVEL);
      // On a machine of its own (the default local broker), `pulse run` brings up what is missing,
      // so a fresh clone needs no other command; pointed at a cluster, it starts nothing.
      if (opts.stack && config.PULSE_KAFKA_BROKERS === `127.0.0.1:${String(config.PULSE_KAFKA_PORT)}`) {
        const { stackUp } = await import('../../stack/localStack.ts');
        await stackUp(config, projectRoot, rootLogger.child({ module: 'stack' }));
      }
      const { startPulseProcess } = await import('../../pipeline/pulseProcess.ts');
      const running = await startPulseProcess(config, projectRoot, rootLogger, {
        api: opts.api,
        stages: parseStages(opts.stages),
      });
      await running.ready;
      rootLogger.info('pipeline running', {
        module: 'cli',
        api: running.apiUrl,
        stages: [...running.stages.keys()],
      });
      await onShutdown(() => running.stop());
    });
}
