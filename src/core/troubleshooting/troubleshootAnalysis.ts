// Root-cause analysis of a failing workflow: the error logs a caller sends, classified, weighed with
// what the pipeline recorded (failures by step, service and error class, since when, on which
// version; the same service failing in the tenant's other workflows; a version published just
// before) into ranked hypotheses, recommendations a person can act on, and — only where it is safe —
// an automatic fix: a new version of the workflow with backoff, retries or smaller batches on the
// failing service's steps. Auth, permission, quota, validation and config failures are never
// auto-resolved: they get precise instructions. A step that finds nothing at its address (404,
// unresolvable host), or is rejected as set up (validation, not_found), on every call since a version
// changed its settings is a config failure of that change, not a missing record or bad data. Pure:
// the evidence comes in as data.
import type { WorkflowDefinition, WorkflowStep } from '../generation/workflowDefinition.ts';
import { classifyError, type ErrorClassification } from './classifyError.ts';
import type { AutomaticResolution, ManualResolution, Resolution } from './errorResolution.ts';
import {
  isAddressFailure,
  isSettingFailure,
  stepConfigChanges,
  type PublishedVersion,
  type StepConfigChange,
} from './stepConfigChange.ts';

/** Failed step attempts of the workflow that share step, service and error class. */
export interface FailureGroup {
  readonly stepId: string | null;
  readonly service: string | null;
  readonly errorClass: string | null;
  readonly errorCode: string | null;
  readonly httpStatus: number | null;
  readonly message: string | null;
  readonly failures: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly maxVersion: number;
}

/** What the pipeline recorded about the workflow (ClickHouse), over the analysis window. */
export interface RecordedEvidence {
  readonly windowHours: number;
  readonly runs: number;
  readonly failedRuns: number;
  /** The same length of time before the window: the normal failure rate. */
  readonly baselineRuns: number;
  readonly baselineFailedRuns: number;
  readonly failures: readonly FailureGroup[];
  /** Other workflows of the tenant failing on the same service and class in the window. */
  readonly otherWorkflows: readonly {
    readonly service: string;
    readonly errorClass: string;
    readonly workflows: number;
  }[];
}

export interface ErrorLogInput {
  readonly service: string | null;
  readonly stepId: string | null;
  readonly log: string;
  readonly httpStatus: number | null;
  readonly occurredAt: number | null;
}

export type HypothesisKind = 'service_error' | 'version_regression' | 'provider_incident' | 'config_change';

export interface Hypothesis {
  readonly kind: HypothesisKind;
  readonly service: string | null;
  readonly stepId: string | null;
  readonly errorClass: string;
  readonly confidence: number;
  readonly since: number | null;
  readonly version: number | null;
  readonly summary: string;
  readonly evidence: readonly string[];
}

export interface Recommendation {
  readonly service: string | null;
  readonly errorClass: string;
  readonly action: string;
  readonly automatic: boolean;
  readonly instructions: string;
}

export interface AutoFix {
  readonly service: string;
  readonly errorClass: string;
  readonly resolution: AutomaticResolution;
  readonly definition: WorkflowDefinition;
  readonly reason: string;
  readonly changedSteps: readonly string[];
}

export interface TroubleshootAnalysis {
  readonly classified: readonly (ErrorLogInput & {
    readonly class: string;
    readonly confidence: number;
    readonly autoResolvable: boolean;
    readonly provider: string | null;
  })[];
  readonly hypotheses: readonly Hypothesis[];
  readonly recommendations: readonly Recommendation[];
  /** The safe fix to publish as a new version; null when none applies (see recommendations). */
  readonly fix: AutoFix | null;
  readonly failureRate: number | null;
  readonly baselineFailureRate: number | null;
}

export interface AnalysisInput {
  readonly errorLogs: readonly ErrorLogInput[];
  readonly evidence: RecordedEvidence | null;
  /** The version that runs now, when the workflow is known. */
  readonly current: WorkflowDefinition | null;
  /**
   * Versions with the time they were published (event time), for regression attribution; with
   * their definitions, a step whose settings a version changed can be blamed on that change.
   */
  readonly versions: readonly PublishedVersion[];
  readonly autoResolve: boolean;
  readonly now: number;
}

