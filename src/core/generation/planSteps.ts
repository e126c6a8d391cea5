// From a description and the services it uses to a skeleton workflow: which service triggers it
// (and on which event), which action each other service performs, in which order.
//
// The text is cut into clauses at punctuation, arrows, "then"/"and" and trigger cues ("when",
// "whenever", "every time", "for each new", ...). The trigger is, in order of preference:
// 1. the first service with triggers named in a trigger clause ("... when a Typeform is submitted");
// 2. a schedule, when the text names one ("every morning", "daily", "every 15 minutes");
// 3. the first service with triggers named right after a source cue ("new", "incoming", "from");
// 4. the first service with triggers not named as a destination ("to/into/in/on Slack");
// 5. a webhook.
// Each other service gets the action whose verb group and object words best match its clause
// ("notify the team on Slack" -> send-message, "log them in Google Sheets" -> append-row); a
// clause without a verb borrows the previous clause's ("create a contact in HubSpot and
// Salesforce"). Steps run sources first, then transforms (LLM calls), then sinks, each group in
// the order the text names them.
import type { Operation, Service, ServiceCatalog } from '../services/serviceCatalog.ts';
import { phraseWords, singular, tokenize, type Token } from '../services/tokenize.ts';
import {
  actionVerb,
  objectStems,
  operationStems,
  SINK_VERBS,
  stem,
  stepRole,
  textVerbGroups,
  type StepRole,
  type VerbGroup,
} from './operationVocabulary.ts';

/** A service the workflow uses, with extra words that name it in this text ("email" for Outlook). */
export interface ChosenService {
  readonly id: string;
  readonly terms?: readonly string[];
}

export interface PlannedTrigger {
  readonly service: string;
  readonly event: string;
  readonly config: Record<string, string>;
  readonly reason: string;
  /** Whether words of the text chose the event (else the service's first trigger). */
  readonly eventFromText: boolean;
}

export interface PlannedStep {
  readonly service: string;
  readonly action: string;
  readonly role: StepRole;
  /** Token index of the mention the action was read from (order in the text). */
  readonly position: number;
  readonly reason: string;
}

export interface WorkflowPlan {
  readonly trigger: PlannedTrigger;
  readonly steps: readonly PlannedStep[];
}

/** Built-in triggers that are no catalog service. */
export const SCHEDULE_SERVICE = 'schedule';
export const WEBHOOK_SERVICE = 'webhook';

interface Clause {
  readonly start: number;
  readonly end: number;
  readonly trigger: boolean;
}

export interface TextAnalysis {
  readonly text: string;
  readonly tokens: readonly Token[];
  readonly stems: readonly string[];
  /** Clause index of each token; -1 for connectives ("and", "then"). */
  readonly clauseOf: readonly number[];
  readonly clauses: readonly Clause[];
}

const GAP_BREAK = /[,;:!?()[\]\n|]|\.(?:\s|$)|->|→|=>|>|\s-\s|–|—/;
const CONNECTIVES = new Set(['then', 'and', 'also', 'plus', 'afterwards', 'next', 'finally']);
const CUES_1 = new Set(['when', 'whenever', 'once', 'if', 'after', 'upon']);
const CUES_2: readonly (readonly [string, string])[] = [
  ['every', 'time'],
  ['each', 'time'],
  ['for', 'every'],
  ['for', 'each'],
  ['for', 'new'],
  ['for', 'any'],
  ['on', 'new'],
  ['on', 'every'],
  ['on', 'each'],
  ['as', 'soon'],
];
const CLAUSE_OPENERS = new Set(['new', 'incoming']);
const SOURCE_CUES = new Set(['new', 'incoming', 'from', 'every', 'each', 'latest', 'unread', 'recent']);
const DESTINATION_PREPS = new Set(['to', 'into', 'in', 'on', 'onto', 'via', 'through', 'using', 'with']);
const DETERMINERS = new Set([
  'a',
  'an',
  'the',
  'my',
  'our',
  'your',
  'their',
  'its',
  'this',
  'that',
  'these',
  'those',
  'some',
  'all',
  'any',
]);

export function analyzeText(text: string): TextAnalysis {
  const tokens = tokenize(text);
  const clauseOf: number[] = [];
  const clauses: { start: number; end: number; trigger: boolean }[] = [];
  let current: { start: number; end: number; trigger: boolean } | undefined;
  const open = (k: number, trigger: boolean): void => {
    current = { start: k, end: k + 1, trigger };
    clauses.push(current);
  };
  tokens.forEach((tok, k) => {
    const prev = tokens[k - 1];
    const next = tokens[k + 1];
    const gapBreak = prev !== undefined && GAP_BREAK.test(text.slice(prev.end, tok.start));
    if (gapBreak) current = undefined;
    if (CONNECTIVES.has(tok.lower)) {
      current = undefined;
      clauseOf.push(-1);
      return;
    }
    const cue = CUES_1.has(tok.lower) || CUES_2.some(([a, b]) => tok.lower === a && next?.lower === b);
    if (cue) open(k, true);
    else if (!current) open(k, CLAUSE_OPENERS.has(tok.lower));
    if (current) current.end = k + 1;
    clauseOf.push(clauses.length - 1);
  });
  return { text, tokens, stems: tokens.map((t) => stem(t.lower)), clauseOf, clauses };
}

