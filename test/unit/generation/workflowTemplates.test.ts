import { describe, expect, it } from 'vitest';
import {
  buildTemplates,
  builtInTemplates,
  matchTemplate,
  TEMPLATE_MATCH_THRESHOLD,
  templateServices,
} from '../../../src/core/generation/workflowTemplates.ts';
import { placeholders } from '../../../src/core/generation/workflowDefinition.ts';
import { defaultCatalog } from '../../../src/core/services/serviceCatalog.ts';
import { ValidationError } from '../../../src/errors.ts';
import { generated, run } from './fixtures.ts';

const catalog = defaultCatalog();
const templates = builtInTemplates();

describe('built-in templates', () => {
  it('has at least 15, with unique ids and unique service sets', () => {
    expect(templates.length).toBeGreaterThanOrEqual(15);
    expect(new Set(templates.map((t) => t.id)).size).toBe(templates.length);
  });

  it.each(templates.map((t) => [t.id, t] as const))(
    '%s uses catalog triggers, actions and inputs',
    (_id, t) => {
      const trigger = catalog.byId.get(t.trigger.service)?.triggers.find((o) => o.id === t.trigger.event);
      expect(trigger, `${t.trigger.service}/${t.trigger.event}`).toBeDefined();
      for (const key of Object.keys(t.trigger.config)) expect(trigger?.inputs).toContain(key);
      const earlier = new Set<string>();
      for (const step of t.steps) {
        const action = catalog.byId.get(step.service)?.actions.find((o) => o.id === step.action);
        expect(action, `${step.service}/${step.action}`).toBeDefined();
        for (const [key, value] of Object.entries(step.inputs)) {
          expect(action?.inputs).toContain(key);
          for (const ref of placeholders(value)) {
            const m = /^steps\.([a-z0-9-]+)\.output\./.exec(ref);
            if (m) expect(earlier.has(m[1] ?? '')).toBe(true);
            else expect(ref).toMatch(/^trigger\./);
          }
        }
        earlier.add(step.stepId);
      }
    },
  );

  it.each(templates.map((t) => [t.id, t] as const))(
    '%s is chosen for its own name and description',
    (id, t) => {
      const result = generated(run(`${t.name}. ${t.description}`));
      expect(result.template?.id).toBe(id);
      expect(result.workflow.createdFrom).toBe('template');
      expect(result.workflow.version).toBe(1);
      expect(result.workflow.steps.map((s) => s.stepId)).toEqual(t.steps.map((s) => s.stepId));
      expect(
        new Set([result.workflow.trigger.service, ...result.workflow.steps.map((s) => s.service)]),
      ).toEqual(templateServices(t));
    },
  );

  it('rejects a malformed template file', () => {
    expect(() => buildTemplates([{ id: 'Bad Id', name: 'x' }])).toThrow(ValidationError);
  });
});

describe('matchTemplate', () => {
  it('scores the same services with keywords above the threshold', () => {
    const m = matchTemplate(
      'When a Stripe payment fails, email the customer from Gmail and add a HubSpot task',
      ['stripe', 'gmail', 'hubspot'],
    );
    expect(m?.template.id).toBe('stripe-failed-payment-email-crm-task');
    expect(m?.score).toBeGreaterThanOrEqual(TEMPLATE_MATCH_THRESHOLD);
    expect(m?.matchedKeywords).toEqual(expect.arrayContaining(['fails', 'payment', 'task']));
  });

  it('the same services without a keyword stay below it', () => {
    const m = matchTemplate('zendesk slack', ['zendesk', 'slack']);
    expect(m?.template.id).toBe('zendesk-ticket-slack-alert');
    expect(m?.score).toBe(0.7);
  });

  it('an extra or a missing service keeps it below the threshold', () => {
    const extra = matchTemplate('New GitHub issue -> create a Jira ticket and post to Slack', [
      'github',
      'jira',
      'slack',
    ]);
    expect(extra?.score).toBeLessThan(TEMPLATE_MATCH_THRESHOLD);
    const missing = matchTemplate('Log Shopify orders in Google Sheets', ['shopify', 'google-sheets']);
    expect(missing?.score).toBeLessThan(TEMPLATE_MATCH_THRESHOLD);
  });

  it('a different trigger service or event halves the score', () => {
    const same = matchTemplate('GitHub issue to Jira', ['github', 'jira'], { triggerService: 'github' });
    const reversed = matchTemplate('GitHub issue to Jira', ['github', 'jira'], { triggerService: 'jira' });
    expect(reversed?.score).toBeCloseTo((same?.score ?? 0) / 2, 2);
    const event = matchTemplate('Slack card', ['slack', 'trello'], {
      triggerService: 'slack',
      triggerEvent: 'new-message',
    });
    expect(event?.score).toBeLessThan(TEMPLATE_MATCH_THRESHOLD);
  });

  it('returns nothing when no template shares a service', () => {
    expect(matchTemplate('Post to Mastodon', ['mastodon'])).toBeUndefined();
  });
});