/** A version published at most this long before the failures began may have caused them. */
const REGRESSION_LOOKBACK_MS = 60 * 60_000;
/** Other workflows failing the same way from which it is the provider, not this workflow. */
const INCIDENT_WORKFLOWS = 2;
/** Share of the runs since a change that must fail for "every call fails" (a few may not reach the step). */
const EVERY_CALL_SHARE = 0.9;
const CONFIG_CHANGE_CONFIDENCE = 0.9;
/** The change-specific hypothesis ranks above the plain "config errors at step X" one. */
const CONFIG_CHANGE_HYPOTHESIS_CONFIDENCE = 0.95;

const round = (v: number): number => Math.round(v * 1000) / 1000;

function isAutomatic(r: Resolution): r is AutomaticResolution {
  return r.action === 'backoff' || r.action === 'retry' || r.action === 'reduce_batch_size';
}

/** The workflow's steps on `service` with the automatic resolution applied; others unchanged. */
export function applyResolution(
  definition: WorkflowDefinition,
  service: string,
  resolution: AutomaticResolution,
): { definition: WorkflowDefinition; changedSteps: string[] } {
  const changed: string[] = [];
  const steps = definition.steps.map((step): WorkflowStep => {
    if (step.service !== service) return step;
    let next: WorkflowStep;
    if (resolution.action === 'reduce_batch_size') {
      if (step.batchSize === null) return step;
      const batchSize = Math.max(2, resolution.minBatchSize, Math.floor(step.batchSize * resolution.factor));
      next = { ...step, batchSize };
    } else {
      const r = resolution.retry;
      const initialDelayMs = Math.min(3_600_000, Math.max(step.retry.initialDelayMs, r.initialDelayMs));
      next = {
        ...step,
        retry: {
          maxAttempts: Math.min(10, Math.max(step.retry.maxAttempts, r.maxAttempts)),
          backoff: 'exponential',
          initialDelayMs,
          maxDelayMs: Math.min(3_600_000, Math.max(step.retry.maxDelayMs, r.maxDelayMs, initialDelayMs)),
          jitter: true,
          respectRetryAfter: step.retry.respectRetryAfter || resolution.respectRetryAfter,
        },
        ...(resolution.action === 'backoff'
          ? { concurrency: Math.max(1, Math.min(step.concurrency, resolution.concurrency)) }
          : {}),
        ...(resolution.action === 'retry' && resolution.timeoutMultiplier !== undefined
          ? { timeoutMs: Math.min(900_000, Math.round(step.timeoutMs * resolution.timeoutMultiplier)) }
          : {}),
      };
    }
    if (JSON.stringify(next) !== JSON.stringify(step)) changed.push(step.stepId);
    return next;
  });
  return { definition: { ...definition, steps }, changedSteps: changed };
}

interface ConfigChangeFinding {
  readonly change: StepConfigChange;
  /** Classes the step's failures were sorted into (not_found, network, ...), now config. */
  readonly classes: ReadonlySet<string>;
  readonly since: number;
  /** Every failure is a 404/410 or an unresolvable host (else some are rejections of the request). */
  readonly addressOnly: boolean;
  readonly unresolvedHost: boolean;
}

/**
 * Steps whose every failure is an address failure, none of them before the latest version that
 * changed the step's settings, while (per the recorded runs) nearly every run since then failed.
 */
