// `pulse insights tail`: the live insight stream of the running pipeline (GET /api/insights/stream,
// Server-Sent Events), one line per insight on stdout. A dropped connection is resumed with the
// last event id, so no insight is missed or printed twice.
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { NonRetriableError, TransientError, errorMessage } from '../../errors.ts';
import type { Insight } from '../../core/insights/insight.ts';
import { rootLogger, type Logger } from '../../logger.ts';

/** One dispatched SSE block; `data` is undefined for blocks without data (id-only, comments). */
export interface SseMessage {
  readonly event: string;
  readonly data: string | undefined;
  /** the stream's last event id after this block */
  readonly lastEventId: string;
}

/**
 * The event-stream grammar of the HTML standard, fed chunk by chunk: lines end in CRLF, LF or CR;
 * `field: value` (one optional space after the colon), `:` starts a comment, a blank line
 * dispatches. `id` takes effect when its block is dispatched (a block cut off by a dropped
 * connection does not move the position) and is kept across blocks: it is the reconnect position.
 */
export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #id: string | undefined;
  #sawField = false;
  #pendingCr = false;
  lastEventId: string;

  constructor(lastEventId = '') {
    this.lastEventId = lastEventId;
  }

  push(chunk: string): SseMessage[] {
    let text = chunk;
    // A CR at the end of the previous chunk already ended its line; skip the LF of that CRLF.
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = text.endsWith('\r');
    this.#buffer += text;
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop() ?? '';
    const out: SseMessage[] = [];
    for (const line of lines) {
      if (line === '') {
        if (this.#id !== undefined) this.lastEventId = this.#id;
        if (this.#sawField)
          out.push({
            event: this.#event === '' ? 'message' : this.#event,
            data: this.#data.length === 0 ? undefined : this.#data.join('\n'),
            lastEventId: this.lastEventId,
          });
        this.#data = [];
        this.#event = '';
        this.#id = undefined;
        this.#sawField = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.#data.push(value);
      else if (field === 'event') this.#event = value;
      else if (field === 'id' && !value.includes('\0')) this.#id = value;
      else continue;
      this.#sawField = true;
    }
    return out;
  }
}

/** An HTTP answer other than 200: 429 and 5xx may pass, the rest will not. */
export class StreamRefusedError extends NonRetriableError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message, { code: `HTTP_${status}` });
    this.name = 'StreamRefusedError';
    this.status = status;
  }
}

export interface InsightStreamRequest {
  /** e.g. http://127.0.0.1:8090 */
  readonly baseUrl: string;
  readonly token?: string | undefined;
  /** where to start when there is no last event id: "beginning", "end" (default) or a position */
  readonly from?: string | undefined;
  readonly tenant?: string | undefined;
  readonly severity?: string | undefined;
}

export function streamUrl(request: InsightStreamRequest): string {
  const params = new URLSearchParams();
  if (request.from !== undefined) params.set('from', request.from);
  if (request.tenant !== undefined) params.set('tenant', request.tenant);
  if (request.severity !== undefined) params.set('severity', request.severity);
  const query = params.toString();
  return `${request.baseUrl}/api/insights/stream${query === '' ? '' : `?${query}`}`;
}

/**
 * One connection: calls `onMessage` for every block until the stream ends, the signal aborts, or
 * nothing (not even a heartbeat) arrives for `idleMs`. Returns the last event id seen.
 */
