// Rollups: one WindowMetrics for a longer span (5 m, 1 h, 24 h) from the records of its pieces.
// Counts and sums add, sketches merge exactly, so a rollup equals aggregating the span directly
// (up to the error-class cut: pieces arrive already cut to top N + 'other').

import { DDSketch } from './ddSketch.ts';
import { DEFAULT_WINDOW_OPERATOR_CONFIG } from './windowOperator.ts';
import { windowMetrics } from './metricWindow.ts';
import type { WindowMetrics } from './metricWindow.ts';

export interface MergeWindowsOptions {
  /** Start of the rollup span; default the earliest piece's windowStart. */
  readonly windowStart?: number;
  /** End of the rollup span; default the latest piece's windowEnd. */
  readonly windowEnd?: number;
  /** Error classes kept individually. Default 10. */
  readonly topErrorClasses?: number;
  /**
   * The records are partial aggregates of disjoint event sets (e.g. the same series and minute from
   * different input partitions): records of the same window are all added instead of keeping only
   * the highest version. Pass one version per partial. Default false.
   */
  readonly partials?: boolean;
}

/**
 * Merges the records of one scope and key. Several versions of the same window may be passed (e.g.
 * read without FINAL): only the highest version of each [windowStart, windowEnd) counts, unless
 * `partials` says they are disjoint parts. Pieces must not overlap otherwise, and must lie inside the
 * span. The result's version is the sum of the pieces' versions, so it grows whenever a piece is
 * corrected or added.
 */
export function mergeWindows(
  records: readonly WindowMetrics[],
  options: MergeWindowsOptions = {},
): WindowMetrics {
  const first = records[0];
  if (first === undefined) throw new RangeError('mergeWindows needs at least one record');
  const latest = new Map<string, WindowMetrics>();
  const partials: WindowMetrics[] = [];
  for (const r of records) {
    if (
      r.scope !== first.scope ||
      r.tenantId !== first.tenantId ||
      r.workflowId !== first.workflowId ||
      r.stepId !== first.stepId ||
      r.service !== first.service
    ) {
      throw new RangeError(`mergeWindows: ${r.scope} ${r.key} differs from ${first.scope} ${first.key}`);
    }
    if (options.partials === true) {
      partials.push(r);
      continue;
    }
    const span = `${r.windowStart}/${r.windowEnd}`;
    const seen = latest.get(span);
    if (seen === undefined || r.version > seen.version) latest.set(span, r);
  }
  const pieces = (options.partials === true ? partials : [...latest.values()]).sort(
    (a, b) => a.windowStart - b.windowStart || a.windowEnd - b.windowEnd,
  );
  let windowStart = Infinity;
  let windowEnd = -Infinity;
  for (const p of pieces) {
    windowStart = Math.min(windowStart, p.windowStart);
    windowEnd = Math.max(windowEnd, p.windowEnd);
  }
  windowStart = options.windowStart ?? windowStart;
  windowEnd = options.windowEnd ?? windowEnd;
  let previousStart = -Infinity;
  let previousEnd = -Infinity;
  for (const p of pieces) {
    const samePartialWindow =
      options.partials === true && p.windowStart === previousStart && p.windowEnd === previousEnd;
    if (p.windowStart < previousEnd && !samePartialWindow) {
      throw new RangeError(`mergeWindows: window [${p.windowStart}, ${p.windowEnd}) overlaps another piece`);
    }
    if (p.windowStart < windowStart || p.windowEnd > windowEnd || p.windowEnd <= p.windowStart) {
      throw new RangeError(
        `mergeWindows: window [${p.windowStart}, ${p.windowEnd}) is outside [${windowStart}, ${windowEnd})`,
      );
    }
    previousStart = p.windowStart;
    previousEnd = p.windowEnd;
  }

  const sketch = new DDSketch({ alpha: first.durationSketch.alpha, maxBins: first.durationSketch.maxBins });
  const errorClasses = new Map<string, number>();
  const workflowVersions = new Map<number, number>();
  let version = 0;
  let executions = 0;
  let successes = 0;
  let failures = 0;
  let retries = 0;
  let costMicrosSum = 0;
  let lateEvents = 0;
  let eventCount = 0;
  for (const p of pieces) {
    version += p.version;
    executions += p.executions;
    successes += p.successes;
    failures += p.failures;
    retries += p.retries;
    costMicrosSum += p.costMicrosSum;
    lateEvents += p.lateEvents;
    eventCount += p.eventCount;
    if (p.durationSketch.bins.length > 0 || p.durationSketch.zeroCount > 0) {
      sketch.merge(DDSketch.fromJSON(p.durationSketch));
    }
    for (const [k, v] of Object.entries(p.errorClasses)) errorClasses.set(k, (errorClasses.get(k) ?? 0) + v);
    for (const [k, v] of Object.entries(p.workflowVersions)) {
      const n = Number(k);
      workflowVersions.set(n, (workflowVersions.get(n) ?? 0) + v);
    }
  }
  return windowMetrics({
    scope: first.scope,
    tenantId: first.tenantId,
    workflowId: first.workflowId,
    stepId: first.stepId,
    service: first.service,
    windowStart,
    windowEnd,
    version,
    executions,
    successes,
    failures,
    retries,
    durations: sketch.isEmpty ? null : sketch,
    costMicrosSum,
    errorClasses,
    errorOverflow: 0,
    lateEvents,
    eventCount,
    workflowVersions,
    limits: {
      sketchAlpha: sketch.alpha,
      sketchMaxBins: sketch.maxBins,
      topErrorClasses: options.topErrorClasses ?? DEFAULT_WINDOW_OPERATOR_CONFIG.topErrorClasses,
      maxTrackedErrorClasses: Infinity,
    },
  });
}