function configChangeFindings(
  input: AnalysisInput,
  classified: readonly { log: ErrorLogInput; c: ErrorClassification }[],
): ConfigChangeFinding[] {
  const latest = new Map<string, StepConfigChange>();
  for (const change of stepConfigChanges(input.versions)) {
    const seen = latest.get(change.stepId);
    if (seen === undefined || change.version > seen.version) latest.set(change.stepId, change);
  }
  const ev = input.evidence;
  const findings: ConfigChangeFinding[] = [];
  for (const change of latest.values()) {
    const recorded = (ev?.failures ?? []).filter((f) => f.stepId === change.stepId);
    const logs = classified
      .filter(({ log }) => log.stepId === change.stepId)
      .map(({ log, c }) => ({
        errorClass: c.class,
        httpStatus: c.httpStatus,
        message: log.log,
        at: log.occurredAt,
      }));
    const all = [...recorded.map((f) => ({ ...f, at: f.firstSeen })), ...logs];
    if (all.length === 0 || !all.every(isSettingFailure)) continue;
    const times = all.flatMap((f) => (f.at === null ? [] : [f.at]));
    if (times.length === 0 || times.some((t) => t < change.publishedAt)) continue;
    if (ev !== null && ev.runs > 0) {
      // Runs are counted over the whole window; only the part since the change must all fail.
      const windowMs = ev.windowHours * 3_600_000;
      const share = Math.min(1, Math.max(0, (input.now - change.publishedAt) / windowMs));
      if (ev.failedRuns < EVERY_CALL_SHARE * ev.runs * share) continue;
    }
    findings.push({
      change,
      classes: new Set(all.flatMap((f) => (f.errorClass === null ? [] : [f.errorClass]))),
      since: Math.min(...times),
      addressOnly: all.every(isAddressFailure),
      unresolvedHost: all.some((f) => f.httpStatus !== 404 && f.httpStatus !== 410),
    });
  }
  return findings;
}

/** How the step's failures since the change look, for hypotheses and instructions. */
function failureOutcome(f: ConfigChangeFinding): { answered: string; each: string } {
  if (!f.addressOnly) {
    const classes = [...f.classes].sort().join(', ');
    return {
      answered: `been rejected as set up (${classes})`,
      each: `a rejection of the request as set up (${classes})`,
    };
  }
  return f.unresolvedHost
    ? {
        answered: 'answered an address that does not exist (404 / host not found)',
        each: 'a 404 or an unresolvable host',
      }
    : { answered: 'answered HTTP 404', each: 'a 404' };
}

function configChangeResolution(f: ConfigChangeFinding): ManualResolution {
  const { change } = f;
  const keys = change.changed.map((c) => c.key).join(', ');
  const detail = change.changed
    .map((c) => `${c.key}: ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`)
    .join('; ');
  return {
    action: 'fix_configuration',
    instructions: `Step ${change.stepId} (${change.service}) has ${failureOutcome(f).answered} on every call since version ${change.version} changed its settings (${detail}). Correct ${keys} in the step, restore the previous value, or roll back to version ${change.version - 1}. A wrong setting does not pass on a retry, so nothing is retried or changed automatically.`,
  };
}

