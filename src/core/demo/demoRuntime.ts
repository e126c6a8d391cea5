// The demo's simulated workflow runtime: runs the steps of workflow definitions (as generated from
// sentences) on the simulated SaaS services, following each step's retry policy, with the demo's
// incidents applied (a service answering 429s, an expired token, a slow version). Deterministic for
// a seed and a sequence of calls; how the clock is advanced (at once or in steps) changes nothing.
//
// `advance(to)` moves the runtime's event clock: it starts the runs scheduled before `to` with the
// definitions in force at their start, and returns exactly the events that happened before `to`,
// in event-time order. Events of runs still going are held back, so event time never gets ahead of
// the clock the caller advances by, whether it backfills days at once or follows the wall clock.
import type { ExecutionEvent } from '../executionEvent.ts';
import { seededRandom } from '../seededRandom.ts';
import { runEvent, simulatedServices } from './executionSimulator.ts';
import { runsInMinute, type DemoWorkflowSpec } from './demoStory.ts';

const MINUTE = 60_000;

type ExecutionError = NonNullable<ExecutionEvent['error']>;

/** A step as the runtime executes it (from the workflow definition). */
export interface RuntimeStep {
  readonly stepId: string;
  readonly service: string;
  readonly action: string;
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** The version of a workflow the runtime runs. */
export interface RunningVersion {
  readonly version: number;
  readonly steps: readonly RuntimeStep[];
  /** Calls to this service take `factor` times longer in this version (a regression). */
  readonly slow: { readonly service: string; readonly factor: number } | null;
}

/** A service misbehaving for one tenant between two event times. */
export interface ServiceOutage {
  readonly tenantId: string;
  readonly service: string;
  readonly from: number;
  readonly to: number;
  /** Share of calls failing with `error`. */
  readonly share: number;
  readonly error: ExecutionError;
}

export const RATE_LIMITED = (service: string): ExecutionError => ({
  class: 'rate_limit',
  code: service === 'slack' ? 'ratelimited' : 'rate_limited',
  httpStatus: 429,
  message:
    service === 'slack'
      ? 'Slack API: ratelimited (Retry-After: 30)'
      : `${service}: 429 Too Many Requests (Retry-After: 30)`,
  retryable: true,
});

export const TOKEN_EXPIRED = (service: string): ExecutionError => ({
  class: 'auth',
  code: service === 'gmail' ? 'invalid_grant' : 'token_expired',
  httpStatus: service === 'gmail' ? 400 : 401,
  message:
    service === 'gmail'
      ? 'invalid_grant: Token has been expired or revoked.'
      : `${service}: OAuth access token expired`,
  retryable: false,
});

interface Profile {
  readonly medianMs: number;
  readonly spread: number;
  readonly costMicros: number;
  readonly failures: readonly (ExecutionError & { readonly rate: number })[];
}

const DEFAULT_PROFILE: Profile = { medianMs: 300, spread: 0.5, costMicros: 0, failures: [] };
const PROFILES = new Map<string, Profile>(
  simulatedServices.map((s) => [
    s.id,
    {
      medianMs: s.medianMs,
      // Narrower than the simulator's spread: a demo workflow's p95 should be a steady baseline.
      spread: Math.min(s.spread, 0.35),
      costMicros: s.costMicros,
      failures: s.failures.map((f) => ({
        class: f.class,
        code: f.code,
        httpStatus: f.httpStatus,
        message: f.message,
        retryable: f.retryable,
        rate: f.rate,
      })),
    },
  ]),
);

function logNormal(median: number, spread: number, random: () => number): number {
  const u = Math.max(random(), 1e-9);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return Math.max(1, Math.round(median * Math.exp(spread * z)));
}

interface WorkflowState {
  readonly spec: DemoWorkflowSpec;
  readonly userId: string;
  running: RunningVersion;
}

export class DemoRuntime {
  readonly #workflows = new Map<string, WorkflowState>();
  /** Draws run start times; each run draws from its own stream, so chunking changes nothing. */
  readonly #random: () => number;
  readonly #seed: number;
  readonly #outages: ServiceOutage[] = [];
  /** Runs scheduled but not started, by start time. */
  #starts: { at: number; workflowId: string }[] = [];
  /** Events of started runs not yet released. */
  #held: ExecutionEvent[] = [];
  /** Runs of minutes before this one are scheduled. */
  #scheduledTo: number | null = null;
  #clock: number | null = null;
  #runs = 0;
  readonly #runTag: string;

  constructor(options: { seed: number; runTag: string }) {
    this.#random = seededRandom(options.seed);
    this.#seed = options.seed;
    this.#runTag = options.runTag;
  }

