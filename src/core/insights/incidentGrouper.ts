// Incidents instead of alert storms: when one service starts failing with one error class (a Slack
// rate-limit storm, an expired Google token) every workflow calling it fails at once, and a
// per-workflow detector would raise one alert per workflow. The grouper sees the failures of all
// workflows of a tenant side by side and raises one incident per (service, error class) that lists
// the affected workflows and failed runs; the engine links the per-workflow failure insights to it
// instead of emitting them.
//
// Which service a workflow's failures belong to:
//  - step windows that carry their service (direct, certain);
//  - otherwise the service windows of the same tenant and minute (or the minute before, since a run
//    fails at its end, after the failing step): the service with the most failures of that class.
//    The metrics core emits step windows without a service today, so this join is what runs; it is
//    unambiguous as long as one service dominates a class in a tenant at a time, and `confidence`
//    reports the share when it does not.
//
// A workflow counts as affected by (service, error class) when its failed runs of that class over the
// latest `spanWindows` minutes are beyond chance for its own long-run failure rate (binomial test,
// `minDeviation` standard deviations): background failures spread over many workflows are not an
// incident, however many workflows they touch. Per closed minute the number of affected workflows
// over the span, relative to `minWorkflows`, feeds the shared alert hysteresis (k of n minutes to
// open, m quiet minutes to resolve, cooldown), so a storm opens once and resolves once. The incident
// lists every workflow with failures attributed to it while open. Failures of a class with an open
// incident do not teach a workflow's normal rate, so a long storm does not become normal.
//
// Minutes close when the caller says so (the engine closes them a settle time behind the newest
// window, so partial windows of other input partitions are in). Data is keyed by record and
// version: a duplicate changes nothing, a correction replaces the earlier numbers, and a minute that
// has closed is never evaluated again.

import { z } from 'zod';
import { ValidationError } from '../../errors.ts';
import { INITIAL_ALERT_HYSTERESIS_STATE, alertHysteresis } from '../detection/alertHysteresis.ts';
import type {
  AlertHysteresisConfig,
  AlertHysteresisState,
  AlertSeverity,
} from '../detection/alertHysteresis.ts';
import type { WindowMetrics } from '../metrics/metricWindow.ts';
import { OTHER_ERROR_CLASS } from '../metrics/metricWindow.ts';
import { binomialUpperLogTail, tailDeviation } from './countTails.ts';
import { formatCount, formatTime, insightId, insightSeverity } from './insight.ts';
import type { Insight, InsightChange, InsightContributor } from './insight.ts';

export interface IncidentGrouperConfig {
  /** Window length of the records (the minute). */
  readonly windowMs: number;
  /** Affected workflows (within the span) that make an incident, at least. */
  readonly minWorkflows: number;
  /** Affected workflows from which an incident is critical. */
  readonly criticalWorkflows: number;
  /** Failures are judged over this many latest windows. */
  readonly spanWindows: number;
  /** A workflow is affected when its failures of the class are this many standard deviations above its normal. */
  readonly minDeviation: number;
  /** Floor of a workflow's normal failure rate (also the prior of a workflow not seen before). */
  readonly minFailureRate: number;
  /** Memory (runs) of a workflow's normal failure rate. */
  readonly failureRateMemoryRuns: number;
  /** Minutes before the newest closed one kept for corrections and the incident totals. */
  readonly retainWindows: number;
  /** A workflow's normal failure rate is forgotten after this many minutes without a window. */
  readonly forgetWorkflowWindows: number;
  /** A clock jump evaluates at most this many minutes; older ones are skipped as quiet. */
  readonly maxCatchUpWindows: number;
  /** A failure insight is linked to an incident when the incident's class is this share of its failures. */
  readonly minClassShare: number;
  /** Open after `openCount` of `openWindow` minutes at or above `minWorkflows`. */
  readonly openCount: number;
  readonly openWindow: number;
  /** An open incident holds while at least this fraction of `minWorkflows` is still affected. */
  readonly holdFraction: number;
  /** Resolve after this many minutes below the hold level in a row. */
  readonly resolveAfter: number;
  /** Minutes after a resolve before the same incident may open again. */
  readonly cooldown: number;
}

export const DEFAULT_INCIDENT_GROUPER_CONFIG: IncidentGrouperConfig = {
  windowMs: 60_000,
  minWorkflows: 3,
  criticalWorkflows: 10,
  spanWindows: 3,
  minDeviation: 2.5,
  minFailureRate: 0.01,
  failureRateMemoryRuns: 2000,
  retainWindows: 60,
  forgetWorkflowWindows: 1440,
  maxCatchUpWindows: 1440,
  minClassShare: 0.5,
  openCount: 2,
  openWindow: 3,
  holdFraction: 0.5,
  resolveAfter: 5,
  cooldown: 15,
};

