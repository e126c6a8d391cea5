import { z } from 'zod';
import { ValidationError, errorMessage } from '../../errors.ts';
import type { FailedStep } from './classifyError.ts';

// One JSONL input line of `pulse troubleshoot classify`: {"service","log","httpStatus"}.
// Lenient where it costs nothing: a JSON object as `log` (a parsed response body), a numeric
// string as status, a missing service. Extra keys (such as a label) are ignored.
const failedStepLine = z.object({
  service: z.string().nullish(),
  log: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]),
  httpStatus: z
    .union([z.number().int(), z.string().regex(/^\s*\d{3}\s*$/, 'expected a 3-digit HTTP status')])
    .nullish(),
});

export type ParsedLine =
  { readonly ok: true; readonly step: FailedStep } | { readonly ok: false; readonly error: string };

export function parseFailedStepLine(line: string, lineNumber: number): ParsedLine {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    return { ok: false, error: `line ${lineNumber}: invalid JSON: ${errorMessage(error)}` };
  }
  const parsed = failedStepLine.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join('.'),
      message: i.message,
    }));
    return { ok: false, error: new ValidationError(`line ${lineNumber}`, issues).message };
  }
  const { service, log, httpStatus } = parsed.data;
  return {
    ok: true,
    step: {
      service: service ?? '',
      log: typeof log === 'string' ? log : JSON.stringify(log),
      httpStatus: typeof httpStatus === 'string' ? Number(httpStatus.trim()) : (httpStatus ?? null),
    },
  };
}
