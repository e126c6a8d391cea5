// The catalog is data: these tests keep it valid, complete enough, and aligned with the n8n
// slugs used as gold labels.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.ts';
import {
  aliasKey,
  buildCatalog,
  defaultCatalog,
  SERVICE_CATEGORIES,
} from '../../../src/core/services/serviceCatalog.ts';
import { phraseWords } from '../../../src/core/services/tokenize.ts';

const catalog = defaultCatalog();
const fixturesDir = path.resolve(import.meta.dirname, '..', '..', 'fixtures');

function aliasTexts(): { id: string; text: string }[] {
  return catalog.services.flatMap((s) =>
    s.aliases.map((a) => ({ id: s.id, text: typeof a === 'string' ? a : a.text })),
  );
}

const minimal = (id: string, aliases: unknown[] = [id]) => ({
  id,
  name: id,
  category: 'communication',
  aliases,
  vocabulary: [],
  triggers: [],
  actions: [],
});

describe('service catalog', () => {
  it('has at least 180 services with unique kebab-case ids', () => {
    expect(catalog.services.length).toBeGreaterThanOrEqual(180);
    const ids = catalog.services.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('gives every service a name, a known category, an alias and an action', () => {
    for (const s of catalog.services) {
      expect(s.name.length, s.id).toBeGreaterThan(0);
      expect(SERVICE_CATEGORIES, s.id).toContain(s.category);
      expect(s.aliases.length, s.id).toBeGreaterThan(0);
      expect(s.actions.length + s.triggers.length, s.id).toBeGreaterThan(0);
    }
  });

  it('has no alias claimed by two services, and every alias has words', () => {
    const owner = new Map<string, string>();
    for (const { id, text } of aliasTexts()) {
      expect(phraseWords(text).length, `${id}: "${text}"`).toBeGreaterThan(0);
      const key = aliasKey(text);
      const prev = owner.get(key);
      if (prev !== undefined) expect(prev, `alias "${text}"`).toBe(id);
      owner.set(key, id);
    }
  });

  it('covers the services people ask for most, under their n8n slugs', () => {
    const expected = [
      'slack',
      'microsoft-teams',
      'discord',
      'telegram',
      'whatsapp',
      'twilio',
      'mattermost',
      'gmail',
      'microsoft-outlook',
      'sendgrid',
      'mailchimp',
      'mailgun',
      'google-sheets',
      'google-drive',
      'google-docs',
      'google-calendar',
      'google-forms',
      'salesforce',
      'hubspot',
      'pipedrive',
      'zoho-crm',
      'github',
      'gitlab',
      'jira',
      'linear',
      'openai',
      'anthropic',
      'google-gemini',
      'mistral-ai',
      'groq',
      'ollama',
      'hugging-face',
      'perplexity',
      'deepseek',
      'openrouter',
      'qdrant',
      'pinecone',
      'supabase',
      'weaviate',
      'stripe',
      'paypal',
      'shopify',
      'woocommerce',
      'twitter',
      'linkedin',
      'facebook',
      'instagram',
      'reddit',
      'youtube',
      'trello',
      'asana',
      'notion',
      'airtable',
      'clickup',
      'monday',
      'apify',
      'firecrawl',
      'scrapingbee',
      'serpapi',
      'aws-s3',
      'onedrive',
      'dropbox',
    ];
    for (const id of expected) expect(catalog.byId.has(id), id).toBe(true);
  });

  it('documents rate limits with a source for the busiest APIs', () => {
    for (const id of [
      'slack',
      'gmail',
      'openai',
      'telegram',
      'notion',
      'airtable',
      'github',
      'hubspot',
      'shopify',
    ]) {
      const limits = catalog.byId.get(id)?.rateLimits ?? [];
      expect(limits.length, id).toBeGreaterThan(0);
      for (const l of limits) {
        expect(l.limit).toBeGreaterThan(0);
        expect(l.source.length).toBeGreaterThan(10);
      }
    }
    const slack = catalog.byId.get('slack')?.rateLimits ?? [];
    expect(
      slack.some((l) => l.limit === 1 && l.per === 'second' && l.scope.includes('chat.postMessage')),
    ).toBe(true);
    const withLimits = catalog.services.filter((s) => (s.rateLimits ?? []).length > 0).length;
    expect(withLimits).toBeGreaterThanOrEqual(50);
  });

  // A copy of the dev set's node map (test/fixtures/README.md says where it comes from).
  it('has every service slug of the n8n node map', () => {
    const map = JSON.parse(readFileSync(path.join(fixturesDir, 'n8n-node-map.json'), 'utf8')) as {
      services: Record<string, string>;
      providers: Record<string, string | null>;
      credential_types: Record<string, string>;
      http_url_patterns: [string, string][];
    };
    const slugs = new Set<string>([
      ...Object.values(map.services),
      ...Object.values(map.providers).filter((v): v is string => v !== null),
      ...Object.values(map.credential_types),
      ...map.http_url_patterns.map(([, slug]) => slug),
    ]);
    const missing = [...slugs].filter((s) => !catalog.byId.has(s));
    expect(missing).toEqual([]);
  });

  it('rejects a duplicate id, an alias owned by two services and a bad slug', () => {
    const file = (services: unknown[]) => ({ group: 'test', description: '', services });
    expect(() => buildCatalog([file([minimal('a'), minimal('a', ['other'])])])).toThrow(
      /duplicate service id/,
    );
    expect(() => buildCatalog([file([minimal('a', ['Same Name']), minimal('b', ['same-name'])])])).toThrow(
      /already belongs to a/,
    );
    expect(() => buildCatalog([file([minimal('Not_A_Slug')])])).toThrow(ValidationError);
    expect(() => buildCatalog([file([{ ...minimal('a'), category: 'nope' }])])).toThrow(ValidationError);
  });

  it('accepts a small valid catalog', () => {
    const c = buildCatalog([
      {
        group: 'test',
        description: '',
        services: [minimal('acme', ['acme', { text: 'ACME', caseSensitive: true }])],
      },
    ]);
    expect(c.services.map((s) => s.id)).toEqual(['acme']);
    expect(c.byId.get('acme')?.group).toBe('test');
  });
});