/** Word sequences that name a service in a text: aliases, vocabulary terms, extra terms. */
function phrasesOf(service: Service, extra: readonly string[]): string[][] {
  const texts = [
    service.name,
    ...service.aliases.map((a) => (typeof a === 'string' ? a : a.text)),
    ...service.vocabulary.filter((v) => v.weight >= 0.15).map((v) => v.term),
    ...extra,
  ];
  const out: string[][] = [];
  for (const t of texts) {
    const words = phraseWords(t);
    if (words.length > 0) out.push(words);
  }
  return out;
}

function wordEq(token: string, word: string): boolean {
  return token === word || singular(token) === singular(word);
}

/** Token indexes where the service is named, in text order. */
export function findMentions(
  analysis: TextAnalysis,
  service: Service,
  extra: readonly string[] = [],
): number[] {
  const phrases = phrasesOf(service, extra);
  const hits: number[] = [];
  const { tokens } = analysis;
  for (let i = 0; i < tokens.length; i++) {
    const lower = tokens[i]?.lower ?? '';
    const hit = phrases.some(
      (words) =>
        words.every((w, j) => wordEq(tokens[i + j]?.lower ?? '', w)) ||
        (words.length > 1 && wordEq(lower, words.join(''))),
    );
    if (hit) hits.push(i);
  }
  return hits;
}

// Schedules: "every 15 minutes", "hourly", "every morning", "weekdays at 9am", "each Monday".
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** A cron expression when the text asks for a schedule, else undefined. */
export function scheduleOf(text: string): string | undefined {
  const t = text.toLowerCase();
  const at = /\bat\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b/.exec(t);
  let hour = 8;
  let minute = 0;
  if (at) {
    hour = Number(at[1]) % 24;
    minute = Math.min(59, Number(at[2] ?? 0));
    if (at[3] === 'pm' && hour < 12) hour += 12;
    if (at[3] === 'am' && hour === 12) hour = 0;
  }
  const everyN = /\bevery\s+(\d+)\s*(minute|min|hour|hr)s?\b/.exec(t);
  if (everyN) {
    const n = Math.max(1, Number(everyN[1]));
    return everyN[2]?.startsWith('h') === true
      ? `0 */${Math.min(n, 23)} * * *`
      : `*/${Math.min(n, 59)} * * * *`;
  }
  if (/\b(?:hourly|every\s+hour|each\s+hour)\b/.test(t)) return '0 * * * *';
  if (/\b(?:every|each)\s+(?:minute|min)\b/.test(t)) return '* * * * *';
  const dayIndex = DAYS.findIndex((d) => new RegExp(`\\b(?:every|each|on)\\s+${d}s?\\b`).test(t));
  if (dayIndex >= 0) return `${minute} ${at ? hour : 9} * * ${dayIndex}`;
  if (/\b(?:weekly|every\s+week|each\s+week)\b/.test(t)) return `${minute} ${at ? hour : 9} * * 1`;
  if (/\b(?:monthly|every\s+month|each\s+month)\b/.test(t)) return `${minute} ${at ? hour : 9} 1 * *`;
  if (/\b(?:weekday|weekdays|business\s+days?|workdays?)\b/.test(t)) return `${minute} ${hour} * * 1-5`;
  if (/\b(?:nightly|every\s+night|each\s+night)\b/.test(t)) return `${minute} ${at ? hour : 2} * * *`;
  if (/\b(?:every|each)\s+evening\b/.test(t)) return `${minute} ${at ? hour : 18} * * *`;
  if (
    /\b(?:daily|every\s+day|each\s+day|every\s+morning|each\s+morning|once\s+a\s+day|end\s+of\s+(?:the\s+)?day)\b/.test(
      t,
    )
  ) {
    return `${minute} ${hour} * * *`;
  }
  if (/\b(?:on\s+a\s+schedule|cron|periodically)\b/.test(t)) return `${minute} ${hour} * * *`;
  return undefined;
}

function clauseStems(a: TextAnalysis, clause: number): string[] {
  const c = a.clauses[clause];
  return c ? a.stems.slice(c.start, c.end) : [];
}

