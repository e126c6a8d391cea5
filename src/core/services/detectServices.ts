// Service detection: natural-language description of an automation -> the SaaS services it uses.
//
// The catalog is compiled once into a word trie (aliases, vocabulary and role fillers, with
// hyphen/space/joined and plural variants). A text is tokenised and scanned left to right; at
// each position the longest phrase whose conditions hold wins (case, context words, neighbours),
// so "Google Sheets" is one match and never also "Sheets"; a failed longer phrase falls back to a
// shorter one; a vendor word left out in a list is put back ("Google Sheets and Docs" names Google
// Docs too), a word that spells nothing is read in its camel-case parts ("SlackBot"), and the
// first word of a name is read past one typo ("Goolge Sheets", "Telegramm"; lower confidence). Then:
// - a named service (alias match) gets its alias confidence (0.95 plain, lower for guarded names),
//   a little more for repeated mentions;
// - a mention right after a negation ("not", "without", "instead of", "no", "rather than") is
//   excluded, and so are the names listed right after it ("without Slack or Teams");
// - vocabulary implies services with lower confidence (noisy-or of the term weights, at most
//   0.85), unless a named service or a role filler already fills one of the implication's roles
//   ("AI" implies OpenAI, but not in "AI with Claude" nor "AI on a local Llama model");
// - names listed as examples ("e.g. Slack or Teams", "(Notion, Slack, etc.)") and social
//   platforms named as a content format ("posts for Twitter, LinkedIn and Instagram") are not
//   counted;
// - implied services under the threshold are returned as `candidates`, not as services: "email"
//   alone could be Gmail or Outlook or plain SMTP, so the detector does not guess. (Measured on
//   the n8n dev set: reporting Gmail for a bare "email" raised channel accuracy by 0.01 but cost
//   0.02 precision and 0.03 exact-set accuracy.)
// - a role the text asks for without naming a product ("text me", "a RAG chatbot") is filled by
//   the tenant's connected service for it (a service, marked implied), else by the role's most
//   common product, returned apart in `implied` with low confidence: a guess to confirm, not a
//   detection;
// - a service known only to the generated catalog (a brand list, not written for Pulse) is
//   reported only when its name is distinctive (not a dictionary word, or several words cased as
//   the brand) or used as an integration ("to Foo", "from Foo", "Foo API", "Foo node"); brands of
//   no SaaS category (simple-icons only: airlines, sports teams, hardware) always need the latter.
//   Otherwise it is a candidate: "Front" or "Suno" in passing names no integration.
import { detectionCatalog, type AliasSpec, type Service, type ServiceCatalog } from './serviceCatalog.ts';
import { numberVariants, phraseRawWords, phraseWords, singular, tokenize, type Token } from './tokenize.ts';

export interface DetectedService {
  readonly id: string;
  readonly name: string;
  readonly confidence: number;
  /**
   * The text names a role, not this product ("text me", "add to my calendar"): the service is the
   * tenant's connected one for that role, else the most common product for it. A caller that
   * builds something should confirm it rather than take it as named.
   */
  readonly implied?: true;
  /** The role an implied service fills. */
  readonly role?: string;
}

export interface ServiceCandidate extends DetectedService {
  /** The words of the text that suggested it. */
  readonly terms: readonly string[];
}

export interface DetectionResult {
  readonly services: DetectedService[];
  /** Services implied too weakly to report, best first (only when asked for). */
  readonly candidates?: ServiceCandidate[];
  /**
   * Roles the text asks for without naming a product, each with the role's most common product
   * (marked implied, low confidence): a guess to confirm, never a detection (only when asked for).
   */
  readonly implied?: DetectedService[];
  /** Services named only in a negated phrase ("instead of Slack"). */
  readonly excluded?: string[];
}

export interface DetectOptions {
  /** Lowest confidence reported in `services` (default 0.5). */
  readonly threshold?: number;
  /** Include `candidates`, `implied` and `excluded` in the result (default false). */
  readonly explain?: boolean;
  /** Most candidates returned (default 5). */
  readonly maxCandidates?: number;
  /**
   * Services the tenant has connected or the user used before, most used first: a role the text
   * asks for without naming a product is filled by the first of them with that role.
   */
  readonly connected?: readonly string[];
}

export const DEFAULT_THRESHOLD = 0.5;
const VOCAB_CAP = 0.85;
const CANDIDATE_FLOOR = 0.1;
const DEFAULT_WINDOW = 6;
/** Confidence of a service implied by a role: the tenant's connected one, or the role's default. */
const IMPLIED_CONNECTED = 0.7;
const IMPLIED_DEFAULT = 0.4;
/** Confidence of a generated-catalog name found without integration context: under the threshold. */
const GENERATED_WEAK = 0.45;
/** Weakest role evidence (cue weight or vocabulary candidate) that implies a service. */
const IMPLIED_MIN = 0.3;
/**
 * Roles a weak vocabulary candidate does not ask for: an LLM is reported from vocabulary when the
 * evidence is strong ("AI agent"), and words like "summarize" or "classify" alone are too weak.
 */
const NOT_ASKED_BY_CANDIDATES = new Set(['llm', 'embedding']);

