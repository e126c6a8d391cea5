import { describe, expect, it } from 'vitest';
import { stepSuccessProbability } from '../../../src/core/generation/predictWorkflow.ts';
import { STRATEGY_PROFILES, strategyRule } from '../../../src/core/generation/strategyPolicy.ts';
import { documentedLimit } from '../../../src/core/generation/serviceReliability.ts';
import {
  strategies,
  workflowDefinitionSchema,
  type Strategy,
} from '../../../src/core/generation/workflowDefinition.ts';
import { defaultCatalog } from '../../../src/core/services/serviceCatalog.ts';
import { ValidationError } from '../../../src/errors.ts';
import { generated, healthy, history, NOW, run, slackStorm, stepOf } from './fixtures.ts';

const LEAD = 'When a new lead submits the Typeform, create a contact in HubSpot and post to Slack';
const ORDERS = 'When a Shopify order comes in, append a row to Google Sheets and notify the team on Slack';

describe('live reliability: a Slack rate-limit storm', () => {
  it.each(strategies)(
    '%s: the Slack step backs off longer, honours Retry-After and runs fewer calls at once',
    (strategy) => {
      const storm = generated(
        run(LEAD, { strategy, reliability: { slack: slackStorm, hubspot: healthy() } }),
      );
      const calm = generated(run(LEAD, { strategy, reliability: { slack: healthy(), hubspot: healthy() } }));
      const hot = stepOf(storm.workflow, 'slack');
      const cool = stepOf(calm.workflow, 'slack');

      expect(hot.retry.backoff).toBe('exponential');
      expect(hot.retry.jitter).toBe(true);
      expect(hot.retry.respectRetryAfter).toBe(true);
      expect(hot.retry.initialDelayMs).toBeGreaterThan(cool.retry.initialDelayMs);
      expect(hot.retry.maxDelayMs).toBeGreaterThan(cool.retry.maxDelayMs);
      expect(hot.concurrency).toBeLessThan(cool.concurrency);
      // Never above the documented rate per second (Slack: 20 per minute for Tier 2 methods).
      const rps = documentedLimit(defaultCatalog().byId.get('slack')).requestsPerSecond ?? Infinity;
      expect(hot.concurrency).toBeLessThanOrEqual(Math.max(1, Math.floor(rps)));

      // The storm is Slack's: the HubSpot step is the same in both.
      expect(stepOf(storm.workflow, 'hubspot')).toEqual(stepOf(calm.workflow, 'hubspot'));

      const evidence = storm.workflow.prediction.evidence.find((e) => e.kind === 'rate_limit_storm');
      expect(evidence?.service).toBe('slack');
      expect(evidence?.message).toMatch(/^slack: 23% of calls failed with rate_limit over the last 24 h/);
      expect(storm.rationale.some((r) => r.startsWith('slack: rate-limit storm'))).toBe(true);
      expect(storm.workflow.prediction.successRate).toBeLessThan(calm.workflow.prediction.successRate);
    },
  );

  it.each(strategies)(
    '%s: healthy Slack metrics keep the strategy baseline and cite no storm',
    (strategy) => {
      const calm = generated(run(LEAD, { strategy, reliability: { slack: healthy(), hubspot: healthy() } }));
      const slack = stepOf(calm.workflow, 'slack');
      expect(slack.retry).toEqual(STRATEGY_PROFILES[strategy].retry);
      expect(calm.workflow.prediction.evidence.map((e) => e.kind)).not.toContain('rate_limit_storm');
      expect(calm.workflow.prediction.evidence.find((e) => e.service === 'slack')?.kind).toBe('observed');
      expect(calm.rationale.join('\n')).not.toMatch(/storm/);
    },
  );

  it('does not act on stale or thin data', () => {
    const stale = generated(
      run(LEAD, { reliability: { slack: { ...slackStorm, observedAt: NOW - 12 * 3_600_000 } } }),
    );
    expect(stepOf(stale.workflow, 'slack').retry).toEqual(STRATEGY_PROFILES.hybrid.retry);
    expect(stale.workflow.prediction.evidence.find((e) => e.service === 'slack')?.kind).toBe('stale');

    const thin = generated(run(LEAD, { reliability: { slack: { ...slackStorm, executions: 8 } } }));
    expect(stepOf(thin.workflow, 'slack').retry).toEqual(STRATEGY_PROFILES.hybrid.retry);
    expect(thin.workflow.prediction.evidence.find((e) => e.service === 'slack')?.kind).toBe('few_executions');
  });

  it('says when a service has no data and uses catalog defaults', () => {
    const result = generated(run(LEAD, { reliability: { slack: healthy() } }));
    const hubspot = result.workflow.prediction.evidence.find((e) => e.service === 'hubspot');
    expect(hubspot?.kind).toBe('no_data');
    expect(hubspot?.message).toMatch(
      /no executions observed; using catalog defaults \(documented limit 100 per 10 seconds\)/,
    );
    expect(result.rationale).toContain('no live data for hubspot: catalog defaults used');
  });

  it('timeouts lengthen the timeout; non-retryable failures cut attempts', () => {
    const slow = generated(
      run(LEAD, {
        strategy: 'reliability',
        reliability: {
          slack: healthy({
            failureRate: 0.2,
            p95Ms: 30_000,
            dominantErrorClasses: [{ class: 'timeout', share: 0.9 }],
            rateLimitShare: 0,
          }),
        },
      }),
    );
    expect(stepOf(slow.workflow, 'slack').timeoutMs).toBeGreaterThan(
      STRATEGY_PROFILES.reliability.timeoutMs * 1.5,
    );
    const broken = generated(
      run(LEAD, {
        strategy: 'reliability',
        reliability: {
          slack: healthy({
            failureRate: 0.3,
            dominantErrorClasses: [{ class: 'auth', share: 1 }],
            rateLimitShare: 0,
          }),
        },
      }),
    );
    expect(stepOf(broken.workflow, 'slack').retry.maxAttempts).toBe(2);
    expect(broken.workflow.prediction.evidence.find((e) => e.service === 'slack')?.kind).toBe(
      'non_retryable_failures',
    );
  });
});

