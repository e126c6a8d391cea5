// GET /api/insights/stream: the insights topic (read committed) as Server-Sent Events.
//
//   retry: 2000
//   id: <position>            the start position (no data: EventSource only records it)
//   event: ready
//   data: {"position":"<position>"}
//
//   id: <position>            after this record: "0:15,1:7,2:30" (see core/insights/streamPosition.ts)
//   event: insight
//   data: <the Insight as JSON>
//
//   : heartbeat               every 15 s; an `id:` line rides along when filtered-out records moved the position
//
// `Last-Event-ID` (what EventSource sends on reconnect) or `?from=<position>` resumes right after that
// position on every partition; `?from=beginning` replays the topic; otherwise only new insights.
// `?tenant=` and `?severity=` (comma-separated) filter. Each stream reads with a consumer of its own
// in a throwaway group that never commits: its position lives only in the client's token. At most
// `maxStreams` run at once; past that the answer is 429.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { z } from 'zod';
import { createKafka } from '../adapters/kafka/kafkaClient.ts';
import { AvroRegistry, DecodeError } from '../adapters/registry/schemaRegistry.ts';
import type { Insight, InsightSeverity } from '../core/insights/insight.ts';
import {
  advance,
  decodeStreamPosition,
  encodeStreamPosition,
  isAhead,
  startPosition,
  type StreamPosition,
  type StreamStart,
} from '../core/insights/streamPosition.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface InsightStreamDeps {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  /** the full insights topic name (with PULSE_TOPIC_PREFIX) */
  readonly topic: string;
  readonly log: Logger;
  /** streams served at once; past that a request gets 429 (default DEFAULT_MAX_INSIGHT_STREAMS) */
  readonly maxStreams?: number;
  /** between two heartbeat comments (default 15 s) */
  readonly heartbeatMs?: number;
  /** prefix of the throwaway consumer groups (default "pulse") */
  readonly groupPrefix?: string;
}

export interface InsightStreams {
  /** streams open now */
  active(): number;
}

export const DEFAULT_MAX_INSIGHT_STREAMS = 32;
const HEARTBEAT_MS = 15_000;
/** A stream whose consumer is not positioned by then answers 503. */
const START_TIMEOUT_MS = 30_000;
/** A client that reads nothing for this long is dropped (it can resume with its last id). */
const SLOW_CLIENT_MS = 60_000;

const SEVERITIES = ['info', 'warning', 'critical'] as const;

export const insightStreamQuerySchema = z.object({
  from: z.string().trim().min(1).max(4096).optional(),
  tenant: z.string().trim().min(1).max(256).optional(),
  severity: z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()))
    .pipe(z.array(z.enum(SEVERITIES)).min(1))
    .optional(),
});

/** One SSE frame; `data` lines never contain a newline since JSON.stringify escapes them. */
export function sseFrame(fields: { id?: string; event?: string; data?: string }): string {
  let frame = '';
  if (fields.id !== undefined) frame += `id: ${fields.id}\n`;
  if (fields.event !== undefined) frame += `event: ${fields.event}\n`;
  if (fields.data !== undefined) frame += `data: ${fields.data}\n`;
  return `${frame}\n`;
}

class StreamRefused extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function registerInsightStream(app: FastifyInstance, deps: InsightStreamDeps): InsightStreams {
  const log = deps.log.child({ module: 'insight-stream' });
  const maxStreams = deps.maxStreams ?? DEFAULT_MAX_INSIGHT_STREAMS;
  const heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;
  const groupPrefix = deps.groupPrefix ?? 'pulse';
  const kafka = createKafka({ brokers: deps.brokers, clientId: 'pulse-insight-stream' }, log);
  const registry = new AvroRegistry(deps.registryUrl);
  const open = new Set<() => Promise<void>>();
  let admin: ReturnType<typeof kafka.admin> | undefined;
  let adminConnected: Promise<void> | undefined;

