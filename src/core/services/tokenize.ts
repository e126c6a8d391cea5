// Word tokens for service detection. A token is a run of letters/digits, optionally with inner
// apostrophes ("don't"); a possessive "'s" is dropped ("Slack's" -> "Slack"). Everything else
// (spaces, hyphens, dots, slashes, punctuation) separates tokens, so "Google-Sheets",
// "Google Sheets" and "google sheets" give the same words, and "x" inside "xquik" is no token.

export interface Token {
  /** The token as written, possessive removed. */
  readonly raw: string;
  /** Lower-case form, the key for matching. */
  readonly lower: string;
  /** Offsets of the token in the source text (end exclusive, possessive included). */
  readonly start: number;
  readonly end: number;
}

const TOKEN_RE = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;
const POSSESSIVE_RE = /['’][sS]$/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(TOKEN_RE)) {
    let raw = m[0];
    if (POSSESSIVE_RE.test(raw)) raw = raw.slice(0, -2);
    if (raw.length === 0) continue;
    tokens.push({ raw, lower: raw.toLowerCase(), start: m.index, end: m.index + m[0].length });
  }
  return tokens;
}

/** Lower-case words of a catalog phrase, in the same form as text tokens. */
export function phraseWords(phrase: string): string[] {
  return tokenize(phrase).map((t) => t.lower);
}

/** Words of a catalog phrase with their casing kept (for case-sensitive aliases). */
export function phraseRawWords(phrase: string): string[] {
  return tokenize(phrase).map((t) => t.raw);
}

/** Plural/singular variants of a phrase's last word, for matching "Google Sheet" and "Google Sheets". */
export function numberVariants(words: readonly string[]): string[][] {
  const last = words.at(-1);
  if (last === undefined || !/^[a-z]{3,}$/.test(last)) return [];
  const head = words.slice(0, -1);
  const out: string[][] = [];
  if (!last.endsWith('s')) {
    out.push([...head, `${last}s`]);
    if (/(?:sh|ch|x|z)$/.test(last)) out.push([...head, `${last}es`]);
    if (/[^aeiou]y$/.test(last)) out.push([...head, `${last.slice(0, -1)}ies`]);
  } else if (words.length > 1 && !last.endsWith('ss')) {
    out.push([...head, last.slice(0, -1)]);
  }
  return out;
}

/** A crude singular form for context-word checks ("channels" -> "channel"). */
export function singular(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}