describe('strategies change the settings as documented', () => {
  const byStrategy = Object.fromEntries(
    strategies.map((s) => [
      s,
      generated(run(ORDERS, { strategy: s, reliability: { 'google-sheets': healthy(), slack: healthy() } })),
    ]),
  ) as Record<Strategy, ReturnType<typeof generated>>;
  const sheets = (s: Strategy) => stepOf(byStrategy[s].workflow, 'google-sheets');
  const slack = (s: Strategy) => stepOf(byStrategy[s].workflow, 'slack');

  it('retries: reliability 5 exponential with jitter, hybrid and cost 3, performance 2 fixed', () => {
    expect(sheets('reliability').retry).toMatchObject({
      maxAttempts: 5,
      backoff: 'exponential',
      jitter: true,
    });
    expect(sheets('hybrid').retry.maxAttempts).toBe(3);
    expect(sheets('cost').retry.maxAttempts).toBe(3);
    expect(sheets('performance').retry).toMatchObject({ maxAttempts: 2, backoff: 'fixed', jitter: false });
  });

  it('concurrency: performance highest, reliability lowest; capped by the documented limit', () => {
    // HubSpot documents 100 requests per 10 s: room for every strategy's own setting.
    const hubspot = (s: Strategy) =>
      stepOf(generated(run(LEAD, { strategy: s, reliability: { hubspot: healthy() } })).workflow, 'hubspot')
        .concurrency;
    expect(hubspot('performance')).toBe(10);
    expect(hubspot('hybrid')).toBe(5);
    expect(hubspot('cost')).toBe(3);
    expect(hubspot('reliability')).toBe(2);
    // Slack and Sheets allow about one call per second: no strategy keeps more than two in flight.
    for (const s of strategies) {
      expect(slack(s).concurrency).toBeLessThanOrEqual(2);
      expect(sheets(s).concurrency).toBeLessThanOrEqual(2);
    }
  });

  it('timeouts: performance shortest, reliability longest', () => {
    expect(sheets('performance').timeoutMs).toBeLessThan(sheets('hybrid').timeoutMs);
    expect(sheets('hybrid').timeoutMs).toBeLessThan(sheets('reliability').timeoutMs);
  });

  it('batching: cost batches 50 and hybrid 10 where the action takes batches; never for messages', () => {
    expect(sheets('cost').batchSize).toBe(50);
    expect(sheets('hybrid').batchSize).toBe(10);
    expect(sheets('performance').batchSize).toBeNull();
    expect(sheets('reliability').batchSize).toBeNull();
    for (const s of strategies) expect(slack(s).batchSize).toBeNull();
  });

  it('the prediction follows: cost is cheapest per run, performance has the lowest p95', () => {
    const cost = (s: Strategy) => byStrategy[s].workflow.prediction.costPerRunMicros;
    const p95 = (s: Strategy) => byStrategy[s].workflow.prediction.p95Ms;
    expect(cost('cost')).toBeLessThan(cost('performance'));
    expect(p95('performance')).toBeLessThan(p95('cost'));
  });

  it('each result states its strategy rule', () => {
    for (const s of strategies) {
      expect(byStrategy[s].workflow.strategy).toBe(s);
      expect(byStrategy[s].rationale).toContain(strategyRule(s));
    }
  });

  it('fallbacks: reliability picks a clearly better same-category service, hybrid only when degraded, performance never', () => {
    const teams = healthy({ failureRate: 0.01 });
    const slackShaky = healthy({
      failureRate: 0.08,
      dominantErrorClasses: [{ class: 'upstream_5xx', share: 1 }],
      rateLimitShare: 0,
    });
    const reliability = { slack: slackShaky, 'microsoft-teams': teams };
    const rel = generated(run(ORDERS, { strategy: 'reliability', reliability }));
    expect(stepOf(rel.workflow, 'slack').fallback).toEqual({
      service: 'microsoft-teams',
      action: 'send-channel-message',
    });
    expect(
      rel.workflow.prediction.evidence.some((e) => e.kind === 'fallback' && e.service === 'microsoft-teams'),
    ).toBe(true);

    expect(
      stepOf(generated(run(ORDERS, { strategy: 'hybrid', reliability })).workflow, 'slack').fallback,
    ).toBeUndefined();
    const degraded = { ...reliability, slack: { ...slackShaky, failureRate: 0.15 } };
    expect(
      stepOf(generated(run(ORDERS, { strategy: 'hybrid', reliability: degraded })).workflow, 'slack').fallback
        ?.service,
    ).toBe('microsoft-teams');
    expect(
      stepOf(generated(run(ORDERS, { strategy: 'performance', reliability: degraded })).workflow, 'slack')
        .fallback,
    ).toBeUndefined();
    // No fallback without a comparison: Teams no better than Slack.
    const even = { slack: slackShaky, 'microsoft-teams': { ...slackShaky } };
    expect(
      stepOf(generated(run(ORDERS, { strategy: 'reliability', reliability: even })).workflow, 'slack')
        .fallback,
    ).toBeUndefined();
  });

  it('cost suggests a cheaper equivalent service and a smaller model', () => {
    const result = generated(
      run('Every morning, get new rows from Google Sheets, summarize them with OpenAI and post to Slack', {
        strategy: 'cost',
        reliability: {
          openai: healthy({ costPerCallMicros: 3000 }),
          groq: healthy({ costPerCallMicros: 400 }),
        },
      }),
    );
    const kinds = result.suggestions.map((s) => `${s.kind}:${s.service ?? ''}`);
    expect(kinds).toContain('cheaper_service:groq');
    expect(kinds).toContain('cheaper_model:openai');
    // Suggestions only: the step itself is not switched.
    expect(stepOf(result.workflow, 'openai').action).toBe('chat-completion');
    const other = generated(
      run('Every morning, get new rows from Google Sheets, summarize them with OpenAI and post to Slack', {
        strategy: 'hybrid',
        reliability: {
          openai: healthy({ costPerCallMicros: 3000 }),
          groq: healthy({ costPerCallMicros: 400 }),
        },
      }),
    );
    expect(other.suggestions).toEqual([]);
  });
});

