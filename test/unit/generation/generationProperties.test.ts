import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateWorkflow, type UserHistory } from '../../../src/core/generation/generateWorkflow.ts';
import type { ServiceReliability } from '../../../src/core/generation/serviceReliability.ts';
import { strategies, workflowDefinitionSchema } from '../../../src/core/generation/workflowDefinition.ts';
import { defaultCatalog } from '../../../src/core/services/serviceCatalog.ts';
import { errorClasses } from '../../../src/core/troubleshooting/errorClass.ts';
import { NOW } from './fixtures.ts';

const catalog = defaultCatalog();
const services = catalog.services;

const cues = ['When', 'Whenever', 'Every morning', 'For each new', 'If', 'Every 10 minutes', 'New', ''];
const events = [
  'form is submitted',
  'order comes in',
  'message is posted',
  'row is added',
  'issue is created',
  'fails',
  '',
];
const verbs = [
  'post to',
  'send a message to',
  'create a card in',
  'append a row to',
  'log it in',
  'summarize it with',
  'get rows from',
  'upload the file to',
  'notify the team on',
  'update the record in',
  'add a contact to',
  'search',
  'reply in',
  'email the customer via',
  '',
];
const joins = [', ', ' and ', ' then ', ' -> ', '. ', ' '];

const description = fc
  .record({
    cue: fc.constantFrom(...cues),
    event: fc.constantFrom(...events),
    picks: fc.array(
      fc.record({
        service: fc.integer({ min: 0, max: services.length - 1 }),
        verb: fc.constantFrom(...verbs),
        join: fc.constantFrom(...joins),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ cue, event, picks }) => {
    const [first, ...rest] = picks;
    const name = (i: number): string => services[i]?.name ?? '';
    let text = `${cue} ${first ? name(first.service) : ''} ${event}`;
    for (const p of rest) text += `${p.join}${p.verb} ${name(p.service)}`;
    return { text: text.trim() || 'Slack', ids: picks.map((p) => services[p.service]?.id ?? '') };
  });

const stats: fc.Arbitrary<ServiceReliability> = fc
  .record({
    executions: fc.integer({ min: 0, max: 5000 }),
    failureRate: fc.double({ min: 0, max: 1, noNaN: true }),
    p95Ms: fc.double({ min: 0, max: 120_000, noNaN: true }),
    classes: fc.uniqueArray(fc.constantFrom(...errorClasses), { maxLength: 4 }),
    rateLimitShare: fc.double({ min: 0, max: 1, noNaN: true }),
    windowHours: fc.option(fc.constantFrom(1, 24, 168), { nil: undefined }),
    ageHours: fc.option(fc.integer({ min: 0, max: 48 }), { nil: undefined }),
    cost: fc.option(fc.integer({ min: 0, max: 50_000 }), { nil: undefined }),
  })
  .map((r) => ({
    executions: r.executions,
    failureRate: r.failureRate,
    p95Ms: r.p95Ms,
    dominantErrorClasses: r.classes.map((c) => ({ class: c, share: 1 / Math.max(1, r.classes.length) })),
    rateLimitShare: r.rateLimitShare,
    ...(r.windowHours === undefined ? {} : { windowHours: r.windowHours }),
    ...(r.ageHours === undefined ? {} : { observedAt: NOW - r.ageHours * 3_600_000 }),
    ...(r.cost === undefined ? {} : { costPerCallMicros: r.cost }),
  }));

const scenario = description.chain((d) =>
  fc.record({
    text: fc.constant(d.text),
    strategy: fc.constantFrom(...strategies),
    reliability: fc.array(
      fc.tuple(fc.constantFrom(...d.ids, 'slack', 'microsoft-teams', 'discord', 'groq'), stats),
      {
        maxLength: 5,
      },
    ),
    history: fc.array(
      fc.tuple(
        fc.constantFrom(...d.ids, 'gmail', 'microsoft-outlook', 'openai'),
        fc.integer({ min: 0, max: 9 }),
      ),
      {
        maxLength: 3,
      },
    ),
  }),
);

describe('generated definitions', () => {
  it('always pass the schema and only use catalog triggers, actions and inputs', () => {
    fc.assert(
      fc.property(scenario, ({ text, strategy, reliability, history }) => {
        const userHistory: UserHistory = { services: new Map(history), previousWorkflows: [] };
        const request = {
          description: text,
          tenantId: 't',
          userId: 'u',
          strategy,
          workflowId: 'wf-prop',
          now: NOW,
        };
        const context = { reliability: new Map(reliability), userHistory };
        const result = generateWorkflow(request, context);
        expect(generateWorkflow(request, context)).toEqual(result);
        if (result.status === 'needs_clarification') {
          expect(result.clarifications.length).toBeGreaterThan(0);
          return;
        }
        const wf = result.workflow;
        expect(workflowDefinitionSchema.safeParse(wf).success).toBe(true);
        expect(wf.version).toBe(1);
        expect(wf.strategy).toBe(strategy);
        if (wf.trigger.service !== 'schedule' && wf.trigger.service !== 'webhook') {
          expect(catalog.byId.get(wf.trigger.service)?.triggers.map((t) => t.id)).toContain(wf.trigger.event);
        }
        for (const step of wf.steps) {
          const action = catalog.byId.get(step.service)?.actions.find((a) => a.id === step.action);
          expect(action).toBeDefined();
          for (const key of Object.keys(step.inputs)) expect(action?.inputs).toContain(key);
          if (step.fallback) {
            expect(catalog.byId.get(step.fallback.service)?.actions.map((a) => a.id)).toContain(
              step.fallback.action,
            );
          }
        }
        const p = wf.prediction;
        expect(p.successRate).toBeGreaterThanOrEqual(0);
        expect(p.successRate).toBeLessThanOrEqual(1);
        expect(new Set(p.evidence.map((e) => e.service))).toEqual(
          new Set([
            ...wf.steps.map((s) => s.service),
            ...wf.steps.flatMap((s) => (s.fallback ? [s.fallback.service] : [])),
          ]),
        );
      }),
      { numRuns: 300 },
    );
  });
});