/** Failure counts by error class of one record, at the record's version. */
interface Versioned {
  readonly version: number;
  readonly classes: readonly (readonly [string, number])[];
}

interface StepFailures extends Versioned {
  readonly workflowId: string;
  readonly service: string | null;
}

/** Failures of one tenant in one minute, by record. */
interface MinuteFailures {
  /** workflowId -> failed runs by class (workflow windows). */
  readonly workflows: Map<string, Versioned>;
  /** step key -> failed attempts by class (step windows). */
  readonly steps: Map<string, StepFailures>;
  /** service NUL input partition -> failures by class (service windows are partial per partition). */
  readonly services: Map<string, Versioned>;
}

/** Runs and normal failure rate of one workflow. */
interface WorkflowStats {
  failedEw: number;
  runsEw: number;
  lastMinute: number;
  /** [windowStart, runs, failures learned, version] of the latest windows, ascending. */
  readonly runs: [number, number, number, number][];
}

interface WorkflowHits {
  runs: number;
  attempts: number;
}

interface OpenIncident {
  readonly insightId: string;
  readonly openedAt: number;
  /** First minute counted in the totals (the span that opened it). */
  readonly from: number;
  severity: AlertSeverity;
  peakAffected: number;
  /** Totals of minutes that have left the retained data while open. */
  readonly archived: Map<string, WorkflowHits>;
  /** Latest totals (archived plus retained minutes). */
  workflows: Map<string, WorkflowHits>;
  reportedWorkflows: number;
}

interface IncidentTrack {
  readonly tenantId: string;
  readonly service: string;
  readonly errorClass: string;
  alert: AlertHysteresisState;
  open: OpenIncident | null;
}

export class IncidentGrouperState {
  /** windowStart of the newest closed minute; null before the first close. */
  closedThrough: number | null = null;
  /** tenantId -> minute -> failures. */
  readonly tenants = new Map<string, Map<number, MinuteFailures>>();
  /** tenantId NUL workflowId -> runs and normal failure rate. */
  readonly workflows = new Map<string, WorkflowStats>();
  /** tenantId NUL service NUL error class -> track. */
  readonly tracks = new Map<string, IncidentTrack>();
}

interface Attribution {
  /** service NUL class -> workflowId -> hits. */
  readonly hits: Map<string, Map<string, WorkflowHits>>;
  /** service NUL class -> [certain failures, all failures] of the attribution. */
  readonly certainty: Map<string, [number, number]>;
}

type HitsJSON = readonly (readonly [string, WorkflowHits])[];

export interface IncidentGrouperSnapshot {
  readonly format: 'pulse.insights.incident-grouper.v1';
  readonly closedThrough: number | null;
  readonly tenants: readonly (readonly [
    string,
    readonly (readonly [
      number,
      {
        readonly workflows: readonly (readonly [string, Versioned])[];
        readonly steps: readonly (readonly [string, StepFailures])[];
        readonly services: readonly (readonly [string, Versioned])[];
      },
    ])[],
  ])[];
  readonly workflows: readonly (readonly [string, WorkflowStats])[];
  readonly tracks: readonly {
    readonly key: string;
    readonly tenantId: string;
    readonly service: string;
    readonly errorClass: string;
    readonly alert: AlertHysteresisState;
    readonly open:
      | (Omit<OpenIncident, 'archived' | 'workflows'> & {
          readonly archived: HitsJSON;
          readonly workflows: HitsJSON;
        })
      | null;
  }[];
}

/** Latest windows kept per workflow for its runs in the span (covers the span plus the settle time). */
const RUNS_KEPT = 16;

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function addHits(into: Map<string, WorkflowHits>, workflowId: string, runs: number, attempts: number): void {
  const h = into.get(workflowId);
  if (h === undefined) into.set(workflowId, { runs, attempts });
  else {
    h.runs += runs;
    h.attempts += attempts;
  }
}

export class IncidentGrouper {
  readonly config: IncidentGrouperConfig;
  readonly #alerting: AlertHysteresisConfig;