describe('templates', () => {
  it('starts from a fitting template as version 1', () => {
    const result = generated(run('New GitHub issue -> create a Jira ticket'));
    expect(result.workflow.createdFrom).toBe('template');
    expect(result.workflow.version).toBe(1);
    expect(result.template?.id).toBe('github-issue-to-jira');
    expect(result.workflow.trigger).toMatchObject({
      service: 'github',
      event: 'repo-event',
      config: { events: 'issues' },
    });
    expect(stepOf(result.workflow, 'jira').inputs.title).toBe('{{trigger.title}}');
  });

  it('generates when the direction differs from the template', () => {
    const result = generated(run('When a Jira issue is created, create a GitHub issue'));
    expect(result.workflow.createdFrom).toBe('generated');
    expect(result.template).toBeNull();
    expect(result.workflow.trigger.service).toBe('jira');
    expect(stepOf(result.workflow, 'github')).toMatchObject({
      action: 'create-issue',
      inputs: { title: '{{trigger.title}}', body: '{{trigger.description}}' },
    });
  });

  it('generates when the trigger event named differs from the template', () => {
    const result = generated(run('Create a Trello card when a new message is posted in Slack'));
    expect(result.workflow.createdFrom).toBe('generated');
    expect(result.workflow.trigger).toMatchObject({ service: 'slack', event: 'new-message' });
    expect(stepOf(result.workflow, 'trello').action).toBe('create-card');
  });
});

