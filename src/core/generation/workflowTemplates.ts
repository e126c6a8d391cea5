// Ready-made workflows (./templates/*.json, one per file) and how a description is matched to one.
//
// A template fits when it uses exactly the services the description uses: the score is the
// squared Jaccard overlap of the two service sets times (0.7 + 0.3 x keyword share), so the same
// services with none of the template's keywords score 0.7 and one keyword in three lifts it over
// the 0.75 threshold; one extra or missing service in four or five caps it at 0.64, so a template
// never silently drops a service the user named or adds one they did not. A template whose trigger
// service or event differs from the one the text starts with ("create a GitHub issue when a Jira
// issue is created" against GitHub -> Jira, "new Slack message" against a Slack reaction) counts half.
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../../errors.ts';
import { tokenize } from '../services/tokenize.ts';
import { stem } from './operationVocabulary.ts';
import { workflowTriggerSchema } from './workflowDefinition.ts';
import airtableRecordGmailNotify from './templates/airtable-record-gmail-notify.json' with { type: 'json' };
import calendlyBookingPipedriveDeal from './templates/calendly-booking-pipedrive-deal.json' with { type: 'json' };
import githubIssueToJira from './templates/github-issue-to-jira.json' with { type: 'json' };
import githubIssueToLinear from './templates/github-issue-to-linear.json' with { type: 'json' };
import githubPrSlackReview from './templates/github-pr-slack-review.json' with { type: 'json' };
import gmailAiSummarySlack from './templates/gmail-ai-summary-slack.json' with { type: 'json' };
import gmailAttachmentsDriveSheets from './templates/gmail-attachments-drive-sheets.json' with { type: 'json' };
import googleFormsSheetsConfirmation from './templates/google-forms-sheets-confirmation.json' with { type: 'json' };
import hubspotDealWonSlack from './templates/hubspot-deal-won-slack.json' with { type: 'json' };
import intercomTicketToJira from './templates/intercom-ticket-to-jira.json' with { type: 'json' };
import leadCaptureTypeformHubspotSlack from './templates/lead-capture-typeform-hubspot-slack.json' with { type: 'json' };
import pipedriveDealAsanaOnboarding from './templates/pipedrive-deal-asana-onboarding.json' with { type: 'json' };
import salesforceLeadTeamsAlert from './templates/salesforce-lead-teams-alert.json' with { type: 'json' };
import shopifyOrderSheetsSlack from './templates/shopify-order-sheets-slack.json' with { type: 'json' };
import slackReactionTrelloCard from './templates/slack-reaction-trello-card.json' with { type: 'json' };
import stripeFailedPaymentEmailCrmTask from './templates/stripe-failed-payment-email-crm-task.json' with { type: 'json' };
import stripePaymentQuickbooksInvoice from './templates/stripe-payment-quickbooks-invoice.json' with { type: 'json' };
import typeformNewsletterMailchimp from './templates/typeform-newsletter-mailchimp.json' with { type: 'json' };
import zendeskTicketSlackAlert from './templates/zendesk-ticket-slack-alert.json' with { type: 'json' };
import zoomRecordingTranscriptNotion from './templates/zoom-recording-transcript-notion.json' with { type: 'json' };

const kebab = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case kebab-case');

export const templateStepSchema = z.strictObject({
  stepId: kebab,
  service: kebab,
  action: kebab,
  /** Preset inputs; inputs of the action not listed here are mapped like generated steps. */
  inputs: z.record(z.string(), z.string()),
});

export const workflowTemplateSchema = z.strictObject({
  id: kebab,
  name: z.string().min(1).max(256),
  description: z.string().min(1),
  /** Words that say what the template is for ("failed", "dunning"), matched by stem. */
  keywords: z.array(z.string().min(1)).min(1),
  trigger: workflowTriggerSchema,
  steps: z.array(templateStepSchema).min(1),
});

export type TemplateStep = z.infer<typeof templateStepSchema>;
export type WorkflowTemplate = z.infer<typeof workflowTemplateSchema>;

export const TEMPLATE_MATCH_THRESHOLD = 0.75;

