// Stages that run on a thread of their own inside the Pulse process. The processors are pure CPU
// work between Kafka and Redis (decode, fold windows, detect): on the main thread their batches
// would hold up the loaders' inserts and every API answer, /health included. On a worker thread
// they use the second core and have their own heap, so their garbage collections pause nobody
// else. The main thread mirrors each stage's metrics and status (sent every 250 ms), so /metrics
// and /health still list every stage of the process.
import { Worker } from 'node:worker_threads';
import type { PulseConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { StageHandle } from './pulseProcess.ts';
import { StageMetrics, type StageMetricsState } from './stageMetrics.ts';
import type { StageName } from './stages.ts';

/** What the main thread sends a stage thread. */
export type ToStageThread = { readonly type: 'stop' };

/** What a stage thread sends back. */
export type FromStageThread =
  | { readonly type: 'ready' }
  | { readonly type: 'metrics'; readonly stages: [StageName, StageMetricsState][] }
  | { readonly type: 'stopped' }
  | { readonly type: 'failed'; readonly error: string };

export interface StageThreadData {
  readonly config: PulseConfig;
  readonly projectRoot: string;
  readonly stages: StageName[];
}

/** Starts `stages` on one worker thread; one handle per stage, all stopped together. */
export function startStageThread(
  config: PulseConfig,
  projectRoot: string,
  stages: readonly StageName[],
  log: Logger,
): Map<StageName, StageHandle> {
  const data: StageThreadData = { config, projectRoot, stages: [...stages] };
  const worker = new Worker(new URL('./stageThreadMain.ts', import.meta.url), { workerData: data });
  const metrics = new Map(stages.map((s) => [s, new StageMetrics(s)]));
  let markReady: () => void = () => undefined;
  let failReady: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  worker.on('message', (message: FromStageThread) => {
    if (message.type === 'ready') markReady();
    else if (message.type === 'metrics') {
      for (const [stage, state] of message.stages) metrics.get(stage)?.importState(state);
    } else if (message.type === 'stopped') markStopped();
    else {
      log.error('stage thread failed', { module: 'process', stages, error: message.error });
      failReady(new Error(message.error));
    }
  });
  worker.on('error', (error: Error) => {
    log.error('stage thread crashed', { module: 'process', stages, error });
    failReady(error);
    markStopped();
  });
  worker.on('exit', () => {
    for (const m of metrics.values()) m.stopped();
    markStopped();
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      worker.postMessage({ type: 'stop' } satisfies ToStageThread);
      await stopped;
      await worker.terminate();
    })());
  return new Map(
    stages.map((stage): [StageName, StageHandle] => [
      stage,
      { metrics: metrics.get(stage) ?? new StageMetrics(stage), ready, stop },
    ]),
  );
}