  constructor(config: Partial<IncidentGrouperConfig> = {}) {
    this.config = { ...DEFAULT_INCIDENT_GROUPER_CONFIG, ...config };
    const c = this.config;
    if (!(
      c.windowMs > 0 &&
      c.minWorkflows >= 1 &&
      c.spanWindows >= 1 &&
      c.spanWindows < RUNS_KEPT &&
      c.retainWindows >= c.spanWindows &&
      c.minFailureRate > 0 &&
      c.minFailureRate < 1
    )) {
      throw new RangeError(
        `IncidentGrouper: need windowMs > 0, minWorkflows >= 1, 1 <= spanWindows < ${RUNS_KEPT}, spanWindows <= retainWindows, 0 < minFailureRate < 1`,
      );
    }
    // Level = affected / minWorkflows: 1 at the threshold, so the hysteresis' anomaly bar is the
    // threshold itself, and its deviation (the affected count) grades the severity.
    this.#alerting = {
      anomalyLevel: 1,
      minDeviation: 0,
      holdLevel: c.holdFraction,
      openCount: c.openCount,
      openWindow: c.openWindow,
      resolveAfter: c.resolveAfter,
      cooldown: c.cooldown,
      severity: {
        minor: { level: 0, deviation: 0 },
        major: { level: 1, deviation: c.minWorkflows },
        critical: { level: 2, deviation: c.criticalWorkflows },
      },
    };
  }

  initialState(): IncidentGrouperState {
    return new IncidentGrouperState();
  }

  /**
   * Records a workflow, step or service window: a workflow's runs (every workflow window) and the
   * failures by class of any scope. Idempotent per record and version; a higher version replaces.
   */
  observe(state: IncidentGrouperState, window: WindowMetrics & { readonly inputPartition?: number }): void {
    const c = this.config;
    const minute = window.windowStart;
    const closed = state.closedThrough;
    if (closed !== null && minute <= closed - c.retainWindows * c.windowMs) return;
    if (window.scope === 'workflow' && window.workflowId !== null) {
      if (!this.#learnRuns(state, window)) return;
    }
    const classes = Object.entries(window.errorClasses).filter(([, n]) => n > 0);
    let minutes = state.tenants.get(window.tenantId);
    let md = minutes?.get(minute);
    let id: string;
    let table: 'workflows' | 'steps' | 'services';
    if (window.scope === 'workflow' && window.workflowId !== null) {
      table = 'workflows';
      id = window.workflowId;
    } else if (window.scope === 'step' && window.workflowId !== null) {
      table = 'steps';
      id = window.key;
    } else if (window.scope === 'service' && window.service !== null) {
      table = 'services';
      id = `${window.service}\0${window.inputPartition ?? 0}`;
    } else {
      return;
    }
    const before = md?.[table].get(id);
    if (before !== undefined ? window.version <= before.version : classes.length === 0) return;
    if (md === undefined) {
      md = { workflows: new Map(), steps: new Map(), services: new Map() };
      if (minutes === undefined) {
        minutes = new Map();
        state.tenants.set(window.tenantId, minutes);
      }
      minutes.set(minute, md);
    }
    if (table === 'steps') {
      md.steps.set(id, {
        version: window.version,
        classes,
        workflowId: window.workflowId ?? '',
        service: window.service,
      });
    } else {
      md[table].set(id, { version: window.version, classes });
    }
  }

  // A workflow window's runs and its contribution to the normal failure rate; false for a duplicate.
  #learnRuns(state: IncidentGrouperState, w: WindowMetrics): boolean {
    const c = this.config;
    const key = `${w.tenantId}\0${w.workflowId ?? ''}`;
    let stats = state.workflows.get(key);
    if (stats === undefined) {
      stats = { failedEw: 0, runsEw: 0, lastMinute: w.windowStart, runs: [] };
      state.workflows.set(key, stats);
    }
    // Failures of a class with an open incident are the incident's, not this workflow's normal.
    let failures = w.failures;
    for (const t of state.tracks.values()) {
      if (t.open !== null && t.tenantId === w.tenantId) failures -= w.errorClasses[t.errorClass] ?? 0;
    }
    failures = Math.max(0, failures);
    const i = stats.runs.findIndex((r) => r[0] === w.windowStart);
    const seen = stats.runs[i];
    if (seen !== undefined) {
      if (w.version <= seen[3]) return false;
      // A correction: learn the difference (the decay it went through is not undone; close enough).
      stats.failedEw = Math.max(0, stats.failedEw + failures - seen[2]);
      stats.runsEw = Math.max(0, stats.runsEw + w.executions - seen[1]);
      stats.runs[i] = [w.windowStart, w.executions, failures, w.version];
      return true;
    }
    const decay = Math.exp(-w.executions / c.failureRateMemoryRuns);
    stats.failedEw = stats.failedEw * decay + failures;
    stats.runsEw = stats.runsEw * decay + w.executions;
    stats.lastMinute = Math.max(stats.lastMinute, w.windowStart);
    stats.runs.push([w.windowStart, w.executions, failures, w.version]);
    stats.runs.sort((a, b) => a[0] - b[0]);
    if (stats.runs.length > RUNS_KEPT) stats.runs.splice(0, stats.runs.length - RUNS_KEPT);
    return true;
  }

  /** Evaluates every minute up to and including `through` (a windowStart) not evaluated yet. */
  closeThrough(state: IncidentGrouperState, through: number): Insight[] {
    const w = this.config.windowMs;
    const out: Insight[] = [];
    if (state.closedThrough === null) {
      let earliest = Infinity;
      for (const minutes of state.tenants.values())
        for (const m of minutes.keys()) earliest = Math.min(earliest, m);
      state.closedThrough = Math.min(earliest - w, through);
    }
    let next = state.closedThrough + w;
    if (next > through) return out;
    if ((through - next) / w >= this.config.maxCatchUpWindows) {
      next = through - (this.config.maxCatchUpWindows - 1) * w;
    }
    const cache = new Map<string, Attribution>();
    for (let m = next; m <= through; m += w) {
      if (state.tenants.size === 0 && state.tracks.size === 0) {
        state.closedThrough = through;
        break;
      }
      this.#closeMinute(state, m, cache, out);
      state.closedThrough = m;
    }
    this.#evict(state, cache);
    return out;
  }

  /**
   * The open incident a failure insight of this workflow belongs to: the workflow is among the
   * incident's affected ones and the incident's error class is most of the insight's failures.
   */
  openIncidentFor(
    state: IncidentGrouperState,
    tenantId: string,
    workflowId: string,
    errorClasses: readonly (readonly [string, number])[],
  ): string | null {
    let total = 0;
    for (const [, n] of errorClasses) total += n;
    if (total <= 0) return null;
    let best: { share: number; key: string; id: string } | null = null;
    for (const [key, t] of state.tracks) {
      if (t.open === null || t.tenantId !== tenantId || !t.open.workflows.has(workflowId)) continue;
      let count = 0;
      for (const [c, n] of errorClasses) if (c === t.errorClass) count += n;
      const share = count / total;
      if (share < this.config.minClassShare) continue;
      if (best === null || share > best.share || (share === best.share && key < best.key)) {
        best = { share, key, id: t.open.insightId };
      }
    }
    return best?.id ?? null;
  }

  /** Open incidents with their affected workflows (for inspection). */
  openIncidents(state: IncidentGrouperState): { insightId: string; key: string; workflows: string[] }[] {
    const out: { insightId: string; key: string; workflows: string[] }[] = [];
    for (const t of state.tracks.values()) {
      if (t.open === null) continue;
      out.push({
        insightId: t.open.insightId,
        key: incidentKey(t),
        workflows: [...t.open.workflows.keys()].sort(cmp),
      });
    }
    return out;
  }

  // One minute: attribute the span's failures, count the affected workflows per (service, class).
  #closeMinute(
    state: IncidentGrouperState,
    m: number,
    cache: Map<string, Attribution>,
    out: Insight[],
  ): void {
    const c = this.config;
    const w = c.windowMs;
    const spanStart = m - (c.spanWindows - 1) * w;
    const affectedBy = new Map<string, number>();
    const certaintyBy = new Map<string, [number, number]>();
    for (const [tenantId, minutes] of state.tenants) {
      let any = false;
      for (let s = spanStart; s <= m; s += w) if (minutes.has(s)) any = true;
      if (!any) continue;
      const span = new Map<string, Map<string, WorkflowHits>>();
      for (let s = spanStart; s <= m; s += w) {
        const a = this.#attribution(state, tenantId, s, cache);
        for (const [sub, hits] of a.hits) {
          let into = span.get(sub);
          if (into === undefined) span.set(sub, (into = new Map<string, WorkflowHits>()));
          for (const [wf, h] of hits) addHits(into, wf, h.runs, h.attempts);
        }
        for (const [sub, [certain, all]] of a.certainty) {
          const key = `${tenantId}\0${sub}`;
          const acc = certaintyBy.get(key) ?? [0, 0];
          certaintyBy.set(key, [acc[0] + certain, acc[1] + all]);
        }
      }
      for (const [sub, hits] of span) {
        let affected = 0;
        for (const [wf, h] of hits)
          if (this.#beyondChance(state, tenantId, wf, h.runs, spanStart, m)) affected++;
        affectedBy.set(`${tenantId}\0${sub}`, affected);
      }
    }

    const keys = new Set<string>();
    for (const [key, affected] of affectedBy) if (affected > 0) keys.add(key);
    for (const [key, t] of state.tracks) {
      if (t.open !== null || t.alert.status !== 'idle' || t.alert.recent.some(Boolean)) keys.add(key);
    }
    for (const key of [...keys].sort(cmp)) {
      let track = state.tracks.get(key);
      if (track === undefined) {
        const [tenantId = '', service = '', errorClass = ''] = key.split('\0');
        track = { tenantId, service, errorClass, alert: INITIAL_ALERT_HYSTERESIS_STATE, open: null };
        state.tracks.set(key, track);
      }
      const certainty = certaintyBy.get(key) ?? [1, 1];
      this.#evaluate(state, key, track, m, affectedBy.get(key) ?? 0, certainty, cache, out);
    }
  }

  // Whether `failedRuns` of one workflow over the span are beyond chance for its normal rate.
  #beyondChance(
    state: IncidentGrouperState,
    tenantId: string,
    workflowId: string,
    failedRuns: number,
    spanStart: number,
    m: number,
  ): boolean {
    if (failedRuns <= 0) return false;
    const c = this.config;
    const stats = state.workflows.get(`${tenantId}\0${workflowId}`);
    let runs = 0;
    for (const [t, n] of stats?.runs ?? []) if (t >= spanStart && t <= m) runs += n;
    runs = Math.max(runs, failedRuns);
    // A prior of 1/minFailureRate runs at the floor rate keeps a new workflow from looking broken.
    const prior = 1 / c.minFailureRate;
    const normal = Math.max(c.minFailureRate, ((stats?.failedEw ?? 0) + 1) / ((stats?.runsEw ?? 0) + prior));
    return tailDeviation(binomialUpperLogTail(failedRuns, runs, Math.min(0.999, normal))) >= c.minDeviation;
  }

  #evaluate(
    state: IncidentGrouperState,
    key: string,
    track: IncidentTrack,
    m: number,
    affected: number,
    certainty: readonly [number, number],
    cache: Map<string, Attribution>,
    out: Insight[],
  ): void {
    const c = this.config;
    const level = Math.min(1, affected / c.minWorkflows);
    const r = alertHysteresis(track.alert, { timestamp: m, level, deviation: affected }, this.#alerting);
    track.alert = r.state;
    const share = certainty[1] > 0 ? certainty[0] / certainty[1] : 1;
    let reported = false;
    for (const t of r.transitions) {
      if (t.kind === 'opened') {
        track.open = {
          insightId: insightId('incident', 'service', incidentKey(track), m),
          openedAt: m,
          from: m - (c.spanWindows - 1) * c.windowMs,
          severity: t.severity,
          peakAffected: affected,
          archived: new Map(),
          workflows: new Map(),
          reportedWorkflows: 0,
        };
        this.#totals(state, track, m, cache);
        track.open.reportedWorkflows = track.open.workflows.size;
        out.push(this.#insight(state, track, 'opened', m, affected, share));
        reported = true;
      } else if (t.kind === 'escalated' && track.open !== null) {
        track.open.severity = t.severity;
        track.open.peakAffected = Math.max(track.open.peakAffected, affected);
        this.#totals(state, track, m, cache);
        track.open.reportedWorkflows = track.open.workflows.size;
        out.push(this.#insight(state, track, 'updated', m, affected, share));
        reported = true;
      } else if (t.kind === 'resolved' && track.open !== null) {
        this.#totals(state, track, m, cache);
        out.push(this.#insight(state, track, 'resolved', m, affected, share));
        track.open = null;
        reported = true;
      }
    }
    if (track.open !== null && !reported) {
      track.open.peakAffected = Math.max(track.open.peakAffected, affected);
      this.#totals(state, track, m, cache);
      // More workflows joined: say so (at most once a minute); more failed runs alone is not news.
      if (track.open.workflows.size > track.open.reportedWorkflows) {
        track.open.reportedWorkflows = track.open.workflows.size;
        out.push(this.#insight(state, track, 'updated', m, affected, share));
      }
    }
    if (track.open === null && track.alert.status === 'idle' && !track.alert.recent.some(Boolean)) {
      state.tracks.delete(key);
    }
  }

  // Totals of an open incident: archived minutes plus the retained minutes since it began.
  #totals(
    state: IncidentGrouperState,
    track: IncidentTrack,
    m: number,
    cache: Map<string, Attribution>,
  ): void {
    const open = track.open;
    if (open === null) return;
    const w = this.config.windowMs;
    const workflows = new Map<string, WorkflowHits>();
    for (const [wf, h] of open.archived) addHits(workflows, wf, h.runs, h.attempts);
    const minutes = state.tenants.get(track.tenantId);
    const sub = `${track.service}\0${track.errorClass}`;
    const oldest = m - (this.config.retainWindows - 1) * w;
    if (minutes !== undefined) {
      for (let s = Math.max(open.from, oldest); s <= m; s += w) {
        if (!minutes.has(s)) continue;
        const hits = this.#attribution(state, track.tenantId, s, cache).hits.get(sub);
        if (hits !== undefined) for (const [wf, h] of hits) addHits(workflows, wf, h.runs, h.attempts);
      }
    }
    open.workflows = workflows;
  }

  #insight(
    state: IncidentGrouperState,
    track: IncidentTrack,
    change: InsightChange,
    m: number,
    affected: number,
    certainty: number,
  ): Insight {
    const open = track.open;
    if (open === null) throw new Error('incident insight without an open incident');
    const c = this.config;
    const w = c.windowMs;
    const related = [...open.workflows.keys()].sort(cmp);
    let failedRuns = 0;
    for (const h of open.workflows.values()) failedRuns += h.runs;
    const contributors: InsightContributor[] = [
      { dimension: 'service', value: track.service, share: round(certainty) },
      {
        dimension: 'error_class',
        value: track.errorClass,
        share: round(this.#classShare(state, track, open, m)),
      },
    ];
    const resolved = change === 'resolved';
    const runs = `${formatCount(failedRuns)} failed run${failedRuns === 1 ? '' : 's'}`;
    const description = resolved
      ? `${track.service} ${track.errorClass} failures hit ${related.length} workflows (${runs}) from ${formatTime(open.from)} to ${formatTime(m + w)}; resolved.`
      : `${track.service} ${track.errorClass} failures are hitting ${related.length} workflows (${runs} since ${formatTime(open.from)}).`;
    return {
      insightId: open.insightId,
      kind: 'incident',
      state: resolved ? 'resolved' : 'open',
      change,
      scope: 'service',
      key: incidentKey(track),
      tenantId: track.tenantId,
      workflowId: null,
      stepId: null,
      service: track.service,
      metric: 'affected_workflows',
      windowStart: m,
      windowEnd: m + w,
      observed: affected,
      expected: 0,
      lower: 0,
      upper: c.minWorkflows - 1,
      score: round(Math.min(1, open.peakAffected / (2 * c.minWorkflows))),
      severity: insightSeverity(open.severity),
      confidence: round(certainty),
      impact: { unit: 'failed_runs', value: failedRuns },
      contributors,
      description,
      openedAt: open.openedAt,
      resolvedAt: resolved ? m + w : null,
      relatedWorkflows: related,
    };
  }

  // Share of the affected workflows' failed runs (retained minutes) that are of the incident's class.
  #classShare(state: IncidentGrouperState, track: IncidentTrack, open: OpenIncident, m: number): number {
    const minutes = state.tenants.get(track.tenantId);
    if (minutes === undefined) return 1;
    const w = this.config.windowMs;
    let mine = 0;
    let all = 0;
    for (let s = Math.max(open.from, m - (this.config.retainWindows - 1) * w); s <= m; s += w) {
      const md = minutes.get(s);
      if (md === undefined) continue;
      for (const [wf, rec] of md.workflows) {
        if (!open.workflows.has(wf)) continue;
        for (const [cls, n] of rec.classes) {
          all += n;
          if (cls === track.errorClass) mine += n;
        }
      }
    }
    return all > 0 ? mine / all : 1;
  }

  // Which (service, class) each failure of one tenant-minute belongs to.
  #attribution(
    state: IncidentGrouperState,
    tenantId: string,
    m: number,
    cache: Map<string, Attribution>,
  ): Attribution {
    const cacheKey = `${tenantId}\0${m}`;
    const cached = cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const minutes = state.tenants.get(tenantId);
    const md = minutes?.get(m);
    const hits = new Map<string, Map<string, WorkflowHits>>();
    const certainty = new Map<string, [number, number]>();
    const result: Attribution = { hits, certainty };
    cache.set(cacheKey, result);
    if (md === undefined) return result;
    const previous = minutes?.get(m - this.config.windowMs);

    // Failures by class per service this minute and the one before (partials summed).
    const byClass = new Map<string, Map<string, number>>();
    for (const source of [md, previous]) {
      if (source === undefined) continue;
      for (const [id, rec] of source.services) {
        const service = id.slice(0, id.lastIndexOf('\0'));
        for (const [cls, n] of rec.classes) {
          let services = byClass.get(cls);
          if (services === undefined) byClass.set(cls, (services = new Map<string, number>()));
          services.set(service, (services.get(service) ?? 0) + n);
        }
      }
    }
    const pick = (cls: string): { service: string; share: number } | null => {
      const services = byClass.get(cls);
      if (services === undefined) return null;
      let best: string | null = null;
      let top = 0;
      let total = 0;
      for (const [service, n] of services) {
        total += n;
        if (n > top || (n === top && best !== null && service < best)) {
          best = service;
          top = n;
        }
      }
      return best === null ? null : { service: best, share: total > 0 ? top / total : 0 };
    };
    const add = (
      service: string,
      cls: string,
      wf: string,
      runs: number,
      attempts: number,
      certain: number,
    ): void => {
      const sub = `${service}\0${cls}`;
      let into = hits.get(sub);
      if (into === undefined) hits.set(sub, (into = new Map<string, WorkflowHits>()));
      addHits(into, wf, runs, attempts);
      const acc = certainty.get(sub) ?? [0, 0];
      const n = runs + attempts;
      certainty.set(sub, [acc[0] + certain * n, acc[1] + n]);
    };
    // Steps that carry their service attribute their workflow's failures directly.
    const direct = new Map<string, string>();
    for (const rec of md.steps.values()) {
      for (const [cls, n] of rec.classes) {
        if (cls === OTHER_ERROR_CLASS) continue;
        if (rec.service !== null) {
          direct.set(`${rec.workflowId}\0${cls}`, rec.service);
          add(rec.service, cls, rec.workflowId, 0, n, 1);
        } else {
          const p = pick(cls);
          if (p !== null) add(p.service, cls, rec.workflowId, 0, n, p.share);
        }
      }
    }
    for (const [wf, rec] of md.workflows) {
      for (const [cls, n] of rec.classes) {
        if (cls === OTHER_ERROR_CLASS) continue;
        const service = direct.get(`${wf}\0${cls}`);
        if (service !== undefined) {
          add(service, cls, wf, n, 0, 1);
          continue;
        }
        const p = pick(cls);
        if (p !== null) add(p.service, cls, wf, n, 0, p.share);
      }
    }
    return result;
  }

  // Drops minutes older than the retention (folding them into the totals of incidents still open)
  // and workflows silent for longer than `forgetWorkflowWindows`.
  #evict(state: IncidentGrouperState, cache: Map<string, Attribution>): void {
    const closed = state.closedThrough;
    if (closed === null) return;
    const w = this.config.windowMs;
    const oldest = closed - (this.config.retainWindows - 1) * w;
    for (const [tenantId, minutes] of state.tenants) {
      for (const m of [...minutes.keys()].sort((a, b) => a - b)) {
        if (m >= oldest) break;
        for (const t of state.tracks.values()) {
          if (t.open === null || t.tenantId !== tenantId || m < t.open.from) continue;
          const hits = this.#attribution(state, tenantId, m, cache).hits.get(`${t.service}\0${t.errorClass}`);
          if (hits !== undefined)
            for (const [wf, h] of hits) addHits(t.open.archived, wf, h.runs, h.attempts);
        }
        minutes.delete(m);
      }
      if (minutes.size === 0) state.tenants.delete(tenantId);
    }
    const forget = closed - this.config.forgetWorkflowWindows * w;
    for (const [key, stats] of state.workflows) if (stats.lastMinute < forget) state.workflows.delete(key);
  }

  snapshot(state: IncidentGrouperState): IncidentGrouperSnapshot {
    return {
      format: 'pulse.insights.incident-grouper.v1',
      closedThrough: state.closedThrough,
      tenants: [...state.tenants].map(
        ([tenantId, minutes]) =>
          [
            tenantId,
            [...minutes].map(
              ([m, md]) =>
                [
                  m,
                  {
                    workflows: [...md.workflows].map(([k, v]) => [k, copyVersioned(v)] as const),
                    steps: [...md.steps].map(
                      ([k, v]) =>
                        [k, { ...copyVersioned(v), workflowId: v.workflowId, service: v.service }] as const,
                    ),
                    services: [...md.services].map(([k, v]) => [k, copyVersioned(v)] as const),
                  },
                ] as const,
            ),
          ] as const,
      ),
      workflows: [...state.workflows].map(
        ([k, s]) => [k, { ...s, runs: s.runs.map((r) => [...r]) }] as const,
      ),
      tracks: [...state.tracks].map(([key, t]) => ({
        key,
        tenantId: t.tenantId,
        service: t.service,
        errorClass: t.errorClass,
        alert: structuredClone(t.alert),
        open:
          t.open === null
            ? null
            : {
                insightId: t.open.insightId,
                openedAt: t.open.openedAt,
                from: t.open.from,
                severity: t.open.severity,
                peakAffected: t.open.peakAffected,
                reportedWorkflows: t.open.reportedWorkflows,
                archived: [...t.open.archived].map(([k, h]) => [k, { ...h }] as const),
                workflows: [...t.open.workflows].map(([k, h]) => [k, { ...h }] as const),
              },
      })),
    };
  }

  /** Rebuilds state from `snapshot()` output; throws ValidationError. */
  restore(json: unknown): IncidentGrouperState {
    const parsed = snapshotSchema.safeParse(json);
    if (!parsed.success) {
      throw new ValidationError(
        'incident grouper snapshot',
        parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      );
    }
    const snap = parsed.data;
    const state = new IncidentGrouperState();
    state.closedThrough = snap.closedThrough;
    for (const [tenantId, minutes] of snap.tenants) {
      const map = new Map<number, MinuteFailures>();
      for (const [m, md] of minutes) {
        map.set(m, {
          workflows: new Map(md.workflows.map(([k, v]) => [k, copyVersioned(v)])),
          steps: new Map(
            md.steps.map(([k, v]) => [
              k,
              { ...copyVersioned(v), workflowId: v.workflowId, service: v.service },
            ]),
          ),
          services: new Map(md.services.map(([k, v]) => [k, copyVersioned(v)])),
        });
      }
      state.tenants.set(tenantId, map);
    }
    for (const [k, s] of snap.workflows) {
      state.workflows.set(k, { ...s, runs: s.runs.map((r) => [r[0], r[1], r[2], r[3]]) });
    }
    for (const t of snap.tracks) {
      state.tracks.set(t.key, {
        tenantId: t.tenantId,
        service: t.service,
        errorClass: t.errorClass,
        alert: t.alert,
        open:
          t.open === null
            ? null
            : {
                insightId: t.open.insightId,
                openedAt: t.open.openedAt,
                from: t.open.from,
                severity: t.open.severity,
                peakAffected: t.open.peakAffected,
                reportedWorkflows: t.open.reportedWorkflows,
                archived: new Map(t.open.archived.map(([k, h]) => [k, { ...h }])),
                workflows: new Map(t.open.workflows.map(([k, h]) => [k, { ...h }])),
              },
      });
    }
    return state;
  }
}

