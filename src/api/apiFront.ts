// The API's front door, on a thread of its own. It owns the public port: GET /health is answered
// there from the last status the main thread posted (every 100 ms, with its age), and every other
// request is passed on to the Fastify app, which listens on a private loopback port. So health
// answers at once even while the main thread is busy inserting a batch or collecting garbage, and
// it says how old its news is (`statusAgeMs`) instead of hanging. A client that goes away before
// its answer aborts the request it was passed on with, which cancels an analyst query.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.ts';

export interface ApiFrontOptions {
  readonly host: string;
  readonly port: number;
  /** where the Fastify app listens (loopback) */
  readonly upstreamPort: number;
}

/** Main thread → front thread. */
export type ToApiFront =
  | { readonly type: 'health'; readonly body: Record<string, unknown>; readonly at: number }
  | { readonly type: 'close' };

/** Front thread → main thread. */
export type FromApiFront =
  | { readonly type: 'listening'; readonly url: string }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'closed' };

export interface ApiFront {
  readonly url: string;
  close(): Promise<void>;
}

export async function startApiFront(
  options: ApiFrontOptions,
  health: () => Promise<Record<string, unknown>>,
  log: Logger,
): Promise<ApiFront> {
  const worker = new Worker(new URL('./apiFrontMain.ts', import.meta.url), { workerData: options });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: FromApiFront) => {
      if (message.type === 'listening') resolve(message.url);
      else reject(new Error(message.type === 'failed' ? message.error : 'the API front closed at start'));
    });
  });
  worker.on('error', (error: Error) => {
    log.error('API front thread crashed', { module: 'api', error });
  });
  let posting = false;
  const post = (): void => {
    if (posting) return;
    posting = true;
    health()
      .then((body) => {
        worker.postMessage({ type: 'health', body, at: Date.now() } satisfies ToApiFront);
      })
      .catch((error: unknown) => {
        log.warn('health status failed', { module: 'api', error });
      })
      .finally(() => {
        posting = false;
      });
  };
  post();
  const timer = setInterval(post, 100);
  return {
    url,
    async close() {
      clearInterval(timer);
      const closed = new Promise<void>((resolve) => {
        worker.once('message', () => {
          resolve();
        });
        worker.once('exit', () => {
          resolve();
        });
      });
      worker.postMessage({ type: 'close' } satisfies ToApiFront);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
      await worker.terminate();
    },
  };
}
