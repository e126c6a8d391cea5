import { z } from 'zod';
import { ValidationError, errorMessage } from '../../errors.ts';
import { forecast } from './forecast.ts';
import type { ForecastOptions } from './forecast.ts';

// The `pulse forecast --jsonl` line contract, kept pure so tests exercise exactly what the CLI
// prints: one request object in, one response object out, errors as values rather than throws.

const MAX_HORIZON = 100_000;

const requestSchema = z.object({
  id: z.unknown(),
  h: z.number().int().min(1).max(MAX_HORIZON),
  // A fractional period (e.g. 52.18 weeks a year) is rounded to the nearest whole season.
  m: z.number().min(1).max(MAX_HORIZON).optional(),
  // null, non-finite and numeric-string entries are accepted; non-numbers count as missing.
  y: z.array(z.union([z.number(), z.null(), z.string()])),
});

export interface ForecastResponse {
  readonly id: unknown;
  readonly point: number[];
  readonly lo: number[];
  readonly hi: number[];
  readonly method: string;
  readonly note?: string;
}

export interface ForecastFailure {
  readonly id?: unknown;
  readonly error: string;
}

export type ForecastLineResult = ForecastResponse | ForecastFailure;

export function isForecastFailure(result: ForecastLineResult): result is ForecastFailure {
  return 'error' in result;
}

/** Answers one parsed request object. Never throws. */
export function forecastRequest(value: unknown, options: ForecastOptions = {}): ForecastLineResult {
  const idKnown = value !== null && typeof value === 'object' && !Array.isArray(value) && 'id' in value;
  const id: unknown = idKnown ? value.id : undefined;
  const failure = (error: string): ForecastFailure => (idKnown ? { id, error } : { error });

  const parsed = requestSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    }));
    return failure(new ValidationError('forecast request', issues).message);
  }
  const { h, y } = parsed.data;
  const m = Math.round(parsed.data.m ?? 1);
  const values = y.map((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v));
  try {
    const result = forecast(values, h, m, options);
    // Key order is part of the contract: id, point, lo, hi, then extras.
    const response: ForecastResponse = {
      id: idKnown ? id : null,
      point: result.point,
      lo: result.lo,
      hi: result.hi,
      method: result.method,
      ...(result.note === undefined ? {} : { note: result.note }),
    };
    return response;
  } catch (error) {
    return failure(errorMessage(error));
  }
}

/** Answers one JSONL input line with one JSON output line (without the newline). */
export function forecastJsonLine(
  line: string,
  options: ForecastOptions = {},
): {
  readonly output: string;
  readonly ok: boolean;
} {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { output: JSON.stringify({ error: `invalid JSON: ${errorMessage(error)}` }), ok: false };
  }
  const result = forecastRequest(value, options);
  return { output: JSON.stringify(result), ok: !isForecastFailure(result) };
}