type RuleKind = 'alias' | 'vocab' | 'filler' | 'cue';

interface Rule {
  readonly kind: RuleKind;
  /** Index into the compiled services; -1 for role fillers. */
  readonly service: number;
  readonly term: string;
  /** Alias confidence or vocabulary weight. */
  readonly weight: number;
  readonly caseWords?: readonly string[];
  readonly context?: ReadonlySet<string>;
  readonly window: number;
  readonly notAfter?: ReadonlySet<string>;
  readonly notBefore?: ReadonlySet<string>;
  readonly notNear?: ReadonlySet<string>;
  /** Roles that cancel a vocabulary implication, or that a filler fills. */
  readonly roles: readonly string[];
}

interface TrieNode {
  readonly next: Map<string, TrieNode>;
  rules: Rule[];
}

interface Match {
  readonly start: number;
  readonly end: number;
  readonly rules: readonly Rule[];
  /** Named after a negation: the service is excluded. */
  negated: boolean;
  /** Named as an example ("e.g. Notion, Slack, etc.") or as a content format ("posts for LinkedIn"): not counted. */
  aside: boolean;
}

const NEGATION_WORDS = new Set([
  'not',
  'no',
  'without',
  'except',
  'excluding',
  'nor',
  'never',
  'avoid',
  'avoids',
  'avoiding',
  "don't",
  'don’t',
  "doesn't",
  'doesn’t',
  "didn't",
  "won't",
  "isn't",
  "aren't",
  'cannot',
  "can't",
]);
const NEGATION_PAIRS: readonly (readonly [string, string])[] = [
  ['instead', 'of'],
  ['rather', 'than'],
  ['other', 'than'],
  ['apart', 'from'],
];
/** Words that may stand between a negation and the name it negates ("without a paid OpenAI key"). */
const NEGATION_GAP = new Set([
  'a',
  'an',
  'the',
  'any',
  'using',
  'use',
  'need',
  'needing',
  'requiring',
  'relying',
  'on',
  'for',
  'paid',
  'external',
  'your',
  'an',
  'via',
  'through',
  'calling',
  'separate',
  'extra',
  'additional',
]);
/** After "not", these words make it no negation: "not only Slack but also Teams". */
const NOT_NEGATING_AFTER = new Set(['only', 'just', 'merely', 'limited', 'simply']);
const POST_NEGATION =
  /^[\s-]*(?:is|are|was|were)?\s*(?:not|never|n['’]t)\s+(?:required|needed|necessary|used|involved)\b/i;
const COORDINATION_GAP = /^[\s,/&+]*(?:(?:or|nor|and|and\/or)\b)?[\s,/&+]*$/i;
const PHRASE_GAP = /^(?:[ \t]{1,3}|\s?[-–/|]\s?|[_.·])$/;
const CLAUSE_BREAK = /[.;:!?()[\]{}"“”|•\n]/;
/** Vendor words that lead product names and are left out when several follow ("Google Sheets and Docs"). */
const VENDOR_PREFIXES = new Set([
  'google',
  'microsoft',
  'ms',
  'aws',
  'amazon',
  'azure',
  'zoho',
  'adobe',
  'atlassian',
]);
const CONJUNCTIONS = new Set(['and', 'or']);
/** Words right before a name that use it as an integration: "to Foo", "from Foo", "via Foo". */
const INTEGRATION_BEFORE = new Set([
  'to',
  'into',
  'in',
  'from',
  'via',
  'with',
  'using',
  'on',
  'onto',
  'through',
]);
/** Words right after a name that use it as an integration: "Foo API", "Foo node", "Foo trigger". */
const INTEGRATION_AFTER = new Set([
  'api',
  'apis',
  'node',
  'nodes',
  'trigger',
  'triggers',
  'account',
  'integration',
  'integrations',
  'webhook',
  'webhooks',
  'credentials',
  'connector',
  'sdk',
]);
/** Shortest name word read past two swapped letters, and past a missing or extra letter. */
const TYPO_MIN_SWAP = 6;
const TYPO_MIN_DROP = 8;
const TYPO_CONFIDENCE = 0.8;
/** A lower-case letter or digit followed by a capital inside a word: a camel-case compound. */
const CAMEL_INNER = /[\p{Ll}\p{N}]\p{Lu}/u;
const CAMEL_SPLIT = /(?<=[\p{Ll}\p{N}])(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})/u;

export class ServiceMatcher {
  readonly catalog: ServiceCatalog;
  private readonly services: readonly Service[];
  private readonly root: TrieNode = { next: new Map(), rules: [] };
  private readonly serviceRoles: readonly (readonly string[])[];
  /** Misspellings of the first words of names ("telegarm", "goolge") -> the word. */
  private readonly typos = new Map<string, string>();
  /** First words of names long enough to be read past one extra letter ("telegramm"). */
  private readonly longHeads = new Set<string>();

  constructor(catalog: ServiceCatalog) {
    this.catalog = catalog;
    this.services = catalog.services;
    this.serviceRoles = this.services.map((s) => s.roles ?? []);
    this.services.forEach((service, index) => {
      for (const alias of service.aliases)
        this.addAlias(index, typeof alias === 'string' ? { text: alias } : alias);
      for (const v of service.vocabulary) {
        this.addPhrase(v.term, true, {
          kind: 'vocab',
          service: index,
          term: v.term,
          weight: v.weight,
          window: DEFAULT_WINDOW,
          roles: v.suppressedBy ?? service.roles ?? [],
        });
      }
    });
    for (const f of catalog.fillers) {
      this.addPhrase(f.term, true, {
        kind: 'filler',
        service: -1,
        term: f.term,
        weight: 0,
        window: DEFAULT_WINDOW,
        roles: f.roles,
      });
    }
    for (const c of catalog.roleCues) {
      this.addPhrase(c.term, true, {
        kind: 'cue',
        service: -1,
        term: c.term,
        weight: c.weight,
        window: DEFAULT_WINDOW,
        roles: [c.role],
      });
    }
    this.buildTypos();
  }

  /**
   * One-typo spellings of the words that start a name: two neighbouring letters swapped (words of
   * TYPO_MIN_SWAP letters or more) or one letter left out (TYPO_MIN_DROP or more). A spelling that
   * is itself a catalog word, or that two words share, is left out.
   */
  private buildTypos(): void {
    const known = new Set<string>();
    const walk = (node: TrieNode): void => {
      for (const [w, child] of node.next) {
        known.add(w);
        walk(child);
      }
    };
    walk(this.root);
    // First words of aliases as written, of those with no condition to check on the text.
    const heads = new Set<string>();
    for (const service of this.services) {
      // Generated names are too many and too varied to read past typos ("Automatic" is no "Automattic").
      if (service.group === 'generated') continue;
      for (const alias of service.aliases) {
        if (typeof alias !== 'string' && Object.keys(alias).some((k) => k !== 'text' && k !== 'confidence'))
          continue;
        const first = phraseWords(typeof alias === 'string' ? alias : alias.text)[0];
        if (first !== undefined && first.length >= TYPO_MIN_SWAP && /^[a-z]+$/.test(first)) heads.add(first);
      }
    }
    const seen = new Map<string, string | null>();
    const add = (variant: string, word: string): void => {
      if (known.has(variant)) return;
      const prev = seen.get(variant);
      seen.set(variant, prev === undefined || prev === word ? word : null);
    };
    for (const w of heads) {
      for (let k = 0; k + 1 < w.length; k++) {
        const a = w.charAt(k);
        const b = w.charAt(k + 1);
        if (a !== b) add(w.slice(0, k) + b + a + w.slice(k + 2), w);
      }
      if (w.length >= TYPO_MIN_DROP) {
        this.longHeads.add(w);
        for (let k = 0; k < w.length; k++) add(w.slice(0, k) + w.slice(k + 1), w);
      }
    }
    for (const [variant, word] of seen) if (word !== null) this.typos.set(variant, word);
  }

  /** The name word a misspelt word stands for, if any (never a plural: "Telegrams" is no typo). */
  private typoOf(word: string): string | undefined {
    if (word.length < TYPO_MIN_SWAP) return undefined;
    const fixed = this.typos.get(word);
    if (fixed !== undefined) return fixed;
    if (word.length <= TYPO_MIN_DROP || word.endsWith('s')) return undefined;
    let found: string | undefined;
    for (let k = 0; k < word.length; k++) {
      const shorter = word.slice(0, k) + word.slice(k + 1);
      if (!this.longHeads.has(shorter)) continue;
      if (found !== undefined && found !== shorter) return undefined;
      found = shorter;
    }
    return found;
  }

  private addAlias(service: number, spec: AliasSpec): void {
    const caseSensitive = spec.caseSensitive === true;
    const defaultConfidence = spec.context ? 0.85 : caseSensitive ? 0.9 : 0.95;
    const rule: Rule = {
      kind: 'alias',
      service,
      term: spec.text,
      weight: spec.confidence ?? defaultConfidence,
      window: spec.window ?? DEFAULT_WINDOW,
      roles: [],
      ...(caseSensitive ? { caseWords: phraseRawWords(spec.text) } : {}),
      ...(spec.context ? { context: conditionWords(spec.context) } : {}),
      ...(spec.notAfter ? { notAfter: new Set(spec.notAfter.map((w) => w.toLowerCase())) } : {}),
      ...(spec.notBefore ? { notBefore: new Set(spec.notBefore.map((w) => w.toLowerCase())) } : {}),
      ...(spec.notNear ? { notNear: conditionWords(spec.notNear) } : {}),
    };
    this.addPhrase(spec.text, !caseSensitive, rule);
  }

  /** Adds a phrase and, when `variants`, its joined ("googlesheets") and plural/singular forms. */
  private addPhrase(text: string, variants: boolean, rule: Rule): void {
    const words = phraseWords(text);
    if (words.length === 0) return;
    const forms: string[][] = [words];
    if (variants) {
      // Plurals of one-word names are left out ("Canvas" is not "Canva"); vocabulary keeps them.
      if (words.length > 1 || rule.kind !== 'alias') forms.push(...numberVariants(words));
      if (words.length > 1) {
        const joined = words.join('');
        forms.push([joined], ...numberVariants([joined]));
      }
    }
    const seen = new Set<string>();
    for (const form of forms) {
      const key = form.join(' ');
      if (seen.has(key)) continue;
      seen.add(key);
      // Case-sensitive rules compare the text's words with caseWords position by position, so
      // they keep the phrase's own word split only.
      this.insert(form, rule);
    }
  }

  private insert(words: readonly string[], rule: Rule): void {
    let node = this.root;
    for (const w of words) {
      let child = node.next.get(w);
      if (!child) {
        child = { next: new Map(), rules: [] };
        node.next.set(w, child);
      }
      node = child;
    }
    // The same plain phrase listed twice for a service (e.g. "gpt4" and "gpt 4" joined) keeps one rule.
    const plain = (r: Rule): boolean => !r.caseWords && !r.context && !r.notAfter && !r.notBefore;
    const same = node.rules.findIndex(
      (r) => r.kind === rule.kind && r.service === rule.service && plain(r) && plain(rule),
    );
    if (same >= 0) {
      const prev = node.rules[same];
      if (prev && prev.weight >= rule.weight) return;
      node.rules.splice(same, 1);
    }
    node.rules.push(rule);
  }

  /** Scans the text for phrase matches (leftmost-longest, conditions checked). */
  private scan(text: string, tokens: readonly Token[]): Match[] {
    const matches: Match[] = [];
    let i = 0;
    while (i < tokens.length) {
      const spans: { end: number; rules: Rule[] }[] = [];
      let node: TrieNode | undefined = this.root;
      let misspelt = false;
      for (let j = i; j < tokens.length; j++) {
        const tok = tokens[j];
        if (!tok) break;
        // Words of one phrase are joined by spaces or one of - _ . · / |, never by a clause break:
        // "only one. Note" is no "OneNote".
        const prevTok = j > i ? tokens[j - 1] : undefined;
        if (prevTok && !PHRASE_GAP.test(text.slice(prevTok.end, tok.start))) break;
        let child: TrieNode | undefined = node.next.get(tok.lower);
        if (!child && j === i && /^\p{L}+$/u.test(tok.lower)) {
          const fixed = this.typoOf(tok.lower);
          child = fixed === undefined ? undefined : node.next.get(fixed);
          misspelt = child !== undefined;
        }
        node = child;
        if (!node) break;
        if (node.rules.length > 0) {
          // A misspelt name counts only as a plain alias, with a lower confidence.
          const rules = misspelt
            ? node.rules
                .filter((r) => r.kind === 'alias' && isPlain(r))
                .map((r) => ({ ...r, weight: Math.min(r.weight, TYPO_CONFIDENCE) }))
            : node.rules;
          if (rules.length > 0) spans.push({ end: j + 1, rules });
        }
      }
      let advanced = false;
      for (let k = spans.length - 1; k >= 0; k--) {
        const span = spans[k];
        if (!span) continue;
        const valid = span.rules.filter((r) => ruleHolds(r, tokens, i, span.end)).sort(byKind);
        if (valid.length > 0) {
          matches.push({
            start: i,
            end: span.end,
            rules: valid,
            negated: isNegated(text, tokens, i, span.end),
            aside: false,
          });
          i = span.end;
          advanced = true;
          break;
        }
      }
      if (!advanced) {
        const tok = tokens[i];
        // Only a word that spells no phrase at all: "OpenAI-compatible" was rejected, not unknown.
        const inner = tok && spans.length === 0 ? this.camelPrefix(tok.raw, tokens[i + 1]?.lower) : undefined;
        if (inner) {
          matches.push({
            start: i,
            end: i + 1,
            rules: inner,
            negated: isNegated(text, tokens, i, i + 1),
            aside: false,
          });
        }
        i++;
      }
    }
    this.addElided(text, tokens, matches);
    markExamples(text, tokens, matches);
    markFormatTargets(text, tokens, matches, (r) => this.services[r.service]?.category === 'social-media');
    // "without Slack, Teams or Discord": a negation covers names listed right after it.
    for (let k = 1; k < matches.length; k++) {
      const prev = matches[k - 1];
      const cur = matches[k];
      if (!prev || !cur || !prev.negated || cur.negated) continue;
      if (coordinated(text, tokens, prev, cur)) cur.negated = true;
    }
    return matches;
  }

  /**
   * A name at the start of a camel-case compound the text made up ("SlackBot", "GmailTrigger",
   * "NotionDB"): the compound's parts are read as words and the longest alias they start with
   * counts, if it needs no context words and its casing and next-word conditions hold on the
   * parts. Only for tokens that match nothing as a whole, and only names of four letters or more.
   */
  private camelPrefix(raw: string, nextWord: string | undefined): Rule[] | undefined {
    if (!CAMEL_INNER.test(raw)) return undefined;
    const parts = raw.split(CAMEL_SPLIT);
    if (parts.length < 2) return undefined;
    let node: TrieNode | undefined = this.root;
    let found: Rule[] | undefined;
    let letters = 0;
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k] ?? '';
      node = node.next.get(part.toLowerCase());
      if (!node) break;
      letters += part.length;
      const after = k + 1 < parts.length ? parts[k + 1]?.toLowerCase() : nextWord;
      const fit = node.rules.filter(
        (r) =>
          r.kind === 'alias' &&
          !r.context &&
          !r.notNear &&
          (!r.caseWords || r.caseWords.every((w, n) => parts[n] === w)) &&
          (!r.notBefore || after === undefined || !r.notBefore.has(after)),
      );
      if (fit.length > 0 && letters >= 4) found = fit;
    }
    return found;
  }

  /**
   * Names that share a vendor prefix with the name before them in a list: "Google Sheets, Docs and
   * Drive" names Google Docs and Google Drive too, "Microsoft Teams & Planner" Microsoft Planner.
   * A bare capitalised word right after a prefixed name (or after a name elided that way), joined
   * by a comma, slash, "&", "and" or "or", is looked up with the prefix put back; only plain
   * aliases count (no case, context or neighbour condition to check on words that are not there).
   */
  private addElided(text: string, tokens: readonly Token[], matches: Match[]): void {
    const added: Match[] = [];
    const replaced = new Set<Match>();
    const startsAt = new Map<number, Match>();
    for (const m of matches) startsAt.set(m.start, m);
    for (const m of matches) {
      const head = tokens[m.start];
      if (!head || m.end - m.start < 2 || !VENDOR_PREFIXES.has(head.lower)) continue;
      if (!m.rules.some((r) => r.kind === 'alias')) continue;
      const prefix = this.root.next.get(head.lower);
      if (!prefix) continue;
      let end = m.end;
      while (end < tokens.length) {
        const last = tokens[end - 1];
        let k = end;
        while (k < end + 2 && CONJUNCTIONS.has(tokens[k]?.lower ?? '')) k++;
        const next = tokens[k];
        if (!last || !next) break;
        // A list needs a separator: "Google Gemini Chat Model" lists nothing.
        const gap = text.slice(last.end, next.start);
        if (!COORDINATION_GAP.test(gap) || (k === end && !/[,/&+]/.test(gap))) break;
        end = k;
        const existing = startsAt.get(end);
        const found = /^\p{Lu}/u.test(next.raw) ? lookupAfter(prefix, text, tokens, end) : undefined;
        const existingNamed = existing?.rules.some((r) => r.kind === 'alias') === true;
        if (!found || (existing && existingNamed && existing.end > found.end)) {
          // "Google Sheets, Gmail and Docs": another name in between keeps the list going.
          if (!existing || !existingNamed) break;
          end = existing.end;
          continue;
        }
        // An elided name wins over a weaker reading of its word ("Google Drive and Calendar").
        if (existing) replaced.add(existing);
        const elided: Match = {
          start: end,
          end: found.end,
          rules: found.rules,
          negated: isNegated(text, tokens, end, found.end),
          aside: false,
        };
        added.push(elided);
        startsAt.set(end, elided);
        end = found.end;
      }
    }
    if (added.length === 0) return;
    const kept = matches.filter((m) => !replaced.has(m));
    matches.length = 0;
    matches.push(...kept, ...added);
    matches.sort((a, b) => a.start - b.start);
  }

  /**
   * Roles the text asks for without naming a product, each filled by one implied service. A role
   * is asked for by a role cue ("text me" -> sms) or by a vocabulary candidate too weak to report
   * ("emails" -> Gmail at 0.3 asks for the email role); it is left alone when a reported service,
   * a role filler ("SMTP") or a negation already covers it. The service is the first connected
   * one with the role, else the role's most common product (`roleDefaults`).
   */
  private impliedByRole(
    cues: readonly { role: string; weight: number; words: string }[],
    candidates: readonly ServiceCandidate[],
    reported: readonly DetectedService[],
    namedRoles: ReadonlySet<string>,
    negated: ReadonlySet<number>,
    options: DetectOptions,
  ): DetectedService[] {
    const asked = new Map<string, number>();
    const ask = (role: string, weight: number): void => {
      asked.set(role, Math.max(asked.get(role) ?? 0, weight));
    };
    for (const c of cues) ask(c.role, c.weight);
    for (const c of candidates) {
      for (const role of this.catalog.byId.get(c.id)?.roles ?? [])
        if (!NOT_ASKED_BY_CANDIDATES.has(role)) ask(role, c.confidence);
    }
    const covered = new Set(namedRoles);
    for (const s of reported) for (const role of this.catalog.byId.get(s.id)?.roles ?? []) covered.add(role);
    const negatedIds = new Set([...negated].map((i) => this.services[i]?.id));
    const out: DetectedService[] = [];
    for (const [role, weight] of [...asked].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (covered.has(role) || weight < IMPLIED_MIN) continue;
      const fits = (id: string): boolean =>
        !negatedIds.has(id) && (this.catalog.byId.get(id)?.roles ?? []).includes(role);
      const connected = (options.connected ?? []).find(fits);
      const fallback = (this.catalog.roleDefaults.get(role) ?? []).find(fits);
      const id = connected ?? fallback;
      const s = id === undefined ? undefined : this.catalog.byId.get(id);
      if (!s || out.some((o) => o.id === s.id) || reported.some((o) => o.id === s.id)) continue;
      const confidence = connected !== undefined ? IMPLIED_CONNECTED : IMPLIED_DEFAULT;
      out.push({ id: s.id, name: s.name, confidence, implied: true, role });
      for (const r of s.roles ?? []) covered.add(r);
    }
    return out;
  }

  /**
   * Whether a name counts as named: always for a hand-written service; for a generated one when
   * the name is distinctive (no condition, or several words cased as the brand) and the brand has
   * a SaaS category, else only when the text uses it as an integration.
   */
  private namedStrongly(rule: Rule, integration: boolean): boolean {
    const s = this.services[rule.service];
    if (!s || s.group !== 'generated' || integration) return true;
    const distinctive = !rule.caseWords || rule.caseWords.length > 1;
    return distinctive && s.category !== 'other';
  }

  detect(text: string, options: DetectOptions = {}): DetectionResult {
    const threshold = options.threshold ?? DEFAULT_THRESHOLD;
    const tokens = tokenize(text);
    const matches = this.scan(text, tokens);

    const named = new Map<number, { confidence: number; mentions: number }>();
    /** Generated-catalog names found with no sign of an integration: candidates, not services. */
    const weaklyNamed = new Map<number, Set<string>>();
    const integrated = integrationMatches(text, tokens, matches);
    const negated = new Set<number>();
    const filled = new Set<string>();
    const implied: { rule: Rule; words: string }[] = [];
    const cues: { role: string; weight: number; words: string }[] = [];
    for (const m of matches) {
      if (m.aside) continue;
      const words = tokens
        .slice(m.start, m.end)
        .map((t) => t.raw)
        .join(' ');
      const seenInMatch = new Set<number>();
      for (const r of m.rules) {
        if (r.service >= 0) {
          if (seenInMatch.has(r.service)) continue;
          seenInMatch.add(r.service);
        }
        if (r.kind === 'alias') {
          if (m.negated) {
            negated.add(r.service);
            continue;
          }
          if (!this.namedStrongly(r, integrated.has(m))) {
            weaklyNamed.set(r.service, (weaklyNamed.get(r.service) ?? new Set()).add(words));
            continue;
          }
          const prev = named.get(r.service);
          named.set(r.service, {
            confidence: Math.max(prev?.confidence ?? 0, r.weight),
            mentions: (prev?.mentions ?? 0) + 1,
          });
        } else if (m.negated) {
          if (r.kind === 'vocab') negated.add(r.service);
        } else if (r.kind === 'filler') {
          for (const role of r.roles) filled.add(role);
        } else if (r.kind === 'cue') {
          for (const role of r.roles) cues.push({ role, weight: r.weight, words });
        } else {
          implied.push({ rule: r, words });
        }
      }
    }

    const namedRoles = new Set(filled);
    for (const index of named.keys()) for (const role of this.serviceRoles[index] ?? []) namedRoles.add(role);

    // Vocabulary: noisy-or of distinct terms per service, each term once.
    const vocab = new Map<number, { terms: Map<string, number>; words: Set<string> }>();
    for (const { rule, words } of implied) {
      if (named.has(rule.service) || negated.has(rule.service)) continue;
      if (rule.roles.some((role) => namedRoles.has(role))) continue;
      let entry = vocab.get(rule.service);
      if (!entry) {
        entry = { terms: new Map(), words: new Set() };
        vocab.set(rule.service, entry);
      }
      const key = rule.term.toLowerCase();
      entry.terms.set(key, Math.max(entry.terms.get(key) ?? 0, rule.weight));
      entry.words.add(words);
    }

    const services: DetectedService[] = [];
    for (const [index, n] of named) {
      const s = this.services[index];
      if (!s) continue;
      const confidence = Math.min(0.99, n.confidence + 0.02 * (n.mentions - 1));
      if (confidence >= threshold) services.push({ id: s.id, name: s.name, confidence: round2(confidence) });
    }
    let candidates: ServiceCandidate[] = [];
    for (const [index, v] of vocab) {
      const s = this.services[index];
      if (!s) continue;
      let miss = 1;
      for (const w of v.terms.values()) miss *= 1 - w;
      // Rounded so that a weight of 0.1 or 0.5 is not lost to 1 - (1 - w) in floating point.
      const confidence = Math.min(VOCAB_CAP, Math.round((1 - miss) * 1e9) / 1e9);
      if (confidence >= threshold) {
        services.push({ id: s.id, name: s.name, confidence: round2(confidence) });
      } else if (confidence >= CANDIDATE_FLOOR) {
        candidates.push({ id: s.id, name: s.name, confidence: round2(confidence), terms: [...v.words] });
      }
    }
    const guessed: DetectedService[] = [];
    for (const s of this.impliedByRole(cues, candidates, services, namedRoles, negated, options)) {
      if (s.confidence >= threshold) services.push(s);
      else guessed.push(s);
    }
    // After the roles: a brand named in passing neither asks for its role nor fills it.
    for (const [index, words] of weaklyNamed) {
      const s = this.services[index];
      if (!s || named.has(index) || negated.has(index)) continue;
      const candidate = { id: s.id, name: s.name, confidence: GENERATED_WEAK };
      if (GENERATED_WEAK >= threshold) services.push(candidate);
      else candidates.push({ ...candidate, terms: [...words] });
    }
    candidates = candidates.filter((c) => ![...services, ...guessed].some((s) => s.id === c.id));
    services.sort(byConfidence);
    if (!options.explain) return { services };
    candidates.sort(byConfidence);
    const excluded = [...negated]
      .filter((i) => !named.has(i))
      .map((i) => this.services[i]?.id)
      .filter((id): id is string => id !== undefined)
      .sort();
    return {
      services,
      candidates: candidates.slice(0, options.maxCandidates ?? 5),
      implied: guessed.sort(byConfidence),
      excluded,
    };
  }
}

