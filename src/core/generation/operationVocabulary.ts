// How generation reads catalog operations and the words of a description: a crude stemmer, the
// verb groups that link "post"/"notify" to a send action and "log"/"append" to an append action,
// where an operation sits in a pipeline (source, transform, sink), which actions take batches,
// and what fields an operation is assumed to output (the catalog lists inputs only).
import type { Operation, Service } from '../services/serviceCatalog.ts';

export type VerbGroup =
  | 'send'
  | 'create'
  | 'append'
  | 'update'
  | 'upload'
  | 'read'
  | 'delete'
  | 'reply'
  | 'comment'
  | 'ai'
  | 'other';

/** Where a step sits: data sources run before transforms, transforms before sinks. */
export type StepRole = 'source' | 'transform' | 'sink';

/**
 * Stem for matching text words against operation words: plural, -ed, -ing and a final e or
 * doubled consonant (but ll) go, so "submitted"/"submits" -> "submit", "messages" -> "messag".
 */
export function stem(word: string): string {
  let w = word.toLowerCase().replace(/['’]s$/, '');
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith('ied')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  if (w.length > 3 && /([bcdfgkmnprstvz])\1$/.test(w)) w = w.slice(0, -1);
  return CANONICAL[w] ?? w;
}

// Words that name the same event in trigger phrases ("new", "comes in", "added" are all creation).
const CANONICAL: Readonly<Record<string, string>> = {
  new: 'creat',
  add: 'creat',
  receiv: 'creat',
  arriv: 'creat',
  com: 'creat',
  plac: 'creat',
  open: 'creat',
  chang: 'updat',
  modify: 'updat',
  edit: 'updat',
  fill: 'submit',
  complet: 'submit',
  signup: 'submit',
  fail: 'fail',
  declin: 'fail',
  bounc: 'fail',
  summaris: 'summariz',
};

/** Verb groups of the first word of an action id ("send-message" -> send). */
const ACTION_VERBS: Readonly<Record<string, VerbGroup>> = {
  send: 'send',
  post: 'send',
  publish: 'send',
  notify: 'send',
  push: 'send',
  call: 'send',
  make: 'send',
  tweet: 'send',
  retweet: 'send',
  like: 'send',
  trigger: 'send',
  start: 'send',
  invoke: 'send',
  run: 'send',
  create: 'create',
  add: 'create',
  capture: 'create',
  refund: 'create',
  shorten: 'create',
  clone: 'create',
  insert: 'append',
  append: 'append',
  upsert: 'append',
  track: 'append',
  index: 'append',
  update: 'update',
  set: 'update',
  mark: 'update',
  move: 'update',
  edit: 'update',
  complete: 'update',
  resolve: 'update',
  pause: 'update',
  replace: 'update',
  merge: 'update',
  upload: 'upload',
  share: 'upload',
  copy: 'upload',
  get: 'read',
  list: 'read',
  search: 'read',
  find: 'read',
  query: 'read',
  download: 'read',
  read: 'read',
  execute: 'read',
  check: 'read',
  scrape: 'read',
  crawl: 'read',
  scan: 'read',
  verify: 'read',
  map: 'read',
  soql: 'read',
  delete: 'delete',
  remove: 'delete',
  clear: 'delete',
  reply: 'reply',
  answer: 'reply',
  comment: 'comment',
  chat: 'ai',
  generate: 'ai',
  analyze: 'ai',
  extract: 'ai',
  classify: 'ai',
  translate: 'ai',
  transcribe: 'ai',
  summarize: 'ai',
  assistant: 'ai',
  moderate: 'ai',
  convert: 'ai',
  render: 'ai',
  rerank: 'ai',
  speech: 'ai',
  text: 'ai',
  detect: 'ai',
  enrich: 'ai',
  process: 'ai',
  transform: 'ai',
  vector: 'ai',
};

/** Verb groups a word of the description points to (stems as keys). */
const TEXT_VERBS: Readonly<Record<string, readonly VerbGroup[]>> = Object.fromEntries(
  (
    [
      [
        ['send', 'post', 'notify', 'alert', 'tell', 'ping', 'announc', 'dm', 'broadcast', 'forward'],
        ['send'],
      ],
      [['messag', 'text', 'sms', 'tweet', 'publish', 'email', 'mail', 'shar'], ['send']],
      [['creat', 'mak', 'rais', 'register', 'set'], ['create']],
      [['log', 'record', 'track', 'writ', 'insert', 'append'], ['append']],
      [
        ['sav', 'stor', 'put'],
        ['append', 'upload', 'create'],
      ],
      [['updat', 'sync', 'assign', 'mark', 'mov', 'label', 'tag'], ['update']],
      [['upload', 'backup', 'back', 'archiv', 'attach', 'copy'], ['upload']],
      [
        ['get', 'fetch', 'read', 'pull', 'retriev', 'look', 'lookup', 'find', 'search', 'list', 'check'],
        ['read'],
      ],
      [['collect', 'load', 'scrap', 'crawl', 'download', 'export', 'query', 'monitor', 'watch'], ['read']],
      [['delet', 'remov', 'clear', 'cancel'], ['delete']],
      [['reply', 'respond', 'answer'], ['reply']],
      [['comment'], ['comment']],
      [['summariz', 'summary', 'classify', 'categoriz', 'generat', 'draft', 'translat', 'extract'], ['ai']],
      [['analyz', 'analys', 'enrich', 'scor', 'rewrit', 'sentiment', 'transcrib', 'ai', 'gpt'], ['ai']],
    ] as const
  ).flatMap(([words, groups]) => words.map((w) => [w, groups])),
);

/** Verb groups of a stemmed text word (empty when it is no verb). Canonical stems map back. */
export function textVerbGroups(stemmed: string): readonly VerbGroup[] {
  // "add"/"new"/"create" fold into one stem; "add a row" is an append as much as a create.
  if (stemmed === 'creat') return ['create', 'append'];
  return TEXT_VERBS[stemmed] ?? [];
}

export function actionVerb(op: Operation): VerbGroup {
  const first = op.id.split('-')[0] ?? '';
  return ACTION_VERBS[first] ?? 'other';
}

export function stepRole(op: Operation): StepRole {
  const verb = actionVerb(op);
  if (verb === 'read') return 'source';
  if (verb === 'ai') return 'transform';
  return 'sink';
}

/** Sink groups: an action that writes somewhere (what a bare "to Slack" most likely means). */
export const SINK_VERBS: ReadonlySet<VerbGroup> = new Set(['send', 'create', 'append', 'upload', 'reply']);

const STOP = new Set([
  'a',
  'an',
  'the',
  'or',
  'and',
  'to',
  'in',
  'of',
  'by',
  'for',
  'on',
  'from',
  'with',
  'many',
]);

/** Stems of an operation's id and name words, verb excluded ("create-card" -> ["card"]). */
export function objectStems(op: Operation): string[] {
  const words = [...op.id.split('-').slice(1), ...(op.name.match(/[A-Za-z]+/g) ?? []).slice(1)];
  const out = new Set<string>();
  for (const w of words) {
    const lower = w.toLowerCase();
    if (STOP.has(lower) || lower.length < 2) continue;
    out.add(stem(lower));
  }
  return [...out];
}

/** All stems of an operation's id and name (for trigger matching). */
export function operationStems(op: Operation): string[] {
  const words = [...op.id.split('-'), ...(op.name.match(/[A-Za-z]+/g) ?? [])];
  return [...new Set(words.filter((w) => !STOP.has(w.toLowerCase())).map(stem))];
}

const BATCH_INPUTS = new Set([
  'rows',
  'records',
  'items',
  'documents',
  'events',
  'contacts',
  'points',
  'vectors',
]);

/**
 * Whether an action can take many records per call: append-style writes (Sheets append,
 * analytics track, vector upserts), bulk endpoints, or inputs that are collections. Messages,
 * emails and LLM calls are one call per record.
 */
export function supportsBatching(op: Operation): boolean {
  if (/(?:^|-)(?:batch|bulk|many)(?:-|$)/.test(op.id)) return true;
  if (actionVerb(op) === 'append') return true;
  const verb = actionVerb(op);
  return (verb === 'create' || verb === 'update') && op.inputs.some((i) => BATCH_INPUTS.has(i));
}

// Fields an entity is assumed to carry when a trigger or read action returns it. Keys are stems
// of the words in operation ids and names.
const ENTITY_FIELDS: readonly (readonly [readonly string[], readonly string[]])[] = [
  [
    ['form', 'submission', 'respons', 'submit', 'registrant', 'attende', 'signup'],
    ['email', 'name', 'answers', 'responseId'],
  ],
  [
    ['order', 'checkout', 'cart'],
    ['orderId', 'email', 'customerName', 'total', 'currency', 'items'],
  ],
  [
    ['payment', 'charg', 'invoic', 'subscription'],
    ['customerId', 'email', 'amount', 'currency', 'paymentId', 'invoiceId', 'failureReason'],
  ],
  [
    ['issu', 'ticket', 'task', 'card', 'bug'],
    ['title', 'description', 'url', 'reporter'],
  ],
  [
    ['row', 'record', 'entry', 'item'],
    ['rowNumber', 'values'],
  ],
  [
    ['contact', 'lead', 'subscriber', 'customer', 'employe', 'person'],
    ['email', 'name', 'company', 'contactId'],
  ],
  [
    ['deal', 'opportunity'],
    ['dealId', 'name', 'amount', 'stage'],
  ],
  [
    ['fil', 'document', 'attachment', 'envelop', 'folder'],
    ['fileId', 'fileName', 'url', 'mimeType'],
  ],
  [
    ['book', 'meet', 'calendar', 'appointment'],
    ['title', 'name', 'email', 'start', 'end', 'attendees'],
  ],
  [
    ['record', 'transcript'],
    ['recordingUrl', 'transcript', 'topic'],
  ],
  [
    ['post', 'video', 'tweet', 'articl', 'pag'],
    ['title', 'text', 'url', 'author'],
  ],
  [['product'], ['productId', 'title', 'price', 'url']],
  [
    ['alert', 'incident', 'build'],
    ['title', 'status', 'url', 'severity'],
  ],
];

// An incoming email's `to` is the watched mailbox itself, so it is not offered for mapping.
const EMAIL_FIELDS = ['from', 'subject', 'text', 'attachments', 'messageId', 'threadId'];
const CHAT_FIELDS = ['text', 'user', 'channel', 'ts'];

function entityFields(stems: readonly string[]): string[] {
  const out: string[] = [];
  for (const [keys, fields] of ENTITY_FIELDS) {
    if (keys.some((k) => stems.includes(k))) for (const f of fields) if (!out.includes(f)) out.push(f);
  }
  return out;
}

/** Fields a trigger event is assumed to provide to `{{trigger.<field>}}`. */
export function triggerOutputs(service: Service | undefined, op: Operation): string[] {
  const stems = operationStems(op);
  let fields: string[];
  if (service?.id === 'github' || stems.includes('repo')) {
    fields = ['title', 'body', 'url', 'number', 'repository', 'owner', 'author', 'labels'];
  } else if (
    (service?.category === 'email' || service?.roles?.includes('email')) &&
    !stems.includes('submit')
  ) {
    fields = [...EMAIL_FIELDS];
  } else if (
    service?.roles?.includes('chat') === true ||
    stems.includes('messag') ||
    stems.includes('mention') ||
    stems.includes('sms')
  ) {
    fields = [...CHAT_FIELDS];
  } else {
    fields = entityFields(stems);
  }
  if (fields.length === 0) fields = ['data'];
  return ['id', ...fields.filter((f) => f !== 'id')];
}

/** Fields an action is assumed to return to `{{steps.<id>.output.<field>}}`. */
export function actionOutputs(op: Operation): string[] {
  const verb = actionVerb(op);
  const objects = objectStems(op);
  if (verb === 'ai') return ['text'];
  if (verb === 'read') {
    const fields = entityFields(objects);
    return fields.length > 0 ? ['id', ...fields] : ['items'];
  }
  const out = ['id', 'url'];
  const object = op.id.split('-').slice(1).join(' ');
  // "create-contact" returns contactId, which a later "add-note" step can take as recordId-like input.
  if (/^[a-z]+$/.test(object)) out.push(`${object}Id`);
  if (verb === 'upload') out.push('fileId');
  if (verb === 'send' || verb === 'reply') out.push('messageId');
  return out;
}
