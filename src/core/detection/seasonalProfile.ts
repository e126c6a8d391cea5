// A seasonal profile learned online: the expected value at each position of a cycle (time of day,
// time of week), kept as one level per slot and read by linear interpolation between slot centres,
// so a smooth daily curve is not flattened into steps. Each point updates the two slots it lies
// between, weighted by its position. The profile also tracks its own error per slot (measured before
// it learns each point), so the detector can trust it at the times of day it predicts well and fall
// back to the baseline elsewhere. Memory is a few arrays of `slots` numbers, whatever the history.

export interface SeasonalProfileState {
  /** Cycle length (ms), e.g. one day. */
  readonly periodMs: number;
  readonly slots: number;
  readonly level: number[];
  /** Mean absolute deviation around the level, per slot (the slot's own noise). */
  readonly spread: number[];
  /** Effective number of points each slot has absorbed. */
  readonly weight: number[];
  /** Mean absolute one-step error of the profile, per slot. */
  readonly error: number[];
}

export interface SlotPosition {
  readonly a: number;
  readonly b: number;
  /** Weight of slot b. */
  readonly f: number;
}

export function createSeasonalProfile(periodMs: number, slots: number): SeasonalProfileState {
  return {
    periodMs,
    slots,
    level: new Array<number>(slots).fill(0),
    spread: new Array<number>(slots).fill(0),
    weight: new Array<number>(slots).fill(0),
    error: new Array<number>(slots).fill(0),
  };
}

/** The two slots (of `slots` per `periodMs`) around a timestamp, centres at k + 0.5. */
export function slotPosition(periodMs: number, slots: number, timestampMs: number): SlotPosition {
  const phase = (((timestampMs % periodMs) + periodMs) % periodMs) / periodMs; // [0, 1)
  const x = phase * slots - 0.5;
  const lo = Math.floor(x);
  return { a: (lo + slots) % slots, b: (lo + 1) % slots, f: x - lo };
}

/** Linear interpolation of a per-slot array at a position. */
export function slotValue(values: readonly number[], pos: SlotPosition): number {
  return (1 - pos.f) * (values[pos.a] ?? 0) + pos.f * (values[pos.b] ?? 0);
}

/** Moves the two slots of a position toward `value` by `rate`, shared by their weights. */
export function slotLearn(values: number[], pos: SlotPosition, value: number, rate: number): void {
  values[pos.a] = (values[pos.a] ?? 0) + Math.min(1, rate * (1 - pos.f)) * (value - (values[pos.a] ?? 0));
  values[pos.b] = (values[pos.b] ?? 0) + Math.min(1, rate * pos.f) * (value - (values[pos.b] ?? 0));
}

function positionOf(p: SeasonalProfileState, timestampMs: number): SlotPosition {
  return slotPosition(p.periodMs, p.slots, timestampMs);
}

function hasData(p: SeasonalProfileState, pos: SlotPosition): boolean {
  return (p.weight[pos.a] ?? 0) > 0 && (p.weight[pos.b] ?? 0) > 0;
}

/** Cycles the profile has seen around this timestamp (0 = never). */
export function seasonalMaturity(
  p: SeasonalProfileState,
  timestampMs: number,
  pointsPerSlot: number,
): number {
  return slotValue(p.weight, positionOf(p, timestampMs)) / Math.max(pointsPerSlot, 1e-9);
}

/** Expected value, slot noise and the profile's own error at a timestamp; undefined before data. */
export function seasonalForecast(
  p: SeasonalProfileState,
  timestampMs: number,
): { expected: number; spread: number; error: number } | undefined {
  const pos = positionOf(p, timestampMs);
  if (!hasData(p, pos)) return undefined;
  return {
    expected: slotValue(p.level, pos),
    spread: slotValue(p.spread, pos),
    error: slotValue(p.error, pos),
  };
}

/**
 * Learns a value. `minRate` is the slowest learning rate per point (a slot keeps roughly
 * 1 / minRate points of memory); young slots learn faster (1 / weight) so the first cycle counts.
 */
export function seasonalLearn(
  p: SeasonalProfileState,
  timestampMs: number,
  value: number,
  minRate: number,
): void {
  const pos = positionOf(p, timestampMs);
  // The error is measured before the point is learned: it is a forecast error.
  const error = hasData(p, pos) ? Math.abs(value - slotValue(p.level, pos)) : undefined;
  for (const [slot, share] of [
    [pos.a, 1 - pos.f],
    [pos.b, pos.f],
  ] as const) {
    if (share <= 0) continue;
    const before = p.weight[slot] ?? 0;
    const w = before + share;
    const rate = Math.min(1, share * Math.max(minRate, 1 / w));
    const old = p.level[slot] ?? 0;
    if (error !== undefined) p.error[slot] = (p.error[slot] ?? 0) + rate * (error - (p.error[slot] ?? 0));
    if (before === 0) {
      p.level[slot] = value;
    } else {
      p.level[slot] = old + rate * (value - old);
      p.spread[slot] = (p.spread[slot] ?? 0) + rate * (Math.abs(value - old) - (p.spread[slot] ?? 0));
    }
    p.weight[slot] = w;
  }
}