/** Validates template files; throws ValidationError naming each bad field or a duplicate id. */
export function buildTemplates(files: readonly unknown[]): WorkflowTemplate[] {
  const issues: FieldIssue[] = [];
  const out: WorkflowTemplate[] = [];
  const ids = new Set<string>();
  files.forEach((file, index) => {
    const parsed = workflowTemplateSchema.safeParse(file);
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        issues.push({ path: [`template[${index}]`, ...i.path.map(String)].join('.'), message: i.message });
      }
      return;
    }
    if (ids.has(parsed.data.id))
      issues.push({ path: `template[${index}].id`, message: 'duplicate template id' });
    ids.add(parsed.data.id);
    out.push(parsed.data);
  });
  if (issues.length > 0) throw new ValidationError('workflow templates', issues);
  return out;
}

let cached: readonly WorkflowTemplate[] | undefined;

/** The built-in templates (validated on first use). */
export function builtInTemplates(): readonly WorkflowTemplate[] {
  cached ??= buildTemplates([
    leadCaptureTypeformHubspotSlack,
    stripeFailedPaymentEmailCrmTask,
    githubIssueToJira,
    githubIssueToLinear,
    gmailAttachmentsDriveSheets,
    shopifyOrderSheetsSlack,
    calendlyBookingPipedriveDeal,
    zendeskTicketSlackAlert,
    typeformNewsletterMailchimp,
    googleFormsSheetsConfirmation,
    stripePaymentQuickbooksInvoice,
    hubspotDealWonSlack,
    slackReactionTrelloCard,
    gmailAiSummarySlack,
    zoomRecordingTranscriptNotion,
    intercomTicketToJira,
    pipedriveDealAsanaOnboarding,
    githubPrSlackReview,
    airtableRecordGmailNotify,
    salesforceLeadTeamsAlert,
  ]);
  return cached;
}

/** The services a template uses (trigger and steps). */
export function templateServices(template: WorkflowTemplate): Set<string> {
  return new Set([template.trigger.service, ...template.steps.map((s) => s.service)]);
}

export interface TemplateMatch {
  readonly template: WorkflowTemplate;
  /** 0..1; generation uses the template from TEMPLATE_MATCH_THRESHOLD up. */
  readonly score: number;
  readonly matchedKeywords: readonly string[];
}

export interface MatchOptions {
  readonly templates?: readonly WorkflowTemplate[];
  /** The service the description starts the workflow with, when known. */
  readonly triggerService?: string;
  /** The trigger event the description names, when its words chose one. */
  readonly triggerEvent?: string;
}

/** The best template for a description and its detected services, with its score (undefined: none share a service). */
export function matchTemplate(
  description: string,
  detectedServices: readonly (string | { readonly id: string })[],
  options: MatchOptions = {},
): TemplateMatch | undefined {
  const detected = new Set(detectedServices.map((s) => (typeof s === 'string' ? s : s.id)));
  const stems = new Set(tokenize(description).map((t) => stem(t.lower)));
  let best: TemplateMatch | undefined;
  for (const template of options.templates ?? builtInTemplates()) {
    const services = templateServices(template);
    let shared = 0;
    for (const s of services) if (detected.has(s)) shared++;
    if (shared === 0) continue;
    const jaccard = shared / (services.size + detected.size - shared);
    const matchedKeywords = template.keywords.filter((k) => {
      const words = tokenize(k).map((t) => stem(t.lower));
      return words.length > 0 && words.every((w) => stems.has(w));
    });
    const keywordShare = Math.min(1, matchedKeywords.length / Math.min(3, template.keywords.length));
    let score = jaccard * jaccard * (0.7 + 0.3 * keywordShare);
    const otherTrigger =
      (options.triggerService !== undefined && options.triggerService !== template.trigger.service) ||
      (options.triggerEvent !== undefined && options.triggerEvent !== template.trigger.event);
    if (otherTrigger) score *= 0.5;
    score = Math.round(score * 1000) / 1000;
    if (!best || score > best.score) best = { template, score, matchedKeywords };
  }
  return best;
}