  const bounds = async (): Promise<{ partition: number; low: bigint; high: bigint }[]> => {
    if (admin === undefined) {
      admin = kafka.admin();
      adminConnected = admin.connect().catch((error: unknown) => {
        admin = undefined;
        throw error;
      });
    }
    const connected = admin;
    await adminConnected;
    // The admin's ListOffsets is read committed: `high` is the last stable offset.
    const offsets = await connected.fetchTopicOffsets(deps.topic);
    return offsets.map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }));
  };

  app.addHook('preClose', async () => {
    await Promise.all([...open].map((close) => close()));
    await admin?.disconnect().catch(() => undefined);
  });

  app.get('/api/insights/stream', async (request, reply) => {
    const parsed = insightStreamQuerySchema.safeParse(request.query);
    if (!parsed.success) {
      return reply.code(400).send({
        error: 'invalid request',
        issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      });
    }
    // EventSource repeats the original URL on reconnect, so its Last-Event-ID wins over ?from=.
    const lastEventId = request.headers['last-event-id'];
    const resumeFrom =
      (typeof lastEventId === 'string' && lastEventId.trim() !== '' ? lastEventId : undefined) ??
      parsed.data.from;
    let from: StreamStart = 'end';
    if (resumeFrom === 'beginning' || resumeFrom === 'end') from = resumeFrom;
    else if (resumeFrom !== undefined) {
      const decoded = decodeStreamPosition(resumeFrom);
      if (!decoded.ok)
        return reply
          .code(400)
          .send({ error: `invalid stream position: ${decoded.reason}`, retriable: false });
      from = decoded.position;
    }
    if (open.size >= maxStreams) {
      return reply
        .code(429)
        .header('retry-after', '5')
        .send({ error: `${maxStreams} insight streams are open already; retry later`, retriable: true });
    }
    const filter = {
      tenant: parsed.data.tenant,
      severities:
        parsed.data.severity === undefined ? undefined : new Set<InsightSeverity>(parsed.data.severity),
    };
    const wanted = (insight: Insight): boolean =>
      (filter.tenant === undefined || insight.tenantId === filter.tenant) &&
      (filter.severities === undefined || filter.severities.has(insight.severity));

    try {
      await serve(reply, from, wanted);
    } catch (error) {
      if (reply.sent || reply.raw.headersSent) return reply;
      if (error instanceof StreamRefused) return reply.code(error.status).send({ error: error.message });
      log.warn('insight stream could not start', { error: errorMessage(error) });
      return reply
        .code(503)
        .send({ error: `the insights topic cannot be read now: ${errorMessage(error)}`, retriable: true });
    }
    return reply;
  });

  async function serve(
    reply: FastifyReply,
    from: StreamStart,
    wanted: (i: Insight) => boolean,
  ): Promise<void> {
    const res = reply.raw;
    let consumer: Consumer | undefined;
    const timers: { heartbeat?: NodeJS.Timeout } = {};
    let position: StreamPosition = new Map();
    let sentPosition = '';
    let closing: Promise<void> | undefined;
    // Aborted once the stream closes, whoever closes it.
    const gone = new AbortController();
    const closed = (): boolean => gone.signal.aborted;

    let released: Promise<void> | undefined;
    const release = (): Promise<void> => {
      released ??= (consumer?.disconnect() ?? Promise.resolve()).catch((error: unknown) => {
        log.warn('closing a stream consumer failed', { error: errorMessage(error) });
      });
      return released;
    };
    const close = (): Promise<void> => {
      closing ??= (async () => {
        gone.abort();
        clearInterval(timers.heartbeat);
        open.delete(close);
        if (!res.writableEnded) res.end();
        // A consumer still starting is released when its start settles (below).
        if (consumer !== undefined) await release();
        log.debug('insight stream closed', { position: encodeStreamPosition(position) });
      })();
      return closing;
    };
    // Counted from here, so the limit holds while streams are still starting.
    open.add(close);
    res.once('close', () => void close());

    const write = async (frame: string): Promise<void> => {
      if (closed()) return;
      if (res.write(frame)) return;
      // The client reads slowly: wait (the consumer waits with us) or drop it if it stalls.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn('insight stream client stalled; closing it', { stalledMs: SLOW_CLIENT_MS });
          void close();
          resolve();
        }, SLOW_CLIENT_MS);
        const done = (): void => {
          clearTimeout(timer);
          res.off('drain', done);
          gone.signal.removeEventListener('abort', done);
          resolve();
        };
        res.once('drain', done);
        gone.signal.addEventListener('abort', done);
      });
    };

    const seekAll = (): void => {
      if (consumer === undefined) return;
      for (const [partition, offset] of position)
        consumer.seek({ topic: deps.topic, partition, offset: offset.toString() });
    };

    const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
      const { batch } = payload;
      for (const message of batch.messages) {
        if (closed() || !payload.isRunning() || payload.isStale()) return;
        const offset = BigInt(message.offset);
        // After a seek or a rebalance a batch may start before the position: those were sent.
        if (!isAhead(position, batch.partition, offset)) continue;
        let insight: Insight | undefined;
        try {
          insight = (await registry.decode(message.value)) as Insight;
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          // The insights loader sends such records to its DLQ; subscribers just do not see them.
          log.warn('undecodable insight record skipped', {
            partition: batch.partition,
            offset: message.offset,
            reason: error.reason,
          });
        }
        position = advance(position, batch.partition, offset);
        // Moves the consumer's own fetch position (nothing is committed: autoCommit is off).
        payload.resolveOffset(message.offset);
        if (insight !== undefined && wanted(insight)) {
          sentPosition = encodeStreamPosition(position);
          await write(sseFrame({ id: sentPosition, event: 'insight', data: JSON.stringify(insight) }));
          await payload.heartbeat();
        }
      }
      // Everything up to the batch's last offset was sent, filtered out, aborted or a marker.
      if (closed() || !payload.isRunning() || payload.isStale()) return;
      position = advance(position, batch.partition, BigInt(batch.lastOffset()));
      payload.resolveOffset(batch.lastOffset());
    };

    const started = (async () => {
      const start = startPosition(await bounds(), from);
      if (start.size === 0) throw new StreamRefused(503, `topic ${deps.topic} has no partitions`);
      position = start;
      consumer = kafka.consumer({
        groupId: `${groupPrefix}-insight-stream-${randomUUID()}`,
        readUncommitted: false,
        sessionTimeout: 10_000,
        heartbeatInterval: 3000,
        maxWaitTimeInMs: 1000,
        // A crashed stream ends; its client resumes from its last id.
        retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
      });
      // No committed offsets: after any (re)join the group would start from the beginning, so put
      // every partition back where this stream is.
      consumer.on(consumer.events.GROUP_JOIN, seekAll);
      // A batch of only markers or aborted records never reaches eachBatch; step over it too.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        // kafkajs types it as a string, but an empty batch has none
        const first = payload.firstOffset as string | null;
        const at = position.get(payload.partition) ?? 0n;
        if (payload.batchSize !== 0 || first === null || BigInt(first) > at) return;
        position = advance(position, payload.partition, BigInt(payload.lastOffset));
      });
      consumer.on(consumer.events.CRASH, (event) => {
        log.warn('insight stream consumer crashed', { error: errorMessage(event.payload.error) });
        void close();
      });
      await consumer.connect();
      await consumer.subscribe({ topic: deps.topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
      seekAll();
    })();
    // The client left (or the start timed out) while the consumer was starting: release it then.
    void started.catch(() => undefined).then(() => (closed() ? release() : undefined));
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        started,
        new Promise((_resolve, reject) => {
          timeout = setTimeout(() => {
            reject(new Error(`no consumer positioned on ${deps.topic} within ${START_TIMEOUT_MS} ms`));
          }, START_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      await close();
      throw error;
    } finally {
      clearTimeout(timeout);
    }
    if (closed()) return;

    reply.hijack();
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    const ready = encodeStreamPosition(position);
    sentPosition = ready;
    await write(
      `retry: 2000\n\n${sseFrame({ id: ready, event: 'ready', data: JSON.stringify({ position: ready }) })}`,
    );
    log.debug('insight stream open', { from: ready });
    timers.heartbeat = setInterval(() => {
      // Filtered-out records moved the position: pass it on, so a resume does not read them again.
      const now = encodeStreamPosition(position);
      const frame = now === sentPosition ? ': heartbeat\n\n' : `: heartbeat\nid: ${now}\n\n`;
      sentPosition = now;
      void write(frame);
    }, heartbeatMs);
  }

  return { active: () => open.size };
}