describe('ambiguity and user context', () => {
  it('returns candidates as clarifications instead of guessing', () => {
    const result = run('email me a summary');
    expect(result.status).toBe('needs_clarification');
    if (result.status !== 'needs_clarification') return;
    const email = result.clarifications.find((c) => c.id === 'email');
    expect(email?.terms).toEqual(['email']);
    expect(email?.options.map((o) => o.id).sort()).toEqual(['gmail', 'microsoft-outlook']);
    expect(result.clarifications.find((c) => c.id === 'llm')?.options.map((o) => o.id)).toEqual(['openai']);
  });

  it("breaks the tie with the user's history: their Outlook, not Gmail", () => {
    const text = 'When a Stripe payment fails, send an email to the customer';
    expect(run(text).status).toBe('needs_clarification');
    const outlook = generated(run(text, { history: history({ 'microsoft-outlook': 7 }) }));
    expect(outlook.workflow.steps.map((s) => s.service)).toEqual(['microsoft-outlook']);
    expect(stepOf(outlook.workflow, 'microsoft-outlook').inputs.to).toBe('{{trigger.email}}');
    expect(outlook.services.find((s) => s.id === 'microsoft-outlook')?.source).toBe('history');
    expect(
      outlook.rationale.some((r) => r.startsWith('"email" -> Microsoft Outlook: you used it 7 times')),
    ).toBe(true);

    const gmail = generated(
      run(text, { history: history({}, [{ workflowId: 'old-1', services: ['gmail', 'slack'] }]) }),
    );
    expect(gmail.workflow.steps.map((s) => s.service)).toEqual(['gmail']);
  });

  it('a named service needs no tie-break', () => {
    const result = generated(
      run('When a Stripe payment fails, send an email with Gmail', {
        history: history({ 'microsoft-outlook': 7 }),
      }),
    );
    expect(result.workflow.steps.map((s) => s.service)).toEqual(['gmail']);
  });

  it('services the user picked answer the clarifications', () => {
    const result = generated(run('email me a summary every morning', { selected: ['gmail', 'openai'] }));
    expect(result.workflow.trigger.service).toBe('schedule');
    expect(result.workflow.steps.map((s) => s.service).sort()).toEqual(['gmail', 'openai']);
  });

  it('asks which apps when none is named', () => {
    const result = run('do the thing every day', { history: history({ notion: 3 }) });
    expect(result.status).toBe('needs_clarification');
    if (result.status === 'needs_clarification') {
      expect(result.clarifications[0]?.id).toBe('services');
      expect(result.clarifications[0]?.options.map((o) => o.id)).toEqual(['notion']);
    }
  });

  it('asks what to do when the text names only a trigger', () => {
    const result = run('When a new row is added in Google Sheets');
    expect(result.status).toBe('needs_clarification');
    if (result.status === 'needs_clarification') {
      expect(result.clarifications.map((c) => c.id)).toEqual(['action']);
      expect(result.clarifications[0]?.question).toBe(
        'What should happen after "Google Sheets: Row added or updated"?',
      );
    }
  });

  it('rejects a malformed request or an unknown selected service', () => {
    expect(() => run('   ')).toThrow(ValidationError);
    expect(() => run('post to Slack', { selected: ['no-such-service'] })).toThrow(/unknown service/);
  });
});