export function analyzeFailures(input: AnalysisInput): TroubleshootAnalysis {
  const classifiedFull: { log: ErrorLogInput; c: ErrorClassification }[] = input.errorLogs.map((log) => ({
    log,
    c: classifyError({ service: log.service ?? undefined, log: log.log, httpStatus: log.httpStatus }),
  }));
  const ev = input.evidence;

  // Group what was observed by (service, class): the caller's logs weighted by confidence, and the
  // recorded failures (which carry step and timing).
  interface Group {
    service: string | null;
    stepId: string | null;
    errorClass: string;
    weight: number;
    logs: number;
    recorded: number;
    since: number | null;
    resolution: Resolution | null;
    confidence: number;
  }
  const groups = new Map<string, Group>();
  const group = (service: string | null, errorClass: string): Group => {
    const key = `${service ?? ''}\0${errorClass}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        service,
        stepId: null,
        errorClass,
        weight: 0,
        logs: 0,
        recorded: 0,
        since: null,
        resolution: null,
        confidence: 0,
      };
      groups.set(key, g);
    }
    return g;
  };
  for (const { log, c } of classifiedFull) {
    const g = group(log.service, c.class);
    g.weight += c.confidence;
    g.logs += 1;
    g.stepId ??= log.stepId;
    g.confidence = Math.max(g.confidence, c.confidence);
    g.resolution ??= c.resolution;
    if (log.occurredAt !== null) g.since = Math.min(g.since ?? Infinity, log.occurredAt);
  }
  for (const f of ev?.failures ?? []) {
    if (f.errorClass === null) continue;
    const g = group(f.service, f.errorClass);
    g.weight += f.failures;
    g.recorded += f.failures;
    g.stepId ??= f.stepId;
    g.since = Math.min(g.since ?? Infinity, f.firstSeen);
    if (g.resolution === null && f.message !== null) {
      const c = classifyError({ service: f.service ?? undefined, log: f.message, httpStatus: f.httpStatus });
      if (c.class === f.errorClass) {
        g.resolution = c.resolution;
        g.confidence = Math.max(g.confidence, c.confidence);
      }
    }
    if (g.confidence === 0) g.confidence = 0.6;
  }
  // Address failures since a settings change: move the step's groups to config with a resolution
  // that names the changed settings (and so no automatic fix is offered for them).
  const configChanges = configChangeFindings(input, classifiedFull);
  for (const f of configChanges) {
    for (const [key, g] of groups) {
      if (g.stepId !== f.change.stepId || !f.classes.has(g.errorClass)) continue;
      groups.delete(key);
      const target = group(g.service, 'config');
      target.weight += g.weight;
      target.logs += g.logs;
      target.recorded += g.recorded;
      target.stepId ??= g.stepId;
      target.since = Math.min(target.since ?? Infinity, g.since ?? Infinity, f.since);
      target.confidence = Math.max(target.confidence, CONFIG_CHANGE_CONFIDENCE);
      target.resolution = configChangeResolution(f);
    }
  }
  const reclassifiedSteps = new Set(configChanges.map((f) => f.change.stepId));

  const ranked = [...groups.values()].sort(
    (a, b) =>
      b.weight - a.weight ||
      (a.service ?? '').localeCompare(b.service ?? '') ||
      a.errorClass.localeCompare(b.errorClass),
  );
  const total = ranked.reduce((s, g) => s + g.weight, 0);

  const failureRate = ev !== null && ev.runs > 0 ? round(ev.failedRuns / ev.runs) : null;
  const baselineFailureRate =
    ev !== null && ev.baselineRuns > 0 ? round(ev.baselineFailedRuns / ev.baselineRuns) : null;

  const hypotheses: Hypothesis[] = [];
  for (const g of ranked) {
    const share = total > 0 ? g.weight / total : 0;
    const where =
      `${g.stepId !== null ? `step ${g.stepId} ` : ''}${g.service !== null ? `(${g.service})` : ''}`.trim() ||
      'the workflow';
    const evidence: string[] = [];
    if (g.logs > 0)
      evidence.push(`${g.logs} of the ${classifiedFull.length} error logs classify as ${g.errorClass}`);
    if (g.recorded > 0)
      evidence.push(
        `${g.recorded} failed attempts recorded with ${g.errorClass} in the last ${ev?.windowHours ?? 0} h`,
      );
    if (g.since !== null && Number.isFinite(g.since))
      evidence.push(`failing since ${new Date(g.since).toISOString()}`);
    if (failureRate !== null) {
      evidence.push(
        `run failure rate ${(failureRate * 100).toFixed(1)}%` +
          (baselineFailureRate !== null ? ` against ${(baselineFailureRate * 100).toFixed(1)}% before` : ''),
      );
    }
    hypotheses.push({
      kind: 'service_error',
      service: g.service,
      stepId: g.stepId,
      errorClass: g.errorClass,
      confidence: round(Math.min(1, g.confidence * (0.5 + 0.5 * share))),
      since: g.since !== null && Number.isFinite(g.since) ? g.since : null,
      version: null,
      summary: `${g.errorClass} errors at ${where}`,
      evidence,
    });
    const others = ev?.otherWorkflows.find((o) => o.service === g.service && o.errorClass === g.errorClass);
    if (others !== undefined && others.workflows >= INCIDENT_WORKFLOWS && g.service !== null) {
      hypotheses.push({
        kind: 'provider_incident',
        service: g.service,
        stepId: g.stepId,
        errorClass: g.errorClass,
        confidence: round(Math.min(1, 0.4 + 0.1 * others.workflows) * share),
        since: g.since,
        version: null,
        summary: `${g.service} is failing with ${g.errorClass} for ${others.workflows} other workflows too: a provider-side problem, not this workflow`,
        evidence: [
          `${others.workflows} other workflows of the tenant fail on ${g.service} with ${g.errorClass} in the same window`,
        ],
      });
    }
  }
  for (const f of configChanges) {
    const { change } = f;
    hypotheses.push({
      kind: 'config_change',
      service: change.service,
      stepId: change.stepId,
      errorClass: 'config',
      confidence: CONFIG_CHANGE_HYPOTHESIS_CONFIDENCE,
      since: f.since,
      version: change.version,
      summary: `step ${change.stepId} has failed on every call since version ${change.version} changed its ${change.changed.map((c) => c.key).join(', ')}: a configuration error, not ${f.addressOnly ? 'a missing record' : 'bad data or a missing record'}`,
      evidence: [
        ...change.changed.map(
          (c) =>
            `version ${change.version} changed ${c.key} from ${JSON.stringify(c.from)} to ${JSON.stringify(c.to)}`,
        ),
        `version ${change.version} published at ${new Date(change.publishedAt).toISOString()}, first failure at ${new Date(f.since).toISOString()}`,
        `every failure of the step since then is ${failureOutcome(f).each}`,
      ],
    });
  }
  // A version published shortly before the failures began.
  const start = Math.min(...ranked.map((g) => g.since ?? Infinity));
  if (Number.isFinite(start)) {
    const suspect = [...input.versions]
      .filter(
        (v) => v.version > 1 && v.publishedAt <= start && start - v.publishedAt <= REGRESSION_LOOKBACK_MS,
      )
      .sort((a, b) => b.publishedAt - a.publishedAt)[0];
    const top = ranked[0];
    if (suspect !== undefined && top !== undefined) {
      const minutes = Math.max(0, Math.round((start - suspect.publishedAt) / 60_000));
      hypotheses.push({
        kind: 'version_regression',
        service: top.service,
        stepId: top.stepId,
        errorClass: top.errorClass,
        confidence: round(Math.max(0.5, 0.9 - minutes / 120)),
        since: start,
        version: suspect.version,
        summary: `the failures began ${minutes} min after version ${suspect.version} was published`,
        evidence: [
          `version ${suspect.version} published at ${new Date(suspect.publishedAt).toISOString()}`,
          `first failure at ${new Date(start).toISOString()}`,
        ],
      });
    }
  }
  hypotheses.sort((a, b) => b.confidence - a.confidence);

  const recommendations: Recommendation[] = [];
  const seen = new Set<string>();
  for (const g of ranked) {
    if (g.resolution === null) continue;
    const key = `${g.service ?? ''}\0${g.resolution.action}`;
    if (seen.has(key)) continue;
    seen.add(key);
    recommendations.push({
      service: g.service,
      errorClass: g.errorClass,
      action: g.resolution.action,
      automatic: isAutomatic(g.resolution),
      instructions: g.resolution.instructions,
    });
  }
  const regression = hypotheses.find((h) => h.kind === 'version_regression');
  if (regression?.version !== null && regression !== undefined) {
    recommendations.push({
      service: regression.service,
      errorClass: regression.errorClass,
      action: 'roll_back',
      automatic: false,
      instructions: `Roll back to version ${regression.version - 1} if the failures persist: they began right after version ${regression.version} was published.`,
    });
  }

  // The fix: for the strongest group, only when it is safe to apply without a person.
  let fix: AutoFix | null = null;
  const top = ranked[0];
  if (
    input.autoResolve &&
    input.current !== null &&
    top?.service != null &&
    top.resolution !== null &&
    isAutomatic(top.resolution)
  ) {
    const applied = applyResolution(input.current, top.service, top.resolution);
    if (applied.changedSteps.length > 0) {
      fix = {
        service: top.service,
        errorClass: top.errorClass,
        resolution: top.resolution,
        definition: applied.definition,
        reason:
          `auto-resolution of ${top.errorClass} on ${top.service}: ${top.resolution.instructions}`.slice(
            0,
            2000,
          ),
        changedSteps: applied.changedSteps,
      };
    }
  }

  return {
    classified: classifiedFull.map(({ log, c }) => {
      const reclassified = log.stepId !== null && reclassifiedSteps.has(log.stepId);
      return {
        ...log,
        class: reclassified ? 'config' : c.class,
        confidence: c.confidence,
        autoResolvable: reclassified ? false : c.autoResolvable,
        provider: c.provider,
      };
    }),
    hypotheses,
    recommendations,
    fix,
    failureRate,
    baselineFailureRate,
  };
}
