// Backtesting a detector configuration: history's closed windows go through the InsightEngine exactly
// as the live stage would apply them, and every insight change is reported with the event time it
// would have fired at instead of being published. Operators tune alerting on their own past first.
//
// A change fires when the window that produced it arrives, i.e. at that window's windowEnd (the
// earliest a window can close); a change produced by the final `advance` fires at the time advanced
// to. Windows before `from` only train the engine (warm-up); changes firing outside [from, to) are
// not reported. Everything is incremental, so months of windows can stream through in pages.

import { z } from 'zod';
import { ValidationError } from '../../errors.ts';
import { DEFAULT_INSIGHT_ENGINE_CONFIG, InsightEngine } from './insightEngine.ts';
import type {
  InsightEngineConfig,
  InsightEngineConfigInput,
  InsightEngineState,
  InsightWindow,
} from './insightEngine.ts';
import type { Insight, InsightChange, InsightKind, InsightScope, InsightSeverity } from './insight.ts';

export interface BacktestOptions {
  readonly config?: InsightEngineConfigInput;
  /** Changes firing before this (epoch ms) are not reported; default: all. */
  readonly from?: number;
  /** Changes firing at or after this (epoch ms) are not reported; default: all. */
  readonly to?: number;
}

/** One change the engine would have published. */
export interface BacktestChange {
  /** Event time it would have fired at (epoch ms). */
  readonly firedAt: number;
  readonly insight: Insight;
}

export interface KindSeveritySummary {
  readonly kind: InsightKind;
  /** Severity carried by the change records (an update carries the escalated one). */
  readonly severity: InsightSeverity;
  readonly opened: number;
  readonly updated: number;
  readonly resolved: number;
}

/** One insight (opened → resolved) with at least one reported change. */
export interface BacktestEpisode {
  readonly insightId: string;
  readonly kind: InsightKind;
  readonly scope: InsightScope;
  readonly key: string;
  readonly peakSeverity: InsightSeverity;
  /** Event time (windowStart) of the window it opened in. */
  readonly openedAt: number;
  /** When the opening fired; null when it fired before `from` (during warm-up). */
  readonly openedFiredAt: number | null;
  /** Event time (windowEnd) of the window that confirmed the end; null if still open. */
  readonly resolvedAt: number | null;
  readonly resolvedFiredAt: number | null;
  /** resolvedAt - openedAt; null if still open at the end. */
  readonly durationMs: number | null;
  readonly updates: number;
}

export interface DurationStats {
  readonly min: number;
  readonly median: number;
  readonly p90: number;
  readonly max: number;
}

export interface SeriesDayCount {
  /** UTC date of the firing time of the openings, YYYY-MM-DD. */
  readonly day: string;
  readonly scope: InsightScope;
  readonly key: string;
  readonly opened: number;
}

export interface BacktestSummary {
  readonly from: number | null;
  readonly to: number | null;
  /** Windows applied (warm-up included) and the event-time span they covered. */
  readonly windows: number;
  readonly firstWindowStart: number | null;
  readonly lastWindowEnd: number | null;
  readonly changes: Readonly<Record<InsightChange, number>> & { readonly total: number };
  readonly byKindSeverity: readonly KindSeveritySummary[];
  readonly episodes: {
    readonly count: number;
    readonly resolved: number;
    readonly stillOpen: number;
    /** Over resolved episodes; null when none resolved. */
    readonly durationMs: DurationStats | null;
    readonly list: readonly BacktestEpisode[];
  };
  /** Openings per series and UTC day, noisiest first. */
  readonly perSeriesDay: readonly SeriesDayCount[];
}

export interface BacktestReport {
  readonly changes: readonly BacktestChange[];
  readonly summary: BacktestSummary;
}

const SEVERITY_RANK: Record<InsightSeverity, number> = { info: 0, warning: 1, critical: 2 };

interface MutableEpisode {
  insightId: string;
  kind: InsightKind;
  scope: InsightScope;
  key: string;
  peakSeverity: InsightSeverity;
  openedAt: number;
  openedFiredAt: number | null;
  resolvedAt: number | null;
  resolvedFiredAt: number | null;
  updates: number;
}

