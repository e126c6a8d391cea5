import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeWindows } from '../../../src/core/metrics/mergeWindows.ts';
import type { WindowMetrics } from '../../../src/core/metrics/metricWindow.ts';
import { WindowOperator } from '../../../src/core/metrics/windowOperator.ts';
import {
  MINUTE,
  T0,
  closingEvent,
  ev,
  inEventTimeOrder,
  jitteredEventArb,
  runSteps,
  sameJSON,
} from './metricEvents.ts';
import type { JitteredEvent } from './metricEvents.ts';

const LATENESS = 10_000;
const SPAN = 5 * MINUTE;

function windowsOf(items: readonly JitteredEvent[], windowMs: number): WindowMetrics[] {
  const op = new WindowOperator({ idleTimeoutMs: null, windowMs, allowedLatenessMs: LATENESS });
  const lastAt = Math.max(...items.map((x) => x.event.occurredAt));
  return runSteps(op, [
    { kind: 'batch', events: [...inEventTimeOrder(items), closingEvent(lastAt, LATENESS, windowMs)] },
  ]).emitted;
}

function groupBySeries(records: readonly WindowMetrics[]): Map<string, WindowMetrics[]> {
  const out = new Map<string, WindowMetrics[]>();
  for (const r of records) {
    const id = `${r.scope}|${r.key}`;
    out.set(id, [...(out.get(id) ?? []), r]);
  }
  return out;
}

describe('mergeWindows', () => {
  it('a rollup of 1-minute windows equals aggregating the whole span directly', () => {
    fc.assert(
      fc.property(
        fc.array(jitteredEventArb(SPAN, 0), { minLength: 1, maxLength: 300, size: 'max' }),
        (items) => {
          const minutes = groupBySeries(windowsOf(items, MINUTE));
          const direct = windowsOf(items, SPAN);
          expect(direct.length).toBe(minutes.size);
          for (const d of direct) {
            const pieces = minutes.get(`${d.scope}|${d.key}`) ?? [];
            const rollup = mergeWindows(pieces, { windowStart: T0, windowEnd: T0 + SPAN });
            expect(rollup.version).toBe(pieces.length);
            expect(sameJSON({ ...rollup, version: 1 }, d)).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rollups of rollups equal one rollup', () => {
    fc.assert(
      fc.property(
        fc.array(jitteredEventArb(2 * SPAN, 0), { minLength: 1, maxLength: 300, size: 'max' }),
        (items) => {
          for (const pieces of groupBySeries(windowsOf(items, MINUTE)).values()) {
            const halves: WindowMetrics[] = [];
            for (const h of [0, 1]) {
              const span = { windowStart: T0 + h * SPAN, windowEnd: T0 + (h + 1) * SPAN };
              const half = pieces.filter(
                (p) => p.windowStart >= span.windowStart && p.windowEnd <= span.windowEnd,
              );
              if (half.length > 0) halves.push(mergeWindows(half, span));
            }
            const once = mergeWindows(pieces, { windowStart: T0, windowEnd: T0 + 2 * SPAN });
            expect(sameJSON(mergeWindows(halves, { windowStart: T0, windowEnd: T0 + 2 * SPAN }), once)).toBe(
              true,
            );
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('with partials, adds up the same window from disjoint event sets (e.g. two input partitions)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(jitteredEventArb(SPAN, 0), fc.boolean()), {
          minLength: 1,
          maxLength: 200,
          size: 'max',
        }),
        (tagged) => {
          const all = tagged.map(([x]) => x);
          const left = tagged.filter(([, l]) => l).map(([x]) => x);
          const right = tagged.filter(([, l]) => !l).map(([x]) => x);
          const parts = [
            ...(left.length > 0 ? windowsOf(left, MINUTE) : []),
            ...(right.length > 0 ? windowsOf(right, MINUTE) : []),
          ];
          const whole = windowsOf(all, MINUTE);
          for (const w of whole) {
            const same = parts.filter(
              (p) => p.scope === w.scope && p.key === w.key && p.windowStart === w.windowStart,
            );
            const combined = mergeWindows(same, { partials: true });
            expect(sameJSON({ ...combined, version: 1 }, w)).toBe(true);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  function minuteRecords(): WindowMetrics[] {
    const events = [0, 1, 2].flatMap((m) => [
      ev({
        type: 'WORKFLOW_COMPLETED',
        occurredAt: T0 + m * MINUTE + 10,
        durationMs: 100 * (m + 1),
        costMicros: 5,
      }),
      ev({
        type: 'WORKFLOW_FAILED',
        occurredAt: T0 + m * MINUTE + 20,
        durationMs: 50,
        error: { class: `E${m}` },
      }),
    ]);
    return windowsOf(
      events.map((event) => ({ event, jitter: 0 })),
      MINUTE,
    );
  }

  it('sums counts, merges sketches and defaults the span to the pieces', () => {
    const merged = mergeWindows(minuteRecords());
    expect(merged).toMatchObject({
      scope: 'workflow',
      key: 't1/wf',
      windowStart: T0,
      windowEnd: T0 + 3 * MINUTE,
      version: 3,
      executions: 6,
      successes: 3,
      failures: 3,
      successRate: 0.5,
      costMicrosSum: 15,
      costPerRunMicros: 3,
      errorClasses: { E0: 1, E1: 1, E2: 1 },
      eventCount: 6,
      workflowVersions: { '1': 6 },
      // Durations 50, 50, 50, 100, 200, 300: the lower median is 50.
      p50Ms: 50,
    });
    expect(merged.durationSketch).toMatchObject({ sum: 750, min: 50, max: 300 });
  });

  it('uses only the highest version of a window passed several times', () => {
    const records = minuteRecords();
    const first = records[0] as WindowMetrics;
    const corrected: WindowMetrics = { ...first, version: 2, executions: first.executions + 10 };
    const merged = mergeWindows([corrected, ...records, first]);
    expect(merged.executions).toBe(6 + 10);
    expect(merged.version).toBe(4);
  });

  it('keeps the top error classes of the merged counts', () => {
    const merged = mergeWindows(minuteRecords(), { topErrorClasses: 2 });
    expect(merged.errorClasses).toEqual({ E0: 1, E1: 1, other: 1 });
  });

  it('rejects mixed series, overlaps, pieces outside the span and empty input', () => {
    const records = minuteRecords();
    const first = records[0] as WindowMetrics;
    expect(() => mergeWindows([])).toThrow(RangeError);
    expect(() =>
      mergeWindows([first, { ...first, windowStart: T0 + 5 * MINUTE, key: 't2/wf', tenantId: 't2' }]),
    ).toThrow(RangeError);
    expect(() =>
      mergeWindows([first, { ...first, windowStart: T0 + 30_000, windowEnd: T0 + 90_000 }]),
    ).toThrow(RangeError);
    expect(() => mergeWindows(records, { windowStart: T0 + MINUTE })).toThrow(RangeError);
  });
});