/** Up to `span` words before `index` in the same clause, stopping at the first non-determiner. */
function wordsBefore(a: TextAnalysis, index: number, span: number): string[] {
  const out: string[] = [];
  const clause = a.clauseOf[index];
  for (let k = index - 1; k >= 0 && out.length < span; k--) {
    if (a.clauseOf[k] !== clause) break;
    const w = a.tokens[k]?.lower ?? '';
    out.push(w);
    if (!DETERMINERS.has(w)) break;
  }
  return out;
}

function chooseEvent(
  service: Service,
  context: readonly string[],
): { op: Operation; score: number } | undefined {
  let best: { op: Operation; score: number } | undefined;
  for (const op of service.triggers) {
    const stems = operationStems(op);
    const score = stems.filter((s) => context.includes(s)).length;
    if (!best || score > best.score) best = { op, score };
  }
  return best;
}

/** Trigger settings the text reveals: GitHub/Stripe event names, a Gmail search. */
function triggerConfig(service: Service, op: Operation, stems: readonly string[]): Record<string, string> {
  const config: Record<string, string> = Object.fromEntries(op.inputs.map((i) => [i, '']));
  const has = (...words: string[]): boolean => words.some((w) => stems.includes(stem(w)));
  if ('events' in config) {
    if (service.id === 'github') {
      if (has('pull', 'pr')) config.events = 'pull_request';
      else if (has('issue', 'bug')) config.events = 'issues';
      else if (has('release')) config.events = 'release';
      else if (has('push', 'commit')) config.events = 'push';
    } else if (service.id === 'stripe') {
      if (has('fail', 'declined', 'unpaid')) config.events = 'invoice.payment_failed';
      else if (has('refund')) config.events = 'charge.refunded';
      else if (has('dispute', 'chargeback')) config.events = 'charge.dispute.created';
      else if (has('cancel', 'churn')) config.events = 'customer.subscription.deleted';
      else if (has('subscription', 'subscribe')) config.events = 'customer.subscription.created';
      else if (has('payment', 'charge', 'paid', 'sale')) config.events = 'charge.succeeded';
    }
  }
  if ('query' in config && has('attachment')) config.query = 'has:attachment';
  return config;
}

interface Scored {
  readonly op: Operation;
  readonly score: number;
}

/**
 * Scores an action against the words around its mention: 2 for a verb of the action's group,
 * 1 more when the action's own verb word is used, 2 per object word ("card", "row", "contact").
 * Sinks get a small prior (a bare "to Slack" writes to Slack); catalog order breaks ties.
 */
function scoreActions(service: Service, context: readonly string[]): Scored[] {
  const groups = new Set<VerbGroup>(context.flatMap((s) => textVerbGroups(s)));
  // "summarize my Google Calendar": what an LLM verb works on is read, not written.
  if (groups.has('ai') && service.category !== 'ai') groups.add('read');
  return service.actions.map((op, index) => {
    const verb = actionVerb(op);
    let score = groups.has(verb) ? 2 : 0;
    const verbWord = stem(op.id.split('-')[0] ?? '');
    const nameVerb = stem((op.name.match(/[A-Za-z]+/) ?? [''])[0]);
    if (context.includes(verbWord) || context.includes(nameVerb)) score += 1;
    score += 2 * objectStems(op).filter((o) => context.includes(o)).length;
    if (SINK_VERBS.has(verb)) score += 0.3;
    score -= index * 0.01;
    return { op, score };
  });
}

function hasVerb(stems: readonly string[]): boolean {
  return stems.some((s) => textVerbGroups(s).length > 0);
}

/** Words that decide a mention's action: its clause, or the nearest earlier clause with a verb. */
function actionContext(a: TextAnalysis, index: number): string[] {
  const clause = a.clauseOf[index] ?? -1;
  const own = clauseStems(a, clause);
  if (hasVerb(own)) return own;
  for (let c = clause - 1; c >= 0 && c >= clause - 2; c--) {
    if (a.clauses[c]?.trigger === true) break;
    const prev = clauseStems(a, c);
    if (hasVerb(prev)) return [...own, ...prev];
  }
  return own;
}

const ROLE_RANK: Readonly<Record<StepRole, number>> = { source: 0, transform: 1, sink: 2 };

/**
 * Plans the trigger and steps. `services` are the services to use, best first (detected and
 * resolved); every one gets a step except a trigger service named only as the trigger.
 */