  addWorkflow(spec: DemoWorkflowSpec, running: RunningVersion): void {
    this.#workflows.set(spec.workflowId, {
      spec,
      userId: `user-${spec.tenantId}-${1 + (this.#workflows.size % 3)}`,
      running,
    });
  }

  /** From now on, runs of the workflow start on this version. */
  setVersion(workflowId: string, running: RunningVersion): void {
    const w = this.#workflows.get(workflowId);
    if (w === undefined) throw new RangeError(`unknown workflow ${workflowId}`);
    w.running = running;
  }

  running(workflowId: string): RunningVersion | undefined {
    return this.#workflows.get(workflowId)?.running;
  }

  addOutage(outage: ServiceOutage): void {
    this.#outages.push(outage);
  }

  get clock(): number | null {
    return this.#clock;
  }

  get runsStarted(): number {
    return this.#runs;
  }

  /** Sets the clock: runs are scheduled from the minute of `ms` on (else from the first `advance`). */
  startAt(ms: number): void {
    this.#clock = ms;
    this.#scheduledTo = Math.floor(ms / MINUTE) * MINUTE;
  }

  /** Starts the runs due before `to` and returns every event that happened before it, in order. */
  advance(to: number): ExecutionEvent[] {
    if (this.#clock !== null && to <= this.#clock) return [];
    // Schedule whole minutes as soon as they begin, so runs start at their own times within it.
    let minute: number = this.#scheduledTo ?? Math.floor(to / MINUTE) * MINUTE;
    for (; minute < to; minute += MINUTE) {
      for (const w of this.#workflows.values()) {
        const n = runsInMinute(w.spec, minute);
        for (let i = 0; i < n; i++) {
          const at = minute + Math.floor(((i + this.#random()) / n) * MINUTE);
          this.#starts.push({ at, workflowId: w.spec.workflowId });
        }
      }
    }
    this.#scheduledTo = minute;
    this.#starts.sort((a, b) => a.at - b.at || (a.workflowId < b.workflowId ? -1 : 1));
    let started = 0;
    for (const s of this.#starts) {
      if (s.at >= to) break;
      const w = this.#workflows.get(s.workflowId);
      if (w !== undefined) this.#held.push(...this.#run(w, s.at));
      started++;
    }
    this.#starts = this.#starts.slice(started);
    this.#held.sort((a, b) => a.occurredAt - b.occurredAt);
    let released = 0;
    while (released < this.#held.length && (this.#held[released]?.occurredAt ?? Infinity) < to) released++;
    const out = this.#held.slice(0, released);
    this.#held = this.#held.slice(released);
    this.#clock = to;
    // Outages that ended over an hour ago no longer matter.
    for (let i = this.#outages.length - 1; i >= 0; i--) {
      if ((this.#outages[i]?.to ?? Infinity) < to - 3_600_000) this.#outages.splice(i, 1);
    }
    return out;
  }

  #failureOf(
    tenantId: string,
    service: string,
    at: number,
    profile: Profile,
    random: () => number,
  ): ExecutionError | null {
    for (const o of this.#outages) {
      if (o.tenantId === tenantId && o.service === service && at >= o.from && at < o.to) {
        if (random() < o.share) return o.error;
      }
    }
    const roll = random();
    let acc = 0;
    const failure = profile.failures.find((f) => (acc += f.rate) > roll);
    if (failure === undefined) return null;
    return {
      class: failure.class,
      code: failure.code,
      httpStatus: failure.httpStatus,
      message: failure.message,
      retryable: failure.retryable,
    };
  }

  #run(w: WorkflowState, startMs: number): ExecutionEvent[] {
    const runId = `run-${this.#runTag}-${String(this.#runs)}`;
    const random = seededRandom((this.#seed * 1_000_003 + this.#runs++) >>> 0);
    const events: ExecutionEvent[] = [];
    const v = w.running;
    let clock = startMs;
    let seq = 0;
    const base = {
      tenantId: w.spec.tenantId,
      userId: w.userId,
      workflowId: w.spec.workflowId,
      workflowVersion: v.version,
      executionId: runId,
      attributes: {},
    };
    const emit = (partial: Partial<ExecutionEvent> & Pick<ExecutionEvent, 'type'>): void => {
      events.push(runEvent(base, `${runId}-${String(seq++)}`, clock, partial));
    };
    emit({ type: 'WORKFLOW_STARTED' });
    let cost = 0;
    let failed: ExecutionError | null = null;
    for (const step of v.steps) {
      const profile = PROFILES.get(step.service) ?? DEFAULT_PROFILE;
      const factor = v.slow?.service === step.service ? v.slow.factor : 1;
      for (let attempt = 1; ; attempt++) {
        const fields = { stepId: step.stepId, service: step.service, action: step.action, attempt };
        emit({ type: 'STEP_STARTED', ...fields });
        const durationMs = logNormal(profile.medianMs * factor, profile.spread, random);
        clock += durationMs;
        const error = this.#failureOf(w.spec.tenantId, step.service, clock, profile, random);
        if (error === null) {
          cost += profile.costMicros;
          emit({ type: 'STEP_COMPLETED', ...fields, durationMs, costMicros: profile.costMicros });
          break;
        }
        emit({ type: 'STEP_FAILED', ...fields, durationMs, error });
        if (!error.retryable || attempt >= step.maxAttempts) {
          failed = error;
          break;
        }
        clock += Math.min(step.maxDelayMs, step.initialDelayMs * 2 ** (attempt - 1));
        emit({ type: 'STEP_RETRIED', ...fields, attempt: attempt + 1 });
      }
      if (failed !== null) break;
    }
    const durationMs = clock - startMs;
    if (failed === null) emit({ type: 'WORKFLOW_COMPLETED', durationMs, costMicros: cost });
    else emit({ type: 'WORKFLOW_FAILED', durationMs, costMicros: cost, error: failed });
    return events;
  }
}

/** The steps of a workflow definition (as generated) as the runtime runs them. */
export function runtimeSteps(
  steps: readonly {
    stepId: string;
    service: string;
    action: string;
    retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number };
  }[],
): RuntimeStep[] {
  return steps.map((s) => ({
    stepId: s.stepId,
    service: s.service,
    action: s.action,
    maxAttempts: s.retry.maxAttempts,
    initialDelayMs: s.retry.initialDelayMs,
    maxDelayMs: s.retry.maxDelayMs,
  }));
}