/** An engine run over windows in order; `apply` each, then `finish`, then `summary`. */
export class Backtest {
  readonly engine: InsightEngine;
  readonly #state: InsightEngineState;
  readonly #from: number;
  readonly #to: number;
  #windows = 0;
  #firstStart: number | null = null;
  #lastEnd: number | null = null;
  readonly #changes: Record<InsightChange, number> = { opened: 0, updated: 0, resolved: 0 };
  readonly #byKindSeverity = new Map<string, KindSeveritySummary>();
  readonly #episodes = new Map<string, MutableEpisode>();
  readonly #perSeriesDay = new Map<string, SeriesDayCount>();

  constructor(options: BacktestOptions = {}) {
    this.engine = new InsightEngine(options.config ?? {});
    this.#state = this.engine.initialState();
    this.#from = options.from ?? -Infinity;
    this.#to = options.to ?? Infinity;
  }

  /** Applies the next window (windowStart order per series); returns the reported changes it fired. */
  apply(window: InsightWindow): BacktestChange[] {
    this.#windows++;
    this.#firstStart ??= window.windowStart;
    this.#lastEnd = Math.max(this.#lastEnd ?? -Infinity, window.windowEnd);
    return this.#report(this.engine.apply(this.#state, window), window.windowEnd);
  }

  /**
   * Ends the run: advances event time to `closedBefore` (default: the latest windowEnd seen), so
   * series silent at the end and incident minutes still open are judged as the live stage would once
   * its watermark got there. Pass null to skip.
   */
  finish(closedBefore: number | null = this.#lastEnd): BacktestChange[] {
    if (closedBefore === null) return [];
    return this.#report(this.engine.advance(this.#state, closedBefore), closedBefore);
  }