const KIND_ORDER: Record<RuleKind, number> = { alias: 0, vocab: 1, filler: 2, cue: 3 };

function byKind(a: Rule, b: Rule): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
}

function byConfidence(a: DetectedService, b: DetectedService): number {
  return b.confidence - a.confidence || a.id.localeCompare(b.id);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function ruleHolds(rule: Rule, tokens: readonly Token[], start: number, end: number): boolean {
  if (rule.caseWords) {
    if (rule.caseWords.length !== end - start) return false;
    for (let k = 0; k < rule.caseWords.length; k++) {
      if (tokens[start + k]?.raw !== rule.caseWords[k]) return false;
    }
  }
  if (rule.notAfter && start > 0) {
    const before = tokens[start - 1];
    if (before && rule.notAfter.has(before.lower)) return false;
  }
  if (rule.notBefore && end < tokens.length) {
    const after = tokens[end];
    if (after && rule.notBefore.has(after.lower)) return false;
  }
  if (rule.context && !near(rule.context, rule.window, tokens, start, end)) return false;
  if (rule.notNear && near(rule.notNear, rule.window, tokens, start, end)) return false;
  return true;
}

/**
 * Context or neighbour words of an alias, in the form text tokens take: a word the tokenizer
 * splits ("3.5", "self-hosted", "user story") is kept as its words joined by one space.
 */
function conditionWords(words: readonly string[]): ReadonlySet<string> {
  return new Set(words.map((w) => phraseWords(w).join(' ')).filter((w) => w !== ''));
}

/** Longest condition phrase, in words, that `near` looks for ("claude 3 5" would need 3). */
const NEAR_MAX_WORDS = 3;

/** Whether one of `words` (or phrases) occurs within `window` tokens before or after [start, end). */
function near(
  words: ReadonlySet<string>,
  window: number,
  tokens: readonly Token[],
  start: number,
  end: number,
): boolean {
  const from = Math.max(0, start - window);
  const to = Math.min(tokens.length, end + window);
  for (let k = from; k < to; k++) {
    if (k >= start && k < end) continue;
    const t = tokens[k];
    if (!t) continue;
    if (words.has(t.lower) || words.has(singular(t.lower))) return true;
    let phrase = t.lower;
    for (let n = 1; n < NEAR_MAX_WORDS && k + n < to && (k + n < start || k >= end); n++) {
      phrase += ` ${tokens[k + n]?.lower ?? ''}`;
      if (words.has(phrase)) return true;
    }
  }
  return false;
}

/** Whether the phrase at tokens [start, end) is negated by the words before or after it. */
function isNegated(text: string, tokens: readonly Token[], start: number, end: number): boolean {
  let k = start - 1;
  let gap = 0;
  while (k >= 0) {
    const t = tokens[k];
    const after = tokens[k + 1];
    if (!t || !after || CLAUSE_BREAK.test(text.slice(t.end, after.start))) break;
    if (NEGATION_WORDS.has(t.lower)) {
      const next = tokens[k + 1];
      return !(t.lower === 'not' && next && k + 1 < start && NOT_NEGATING_AFTER.has(next.lower));
    }
    const prev = tokens[k - 1];
    if (prev && !CLAUSE_BREAK.test(text.slice(prev.end, t.start))) {
      for (const [a, b] of NEGATION_PAIRS) if (prev.lower === a && t.lower === b) return true;
    }
    if (!NEGATION_GAP.has(t.lower) || gap >= 3) break;
    gap++;
    k--;
  }
  const last = tokens[end - 1];
  if (last) {
    const tail = text.slice(last.end, last.end + 40);
    if (POST_NEGATION.test(tail)) return true;
  }
  return false;
}

/** Whether `b` follows `a` in a list: only commas, slashes, "and", "or", "nor" between them. */
function coordinated(text: string, tokens: readonly Token[], a: Match, b: Match): boolean {
  const x = tokens[a.end - 1];
  const y = tokens[b.start];
  return x !== undefined && y !== undefined && COORDINATION_GAP.test(text.slice(x.end, y.start));
}

/** Runs of matches that form one list ("Notion, Slack, Google Sheets"). */
function lists(text: string, tokens: readonly Token[], matches: readonly Match[]): Match[][] {
  const out: Match[][] = [];
  let run: Match[] = [];
  for (const m of matches) {
    const last = run.at(-1);
    if (last && coordinated(text, tokens, last, m)) run.push(m);
    else {
      if (run.length > 0) out.push(run);
      run = [m];
    }
  }
  if (run.length > 0) out.push(run);
  return out;
}

/**
 * Matches the text uses as integrations: right after "to", "from", "via", "with"… or right
 * before "API", "node", "trigger"…, and every name of a list that starts or ends so ("from Foo,
 * Bar and Baz", "Foo and Bar nodes").
 */
function integrationMatches(text: string, tokens: readonly Token[], matches: readonly Match[]): Set<Match> {
  const before = (m: Match): boolean => {
    const prev = tokens[m.start - 1];
    const head = tokens[m.start];
    return (
      prev !== undefined &&
      head !== undefined &&
      INTEGRATION_BEFORE.has(prev.lower) &&
      !CLAUSE_BREAK.test(text.slice(prev.end, head.start))
    );
  };
  const after = (m: Match): boolean => {
    const last = tokens[m.end - 1];
    const next = tokens[m.end];
    return (
      last !== undefined &&
      next !== undefined &&
      INTEGRATION_AFTER.has(next.lower) &&
      !CLAUSE_BREAK.test(text.slice(last.end, next.start))
    );
  };
  const out = new Set<Match>();
  for (const run of lists(text, tokens, matches)) {
    const first = run[0];
    const last = run.at(-1);
    const whole = (first !== undefined && before(first)) || (last !== undefined && after(last));
    for (const m of run) if (whole || before(m) || after(m)) out.add(m);
  }
  return out;
}

const EXAMPLE_BEFORE = /(?:\be\.?\s?g\.?|\bfor (?:example|instance)|\bsuch as)[\s,:]*$/i;
const EXAMPLE_AFTER = /^[\s,]*(?:etc\b|and so on\b|and more\b|or (?:any )?(?:other|similar)\b|\.\.\.|…)/i;

/** A list introduced by "e.g." or closed by "etc." names examples, not services the automation uses. */
function markExamples(text: string, tokens: readonly Token[], matches: readonly Match[]): void {
  for (const run of lists(text, tokens, matches)) {
    const first = run[0];
    const last = run.at(-1);
    if (!first || !last) continue;
    const startOffset = tokens[first.start]?.start ?? 0;
    const endOffset = tokens[last.end - 1]?.end ?? 0;
    const before = text.slice(Math.max(0, startOffset - 24), startOffset);
    const after = text.slice(endOffset, endOffset + 24);
    if (EXAMPLE_BEFORE.test(before) || EXAMPLE_AFTER.test(after)) for (const m of run) m.aside = true;
  }
}

/**
 * "posts for Twitter, LinkedIn and Instagram": platforms after "for" name the format of generated
 * content, not an integration ("posts to LinkedIn" is one). Applies to platforms chosen by `isPlatform`.
 */
function markFormatTargets(
  text: string,
  tokens: readonly Token[],
  matches: readonly Match[],
  isPlatform: (r: Rule) => boolean,
): void {
  for (const run of lists(text, tokens, matches)) {
    const first = run[0];
    if (!first || first.start === 0) continue;
    const prev = tokens[first.start - 1];
    const head = tokens[first.start];
    if (!prev || !head || prev.lower !== 'for' || CLAUSE_BREAK.test(text.slice(prev.end, head.start)))
      continue;
    for (const m of run) if (m.rules.every((r) => r.kind !== 'alias' || isPlatform(r))) m.aside = true;
  }
}

/**
 * The longest plain alias (no case, context or neighbour condition) spelled by the words from
 * token `start` on, read below the trie node `from` (a vendor word: "google" + "Docs").
 */
function lookupAfter(
  from: TrieNode,
  text: string,
  tokens: readonly Token[],
  start: number,
): { end: number; rules: Rule[] } | undefined {
  let node: TrieNode | undefined = from;
  let found: { end: number; rules: Rule[] } | undefined;
  for (let j = start; j < tokens.length && j < start + 3; j++) {
    const tok = tokens[j];
    const prev = tokens[j - 1];
    if (!tok || (j > start && (!prev || !PHRASE_GAP.test(text.slice(prev.end, tok.start))))) break;
    node = node.next.get(tok.lower);
    if (!node) break;
    const plain = node.rules.filter((r) => r.kind === 'alias' && isPlain(r));
    if (plain.length > 0) found = { end: j + 1, rules: plain };
  }
  return found;
}

/** A rule with no case, context or neighbour condition: it holds wherever its words occur. */
function isPlain(r: Rule): boolean {
  return !r.caseWords && !r.context && !r.notAfter && !r.notBefore && !r.notNear;
}

const compiled = new WeakMap<ServiceCatalog, ServiceMatcher>();

/** The compiled matcher of a catalog (compiled once per catalog object). */
export function compileCatalog(catalog: ServiceCatalog): ServiceMatcher {
  let m = compiled.get(catalog);
  if (!m) {
    m = new ServiceMatcher(catalog);
    compiled.set(catalog, m);
  }
  return m;
}

/** Detects the services an automation description refers to. Pure: same text, same result. */
export function detectServices(
  text: string,
  catalog: ServiceCatalog = detectionCatalog(),
  options: DetectOptions = {},
): DetectionResult {
  return compileCatalog(catalog).detect(text, options);
}