export async function readInsightStream(
  request: InsightStreamRequest,
  options: {
    readonly lastEventId?: string | undefined;
    readonly signal?: AbortSignal | undefined;
    readonly idleMs?: number;
    readonly onMessage: (message: SseMessage) => void;
  },
): Promise<string> {
  const parser = new SseParser(options.lastEventId);
  const connection = new AbortController();
  const abort = (): void => {
    connection.abort();
  };
  options.signal?.addEventListener('abort', abort);
  let idle: NodeJS.Timeout | undefined;
  const watch = (): void => {
    clearTimeout(idle);
    idle = setTimeout(abort, options.idleMs ?? 45_000);
  };
  try {
    watch();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
    if (parser.lastEventId !== '') headers['last-event-id'] = parser.lastEventId;
    const res = await fetch(streamUrl(request), { headers, signal: connection.signal });
    if (res.status !== 200 || res.body === null) {
      const body = await res.text().catch(() => '');
      let message = body;
      try {
        message = (JSON.parse(body) as { error?: string }).error ?? body;
      } catch {
        // not JSON: keep the text
      }
      throw new StreamRefusedError(res.status, `insight stream refused (${res.status}): ${message}`);
    }
    const decoder = new TextDecoder();
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      watch();
      for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
        options.onMessage(message);
        if (connection.signal.aborted) return parser.lastEventId;
      }
    }
    return parser.lastEventId;
  } catch (error) {
    // A dropped, idle or aborted connection ends this read; the caller decides whether to resume.
    if (error instanceof StreamRefusedError) throw error;
    if (connection.signal.aborted) return parser.lastEventId;
    throw new TransientError(`insight stream dropped: ${errorMessage(error)}`, { cause: error });
  } finally {
    clearTimeout(idle);
    options.signal?.removeEventListener('abort', abort);
  }
}

/** Reads the stream until the signal aborts, resuming from the last event id after every drop. */
export async function tailInsights(
  request: InsightStreamRequest,
  onInsight: (insight: Insight) => void,
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  let lastEventId: string | undefined;
  let backoffMs = 500;
  const stopped = (): boolean => signal?.aborted === true;
  while (!stopped()) {
    const seen = { any: false };
    try {
      lastEventId = await readInsightStream(request, {
        lastEventId,
        signal,
        onMessage: (message) => {
          seen.any = true;
          if (message.event === 'insight' && message.data !== undefined)
            onInsight(JSON.parse(message.data) as Insight);
        },
      });
      if (stopped()) return;
      log.warn('insight stream ended; resuming', { lastEventId });
    } catch (error) {
      const retriable = !(error instanceof StreamRefusedError) || error.status === 429 || error.status >= 500;
      if (!retriable) throw error;
      log.warn('insight stream unavailable; retrying', { error: errorMessage(error), lastEventId });
    }
    if (seen.any) backoffMs = 500;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, backoffMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    backoffMs = Math.min(backoffMs * 2, 15_000);
  }
}

/** time, severity, kind and change, scope and key, description. */
export function formatInsightLine(insight: Insight): string {
  const time = Number.isFinite(insight.windowEnd) ? new Date(insight.windowEnd).toISOString() : '-';
  return [
    time,
    insight.severity.padEnd(8),
    `${insight.kind} ${insight.change}`.padEnd(26),
    `${insight.scope} ${insight.key}`,
    insight.description,
  ].join('  ');
}

export function registerInsightsCommand(program: Command): void {
  const insights = program.command('insights').description('Insights from the running pipeline');
  insights
    .command('tail')
    .description(
      'Print insights as they are published (one line each: time, severity, kind, scope/key, description); resumes after a dropped connection',
    )
    .option(
      '--from <where>',
      '"beginning", or a position printed by an earlier stream; default: new insights only',
    )
    .option('--tenant <id>', 'only this tenant')
    .option('--severity <list>', 'only these severities, e.g. warning,critical')
    .option('--json', 'print each insight as a JSON line', false)
    .action(async (opts: { from?: string; tenant?: string; severity?: string; json: boolean }) => {
      const config = loadConfig();
      const host = config.PULSE_API_HOST.includes(':') ? `[${config.PULSE_API_HOST}]` : config.PULSE_API_HOST;
      const stop = new AbortController();
      process.once('SIGINT', () => {
        stop.abort();
      });
      process.once('SIGTERM', () => {
        stop.abort();
      });
      await tailInsights(
        {
          baseUrl: `http://${host}:${config.PULSE_API_PORT}`,
          token: config.PULSE_API_TOKEN,
          from: opts.from,
          tenant: opts.tenant,
          severity: opts.severity,
        },
        (insight) => {
          process.stdout.write(`${opts.json ? JSON.stringify(insight) : formatInsightLine(insight)}\n`);
        },
        rootLogger.child({ module: 'insights-tail' }),
        stop.signal,
      );
    });
}