  summary(): BacktestSummary {
    const list: BacktestEpisode[] = [...this.#episodes.values()]
      .map((e) => ({ ...e, durationMs: e.resolvedAt === null ? null : e.resolvedAt - e.openedAt }))
      .sort((a, b) => a.openedAt - b.openedAt || cmp(a.insightId, b.insightId));
    const durations = list.flatMap((e) => (e.durationMs === null ? [] : [e.durationMs]));
    const severityOrder = (s: InsightSeverity): number => -SEVERITY_RANK[s];
    return {
      from: Number.isFinite(this.#from) ? this.#from : null,
      to: Number.isFinite(this.#to) ? this.#to : null,
      windows: this.#windows,
      firstWindowStart: this.#firstStart,
      lastWindowEnd: this.#lastEnd,
      changes: {
        ...this.#changes,
        total: this.#changes.opened + this.#changes.updated + this.#changes.resolved,
      },
      byKindSeverity: [...this.#byKindSeverity.values()].sort(
        (a, b) => cmp(a.kind, b.kind) || severityOrder(a.severity) - severityOrder(b.severity),
      ),
      episodes: {
        count: list.length,
        resolved: durations.length,
        stillOpen: list.length - durations.length,
        durationMs: durationStats(durations),
        list,
      },
      perSeriesDay: [...this.#perSeriesDay.values()].sort(
        (a, b) => b.opened - a.opened || cmp(a.day, b.day) || cmp(a.scope, b.scope) || cmp(a.key, b.key),
      ),
    };
  }

  #report(insights: readonly Insight[], firedAt: number): BacktestChange[] {
    if (firedAt < this.#from || firedAt >= this.#to) return [];
    const out: BacktestChange[] = [];
    for (const insight of insights) {
      out.push({ firedAt, insight });
      this.#count(insight, firedAt);
    }
    return out;
  }

  #count(i: Insight, firedAt: number): void {
    this.#changes[i.change]++;
    const ks = `${i.kind}\0${i.severity}`;
    const row = this.#byKindSeverity.get(ks) ?? {
      kind: i.kind,
      severity: i.severity,
      opened: 0,
      updated: 0,
      resolved: 0,
    };
    this.#byKindSeverity.set(ks, { ...row, [i.change]: row[i.change] + 1 });

    let e = this.#episodes.get(i.insightId);
    if (e === undefined) {
      e = {
        insightId: i.insightId,
        kind: i.kind,
        scope: i.scope,
        key: i.key,
        peakSeverity: i.severity,
        openedAt: i.openedAt,
        openedFiredAt: null,
        resolvedAt: null,
        resolvedFiredAt: null,
        updates: 0,
      };
      this.#episodes.set(i.insightId, e);
    }
    if (SEVERITY_RANK[i.severity] > SEVERITY_RANK[e.peakSeverity]) e.peakSeverity = i.severity;
    if (i.change === 'opened') {
      e.openedFiredAt = firedAt;
      const day = new Date(firedAt).toISOString().slice(0, 10);
      const sd = `${day}\0${i.scope}\0${i.key}`;
      const counted = this.#perSeriesDay.get(sd) ?? { day, scope: i.scope, key: i.key, opened: 0 };
      this.#perSeriesDay.set(sd, { ...counted, opened: counted.opened + 1 });
    } else if (i.change === 'updated') {
      e.updates++;
    } else {
      e.resolvedAt = i.resolvedAt;
      e.resolvedFiredAt = firedAt;
    }
  }
}

/** Runs windows (in order) through a fresh engine and reports what would have fired. */
export function backtest(
  windows: Iterable<InsightWindow>,
  options: BacktestOptions & { readonly advanceAtEnd?: boolean } = {},
): BacktestReport {
  const run = new Backtest(options);
  const changes: BacktestChange[] = [];
  for (const w of windows) changes.push(...run.apply(w));
  if (options.advanceAtEnd ?? true) changes.push(...run.finish());
  return { changes, summary: run.summary() };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function durationStats(values: readonly number[]): DurationStats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: every statistic is a duration that actually occurred.
  const at = (q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return { min: at(0), median: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] ?? 0 };
}

// Engine configuration files: any subset of InsightEngineConfig, nested objects partial too, unknown
// keys rejected by name. The schema is derived from the defaults, so it follows the engine's options.
type Json = number | boolean | { readonly [k: string]: Json };

function schemaOf(value: Json): z.ZodType {
  if (typeof value === 'number')
    return z.number().refine((v) => Number.isFinite(v) && v >= 0, 'expected a finite number >= 0');
  if (typeof value === 'boolean') return z.boolean();
  const shape: Record<string, z.ZodType> = {};
  for (const [k, v] of Object.entries(value)) shape[k] = schemaOf(v).optional();
  return z.strictObject(shape);
}

function mergeOver(base: Json, patch: unknown): Json {
  if (typeof base !== 'object' || typeof patch !== 'object' || patch === null) return patch as Json;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const b = base[k];
    if (v !== undefined && b !== undefined) out[k] = mergeOver(b, v);
  }
  return out;
}

const DEFAULTS = DEFAULT_INSIGHT_ENGINE_CONFIG as unknown as Json;
const engineConfigSchema = schemaOf(DEFAULTS);

/**
 * Validates an engine configuration (e.g. a parsed JSON file) and completes it with the defaults.
 * Throws ValidationError naming unknown keys and bad values, or the engine's own objection.
 */
export function parseEngineConfig(json: unknown, what = 'insight engine config'): InsightEngineConfig {
  const parsed = engineConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError(
      what,
      parsed.error.issues.flatMap((i) => {
        const at = i.path.map(String);
        // One issue per unknown key, each named by its full path.
        if (i.code === 'unrecognized_keys')
          return i.keys.map((k) => ({ path: [...at, k].join('.'), message: 'unknown key' }));
        return [{ path: at.join('.'), message: i.message }];
      }),
    );
  }
  // Same shape as the defaults, by construction of the schema.
  const config = mergeOver(DEFAULTS, parsed.data) as unknown as InsightEngineConfig;
  try {
    new InsightEngine(config);
  } catch (error) {
    if (error instanceof RangeError) throw new ValidationError(what, [{ path: '', message: error.message }]);
    throw error;
  }
  return config;
}
