// Detection processor: workflow.metrics.v1 (read committed; keyed by tenant, so one instance sees
// all of a tenant's workflows and services) → InsightEngine → workflow.insights.v1. Detection
// logic lives in src/core/insights; this file declares the stage and adds one thing the engine
// cannot know on its own: when a minute is complete.
//
// A tenant's windows of one minute come from every metrics partition that ran its workflows, each
// when that partition's watermark passes, and partitions progress independently: catching up, one
// may deliver an hour of windows before another delivers the same minute. A tenant's last record
// of each emission carries its source partition's watermark (closedBefore). This processor's state
// belongs to one metrics partition, whose records keep the order they were written in, so a
// closedBefore W from source p on any tenant's record says that every window of every tenant here
// that p closed before W has been seen. A minute is complete once every source partition seen here
// has passed it (the minimum over sources, as a Flink operator takes over its input channels); the
// tenants' engines are then advanced to it at once, so incidents and failure insights go out as
// soon as the last source closes the window. Without that, the engine would close minutes by its
// own clock (the newest window seen) and miss what slower partitions deliver later.
//
// A source that has stopped (its workflows stopped or moved, its processor idles) would hold every
// minute forever; it is dropped once the other sources have advanced `sourceSilenceMs` of event time
// since its last record, however far behind its watermark is. A source that is merely slow (catching
// up) keeps sending records, so it keeps holding minutes open until it has delivered them. The
// engine's settle time is raised to the same bound so that it is only the fallback. Incidents never
// span tenants, so each tenant has its own engine state.

import { z } from 'zod';
import { ValidationError } from '../src/errors.ts';
import type { Insight } from '../src/core/insights/insight.ts';
import {
  InsightEngine,
  type InsightEngineConfigInput,
  type InsightEngineState,
  type InsightWindow,
} from '../src/core/insights/insightEngine.ts';
import { isWindowRecord } from '../src/core/metrics/metricWindow.ts';
import type { ProcessorDefinition } from '../src/pipeline/processorDefinition.ts';
import { INSIGHTS_TOPIC, METRICS_TOPIC } from '../src/topology/topics.ts';

export type DetectionInput = InsightWindow & {
  readonly inputPartition: number;
  readonly closedBefore: number | null;
};

interface TenantState {
  readonly engine: InsightEngineState;
  /** The engine has been advanced to this time (a minute boundary). */
  advancedTo: number | null;
  /** Windows received for minutes not yet complete, applied in event-time order once they are. */
  held: DetectionInput[];
}

/** A source partition of the metrics processor, as seen on this metrics partition. */
interface SourceState {
  /** its latest closedBefore; -Infinity until its first */
  watermark: number;
  /** the newest watermark of any source when its last record arrived */
  seenAtNewest: number;
}

export interface DetectionState {
  readonly tenants: Map<string, TenantState>;
  readonly sources: Map<number, SourceState>;
  /** the newest watermark of any source (-Infinity before the first) */
  newest: number;
}

const DEFAULT_SOURCE_SILENCE_MS = 60 * 60_000;

export interface DetectionConfig {
  readonly engine: InsightEngineConfigInput;
  /** A source partition silent this long (event time) no longer holds minutes open. */
  readonly sourceSilenceMs: number;
}

const tenantSnapshot = {
  tenantId: z.string(),
  engine: z.unknown(),
  advancedTo: z.number().nullable(),
  held: z.array(z.unknown()),
};
/** JSON has no -Infinity: a source without a watermark yet is null. */
const finiteOrNull = z.number().nullable();
const snapshotSchema = z.discriminatedUnion('format', [
  z.object({
    format: z.literal('pulse.detection.v2'),
    newest: finiteOrNull,
    sources: z.array(z.tuple([z.number().int(), finiteOrNull, finiteOrNull])),
    tenants: z.array(z.object(tenantSnapshot)),
  }),
  // v1 kept sources per tenant as [partition, closedBefore, windowStart of the latest record].
  z.object({
    format: z.literal('pulse.detection.v1'),
    tenants: z.array(
      z.object({ ...tenantSnapshot, sources: z.array(z.tuple([z.number().int(), z.number(), z.number()])) }),
    ),
  }),
]);

const fromJson = (v: number | null): number => v ?? -Infinity;
const toJson = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Avro record (or anything else on the topic) → a window for the engine, or the reason it is not. */
function parseWindow(decoded: unknown): { ok: true; value: DetectionInput } | { ok: false; reason: string } {
  if (!isWindowRecord(decoded)) return { ok: false, reason: 'not-a-window' };
  const w = decoded as DetectionInput;
  const wellFormed =
    w.windowEnd > w.windowStart &&
    w.executions >= 0 &&
    w.failures >= 0 &&
    w.failures <= w.executions &&
    Number.isFinite(w.costMicrosSum);
  if (!wellFormed) return { ok: false, reason: 'malformed-window' };
  return { ok: true, value: { ...w, closedBefore: w.closedBefore ?? null } };
}

const SCOPE_ORDER = { service: 0, step: 1, workflow: 2 } as const;

/** A minute's windows as one batch: by minute, services before steps before workflows, by key. */
function byEventTime(a: DetectionInput, b: DetectionInput): number {
  return (
    a.windowStart - b.windowStart ||
    SCOPE_ORDER[a.scope] - SCOPE_ORDER[b.scope] ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) ||
    a.inputPartition - b.inputPartition ||
    a.version - b.version
  );
}

