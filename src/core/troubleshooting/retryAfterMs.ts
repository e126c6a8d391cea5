// How long the provider asked us to wait, when the log says so ("retry after 35",
// `"retry_after": 1.5`, "Please try again in 20s"). Used as the first backoff delay.

const waitPatterns: readonly RegExp[] = [
  /retry[\s_-]?after["'\s:=]+(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)?\b/i,
  /(?:try|retry) again in (\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\b/i,
  /reset(?:s)? in (\d+(?:\.\d+)?)\s*(ms|s|secs?|seconds?|m|mins?|minutes?)\b/i,
  /wait (?:for )?(\d+(?:\.\d+)?)\s*(ms|s|secs?|seconds?|m|mins?|minutes?)\b/i,
];

const maxWaitMs = 24 * 60 * 60 * 1000;

function unitMs(unit: string | undefined): number {
  const u = (unit ?? 's').toLowerCase();
  if (u === 'ms' || u.startsWith('milli')) return 1;
  if (u === 'm' || u.startsWith('min')) return 60_000;
  return 1000;
}

export function retryAfterMs(log: string): number | undefined {
  for (const pattern of waitPatterns) {
    const found = pattern.exec(log);
    if (found?.[1] === undefined) continue;
    const ms = Math.round(Number(found[1]) * unitMs(found[2]));
    if (Number.isFinite(ms) && ms > 0) return Math.min(ms, maxWaitMs);
  }
  return undefined;
}