export function planWorkflow(
  text: string,
  services: readonly ChosenService[],
  catalog: ServiceCatalog,
  workflowId: string,
): WorkflowPlan {
  const a = analyzeText(text);
  const known = services
    .map((c) => ({ chosen: c, service: catalog.byId.get(c.id) }))
    .filter((x): x is { chosen: ChosenService; service: Service } => x.service !== undefined);
  const mentions = new Map<string, number[]>();
  for (const { chosen, service } of known)
    mentions.set(service.id, findMentions(a, service, chosen.terms ?? []));
  const all = known
    .flatMap(({ service }) => (mentions.get(service.id) ?? []).map((index) => ({ service, index })))
    .sort((x, y) => x.index - y.index || x.service.id.localeCompare(y.service.id));

  // Trigger.
  let trigger: PlannedTrigger | undefined;
  let triggerMention: { service: Service; index: number } | undefined;
  let triggerClause = -1;
  const withTriggers = all.filter((m) => m.service.triggers.length > 0);
  const inTriggerClause = withTriggers.find((m) => a.clauses[a.clauseOf[m.index] ?? -1]?.trigger === true);
  const cron = scheduleOf(text);
  const afterSourceCue = withTriggers.find((m) => wordsBefore(a, m.index, 3).some((w) => SOURCE_CUES.has(w)));
  const notDestination = withTriggers.find(
    (m) => !wordsBefore(a, m.index, 3).some((w) => DESTINATION_PREPS.has(w)),
  );
  let how = '';
  if (inTriggerClause) {
    triggerMention = inTriggerClause;
    triggerClause = a.clauseOf[inTriggerClause.index] ?? -1;
    how = 'named in the trigger clause';
  } else if (cron === undefined) {
    triggerMention = afterSourceCue ?? notDestination;
    if (triggerMention) {
      triggerClause = a.clauseOf[triggerMention.index] ?? -1;
      how = afterSourceCue ? 'named as the source of new items' : 'the first source named';
    }
  }
  if (triggerMention) {
    const context = clauseStems(a, triggerClause);
    const chosen = chooseEvent(triggerMention.service, context);
    if (chosen) {
      const { op } = chosen;
      trigger = {
        service: triggerMention.service.id,
        event: op.id,
        config: triggerConfig(triggerMention.service, op, a.stems),
        reason: `trigger: ${triggerMention.service.name} "${op.name}" (${how})`,
        eventFromText: chosen.score > 0 && triggerMention.service.triggers.length > 1,
      };
    }
  }
  if (!trigger && cron !== undefined) {
    trigger = {
      service: SCHEDULE_SERVICE,
      event: 'cron',
      config: { cron, timezone: 'UTC' },
      reason: `trigger: schedule "${cron}" (the text asks for a schedule; timezone UTC until set)`,
      eventFromText: true,
    };
  }
  trigger ??= {
    service: WEBHOOK_SERVICE,
    event: 'request',
    config: { method: 'POST', path: `/hooks/${workflowId}` },
    reason: 'trigger: webhook (no service in the text starts the workflow and no schedule is named)',
    eventFromText: false,
  };

  // Actions: one per service, plus one per further clause that names a service again with its own verb.
  const steps: PlannedStep[] = [];
  const seen = new Set<string>();
  for (const { service } of known) {
    const hits = (mentions.get(service.id) ?? []).filter(
      (i) =>
        !(service.id === trigger.service && (a.clauseOf[i] === triggerClause || i === triggerMention?.index)),
    );
    if (service.id === trigger.service && hits.length === 0) continue;
    const positions = hits.length > 0 ? hits : [Number.MAX_SAFE_INTEGER];
    const usedClauses = new Set<number>();
    for (const index of positions) {
      const clause = a.clauseOf[index] ?? -1;
      if (usedClauses.has(clause) && clause >= 0) continue;
      const context = index === Number.MAX_SAFE_INTEGER ? [...a.stems] : actionContext(a, index);
      // A later mention adds a step only when its own clause has a verb ("then update the HubSpot deal").
      if (usedClauses.size > 0 && !hasVerb(clauseStems(a, clause))) continue;
      usedClauses.add(clause);
      const best = scoreActions(service, context).sort((x, y) => y.score - x.score)[0];
      if (!best) continue;
      const key = `${service.id}/${best.op.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      steps.push({
        service: service.id,
        action: best.op.id,
        role: stepRole(best.op),
        position: index,
        reason: `${service.name}: "${best.op.name}" (${describeMatch(best.op, context)})`,
      });
    }
  }
  steps.sort((x, y) => ROLE_RANK[x.role] - ROLE_RANK[y.role] || x.position - y.position);
  return { trigger, steps };
}

function describeMatch(op: Operation, context: readonly string[]): string {
  const groups = new Set(context.flatMap((s) => textVerbGroups(s)));
  const objects = objectStems(op).filter((o) => context.includes(o));
  const parts: string[] = [];
  if (groups.has(actionVerb(op))) parts.push(`verb matches ${actionVerb(op)}`);
  if (objects.length > 0) parts.push(`object ${objects.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'default action for the service';
}