export function detectionProcessor(
  config: Partial<DetectionConfig> = {},
): ProcessorDefinition<DetectionState, DetectionInput, Insight> {
  const sourceSilenceMs = config.sourceSilenceMs ?? DEFAULT_SOURCE_SILENCE_MS;
  const engine = new InsightEngine({ settleMs: sourceSilenceMs, ...config.engine });
  const windowMs = engine.config.incidents.windowMs;
  return {
    name: 'detection-processor',
    input: METRICS_TOPIC,
    output: INSIGHTS_TOPIC,
    parse: parseWindow,
    initialState: () => ({ tenants: new Map(), sources: new Map(), newest: -Infinity }),
    apply(state, window) {
      let tenant = state.tenants.get(window.tenantId);
      if (tenant === undefined) {
        tenant = { engine: engine.initialState(), advancedTo: null, held: [] };
        state.tenants.set(window.tenantId, tenant);
      }
      // A producer without watermarks: the engine orders by its own clock and settle time.
      if (window.closedBefore === null && state.sources.size === 0) {
        return { outputs: engine.apply(tenant.engine, window) };
      }
      tenant.held.push(window);
      // Any record says its source is alive; a new source holds minutes until its first watermark.
      const source = state.sources.get(window.inputPartition) ?? {
        watermark: -Infinity,
        seenAtNewest: state.newest,
      };
      state.sources.set(window.inputPartition, source);
      if (window.closedBefore !== null) {
        source.watermark = Math.max(source.watermark, window.closedBefore);
        state.newest = Math.max(state.newest, source.watermark);
      }
      source.seenAtNewest = state.newest;
      if (window.closedBefore === null) return { outputs: [] };
      let complete = Infinity;
      for (const [partition, s] of state.sources) {
        if (s.seenAtNewest < state.newest - sourceSilenceMs) state.sources.delete(partition);
        else complete = Math.min(complete, s.watermark);
      }
      // Whole minutes only: advancing costs a pass over a tenant's series.
      const minute = Math.floor(complete / windowMs) * windowMs;
      if (!Number.isFinite(minute)) return { outputs: [] };
      const outputs: Insight[] = [];
      // Tenants in the order they first appeared here: the same for a replay of this partition.
      for (const t of state.tenants.values()) {
        if (t.advancedTo !== null && minute <= t.advancedTo) continue;
        if (t.advancedTo === null && t.held.length === 0) continue;
        const ready = t.held.filter((w) => w.windowEnd <= minute).sort(byEventTime);
        t.held = t.held.filter((w) => w.windowEnd > minute);
        for (const w of ready) outputs.push(...engine.apply(t.engine, w));
        t.advancedTo = minute;
        outputs.push(...engine.advance(t.engine, minute));
      }
      return { outputs };
    },
    // Time is the windows' only: replays reproduce every output.
    tick: null,
    snapshot: (state) => ({
      format: 'pulse.detection.v2',
      newest: toJson(state.newest),
      sources: [...state.sources].map(([p, s]) => [p, toJson(s.watermark), toJson(s.seenAtNewest)]),
      tenants: [...state.tenants].map(([tenantId, t]) => ({
        tenantId,
        engine: engine.snapshot(t.engine),
        advancedTo: t.advancedTo,
        held: t.held,
      })),
    }),
    restore(json) {
      const parsed = snapshotSchema.safeParse(json);
      if (!parsed.success) {
        throw new ValidationError(
          'detection snapshot',
          parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
        );
      }
      const snapshot = parsed.data;
      const tenants = new Map<string, TenantState>();
      for (const t of snapshot.tenants) {
        tenants.set(t.tenantId, {
          engine: engine.restore(t.engine),
          advancedTo: t.advancedTo,
          held: t.held.map((json) => {
            const held = parseWindow(json);
            if (!held.ok)
              throw new ValidationError('detection snapshot', [{ path: 'held', message: held.reason }]);
            return held.value;
          }),
        });
      }
      if (snapshot.format === 'pulse.detection.v2') {
        const sources = new Map<number, SourceState>(
          snapshot.sources.map(([p, watermark, seenAtNewest]) => [
            p,
            { watermark: fromJson(watermark), seenAtNewest: fromJson(seenAtNewest) },
          ]),
        );
        return { tenants, sources, newest: fromJson(snapshot.newest) };
      }
      // From v1: every tenant's sources merged, each as fresh as the newest watermark.
      const sources = new Map<number, SourceState>();
      let newest = -Infinity;
      for (const t of snapshot.tenants)
        for (const [p, closedBefore] of t.sources) {
          const watermark = Math.max(sources.get(p)?.watermark ?? -Infinity, closedBefore);
          sources.set(p, { watermark, seenAtNewest: -Infinity });
          newest = Math.max(newest, watermark);
        }
      for (const s of sources.values()) s.seenAtNewest = newest;
      return { tenants, sources, newest };
    },
    outputKey: (insight) => insight.tenantId,
    outputValue: (insight) => insightRecord(insight),
    watermark: (state) => {
      let clock: number | null = null;
      for (const t of state.tenants.values())
        if (t.engine.clock !== null) clock = Math.max(clock ?? -Infinity, t.engine.clock);
      return clock;
    },
  };
}

/** The Avro record of workflow.insights.v1 (absent optionals made explicit). */
export function insightRecord(insight: Insight): Record<string, unknown> {
  return { ...insight, relatedWorkflows: insight.relatedWorkflows ?? [] };
}
