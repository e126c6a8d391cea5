// Line-by-line anomaly scoring of a NAB-style CSV, shared by `pulse detect` and the NAB evaluation
// so both run the very same code. Pure: the caller reads lines and writes what comes back.
//
//   input  = header *( LF row )        header = "timestamp,value"
//   row    = timestamp "," value       timestamp = YYYY-MM-DD HH:MM:SS[.ffffff] (UTC), value = number
//   output = "timestamp,value,anomaly_score" then, per row, the row as given plus "," score
//
// score is the detector's alert score in [0, 1], printed with at most 6 decimals. Blank lines are
// skipped; a trailing CR (Windows line ends) is ignored.
import { ValidationError } from '../../errors.ts';
import { AnomalyDetector, DEFAULT_DETECTOR_CONFIG } from './anomalyDetector.ts';
import type { DetectorConfig } from './anomalyDetector.ts';

export const CSV_INPUT_HEADER = 'timestamp,value';
export const CSV_OUTPUT_HEADER = 'timestamp,value,anomaly_score';

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

/** Epoch milliseconds of a `YYYY-MM-DD HH:MM:SS` timestamp read as UTC, or NaN if malformed. */
export function parseCsvTimestamp(text: string): number {
  const m = TIMESTAMP.exec(text);
  if (m === null) return Number.NaN;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) + Math.round(Number(m[7] ?? 0) * 1000);
  // Date.UTC rolls 2014-02-30 over into March; a real calendar date survives the round trip.
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return Number.NaN;
  return ms;
}

export function formatScore(score: number): string {
  return String(Number(Math.min(1, Math.max(0, score)).toFixed(6)));
}

export class CsvAnomalyScorer {
  readonly #detector: AnomalyDetector;
  #line = 0;
  #headerSeen = false;

  constructor(config: DetectorConfig = DEFAULT_DETECTOR_CONFIG) {
    this.#detector = new AnomalyDetector(config);
  }

  /** The output line for one input line (the output header for the input header), or undefined for a blank line. */
  push(rawLine: string): string | undefined {
    this.#line++;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') return undefined;
    if (!this.#headerSeen) {
      if (line.trim().toLowerCase() !== CSV_INPUT_HEADER) {
        throw new ValidationError('CSV input', [
          {
            path: `line ${this.#line}`,
            message: `expected header "${CSV_INPUT_HEADER}", got "${line.slice(0, 60)}"`,
          },
        ]);
      }
      this.#headerSeen = true;
      return CSV_OUTPUT_HEADER;
    }
    const comma = line.indexOf(',');
    const stamp = comma < 0 ? line : line.slice(0, comma);
    const valueText = comma < 0 ? '' : line.slice(comma + 1);
    const timestamp = parseCsvTimestamp(stamp.trim());
    const value = valueText.trim() === '' ? Number.NaN : Number(valueText);
    const issues = [];
    if (Number.isNaN(timestamp))
      issues.push({ path: `line ${this.#line}.timestamp`, message: `not YYYY-MM-DD HH:MM:SS: "${stamp}"` });
    if (!Number.isFinite(value))
      issues.push({ path: `line ${this.#line}.value`, message: `not a finite number: "${valueText}"` });
    if (issues.length > 0) throw new ValidationError('CSV input', issues);
    const { score } = this.#detector.update({ timestamp, value });
    return `${line},${formatScore(score)}`;
  }

  /** Whether the header has been read (an input without one is not a CSV of this format). */
  get sawHeader(): boolean {
    return this.#headerSeen;
  }
}
