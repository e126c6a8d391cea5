// Input mapping: each step input is filled from an earlier output whose name matches, the latest
// producer first (an LLM step's `text` beats the trigger's raw text for a later Slack message).
// Names match exactly or through a short synonym list (`to` <- `email`/`from`, `title` <-
// `subject`). Record-shaped inputs (`values`, `fields`, `properties`) get a JSON object of the
// trigger's fields; a message with no text source gets a composed notification. Optional inputs
// with no source (thread ids, labels, tuning knobs) are left out; anything else is left empty and
// reported, for the user to fill (channel, documentId, ...).

/** What one earlier step or the trigger offers: `trigger` or `steps.<id>.output`. */
export interface Producer {
  readonly ref: string;
  readonly fields: readonly string[];
  /** A label for composed messages ("Typeform: Form submitted"). */
  readonly label: string;
}

// `items`/`values` last: what a read step returned, for an LLM prompt or a digest message.
const TEXT = [
  'text',
  'transcript',
  'body',
  'description',
  'summary',
  'message',
  'content',
  'items',
  'values',
];
// `text` last: a chat message's text is the best title a card or issue made from it gets.
const TITLE = ['title', 'subject', 'name', 'topic', 'fileName', 'text'];
const FILE = ['attachments', 'file', 'fileId', 'recordingUrl'];

const SOURCES: Readonly<Record<string, readonly string[]>> = {
  email: ['email', 'from'],
  to: ['email', 'from'],
  recipient: ['email', 'from'],
  requester: ['email', 'from'],
  attendee: ['email'],
  attendees: ['email', 'attendees'],
  text: TEXT,
  message: TEXT,
  messages: TEXT,
  content: TEXT,
  contents: TEXT,
  body: TEXT,
  bodyContent: TEXT,
  description: TEXT,
  prompt: TEXT,
  input: TEXT,
  comment: TEXT,
  notes: TEXT,
  // An email subject is a title, never a whole message body.
  subject: TITLE.filter((f) => f !== 'text'),
  title: TITLE,
  name: ['name', 'title', 'subject', 'fileName', 'topic', 'text'],
  topic: TITLE,
  dealname: TITLE,
  file: FILE,
  files: FILE,
  attachments: FILE,
  image: FILE,
  media: FILE,
  amount: ['amount', 'total'],
  value: ['amount', 'total'],
  price: ['price', 'amount', 'total'],
  customer: ['customerId', 'email'],
  url: ['url'],
  link: ['url'],
};

const RECORD_INPUTS = new Set(['values', 'fields', 'properties', 'customFields', 'rows', 'row', 'record']);
const MESSAGE_INPUTS = new Set(['text', 'message', 'content', 'body', 'bodyContent']);
const MAX_RECORD_FIELDS = 6;
/** Inputs an action runs without (the catalog does not mark optional inputs). */
const OPTIONAL_INPUTS = new Set([
  'blocks',
  'threadTs',
  'thread',
  'threadId',
  'attachments',
  'labels',
  'labelIds',
  'tools',
  'temperature',
  'maxTokens',
  'system',
  'due',
  'dueDate',
  'limit',
  'since',
  'oldest',
  'filter',
  'filters',
  'sorts',
  'options',
  'mediaUrl',
  'templateId',
  'language',
  'size',
  'voice',
  'public',
  'isPrivate',
  'embeds',
  'username',
  'cc',
  'bcc',
  'metadata',
  'tags',
  'assignee',
  'customFields',
  'priority',
  'format',
]);

export interface MappedInputs {
  readonly inputs: Record<string, string>;
  /** Inputs left empty: configuration the user has to give (channel, documentId, ...). */
  readonly missing: readonly string[];
}

function ref(producer: Producer, field: string): string {
  return `{{${producer.ref}.${field}}}`;
}

/**
 * Maps `inputs` (a catalog action's input names) from `producers` (trigger first, then earlier
 * steps in order). `isMessage` asks for a composed notification when no text field exists.
 */
export function mapInputs(
  inputs: readonly string[],
  producers: readonly Producer[],
  options: { readonly isMessage?: boolean; readonly preset?: Readonly<Record<string, string>> } = {},
): MappedInputs {
  const out: Record<string, string> = {};
  const missing: string[] = [];
  const latestFirst = [...producers].reverse();
  const trigger = producers[0];
  for (const input of inputs) {
    const preset = options.preset?.[input];
    if (preset !== undefined && preset !== '') {
      out[input] = preset;
      continue;
    }
    const wanted = [input, ...(SOURCES[input] ?? []).filter((s) => s !== input)];
    let value: string | undefined;
    // Exact names first across all producers, then synonyms: `email` beats `from` wherever it is.
    for (const field of wanted) {
      const producer = latestFirst.find((p) => p.fields.includes(field));
      if (producer) {
        value = ref(producer, field);
        break;
      }
    }
    if (value === undefined && RECORD_INPUTS.has(input) && trigger) {
      const fields = trigger.fields.filter((f) => f !== 'id').slice(0, MAX_RECORD_FIELDS);
      if (fields.length > 0)
        value = JSON.stringify(Object.fromEntries(fields.map((f) => [f, ref(trigger, f)])));
    }
    if (value === undefined && options.isMessage === true && MESSAGE_INPUTS.has(input) && trigger) {
      value = composeMessage(producers);
    }
    if (value === undefined) {
      if (OPTIONAL_INPUTS.has(input)) continue;
      out[input] = '';
      missing.push(input);
    } else {
      out[input] = value;
    }
  }
  return { inputs: out, missing };
}

/** "Typeform: Form submitted: {{trigger.name}} {{trigger.email}} {{steps.x.output.url}}". */
function composeMessage(producers: readonly Producer[]): string {
  const trigger = producers[0];
  if (!trigger) return '';
  const shown = trigger.fields.filter((f) => !/id$/i.test(f) && f !== 'data').slice(0, 3);
  const parts = [`${trigger.label}:`, ...shown.map((f) => ref(trigger, f))];
  const linked = [...producers].reverse().find((p) => p !== trigger && p.fields.includes('url'));
  if (linked) parts.push(ref(linked, 'url'));
  return parts.join(' ');
}
