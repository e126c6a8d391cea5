// Micro benchmark: WindowOperator.applyBatch throughput over 1M synthetic execution events.
// Usage: node src/bench/windowOperatorBench.ts [events=1000000] [batchSize=1000]
// Events are generated up front (not timed) with fresh id strings per event, as a decoder would
// produce them, so key hashing costs are realistic.

import type { MetricEventType, MetricInput } from '../core/metrics/metricInput.ts';
import { WindowOperator } from '../core/metrics/windowOperator.ts';
import { seededRandom } from '../core/seededRandom.ts';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const BATCH = Number(process.argv[3] ?? 1000);

const prng = seededRandom;

const TYPES: readonly MetricEventType[] = [
  'WORKFLOW_STARTED',
  'STEP_STARTED',
  'STEP_COMPLETED',
  'STEP_STARTED',
  'STEP_COMPLETED',
  'STEP_STARTED',
  'STEP_FAILED',
  'STEP_RETRIED',
  'WORKFLOW_COMPLETED',
  'WORKFLOW_FAILED',
];
const ERRORS = ['Timeout', 'RateLimited', 'Upstream5xx', 'Validation', 'AuthExpired'];

function synthesise(n: number): MetricInput[] {
  const rand = prng(42);
  const t0 = Date.UTC(2025, 0, 1);
  // 1M events over ~30 minutes of event time, up to 5 s out of order.
  const spanMs = 30 * 60_000;
  const events: MetricInput[] = new Array<MetricInput>(n);
  for (let i = 0; i < n; i++) {
    const type = TYPES[Math.floor(rand() * TYPES.length)] ?? 'STEP_STARTED';
    const isStep = type.startsWith('STEP_');
    const terminal = type.endsWith('COMPLETED') || type.endsWith('FAILED');
    const failed = type.endsWith('FAILED');
    const tenant = Math.floor(rand() * 20);
    const workflow = Math.floor(rand() * 10);
    events[i] = {
      type,
      occurredAt: t0 + Math.floor((i / n) * spanMs) - Math.floor(rand() * 5000),
      tenantId: `tenant-${tenant}`,
      workflowId: `wf-${tenant}-${workflow}`,
      workflowVersion: 1 + Math.floor(rand() * 3),
      stepId: isStep ? `step-${Math.floor(rand() * 5)}` : null,
      service: isStep ? `svc-${Math.floor(rand() * 30)}` : null,
      attempt: 1,
      durationMs: terminal ? Math.floor(5 + rand() * rand() * 30_000) : null,
      costMicros: terminal ? Math.floor(rand() * 2000) : null,
      error: failed ? { class: ERRORS[Math.floor(rand() * ERRORS.length)] ?? 'Timeout' } : null,
    };
  }
  return events;
}

function runBatches(events: readonly MetricInput[], batchSize: number): { seconds: number; emitted: number } {
  const operator = new WindowOperator();
  let state = operator.initialState();
  let emitted = 0;
  const started = performance.now();
  for (let i = 0; i < events.length; i += batchSize) {
    const result = operator.applyBatch(state, events.slice(i, i + batchSize), String(i));
    state = result.state;
    emitted += result.emitted.length;
  }
  return { seconds: (performance.now() - started) / 1000, emitted };
}

// The runner's path today: one apply() per event.
function runSingly(events: readonly MetricInput[]): { seconds: number; emitted: number } {
  const operator = new WindowOperator();
  let state = operator.initialState();
  let emitted = 0;
  const started = performance.now();
  for (let i = 0; i < events.length; i++) {
    const result = operator.apply(state, events[i] as MetricInput, String(i));
    state = result.state;
    emitted += result.emitted.length;
  }
  return { seconds: (performance.now() - started) / 1000, emitted };
}

function report(label: string, { seconds, emitted }: { seconds: number; emitted: number }): void {
  const rate = Math.round(TOTAL / seconds).toLocaleString('en-US');
  console.log(`${label}: ${rate} events/s (${seconds.toFixed(3)} s, ${emitted} windows emitted)`);
}

const events = synthesise(TOTAL);
console.log(`windowOperatorBench: ${TOTAL} events over 30 min of event time, 1800 series`);
for (let round = 1; round <= 5; round++) {
  report(`round ${round} applyBatch(${BATCH})`, runBatches(events, BATCH));
  report(`round ${round} apply        `, runSingly(events));
}
