// What an insight says about its cause: the contributing dimensions (error classes, steps, a newly
// published workflow version) and one human sentence. Pure functions of the series' recent windows.

import type { InsightContributor, SeriesInsightKind } from './insight.ts';
import { formatCount, formatDuration, formatRate } from './insight.ts';
import type { SeriesState, WindowEntry } from './insightSeries.ts';

export const MAX_CONTRIBUTORS = 5;

export interface VersionAttribution {
  readonly version: string;
  /** Share of the series' events from the version since it appeared. */
  readonly share: number;
}

/**
 * The workflow version behind a regression: one first seen at most `lookbackMs` before the window
 * the regression opened in (and not there from the series' start), carrying at least `minShare` of
 * the events since it appeared, so the regression sits where the new version runs. The newest such
 * version wins.
 */
export function attributeVersion(
  series: SeriesState,
  openedAt: number,
  lookbackMs: number,
  minShare: number,
): VersionAttribution | null {
  let candidate: { version: string; first: number } | null = null;
  for (const [version, first] of series.versions) {
    if (!Number.isFinite(first) || first > openedAt || first < openedAt - lookbackMs) continue;
    if (
      candidate === null ||
      first > candidate.first ||
      (first === candidate.first && Number(version) > Number(candidate.version))
    ) {
      candidate = { version, first };
    }
  }
  if (candidate === null) return null;
  let mine = 0;
  let all = 0;
  for (const e of series.entries) {
    if (e.windowStart < candidate.first || e.windowStart > openedAt) continue;
    for (const [v, n] of e.workflowVersions) {
      all += n;
      if (v === candidate.version) mine += n;
    }
  }
  const share = all > 0 ? mine / all : 0;
  return share >= minShare ? { version: candidate.version, share } : null;
}

function shares(
  dimension: InsightContributor['dimension'],
  weights: ReadonlyMap<string, number>,
): InsightContributor[] {
  let total = 0;
  for (const w of weights.values()) if (w > 0) total += w;
  if (total <= 0) return [];
  return [...weights]
    .filter(([, w]) => w > 0)
    .map(([value, w]) => ({ dimension, value, share: Math.round((w / total) * 1000) / 1000 }));
}

function within(entries: readonly WindowEntry[], from: number, to: number): WindowEntry[] {
  return entries.filter((e) => e.windowStart >= from && e.windowStart <= to);
}

/**
 * Contributors of an insight opening over the windows [from, to] of `series`; `steps` are the step
 * series of the same workflow (for a workflow-scope insight).
 */
