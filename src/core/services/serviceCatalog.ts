// The SaaS service catalog: data in ./catalog/*.json (one file per group of categories), checked
// against a zod schema once at load. Ids are lower-case kebab-case slugs that follow the n8n
// node naming (googleSheets -> google-sheets, microsoftOutlook -> microsoft-outlook, s3 -> aws-s3).
//
// How detection reads a service:
// - `aliases`: names that, found in a text, mean the service is named. A plain string matches
//   case-insensitively at word boundaries (hyphen/space/joined and plural variants are derived);
//   an object can require the exact casing, context words nearby, or reject some neighbours,
//   for names that are also common words ("Line", "Monday", "X", "Notion").
// - `vocabulary`: words that imply the service without naming it ("tweet" -> twitter, "AI" ->
//   openai), each with a weight; an implication is dropped when a service sharing one of the
//   `suppressedBy` roles (default: the service's own roles) is named ("AI ... with Claude").
// - `roles`: what slot a service fills (llm, email, spreadsheet, vector-store, ...).
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../../errors.ts';
import communication from './catalog/communication.json' with { type: 'json' };
import email from './catalog/email.json' with { type: 'json' };
import google from './catalog/google.json' with { type: 'json' };
import microsoft from './catalog/microsoft.json' with { type: 'json' };
import ai from './catalog/ai.json' with { type: 'json' };
import data from './catalog/data.json' with { type: 'json' };
import storage from './catalog/storage.json' with { type: 'json' };
import crm from './catalog/crm.json' with { type: 'json' };
import sales from './catalog/sales.json' with { type: 'json' };
import support from './catalog/support.json' with { type: 'json' };
import hr from './catalog/hr.json' with { type: 'json' };
import dev from './catalog/dev.json' with { type: 'json' };
import security from './catalog/security.json' with { type: 'json' };
import productivity from './catalog/productivity.json' with { type: 'json' };
import forms from './catalog/forms.json' with { type: 'json' };
import commerce from './catalog/commerce.json' with { type: 'json' };
import social from './catalog/social.json' with { type: 'json' };
import content from './catalog/content.json' with { type: 'json' };
import scraping from './catalog/scraping.json' with { type: 'json' };
import generic from './catalog/generic.json' with { type: 'json' };
import generated from './catalog/generated.json' with { type: 'json' };

export const SERVICE_CATEGORIES = [
  'accounting',
  'ai',
  'analytics',
  'cloud',
  'cms',
  'communication',
  'crm',
  'data-api',
  'database',
  'developer-tools',
  'devops',
  'documents',
  'ecommerce',
  'email',
  'email-marketing',
  'erp',
  'forms',
  'google-workspace',
  'hr',
  'iot',
  'marketing',
  'media',
  'microsoft-365',
  'monitoring',
  'other',
  'payments',
  'productivity',
  'project-management',
  'scheduling',
  'scraping',
  'search',
  'security',
  'social-media',
  'storage',
  'support',
  'vector-store',
  'video-conferencing',
] as const;

const slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lower-case kebab-case slug');
const word = z.string().min(1);

const aliasSpecSchema = z.strictObject({
  text: word,
  /** Match only with exactly this casing ("LINE", "Notion", "X"). */
  caseSensitive: z.boolean().optional(),
  /** At least one of these words must occur within `window` tokens of the match. */
  context: z.array(word).min(1).optional(),
  window: z.number().int().min(1).max(50).optional(),
  /** Rejected when the token right before the match is one of these ("local Excel"). */
  notAfter: z.array(word).optional(),
  /** Rejected when the token right after the match is one of these ("Linear regression"). */
  notBefore: z.array(word).optional(),
  /** Rejected when one of these words occurs within `window` tokens ("Mistral" near "Ollama" is a local model). */
  notNear: z.array(word).optional(),
  confidence: z.number().gt(0).max(1).optional(),
});

const aliasSchema = z.union([word, aliasSpecSchema]);

const vocabularySchema = z.strictObject({
  term: word,
  weight: z.number().gt(0).max(1),
  /** Roles whose explicitly named services cancel this implication; default: the service's roles. */
  suppressedBy: z.array(word).optional(),
});

const operationSchema = z.strictObject({
  id: slug,
  name: word,
  inputs: z.array(word),
});

