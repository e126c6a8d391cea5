// The generated catalog (scripts/catalog/buildCatalog.ts): the committed file is what the build
// gives from the installed sources, ids and aliases are unambiguous, hand-written services keep
// everything they had, and brand names that are common words need their casing and context.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGeneratedCatalog, GENERATED_PATH } from '../../../scripts/catalog/buildCatalog.ts';
import { detectServices } from '../../../src/core/services/detectServices.ts';
import {
  aliasKey,
  defaultCatalog,
  detectionCatalog,
  mergeCatalogs,
} from '../../../src/core/services/serviceCatalog.ts';

const full = detectionCatalog();
const hand = defaultCatalog();
const ids = (text: string): string[] =>
  detectServices(text, full)
    .services.map((s) => s.id)
    .sort();

describe('generated service catalog', () => {
  it('is byte-identical to a rebuild from the installed sources', async () => {
    const rebuilt = await buildGeneratedCatalog();
    // If this fails after a catalog edit or a source upgrade: node scripts/catalog/buildCatalog.ts
    expect(rebuilt === readFileSync(GENERATED_PATH, 'utf8')).toBe(true);
    expect(await buildGeneratedCatalog()).toBe(rebuilt);
  }, 30_000);

  it('has at least 2,000 services with unique ids, each with a vendor, a category and an alias', () => {
    expect(full.services.length).toBeGreaterThanOrEqual(2000);
    const all = full.services.map((s) => s.id);
    expect(new Set(all).size).toBe(all.length);
    for (const s of full.services) {
      expect(s.vendor, s.id).toBeDefined();
      expect(s.aliases.length, s.id).toBeGreaterThan(0);
    }
    const withRoles = full.services.filter((s) => (s.roles ?? []).length > 0).length;
    expect(withRoles).toBeGreaterThanOrEqual(500);
  });

  it('maps every alias to exactly one id', () => {
    const owner = new Map<string, string>();
    for (const s of full.services) {
      for (const a of s.aliases) {
        const key = aliasKey(typeof a === 'string' ? a : a.text);
        const prev = owner.get(key);
        if (prev !== undefined) expect(prev, `alias "${key}"`).toBe(s.id);
        owner.set(key, s.id);
      }
    }
  });

  it('keeps every hand-written service whole: operations, rate limits, vocabulary and aliases', () => {
    for (const s of hand.services) {
      const merged = full.byId.get(s.id);
      expect(merged, s.id).toBeDefined();
      expect(merged?.triggers).toEqual(s.triggers);
      expect(merged?.actions).toEqual(s.actions);
      expect(merged?.rateLimits).toEqual(s.rateLimits);
      expect(merged?.vocabulary).toEqual(s.vocabulary);
      expect(merged?.aliases.slice(0, s.aliases.length)).toEqual(s.aliases);
    }
  });

  it('rejects an extension whose alias another service already has', () => {
    const file = {
      group: 'a',
      description: '',
      services: [
        {
          id: 'x1',
          name: 'X1',
          category: 'other',
          aliases: ['x one'],
          vocabulary: [],
          triggers: [],
          actions: [],
        },
      ],
    };
    const generated = (alias: string) => ({
      group: 'generated',
      description: '',
      sources: {},
      extensions: [{ id: 'x1', vendor: 'X', aliases: ['x uno'] }],
      services: [
        { id: 'y1', name: 'Y1', vendor: 'Y', category: 'other', roles: [], aliases: [alias], sources: ['t'] },
      ],
    });
    expect(mergeCatalogs([file], generated('y one')).byId.get('x1')?.aliases).toEqual(['x one', 'x uno']);
    expect(() => mergeCatalogs([file], generated('x uno'))).toThrow(/already belongs/);
  });

  it('knows brands beyond the hand-written catalog, with their vendor and former names', () => {
    expect(ids('Create an invoice in Zoho Books')).toEqual(['zoho-books']);
    expect(full.byId.get('zoho-books')?.vendor).toBe('Zoho');
    expect(full.byId.get('gmail')?.vendor).toBe('Google');
    expect(ids('Ask Google Bard to summarise the thread')).toEqual(['google-gemini']);
    expect(ids('Post the summary to a Hangouts Chat room')).toEqual(['google-chat']);
    expect(ids('Sync contacts from Sendinblue')).toContain('brevo');
  });

  it('needs casing and context for brand names that are common words', () => {
    expect(ids('Move the box to the front and buffer the output')).toEqual([]);
    expect(ids('Build a RAG Chatbot with Pinecone')).not.toContain('chatbot');
    expect(ids('Send automatic reminders')).toEqual([]);
  });
});