export function contributorsOf(
  kind: SeriesInsightKind,
  series: SeriesState,
  steps: readonly SeriesState[],
  from: number,
  to: number,
  version: VersionAttribution | null,
): InsightContributor[] {
  const out: InsightContributor[] = [];
  if (version !== null) {
    out.push({
      dimension: 'workflow_version',
      value: version.version,
      share: Math.round(version.share * 1000) / 1000,
    });
  }
  if (kind === 'failure_rate') {
    const classes = new Map<string, number>();
    for (const e of within(series.entries, from, to)) {
      for (const [c, n] of e.errorClasses) classes.set(c, (classes.get(c) ?? 0) + n);
    }
    out.push(...shares('error_class', classes));
  }
  const byStep = new Map<string, number>();
  const byService = new Map<string, number>();
  for (const step of steps) {
    if (step.stepId === null) continue;
    let weight = 0;
    for (const e of within(step.entries, from, to)) {
      if (kind === 'failure_rate') weight += e.failures;
      else if (kind === 'latency_p95' && e.p95Ms !== null) {
        // The step's p95 above its own normal: where the extra time is spent.
        weight = Math.max(weight, e.p95Ms - (step.last.latency?.expected ?? e.p95Ms));
      } else if (kind === 'cost_per_run') {
        const expected = step.last.cost?.expected ?? 0;
        weight += Math.max(0, e.costMicrosSum - expected * e.executions);
      }
    }
    if (weight > 0) {
      byStep.set(step.stepId, weight);
      if (step.service !== null) byService.set(step.service, (byService.get(step.service) ?? 0) + weight);
    }
  }
  out.push(...shares('step', byStep), ...shares('service', byService));
  if (
    series.scope === 'step' &&
    series.service !== null &&
    kind !== 'throughput_drop' &&
    kind !== 'throughput_spike'
  ) {
    out.push({ dimension: 'service', value: series.service, share: 1 });
  }
  return out
    .sort(
      (a, b) =>
        Number(b.dimension === 'workflow_version') - Number(a.dimension === 'workflow_version') ||
        b.share - a.share ||
        (a.dimension < b.dimension ? -1 : a.dimension > b.dimension ? 1 : 0) ||
        (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
    )
    .slice(0, MAX_CONTRIBUTORS);
}

export interface DescribedValues {
  readonly observed: number;
  readonly expected: number;
  readonly impact: number;
  readonly openedObserved: number;
  readonly openedExpected: number;
}

function subjectOf(series: SeriesState): string {
  return series.scope === 'workflow'
    ? `workflow ${series.workflowId}`
    : `step ${series.stepId ?? ''} of workflow ${series.workflowId}`;
}

function formatValue(kind: SeriesInsightKind, value: number): string {
  switch (kind) {
    case 'failure_rate':
      return formatRate(value);
    case 'latency_p95':
      return formatDuration(value);
    case 'throughput_drop':
    case 'throughput_spike':
      return `${formatCount(value)}/min`;
    case 'cost_per_run':
      return `${formatCount(Math.round(value))} micros`;
  }
}

const TOPIC: Record<SeriesInsightKind, string> = {
  failure_rate: 'Failure rate',
  latency_p95: 'p95 latency',
  throughput_drop: 'Runs per minute',
  throughput_spike: 'Runs per minute',
  cost_per_run: 'Cost per run',
};

/** One sentence: what moved, from what to what, and the most telling contributor. */
export function describe(
  kind: SeriesInsightKind,
  series: SeriesState,
  values: DescribedValues,
  contributors: readonly InsightContributor[],
  version: string | null,
  resolved: boolean,
): string {
  const subject = subjectOf(series);
  const observed = formatValue(kind, values.observed);
  const expected = formatValue(kind, values.expected);
  if (resolved) {
    // Not even halfway back: the baseline has moved to the new level, the value has not recovered.
    const gap = Math.abs(values.openedObserved - values.openedExpected);
    const before = formatValue(kind, values.openedExpected);
    return Math.abs(values.observed - values.openedExpected) > 0.5 * gap
      ? `${TOPIC[kind]} of ${subject} has settled at ${observed} (it was ${before} before this episode); no longer treated as anomalous.`
      : `${TOPIC[kind]} of ${subject} is back to normal (${observed}, expected ${expected}).`;
  }
  const after = version !== null ? ` right after version ${version} was published` : '';
  const topStep = contributors.find((c) => c.dimension === 'step');
  const topClass = contributors.find((c) => c.dimension === 'error_class');
  switch (kind) {
    case 'failure_rate': {
      const cause =
        topClass !== undefined
          ? `, mostly ${topClass.value} errors${topStep !== undefined ? ` in step ${topStep.value}` : ''}`
          : '';
      const extra = `${formatCount(Math.round(values.impact))} failed runs above normal so far`;
      return `Failure rate of ${subject} rose to ${observed} from ${expected}${after}${cause} (${extra}).`;
    }
    case 'latency_p95': {
      const where = version === null && topStep !== undefined ? `, mostly in step ${topStep.value}` : '';
      return `p95 latency of ${subject} rose from ${expected} to ${observed}${after}${where}.`;
    }
    case 'throughput_drop':
      return `Runs of ${subject} dropped to ${observed} from an expected ${expected}${after}.`;
    case 'throughput_spike':
      return `Runs of ${subject} jumped to ${observed} from an expected ${expected}${after}.`;
    case 'cost_per_run': {
      const where = version === null && topStep !== undefined ? `, mostly in step ${topStep.value}` : '';
      return `Cost per run of ${subject} rose from ${expected} to ${observed}${after}${where}.`;
    }
  }
}
