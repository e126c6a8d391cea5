// Detection processor: workflow.metrics.v1 (read committed; keyed by tenant, so one instance sees
// all of a tenant's workflows and services) → InsightEngine → workflow.insights.v1. Detection
// logic lives in src/core/insights; this file declares the stage and adds one thing the engine
// cannot know on its own: when a minute is complete.
//
// A tenant's windows of one minute come from every metrics partition that ran its workflows, each
// when that partition's watermark passes, and partitions progress independently: catching up, one
// may deliver an hour of windows before another delivers the same minute. A tenant's last record
// of each emission carries its partition's watermark (closedBefore), so a minute is complete once
// every source partition seen for the tenant has passed it; the tenant's engine is then advanced to
// it at once, so incidents and failure insights go out as soon as the last partition closes the
// window. Without that, the engine would close minutes by its own clock (the newest window seen)
// and miss what slower partitions deliver later. A source silent for `sourceSilenceMs` of event
// time stops holding minutes back (its workflows stopped, or moved); the engine's settle time is
// raised to the same bound so that it is only the fallback. Incidents never span tenants, so each
// tenant has its own engine state and its own notion of completeness.

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
  /** metrics partition -> [its latest closedBefore, windowStart of its latest record] */
  readonly sources: Map<number, [number, number]>;
  /** The engine has been advanced to this time (a minute boundary). */
  advancedTo: number | null;
  /** Windows received for minutes not yet complete, applied in event-time order once they are. */
  held: DetectionInput[];
}

export interface DetectionState {
  readonly tenants: Map<string, TenantState>;
}

const DEFAULT_SOURCE_SILENCE_MS = 60 * 60_000;

export interface DetectionConfig {
  readonly engine: InsightEngineConfigInput;
  /** A source partition silent this long (event time) no longer holds minutes open. */
  readonly sourceSilenceMs: number;
}

const snapshotSchema = z.object({
  format: z.literal('pulse.detection.v1'),
  tenants: z.array(
    z.object({
      tenantId: z.string(),
      engine: z.unknown(),
      sources: z.array(z.tuple([z.number().int(), z.number(), z.number()])),
      advancedTo: z.number().nullable(),
      held: z.array(z.unknown()),
    }),
  ),
});

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
    initialState: () => ({ tenants: new Map() }),
    apply(state, window) {
      let tenant = state.tenants.get(window.tenantId);
      if (tenant === undefined) {
        tenant = { engine: engine.initialState(), sources: new Map(), advancedTo: null, held: [] };
        state.tenants.set(window.tenantId, tenant);
      }
      // A producer without watermarks: the engine orders by its own clock and settle time.
      if (window.closedBefore === null && tenant.sources.size === 0) {
        return { outputs: engine.apply(tenant.engine, window) };
      }
      tenant.held.push(window);
      if (window.closedBefore === null) return { outputs: [] };
      const previous = tenant.sources.get(window.inputPartition);
      tenant.sources.set(window.inputPartition, [
        Math.max(previous?.[0] ?? -Infinity, window.closedBefore),
        Math.max(previous?.[1] ?? -Infinity, window.windowStart),
      ]);
      let newest = -Infinity;
      for (const [, [, lastStart]] of tenant.sources) newest = Math.max(newest, lastStart);
      let complete = Infinity;
      for (const [partition, [closedBefore, lastStart]] of tenant.sources) {
        if (lastStart < newest - sourceSilenceMs) tenant.sources.delete(partition);
        else complete = Math.min(complete, closedBefore);
      }
      // Whole minutes only: advancing costs a pass over the tenant's series.
      const minute = Math.floor(complete / windowMs) * windowMs;
      if (!Number.isFinite(minute) || (tenant.advancedTo !== null && minute <= tenant.advancedTo)) {
        return { outputs: [] };
      }
      const ready = tenant.held.filter((w) => w.windowEnd <= minute).sort(byEventTime);
      tenant.held = tenant.held.filter((w) => w.windowEnd > minute);
      const outputs: Insight[] = [];
      for (const w of ready) outputs.push(...engine.apply(tenant.engine, w));
      tenant.advancedTo = minute;
      outputs.push(...engine.advance(tenant.engine, minute));
      return { outputs };
    },
    // Time is the windows' only: replays reproduce every output.
    tick: null,
    snapshot: (state) => ({
      format: 'pulse.detection.v1',
      tenants: [...state.tenants].map(([tenantId, t]) => ({
        tenantId,
        engine: engine.snapshot(t.engine),
        sources: [...t.sources].map(([p, [closedBefore, lastStart]]) => [p, closedBefore, lastStart]),
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
      const tenants = new Map<string, TenantState>();
      for (const t of parsed.data.tenants) {
        tenants.set(t.tenantId, {
          engine: engine.restore(t.engine),
          sources: new Map(t.sources.map(([p, closedBefore, lastStart]) => [p, [closedBefore, lastStart]])),
          advancedTo: t.advancedTo,
          held: t.held.map((json) => {
            const held = parseWindow(json);
            if (!held.ok)
              throw new ValidationError('detection snapshot', [{ path: 'held', message: held.reason }]);
            return held.value;
          }),
        });
      }
      return { tenants };
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
