// The event-time watermark of one input partition: "no event older than this is still expected".
// It trails the largest event time seen by the allowed lateness, and never moves back.
//
// A partition that goes quiet would hold its windows open forever, so the runner ticks the tracker
// with wall-clock time: once a whole idle timeout passes between ticks without any event, the
// watermark moves up to now - idleTimeout. Idleness is judged only from ticks (never from event
// times), so a consumer catching up on a backlog is never mistaken for an idle one. The idle clock is
// deliberately not part of the serialised state: after a restart it starts afresh, so downtime is not
// mistaken for idleness either.

export interface WatermarkTrackerJSON {
  /** Largest event time seen, null before the first event. */
  readonly maxEventTime: number | null;
  /** Current watermark, null while there is none. */
  readonly watermark: number | null;
}

export class WatermarkTracker {
  readonly allowedLatenessMs: number;
  /** null disables idle advancement (e.g. for replays of historical data). */
  readonly idleTimeoutMs: number | null;
  /** -Infinity until the first event. */
  maxEventTime = -Infinity;
  /** -Infinity while there is no watermark yet. */
  watermark = -Infinity;
  #activeSinceTick = false;
  #lastActiveAt: number | null = null;

  constructor(allowedLatenessMs: number, idleTimeoutMs: number | null) {
    this.allowedLatenessMs = allowedLatenessMs;
    this.idleTimeoutMs = idleTimeoutMs;
  }

  /** Records an event's time; returns the watermark after it. */
  observe(eventTime: number): number {
    this.#activeSinceTick = true;
    if (eventTime > this.maxEventTime) {
      this.maxEventTime = eventTime;
      const w = eventTime - this.allowedLatenessMs;
      if (w > this.watermark) this.watermark = w;
    }
    return this.watermark;
  }

  /** Wall-clock tick from the runner; returns the watermark after it. */
  tick(nowMs: number): number {
    if (this.#activeSinceTick || this.#lastActiveAt === null) {
      this.#lastActiveAt = nowMs;
      this.#activeSinceTick = false;
      return this.watermark;
    }
    const idle = this.idleTimeoutMs;
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

  static fromJSON(
    json: WatermarkTrackerJSON,
    allowedLatenessMs: number,
    idleTimeoutMs: number | null,
  ): WatermarkTracker {
    const t = new WatermarkTracker(allowedLatenessMs, idleTimeoutMs);
    t.maxEventTime = json.maxEventTime ?? -Infinity;
    t.watermark = json.watermark ?? -Infinity;
    return t;
  }
}
