// Entry point of a stage thread (see stageThread.ts): runs its stages as a Pulse process of its
// own without the API, reports their metrics, and stops them when told.
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../errors.ts';
import { rootLogger, setLogLevel } from '../logger.ts';
import { startPulseProcess } from './pulseProcess.ts';
import type { FromStageThread, StageThreadData, ToStageThread } from './stageThread.ts';

const port = parentPort;
if (port === null) throw new Error('stageThreadMain.ts runs as a worker thread');
const data = workerData as StageThreadData;
setLogLevel(data.config.PULSE_LOG_LEVEL);
const send = (message: FromStageThread): void => {
  port.postMessage(message);
};

try {
  const running = await startPulseProcess(
    data.config,
    data.projectRoot,
    rootLogger.child({ thread: 'stages' }),
    {
      api: false,
      stages: data.stages,
      inThread: true,
    },
  );
  const report = (): void => {
    send({
      type: 'metrics',
      stages: [...running.stages].map(([name, h]) => [name, h.metrics.exportState()]),
    });
  };
  const timer = setInterval(report, 250);
  // The only message is 'stop'.
  port.once('message', (_message: ToStageThread) => {
    clearInterval(timer);
    void running
      .stop()
      .catch((error: unknown) => {
        rootLogger.error('stopping the stage thread failed', { module: 'process', error });
      })
      .finally(() => {
        report();
        send({ type: 'stopped' });
      });
  });
  await running.ready;
  report();
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', error: errorMessage(error) });
}
