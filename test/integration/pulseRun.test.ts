// `bin/pulse run` exactly as the README starts it (no flags): every stage runs, events published
// with the SDK come out as archived rows, closed windows and an incident, the three engine
// endpoints answer, and no analyst query can stall the process: a query with no end or a result
// far past the limit gets a 4xx naming the limit, while ingest keeps landing rows and /health keeps
// answering fast, and the process's memory stays bounded.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutionPublisher } from '../../src/sdk/executionPublisher.ts';
import { makeStormEvents } from '../../src/core/demo/stormScenario.ts';
import { STAGES } from '../../src/pipeline/stages.ts';
import { EXECUTIONS_TOPIC, topicName } from '../../src/topology/topics.ts';
import { apiQuery, configFrom, isolatedEnv, spawnPulse, waitFor } from './harness.ts';

interface StageStatus {
  stage: string;
  state: string;
  partitions: number[];
  lag: number;
  lastCommitAgeMs: number | null;
}

const MINUTE = 60_000;

/**
 * Times GET /health from a thread of its own, so the test's own work (publishing) does not add to
 * what is measured. Resolves with every round trip in milliseconds once `stop` is called.
 */
function probeHealth(url: string): { stop: () => Promise<number[]> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     let stopping = false;
     const times = [];
     parentPort.once('message', () => { stopping = true; });
     (async () => {
       await fetch(workerData.url).catch(() => undefined); // warm-up: the first fetch loads the client
       while (!stopping) {
         const t = performance.now();
         try {
           await (await fetch(workerData.url)).json();
           times.push(performance.now() - t);
         } catch {
           times.push(Infinity); // no answer at all counts as the slowest
         }
         await new Promise((r) => setTimeout(r, 50));
       }
       parentPort.postMessage(times);
     })();`,
    { eval: true, workerData: { url } },
  );
  return {
    stop: () =>
      new Promise((resolve, reject) => {
        worker.once('message', (times: number[]) => {
          void worker.terminate();
          resolve(times);
        });
        worker.once('error', reject);
        worker.postMessage('stop');
      }),
  };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

describe('pulse run with no flags', () => {
  let env: Record<string, string>;
  let child: ChildProcess | undefined;
  let base = '';
  let db = '';
  let total = 0;
  const started = Date.now();

  const post = async (
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: Record<string, unknown>; ms: number }> => {
    const t = Date.now();
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal === undefined ? {} : { signal }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: Date.now() - t };
  };
  const health = async (): Promise<{ ms: number; stages: StageStatus[]; notRunning: string[] }> => {
    const t = Date.now();
    const res = await fetch(`${base}/health`);
    const body = (await res.json()) as { stages: StageStatus[]; notRunning: string[] };
    return { ms: Date.now() - t, ...body };
  };
  const count = async (sql: string): Promise<number> => {
    const [row] = await apiQuery<{ n: string }>(env, sql);
    return Number(row?.n ?? 0);
  };

  beforeAll(async () => {
    env = {
      ...(await isolatedEnv('pulse-run')),
      // Windows close on event time only, so the incident depends on the events alone.
      PULSE_METRICS_IDLE_TIMEOUT_MS: '0',
      PULSE_API_COMMAND_TIMEOUT_MS: '60000',
      PULSE_QUERY_MAX_EXECUTION_MS: '3000',
      PULSE_QUERY_MAX_RESULT_ROWS: '10000',
    };
    const config = configFrom(env);
    db = config.CLICKHOUSE_DATABASE;
    base = `http://127.0.0.1:${env.PULSE_API_PORT ?? ''}`;
    child = spawnPulse(['run'], env);
    await waitFor(
      'every stage in its consumer group',
      async () => {
        const h = await health();
        return h.stages.length === STAGES.length && h.stages.every((s) => s.state === 'running')
          ? true
          : undefined;
      },
      180_000,
      500,
    );
    const events = makeStormEvents({
      runId: randomBytes(4).toString('hex'),
      tenantId: 'acme',
      startMs: Math.floor(started / MINUTE) * MINUTE - 200 * MINUTE,
      minutes: 190,
      workflows: 20,
      stormFrom: 150,
      stormMinutes: 15,
    });
    total = events.length;
    const publisher = await createExecutionPublisher({
      brokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      topic: topicName(config.PULSE_TOPIC_PREFIX, EXECUTIONS_TOPIC),
    });
    // Half now; the other half at a steady 5,000 events/s while the analyst queries below run, so
    // ingest is live meanwhile.
    const half = Math.floor(total / 2);
    await publisher.publish(events.slice(0, half));
    void (async () => {
      const from = Date.now();
      for (let i = half; i < total; i += 500) {
        await publisher.publish(events.slice(i, i + 500));
        const due = from + ((i - half + 500) / 5000) * 1000;
        await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
      }
      await publisher.close();
    })();
  }, 300_000);

  afterAll(async () => {
    const running = child;
    if (running?.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    running.kill('SIGKILL');
  });

  it('runs all ten stages, each with its partitions, and says none is missing', async () => {
    const h = await health();
    expect(h.stages.map((s) => s.stage).sort()).toEqual([...STAGES].sort());
    expect(h.notRunning).toEqual([]);
    for (const s of h.stages) expect(s.partitions.length).toBeGreaterThan(0);
  });

  it('refuses runaway analyst queries with a 4xx naming the limit, while ingest lands rows and /health answers fast', async () => {
    if (child?.pid === undefined) throw new Error('not started');
    const pid = child.pid;
    const prober = probeHealth(`${base}/health`);
    let peakRss = rssMb(pid);
    const rssTimer = setInterval(() => {
      peakRss = Math.max(peakRss, rssMb(pid));
    }, 100);
    const before = await count(`SELECT count() AS n FROM ${db}.workflow_executions`);

    const endless = await post('/api/query', { sql: 'SELECT * FROM system.numbers' });
    expect(endless.status).toBe(422);
    expect(endless.body.limit).toBe('PULSE_QUERY_MAX_RESULT_ROWS');
    expect(String(endless.body.error)).toContain('PULSE_QUERY_MAX_RESULT_ROWS=10000');

    const neverEnds = await post('/api/query', { sql: 'SELECT count() FROM system.numbers' });
    expect(neverEnds.status).toBe(422);
    expect(neverEnds.body.limit).toBe('PULSE_QUERY_MAX_EXECUTION_MS');
    // The configured time, plus the engine's check interval and the HTTP round trip.
    expect(neverEnds.ms).toBeLessThan(3000 + 5000);

    const tooMany = await post('/api/query', { sql: 'SELECT number FROM numbers(50000000)' });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.limit).toBe('PULSE_QUERY_MAX_RESULT_ROWS');

    // A query whose client goes away is cancelled, and its session serves the next one.
    const gone = new AbortController();
    const abandoned = post('/api/query', { sql: 'SELECT count() FROM system.numbers' }, gone.signal);
    setTimeout(() => {
      gone.abort();
    }, 300);
    await expect(abandoned).rejects.toThrow();
    // The pool notices the client went away (at the engine's next block, or at the time limit for
    // a block that never ends) and frees the session.
    await waitFor(
      'the abandoned query to be cancelled',
      async () => {
        const res = await fetch(`${base}/health`);
        const h = (await res.json()) as { queries: { cancelled: number } };
        return h.queries.cancelled >= 1 ? true : undefined;
      },
      10_000,
      100,
    );
    const small = await post('/api/query', { sql: 'SELECT 2 AS two' });
    expect(small.status).toBe(200);
    expect(small.body.rows).toEqual([{ two: 2 }]);

    const after = await waitFor(
      'ingest landing rows during the analyst queries',
      async () => {
        const n = await count(`SELECT count() AS n FROM ${db}.workflow_executions`);
        return n > before ? n : undefined;
      },
      60_000,
      500,
    );
    const healthTimes = await prober.stop();
    clearInterval(rssTimer);
    expect(after).toBeGreaterThan(before);
    expect(healthTimes.length).toBeGreaterThan(20);
    // Not a speed target (npm run bench:api measures /health latency): a /health held up by the
    // runaway queries would wait for their 3 s limit, so anything well under that shows it was not.
    const slowest = Math.max(...healthTimes);
    process.stdout.write(
      `/health during runaway queries: ${String(healthTimes.length)} probes, slowest ${slowest.toFixed(0)} ms\n`,
    );
    expect(slowest).toBeLessThan(1000);
    expect(peakRss).toBeLessThan(2048);
  });

  it('archives every event, closes windows and opens an incident for the storm', async () => {
    await waitFor(
      `${String(total)} archived events`,
      async () =>
        (await count(`SELECT count() AS n FROM ${db}.workflow_executions`)) >= total ? true : undefined,
      180_000,
      1000,
    );
    expect(await count(`SELECT count() AS n FROM ${db}.workflow_executions`)).toBe(total);
    expect(await count(`SELECT count() AS n FROM ${db}.workflow_metrics_1m`)).toBeGreaterThan(0);
    await waitFor(
      'the Slack incident',
      async () =>
        (await count(
          `SELECT count() AS n FROM ${db}.performance_insights WHERE insight_type = 'incident' AND service = 'slack'`,
        )) > 0
          ? true
          : undefined,
      180_000,
      1000,
    );
  });

  it('streams the incident live as Server-Sent Events through the front door', async () => {
    const res = await fetch(`${base}/api/insights/stream?from=beginning`, {
      signal: AbortSignal.timeout(30_000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    if (res.body === null) throw new Error('no body');
    const decoder = new TextDecoder();
    let text = '';
    // Leaving the loop cancels the stream, and the server closes its consumer.
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk);
      if (/event: insight\ndata: .*"kind":"incident"/.test(text)) break;
    }
    expect(text).toMatch(/id: \S+\nevent: insight\ndata: .*"service":"slack"/);
  });

  it('answers each of the three engine endpoints with 200', async () => {
    const generated = await post('/api/workflows/automation/generate', {
      description: 'When a new lead submits the Typeform, create a contact in HubSpot and post to Slack',
      user_id: 'ana',
      tenant_id: 'acme',
    });
    expect(generated.status).toBe(200);
    expect(generated.body.status).toBe('completed');
    const workflowId = String(generated.body.workflow_id);

    const analyzed = await post('/api/workflows/troubleshooting/analyze', {
      user_id: 'ana',
      tenant_id: 'acme',
      workflow_id: workflowId,
      error_logs: [{ service: 'slack', log: '{"ok":false,"error":"ratelimited"}', http_status: 429 }],
      auto_resolve: false,
    });
    expect(analyzed.status).toBe(200);
    expect(analyzed.body.status).toBe('completed');

    const predicted = await post('/api/workflows/optimization/predict', {
      user_id: 'ana',
      tenant_id: 'acme',
      workflow: workflowId,
      historical_data: { executions: Array.from({ length: 24 * 7 }, (_, h) => 50 + (h % 24)) },
      prediction_horizon: 48,
    });
    expect(predicted.status).toBe(200);
    expect((predicted.body.result as { executions: { point: number[] } }).executions.point).toHaveLength(48);
  });
});