const rateLimitSchema = z.strictObject({
  limit: z.number().positive(),
  /** A unit ("second", "minute", "hour", "day", "month", "concurrent") or a window ("10 seconds"). */
  per: word,
  scope: word,
  note: z.string().optional(),
  source: word,
});

export const serviceSchema = z.strictObject({
  id: slug,
  name: word,
  category: z.enum(SERVICE_CATEGORIES),
  aliases: z.array(aliasSchema),
  vocabulary: z.array(vocabularySchema),
  roles: z.array(word).optional(),
  triggers: z.array(operationSchema),
  actions: z.array(operationSchema),
  rateLimits: z.array(rateLimitSchema).optional(),
  website: z.url().optional(),
  n8nNode: z.string().optional(),
  /** The company behind the service ("Google" for Gmail); the service's own name when it is its own vendor. */
  vendor: word.optional(),
  /** The product is discontinued; it stays so that old descriptions still resolve. */
  retired: z.boolean().optional(),
});

const catalogFileSchema = z.strictObject({
  group: slug,
  description: z.string(),
  services: z.array(serviceSchema),
});

/** A service of the generated catalog: names and grouping only, no operations. */
const generatedServiceSchema = z.strictObject({
  id: slug,
  name: word,
  vendor: word,
  category: z.enum(SERVICE_CATEGORIES),
  roles: z.array(word),
  aliases: z.array(aliasSchema).min(1),
  website: z.url().optional(),
  retired: z.boolean().optional(),
  sources: z.array(word).min(1),
});

/** What the generated catalog adds to a hand-written service: its vendor and more names. */
const extensionSchema = z.strictObject({ id: slug, vendor: word, aliases: z.array(aliasSchema) });

const generatedFileSchema = z.strictObject({
  group: slug,
  description: z.string(),
  sources: z.record(z.string(), z.string()),
  extensions: z.array(extensionSchema),
  services: z.array(generatedServiceSchema),
});

const fillerSchema = z.strictObject({ term: word, roles: z.array(word).min(1) });
/** A phrase that asks for a role without naming a product ("text me" -> sms). */
const roleCueSchema = z.strictObject({ term: word, role: word, weight: z.number().gt(0).max(1) });
const genericFileSchema = z.strictObject({
  description: z.string(),
  fillers: z.array(fillerSchema),
  roleCues: z.array(roleCueSchema).optional(),
  /** Per role, the products most commonly used for it, best first. */
  roleDefaults: z.record(word, z.array(slug).min(1)).optional(),
});

export type AliasSpec = z.infer<typeof aliasSpecSchema>;
export type Alias = z.infer<typeof aliasSchema>;
export type VocabularyEntry = z.infer<typeof vocabularySchema>;
export type Operation = z.infer<typeof operationSchema>;
export type RateLimit = z.infer<typeof rateLimitSchema>;
export type ServiceCategory = (typeof SERVICE_CATEGORIES)[number];
export type Service = z.infer<typeof serviceSchema> & { readonly group: string };
export type RoleFiller = z.infer<typeof fillerSchema>;
export type RoleCue = z.infer<typeof roleCueSchema>;

export interface ServiceCatalog {
  readonly services: readonly Service[];
  readonly fillers: readonly RoleFiller[];
  readonly roleCues: readonly RoleCue[];
  /** Per role, the most commonly used products, best first (ids of this catalog). */
  readonly roleDefaults: ReadonlyMap<string, readonly string[]>;
  readonly byId: ReadonlyMap<string, Service>;
}

function issuesOf(error: z.ZodError, prefix: string): FieldIssue[] {
  return error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].join('.'), message: i.message }));
}

/**
 * Validates catalog files (each `{group, description, services}`) and role fillers and builds
 * the catalog. Throws ValidationError naming every bad field, a duplicate id, or an alias claimed
 * by two services.
 */