describe('planning from the text', () => {
  it('maps verbs to catalog actions and orders sources, transforms, sinks', () => {
    const result = generated(
      run('Every morning, get new rows from Google Sheets, summarize them with OpenAI and post to Slack'),
    );
    const wf = result.workflow;
    expect(wf.createdFrom).toBe('generated');
    expect(wf.trigger).toEqual({
      service: 'schedule',
      event: 'cron',
      config: { cron: '0 8 * * *', timezone: 'UTC' },
    });
    expect(wf.steps.map((s) => `${s.service}/${s.action}`)).toEqual([
      'google-sheets/get-rows',
      'openai/chat-completion',
      'slack/send-message',
    ]);
    expect(stepOf(wf, 'slack').inputs.text).toBe('{{steps.openai-chat-completion.output.text}}');
    expect(stepOf(wf, 'openai').inputs.messages).toBe('{{steps.google-sheets-get-rows.output.values}}');
    expect(result.missingInputs).toContainEqual({ stepId: 'slack-send-message', input: 'channel' });
  });

  it.each([
    ['Post a message to Discord', 'webhook', ['discord/send-message']],
    [
      'Send new Typeform responses to Airtable and Slack',
      'typeform',
      ['airtable/create-record', 'slack/send-message'],
    ],
    ['Create a Trello card for new Slack messages', 'slack', ['trello/create-card']],
    [
      'Every 15 minutes search Google Drive files and append them to Airtable',
      'schedule',
      ['google-drive/search-files', 'airtable/upsert-record'],
    ],
    [
      'When a Calendly meeting is booked, add the person to Mailchimp',
      'calendly',
      ['mailchimp/add-subscriber'],
    ],
  ])('%s', (text, trigger, steps) => {
    const wf = generated(run(text)).workflow;
    expect(wf.trigger.service).toBe(trigger);
    expect(wf.steps.map((s) => `${s.service}/${s.action}`)).toEqual(steps);
  });

  it('composes a notification when nothing upstream has text', () => {
    const wf = generated(run('Send new Typeform responses to Airtable and Slack')).workflow;
    const text = stepOf(wf, 'slack').inputs.text ?? '';
    expect(text).toMatch(/^Typeform: New form submission: \{\{trigger\.email\}\}/);
    expect(text).toContain('{{steps.airtable-create-record.output.url}}');
  });
});

describe('prediction', () => {
  it('is the product over steps of P(eventual success), with only the retryable share retried', () => {
    const discord = healthy({
      failureRate: 0.1,
      dominantErrorClasses: [
        { class: 'timeout', share: 0.5 },
        { class: 'validation', share: 0.5 },
      ],
      rateLimitShare: 0,
    });
    const one = generated(run('Post a message to Discord', { strategy: 'hybrid', reliability: { discord } }));
    expect(one.workflow.prediction.successRate).toBeCloseTo(stepSuccessProbability(0.1, 0.5, 3), 4);
    expect(stepSuccessProbability(0.1, 0.5, 3)).toBeLessThan(1 - 0.1 * 0.5 + 1e-9); // non-retryable half stays lost

    const two = generated(
      run(LEAD, {
        strategy: 'reliability',
        reliability: { slack: slackStorm, hubspot: healthy({ failureRate: 0.02 }) },
      }),
    );
    const slackP = stepSuccessProbability(0.25, 1, 5);
    const hubspotP = stepSuccessProbability(0.02, 1, 5);
    expect(two.workflow.prediction.successRate).toBeCloseTo(slackP * hubspotP, 4);
    expect(two.workflow.prediction.p95Ms).toBeGreaterThanOrEqual(900 + 400);
    expect(two.workflow.prediction.costPerRunMicros).toBeGreaterThan(200);
  });

  it('is deterministic and passes the schema', () => {
    const a = run(ORDERS, { reliability: { slack: slackStorm } });
    const b = run(ORDERS, { reliability: { slack: slackStorm } });
    expect(a).toEqual(b);
    expect(workflowDefinitionSchema.safeParse(generated(a).workflow).success).toBe(true);
  });
});
