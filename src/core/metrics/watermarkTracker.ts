// The event-time watermark of one input partition: "no event older than this is still expected".
// It trails the largest event time seen by the allowed lateness, and never moves back.
//
// A partition that goes quiet would hold its windows open forever, so the runner ticks the tracker
// with wall-clock time: once a whole idle timeout passes between ticks without any event, the
// watermark moves up to now - idleTimeout. Idleness is judged only from ticks (never from event
// times), so a consumer catching up on a backlog is never mistaken for an idle one.
//
// Optionally ticks also cap how far ahead of wall clock event time may drag the watermark: one event
// stamped in the future (a skewed producer clock) would otherwise close every open window at once and
// turn the partition's real events into too-late ones.
//
// Both wall-clock facts (idle clock, cap) are deliberately not part of the serialised state: after a
// restart they start afresh at the first tick, so downtime is not mistaken for idleness.

export interface WatermarkTrackerJSON {
  /** Largest event time seen, null before the first event. */
  readonly maxEventTime: number | null;
  /** Current watermark, null while there is none. */
  readonly watermark: number | null;
}

export interface WatermarkOptions {
  readonly allowedLatenessMs: number;
  /** null disables idle advancement (e.g. for replays of historical data). */
  readonly idleTimeoutMs: number | null;
  /** Event time counts for the watermark only up to lastTick + this; null disables the cap. */
  readonly maxEventTimeAheadMs: number | null;
}

export class WatermarkTracker {
  readonly options: WatermarkOptions;
  /** -Infinity until the first event. */
  maxEventTime = -Infinity;
  /** -Infinity while there is no watermark yet. */
  watermark = -Infinity;
  #activeSinceTick = false;
  #lastActiveAt: number | null = null;
  #eventTimeCeiling = Infinity;

  constructor(options: WatermarkOptions) {
    this.options = options;
  }

  /** Records an event's time; returns the watermark after it. */
  observe(eventTime: number): number {
    this.#activeSinceTick = true;
    if (eventTime > this.maxEventTime) {
      this.maxEventTime = eventTime;
      const w = Math.min(eventTime, this.#eventTimeCeiling) - this.options.allowedLatenessMs;
      if (w > this.watermark) this.watermark = w;
    }
    return this.watermark;
  }

  /** Wall-clock tick from the runner; returns the watermark after it. */
  tick(nowMs: number): number {
    const ahead = this.options.maxEventTimeAheadMs;
    if (ahead !== null) {
      this.#eventTimeCeiling = nowMs + ahead;
      // Event time held back by an earlier cap counts as far as the new one allows.
      const w = Math.min(this.maxEventTime, this.#eventTimeCeiling) - this.options.allowedLatenessMs;
      if (w > this.watermark) this.watermark = w;
    }
    if (this.#activeSinceTick || this.#lastActiveAt === null) {
      this.#lastActiveAt = nowMs;
      this.#activeSinceTick = false;
      return this.watermark;
    }
    const idle = this.options.idleTimeoutMs;
    if (idle !== null && nowMs - this.#lastActiveAt >= idle) {
      const w = nowMs - idle;
      if (w > this.watermark) this.watermark = w;
    }
    return this.watermark;
  }

  toJSON(): WatermarkTrackerJSON {
    return {
      maxEventTime: this.maxEventTime === -Infinity ? null : this.maxEventTime,
      watermark: this.watermark === -Infinity ? null : this.watermark,
    };
  }

  static fromJSON(json: WatermarkTrackerJSON, options: WatermarkOptions): WatermarkTracker {
    const t = new WatermarkTracker(options);
    t.maxEventTime = json.maxEventTime ?? -Infinity;
    t.watermark = json.watermark ?? -Infinity;
    return t;
  }
}
