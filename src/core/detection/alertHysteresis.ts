// Alert hysteresis for one series: turns a per-window anomaly level into alerts that do not flap.
//
//   idle --(k of the last n windows anomalous)--> open --(m normal windows in a row)--> cooldown
//   (anomalous: level >= anomalyLevel; normal while open: level < holdLevel, a lower bar; both with
//   |deviation| >= minDeviation)
//   cooldown --(c windows elapsed)--> idle;   open --(severity rises)--> open (escalated)
//
// An alert opens only on repeated evidence, stays open through isolated normal windows, and after
// resolving waits out a cooldown so an oscillating series raises one alert, not one per swing.
// Severity is the worst of what the level and the deviation say; an open alert only escalates (a
// falling severity is not news). State is plain JSON, advanced by a pure function.

export type AlertSeverity = 'minor' | 'major' | 'critical';

export interface AlertHysteresisConfig {
  /** A window is anomalous when its level (detector `level`, [0, 1]) reaches this... */
  readonly anomalyLevel: number;
  /** ...and its value is at least this many robust standard deviations from the expected one. */
  readonly minDeviation: number;
  /**
   * While an alert is open, a window still counts against resolving down to this lower level (with
   * the same deviation): the detector gets used to a long anomaly, the alert should not.
   */
  readonly holdLevel: number;
  /** Open after `openCount` anomalous windows among the last `openWindow`. */
  readonly openCount: number;
  readonly openWindow: number;
  /** Resolve after this many normal windows in a row. */
  readonly resolveAfter: number;
  /** Windows after a resolve during which no alert opens. */
  readonly cooldown: number;
  /** Minimum level, or minimum |deviation| (robust standard deviations), for each severity. */
  readonly severity: Readonly<Record<AlertSeverity, { readonly level: number; readonly deviation: number }>>;
}

export const DEFAULT_ALERT_HYSTERESIS_CONFIG: AlertHysteresisConfig = {
  anomalyLevel: 0.5,
  minDeviation: 3,
  holdLevel: 0.1,
  openCount: 3,
  openWindow: 5,
  resolveAfter: 5,
  cooldown: 10,
  severity: {
    minor: { level: 0, deviation: 0 },
    major: { level: 0.6, deviation: 6 },
    critical: { level: 0.85, deviation: 12 },
  },
};

export interface AlertObservation {
  /** The window's start (epoch ms). */
  readonly timestamp: number;
  readonly level: number;
  /** Signed deviation from the expected value in robust standard deviations (0 if unknown). */
  readonly deviation: number;
}

export interface AlertHysteresisState {
  readonly status: 'idle' | 'open' | 'cooldown';
  /** Anomalous flags of the latest windows, oldest first (at most `openWindow`). */
  readonly recent: readonly boolean[];
  /** Normal windows in a row while open. */
  readonly normalStreak: number;
  /** Windows left in the cooldown. */
  readonly cooldownLeft: number;
  readonly severity: AlertSeverity | null;
  /** When the open alert opened, and its peak level so far. */
  readonly openedAt: number | null;
  readonly peakLevel: number;
}

export interface AlertTransition {
  readonly kind: 'opened' | 'escalated' | 'resolved';
  readonly timestamp: number;
  readonly severity: AlertSeverity;
  /** The window's level (for `resolved`, the alert's peak level). */
  readonly level: number;
  /** When the alert opened. */
  readonly openedAt: number;
}

export const INITIAL_ALERT_HYSTERESIS_STATE: AlertHysteresisState = {
  status: 'idle',
  recent: [],
  normalStreak: 0,
  cooldownLeft: 0,
  severity: null,
  openedAt: null,
  peakLevel: 0,
};

const RANK: Record<AlertSeverity, number> = { minor: 0, major: 1, critical: 2 };

export function alertSeverity(
  config: AlertHysteresisConfig,
  level: number,
  deviation: number,
): AlertSeverity {
  const d = Math.abs(deviation);
  const meets = (s: AlertSeverity): boolean =>
    level >= config.severity[s].level || d >= config.severity[s].deviation;
  if (meets('critical')) return 'critical';
  if (meets('major')) return 'major';
  return 'minor';
}

/** Advances the state machine by one window; returns the new state and what changed. */
export function alertHysteresis(
  state: AlertHysteresisState,
  observation: AlertObservation,
  config: AlertHysteresisConfig = DEFAULT_ALERT_HYSTERESIS_CONFIG,
): { state: AlertHysteresisState; transitions: AlertTransition[] } {
  // Significance alone is not enough: the value must also be far from normal in absolute terms,
  // so a statistically odd but tiny wobble does not page anyone.
  const anomalous =
    observation.level >= config.anomalyLevel && Math.abs(observation.deviation) >= config.minDeviation;
  const recent = [...state.recent, anomalous].slice(-config.openWindow);
  const severity = anomalous ? alertSeverity(config, observation.level, observation.deviation) : null;

  if (state.status === 'open') {
    const openedAt = state.openedAt ?? observation.timestamp;
    const peakLevel = Math.max(state.peakLevel, observation.level);
    const current = state.severity ?? 'minor';
    const ongoing =
      observation.level >= config.holdLevel && Math.abs(observation.deviation) >= config.minDeviation;
    if (ongoing) {
      const escalated = anomalous && severity !== null && RANK[severity] > RANK[current];
      return {
        state: { ...state, recent, normalStreak: 0, severity: escalated ? severity : current, peakLevel },
        transitions: escalated
          ? [
              {
                kind: 'escalated',
                timestamp: observation.timestamp,
                severity,
                level: observation.level,
                openedAt,
              },
            ]
          : [],
      };
    }
    const normalStreak = state.normalStreak + 1;
    if (normalStreak < config.resolveAfter) {
      return { state: { ...state, recent, normalStreak, peakLevel }, transitions: [] };
    }
    return {
      state:
        config.cooldown > 0
          ? { ...INITIAL_ALERT_HYSTERESIS_STATE, status: 'cooldown', cooldownLeft: config.cooldown }
          : INITIAL_ALERT_HYSTERESIS_STATE,
      transitions: [
        { kind: 'resolved', timestamp: observation.timestamp, severity: current, level: peakLevel, openedAt },
      ],
    };
  }

  if (state.status === 'cooldown') {
    const cooldownLeft = state.cooldownLeft - 1;
    // Evidence seen during the cooldown does not count toward the next alert.
    return {
      state: cooldownLeft > 0 ? { ...state, cooldownLeft } : INITIAL_ALERT_HYSTERESIS_STATE,
      transitions: [],
    };
  }

  const count = recent.filter(Boolean).length;
  if (anomalous && severity !== null && count >= config.openCount) {
    return {
      state: {
        status: 'open',
        recent,
        normalStreak: 0,
        cooldownLeft: 0,
        severity,
        openedAt: observation.timestamp,
        peakLevel: observation.level,
      },
      transitions: [
        {
          kind: 'opened',
          timestamp: observation.timestamp,
          severity,
          level: observation.level,
          openedAt: observation.timestamp,
        },
      ],
    };
  }
  return { state: { ...state, recent }, transitions: [] };
}