function incidentKey(track: IncidentTrack): string {
  return `${track.tenantId}/${track.service}/${track.errorClass}`;
}

function copyVersioned(v: Versioned): Versioned {
  return { version: v.version, classes: v.classes.map(([c, n]) => [c, n] as const) };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

const finite = z.number().refine(Number.isFinite, 'must be finite');
const classesSchema = z.array(z.tuple([z.string(), finite]));
const versionedSchema = z.object({ version: z.number().int(), classes: classesSchema });
const hitsSchema = z.array(z.tuple([z.string(), z.object({ runs: finite, attempts: finite })]));
const severitySchema = z.enum(['minor', 'major', 'critical']);
export const alertStateSchema = z.object({
  status: z.enum(['idle', 'open', 'cooldown']),
  recent: z.array(z.boolean()),
  normalStreak: z.number().int().nonnegative(),
  cooldownLeft: z.number().int().nonnegative(),
  severity: severitySchema.nullable(),
  openedAt: finite.nullable(),
  peakLevel: finite,
});
const snapshotSchema = z.object({
  format: z.literal('pulse.insights.incident-grouper.v1'),
  closedThrough: finite.nullable(),
  tenants: z.array(
    z.tuple([
      z.string(),
      z.array(
        z.tuple([
          finite,
          z.object({
            workflows: z.array(z.tuple([z.string(), versionedSchema])),
            steps: z.array(
              z.tuple([
                z.string(),
                versionedSchema.extend({ workflowId: z.string(), service: z.string().nullable() }),
              ]),
            ),
            services: z.array(z.tuple([z.string(), versionedSchema])),
          }),
        ]),
      ),
    ]),
  ),
  workflows: z.array(
    z.tuple([
      z.string(),
      z.object({
        failedEw: finite,
        runsEw: finite,
        lastMinute: finite,
        runs: z.array(z.tuple([finite, finite, finite, z.number().int()])),
      }),
    ]),
  ),
  tracks: z.array(
    z.object({
      key: z.string(),
      tenantId: z.string(),
      service: z.string(),
      errorClass: z.string(),
      alert: alertStateSchema,
      open: z
        .object({
          insightId: z.string(),
          openedAt: finite,
          from: finite,
          severity: severitySchema,
          peakAffected: finite,
          reportedWorkflows: finite,
          archived: hitsSchema,
          workflows: hitsSchema,
        })
        .nullable(),
    }),
  ),
});