export function buildCatalog(
  files: readonly unknown[],
  genericFile: unknown = { description: '', fillers: [] },
): ServiceCatalog {
  const issues: FieldIssue[] = [];
  const services: Service[] = [];
  files.forEach((file, index) => {
    const parsed = catalogFileSchema.safeParse(file);
    if (!parsed.success) {
      issues.push(...issuesOf(parsed.error, `file[${index}]`));
      return;
    }
    for (const s of parsed.data.services) services.push({ ...s, group: parsed.data.group });
  });
  const parsedGeneric = genericFileSchema.safeParse(genericFile);
  if (!parsedGeneric.success) issues.push(...issuesOf(parsedGeneric.error, 'generic'));

  const byId = new Map<string, Service>();
  const aliasOwner = new Map<string, string>();
  for (const s of services) {
    if (byId.has(s.id)) issues.push({ path: `services.${s.id}`, message: 'duplicate service id' });
    byId.set(s.id, s);
    for (const a of s.aliases) {
      const text = typeof a === 'string' ? a : a.text;
      const key = aliasKey(text);
      const owner = aliasOwner.get(key);
      if (owner !== undefined && owner !== s.id) {
        issues.push({
          path: `services.${s.id}.aliases`,
          message: `alias "${text}" already belongs to ${owner}`,
        });
      }
      aliasOwner.set(key, s.id);
    }
  }
  const roleDefaults = new Map<string, readonly string[]>();
  if (parsedGeneric.success) {
    for (const [role, ids] of Object.entries(parsedGeneric.data.roleDefaults ?? {})) {
      for (const id of ids) {
        if (!(byId.get(id)?.roles ?? []).includes(role))
          issues.push({
            path: `generic.roleDefaults.${role}`,
            message: `${id} is no service with role ${role}`,
          });
      }
      roleDefaults.set(role, ids);
    }
  }
  if (issues.length > 0) throw new ValidationError('service catalog', issues);
  return {
    services,
    fillers: parsedGeneric.success ? parsedGeneric.data.fillers : [],
    roleCues: parsedGeneric.success ? (parsedGeneric.data.roleCues ?? []) : [],
    roleDefaults,
    byId,
  };
}

/** The form under which two aliases count as the same: lower-case words, joined by single spaces. */
export function aliasKey(text: string): string {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).join(' ');
}

/**
 * Hand-written catalog files merged with a generated catalog (scripts/catalog/buildCatalog.ts):
 * hand-written services keep everything they have and gain the generated vendor and aliases;
 * generated services are added with no vocabulary and no operations. Validated like
 * `buildCatalog`, so an alias claimed twice across both is an error.
 */
export function mergeCatalogs(
  handFiles: readonly unknown[],
  generatedFile: unknown,
  genericFile?: unknown,
): ServiceCatalog {
  const parsed = generatedFileSchema.safeParse(generatedFile);
  if (!parsed.success)
    throw new ValidationError('generated service catalog', issuesOf(parsed.error, 'generated'));
  const extensions = new Map(parsed.data.extensions.map((e) => [e.id, e]));
  const files = handFiles.map((file) => {
    const f = catalogFileSchema.safeParse(file);
    if (!f.success) return file;
    return {
      ...f.data,
      services: f.data.services.map((s) => {
        const ext = extensions.get(s.id);
        return ext ? { ...s, vendor: s.vendor ?? ext.vendor, aliases: [...s.aliases, ...ext.aliases] } : s;
      }),
    };
  });
  const generatedServices = parsed.data.services.map(({ sources: _sources, roles, ...s }) => ({
    ...s,
    ...(roles.length > 0 ? { roles } : {}),
    vocabulary: [],
    triggers: [],
    actions: [],
  }));
  return buildCatalog(
    [
      ...files,
      { group: parsed.data.group, description: parsed.data.description, services: generatedServices },
    ],
    genericFile,
  );
}

const HAND_WRITTEN = [
  communication,
  email,
  google,
  microsoft,
  ai,
  data,
  storage,
  crm,
  sales,
  support,
  hr,
  dev,
  security,
  productivity,
  forms,
  commerce,
  social,
  content,
  scraping,
];

let cached: ServiceCatalog | undefined;
let cachedDetection: ServiceCatalog | undefined;

/**
 * The catalog used for detection: the hand-written services plus ~3,700 generated ones (known
 * brands with their names, vendor, category and roles, but no operations). Validated on first use.
 */
export function detectionCatalog(): ServiceCatalog {
  cachedDetection ??= mergeCatalogs(HAND_WRITTEN, generated, generic);
  return cachedDetection;
}

/** The built-in catalog of hand-written services, each with operations (validated on first use). */
export function defaultCatalog(): ServiceCatalog {
  cached ??= buildCatalog(HAND_WRITTEN, generic);
  return cached;
}
