import { collectEvidence } from './collectEvidence.ts';
import type { Evidence } from './collectEvidence.ts';
import { detectProvider } from './detectProvider.ts';
import { autoResolvableClasses, errorClasses, retryableClasses } from './errorClass.ts';
import type { ErrorClass } from './errorClass.ts';
import { errorResolution } from './errorResolution.ts';
import type { Resolution } from './errorResolution.ts';
import { inferHttpStatus } from './inferHttpStatus.ts';
import { retryAfterMs } from './retryAfterMs.ts';

/** A failing step: which service it called, what came back, and the HTTP status if known. */
export interface FailedStep {
  readonly service?: string;
  readonly log: string;
  readonly httpStatus?: number | null;
}

export interface MatchedEvidence {
  readonly rule: string;
  readonly class: ErrorClass;
  readonly weight: number;
  readonly text?: string;
}

export interface ErrorClassification {
  readonly class: ErrorClass;
  readonly confidence: number;
  readonly autoResolvable: boolean;
  readonly resolution: Resolution;
  readonly retryable: boolean;
  readonly provider: string | null;
  readonly httpStatus: number | null;
  /** Evidence that fired, strongest first (all classes, so disagreements are visible). */
  readonly matched: readonly MatchedEvidence[];
}

// Each further piece of evidence for the same class counts half as much as the one before:
// five keywords saying "rate limit" should not outvote one documented quota code.
const evidenceDecay = 0.5;
// Logs can be whole stack traces; the cause sits near the start or the end.
const maxLogHead = 12_000;
const maxLogTail = 4_000;
const maxMatchedReported = 8;
const maxConfidence = 0.999;

/** Un-escapes JSON embedded as a string (`{\"error\":\"invalid_auth\"}`) and trims huge logs. */
function normaliseLog(log: string): string {
  const trimmed =
    log.length > maxLogHead + maxLogTail ? `${log.slice(0, maxLogHead)}\n${log.slice(-maxLogTail)}` : log;
  return trimmed
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\"/g, '"');
}

function validStatus(status: number | null | undefined): number | undefined {
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599
    ? status
    : undefined;
}

function classScores(evidence: readonly Evidence[]): Map<ErrorClass, number> {
  const byClass = new Map<ErrorClass, number[]>();
  for (const e of evidence) {
    const list = byClass.get(e.class) ?? [];
    list.push(e.weight);
    byClass.set(e.class, list);
  }
  const scores = new Map<ErrorClass, number>();
  for (const [cls, weights] of byClass) {
    weights.sort((a, b) => b - a);
    scores.set(
      cls,
      weights.reduce((sum, w, i) => sum + w * evidenceDecay ** i, 0),
    );
  }
  return scores;
}

/**
 * No evidence at all: a 4xx without a recognisable body is most often bad input, another status a
 * transient provider failure. No status and no known wording means nothing came back from the
 * provider and no network error was seen: the step failed on its own setup (a missing setting, an
 * unfilled value), which a retry does not change. All with near-chance confidence.
 */
function fallbackClass(status: number | undefined): ErrorClass {
  if (status === undefined) return 'config';
  return status >= 400 && status < 500 ? 'validation' : 'upstream_5xx';
}

/**
 * Sorts a failing step's error into one of twelve classes. Every matching rule adds weight to its
 * class (documented provider code > generic wording > bare HTTP status); the class with the highest
 * total wins and its softmax share over all twelve classes is the confidence, so conflicting or
 * thin evidence yields low confidence.
 */
export function classifyError(step: FailedStep): ErrorClassification {
  const text = normaliseLog(step.log);
  const service = step.service ?? '';
  const profile = detectProvider(service, text);
  const givenStatus = validStatus(step.httpStatus);
  const status = givenStatus ?? inferHttpStatus(text);
  const evidence = collectEvidence({
    text,
    provider: profile?.id,
    providerHosts: profile?.hosts,
    status,
    statusGiven: givenStatus !== undefined,
  });
  const scores = classScores(evidence);

  let best: ErrorClass = fallbackClass(status);
  let bestScore = scores.get(best) ?? 0;
  for (const cls of errorClasses) {
    const score = scores.get(cls) ?? 0;
    if (score > bestScore) {
      best = cls;
      bestScore = score;
    }
  }
  let partition = 0;
  for (const cls of errorClasses) partition += Math.exp((scores.get(cls) ?? 0) - bestScore);
  // Never claim certainty: even a documented code can be misreported by a proxy or SDK.
  const confidence = Math.min(maxConfidence, Math.round((1 / partition) * 1000) / 1000);

  const ranked = [...evidence].sort((a, b) => b.weight - a.weight);
  const strongest = ranked.find((e) => e.class === best);
  const retryable = strongest?.retryable ?? retryableClasses.has(best);

  return {
    class: best,
    confidence,
    autoResolvable: autoResolvableClasses.has(best),
    resolution: errorResolution({
      class: best,
      provider: profile,
      evidence: strongest,
      retryAfterMs: best === 'rate_limit' || best === 'upstream_5xx' ? retryAfterMs(text) : undefined,
    }),
    retryable,
    provider: profile?.id ?? null,
    httpStatus: status ?? null,
    matched: ranked.slice(0, maxMatchedReported).map((e) => ({
      rule: e.rule,
      class: e.class,
      weight: Math.round(e.weight * 100) / 100,
      ...(e.text !== undefined ? { text: e.text } : {}),
    })),
  };
}
