// Many logs carry the HTTP status only inside the text ("Request failed with status code 429",
// `"status": 503`, "HTTP/1.1 404 Not Found"). Reading it lets status evidence count when the
// structured field is missing.

const statusPatterns: readonly RegExp[] = [
  /\bHTTP\/\d(?:\.\d)?\s+([1-5]\d\d)\b/i,
  /\bstatus(?:[\s_-]?code)?["']?\s*[:=]?\s*["']?([1-5]\d\d)\b/i,
  /\b(?:response|http|error|returned|got)\s+(?:code\s+|status\s+)?([45]\d\d)\b/i,
  /\b(?:error_)?code["']?\s*[:=]\s*([45]\d\d)\b/i,
  /\b([45]\d\d)\s*[:-]?\s*(?:Bad Request|Unauthorized|Payment Required|Forbidden|Not Found|Method Not Allowed|Request Timeout|Conflict|Gone|Precondition Failed|Payload Too Large|Request Entity Too Large|Unprocessable Entity|Locked|Too Many Requests|Internal Server Error|Not Implemented|Bad Gateway|Service Unavailable|Gateway Time-?out)\b/i,
];

export function inferHttpStatus(log: string): number | undefined {
  for (const pattern of statusPatterns) {
    const found = pattern.exec(log)?.[1];
    if (found !== undefined) return Number(found);
  }
  return undefined;
}
