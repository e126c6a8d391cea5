// Workflow generation: a natural-language description, the user's context and live per-service
// reliability -> a validated workflow definition tuned by strategy, or the questions to ask first.
//
// 1. Detect services. Weak implications ("email" could be Gmail or Outlook) are grouped by role;
//    a group is resolved by the user's history (the service they used most: "email" -> their
//    Outlook) or by services they picked (`selectedServices`), else returned as a clarification:
//    generation does not guess.
// 2. Plan the trigger and the steps from the text (./planSteps.ts), or start from a template
//    when one fits (score >= TEMPLATE_MATCH_THRESHOLD): version 1, createdFrom "template".
// 3. Map inputs from earlier outputs (./inputMapping.ts).
// 4. Settings per step by strategy and live reliability (./strategyPolicy.ts), fallbacks and
//    cost suggestions from same-category services with observed stats.
// 5. Predict success rate, cost and p95 with the evidence used (./predictWorkflow.ts).
// The result passes workflowDefinitionSchema (parsed before it is returned). Pure: ids and time
// come from the request.
import { z } from 'zod';
import { ValidationError } from '../../errors.ts';
import { detectServices, type DetectedService, type ServiceCandidate } from '../services/detectServices.ts';
import {
  defaultCatalog,
  type Operation,
  type Service,
  type ServiceCatalog,
} from '../services/serviceCatalog.ts';
import { mapInputs, type Producer } from './inputMapping.ts';
import { actionOutputs, actionVerb, triggerOutputs } from './operationVocabulary.ts';
import {
  planWorkflow,
  SCHEDULE_SERVICE,
  WEBHOOK_SERVICE,
  type ChosenService,
  type PlannedTrigger,
} from './planSteps.ts';
import { predictWorkflow, type StepForecast } from './predictWorkflow.ts';
import {
  assessReliability,
  type ReliabilityAssessment,
  type ServiceReliability,
} from './serviceReliability.ts';
import {
  alternativesFor,
  chooseFallback,
  costSuggestions,
  stepSettings,
  strategyRule,
  type CostSuggestion,
} from './strategyPolicy.ts';
import {
  parseWorkflowDefinition,
  strategies,
  type Evidence,
  type Strategy,
  type WorkflowDefinition,
  type WorkflowStep,
} from './workflowDefinition.ts';
import {
  builtInTemplates,
  matchTemplate,
  TEMPLATE_MATCH_THRESHOLD,
  type TemplateMatch,
  type WorkflowTemplate,
} from './workflowTemplates.ts';

export const generationRequestSchema = z.strictObject({
  description: z.string().trim().min(1).max(8192),
  tenantId: z.string().min(1).max(256),
  userId: z.string().min(1).max(256),
  strategy: z.enum(strategies),
  workflowId: z.string().min(1).max(256),
  /** Epoch ms; decides whether reliability stats are fresh enough to act on. */
  now: z.number().int().nonnegative(),
  /** Services the user picked in answer to clarifications. */
  selectedServices: z.array(z.string()).optional(),
});

export type GenerationRequest = z.input<typeof generationRequestSchema>;

export interface PreviousWorkflow {
  readonly workflowId: string;
  readonly name?: string;
  readonly services: readonly string[];
}

export interface UserHistory {
  /** Services the user used before, with how often (runs, connections or steps built). */
  readonly services: ReadonlyMap<string, number>;
  readonly previousWorkflows: readonly PreviousWorkflow[];
}

export interface GenerationContext {
  readonly catalog?: ServiceCatalog;
  /** Live stats by service id (the metrics pipeline's rolling window). */
  readonly reliability: ReadonlyMap<string, ServiceReliability>;
  readonly userHistory?: UserHistory;
  readonly templates?: readonly WorkflowTemplate[];
}

export interface ClarificationOption {
  readonly id: string;
  readonly name: string;
  readonly confidence: number;
  /** How often the user used it before (0 when never). */
  readonly usedBefore: number;
}

export interface Clarification {
  /** What is unclear: a role ("email"), "services" (none found) or "action" (nothing to do). */
  readonly id: string;
  readonly question: string;
  /** The words of the description that raised it. */
  readonly terms: readonly string[];
  readonly options: readonly ClarificationOption[];
}

export interface ResolvedService {
  readonly id: string;
  readonly name: string;
  readonly source: 'detected' | 'history' | 'selected';
  readonly confidence: number;
}

export interface MissingInput {
  readonly stepId: string;
  readonly input: string;
}

export type GenerationResult =
  | {
      readonly status: 'generated';
      readonly workflow: WorkflowDefinition;
      readonly rationale: readonly string[];
      readonly suggestions: readonly CostSuggestion[];
      /** Inputs no earlier output fills: configuration to ask for (channel, documentId, ...). */
      readonly missingInputs: readonly MissingInput[];
      readonly services: readonly ResolvedService[];
      readonly template: { readonly id: string; readonly score: number } | null;
    }
  | {
      readonly status: 'needs_clarification';
      readonly clarifications: readonly Clarification[];
      readonly rationale: readonly string[];
      readonly services: readonly ResolvedService[];
    };

const EMPTY_HISTORY: UserHistory = { services: new Map(), previousWorkflows: [] };

function usageCounter(history: UserHistory): (id: string) => number {
  const counts = new Map<string, number>();
  for (const [id, n] of history.services) counts.set(id, (counts.get(id) ?? 0) + Math.max(0, n));
  for (const wf of history.previousWorkflows) {
    for (const id of new Set(wf.services)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return (id) => counts.get(id) ?? 0;
}

interface Resolution {
  readonly chosen: ChosenService[];
  readonly resolved: ResolvedService[];
  readonly clarifications: Clarification[];
  readonly rationale: string[];
}

/**
 * Detected services plus selected ones; candidate groups (one per role) resolved by history or
 * selection, else turned into clarifications.
 */
function resolveServices(
  description: string,
  catalog: ServiceCatalog,
  selected: readonly string[],
  used: (id: string) => number,
  history: UserHistory,
): Resolution {
  const detection = detectServices(description, catalog, { explain: true, maxCandidates: 8 });
  const chosen: ChosenService[] = [];
  const resolved: ResolvedService[] = [];
  const rationale: string[] = [];
  const add = (s: DetectedService, source: ResolvedService['source'], terms?: readonly string[]): void => {
    if (chosen.some((c) => c.id === s.id)) return;
    chosen.push(terms ? { id: s.id, terms } : { id: s.id });
    resolved.push({ id: s.id, name: s.name, source, confidence: s.confidence });
  };
  // An implied service ("text me" -> Twilio) is a guess for a role: it is offered like a candidate,
  // resolved by history or asked about, never taken as named.
  for (const s of detection.services) if (s.implied !== true) add(s, 'detected');
  const impliedCandidates: ServiceCandidate[] = [
    ...detection.services.filter((s) => s.implied === true),
    ...(detection.implied ?? []),
  ].map((s) => ({ id: s.id, name: s.name, confidence: s.confidence, terms: [s.role ?? s.id] }));
  for (const id of selected) {
    const s = catalog.byId.get(id);
    if (s) add({ id, name: s.name, confidence: 1 }, 'selected');
  }
  if (resolved.length > 0) {
    rationale.push(
      `services: ${resolved.map((r) => `${r.id} (${r.source === 'selected' ? 'selected' : r.confidence.toFixed(2)})`).join(', ')}`,
    );
  }
  const filled = new Set(chosen.flatMap((c) => catalog.byId.get(c.id)?.roles ?? []));
  const groups = new Map<string, ServiceCandidate[]>();
  for (const c of [...impliedCandidates, ...(detection.candidates ?? [])]) {
    if (chosen.some((x) => x.id === c.id)) continue;
    const roles = catalog.byId.get(c.id)?.roles ?? [];
    const key = roles.find((r) => groups.has(r)) ?? roles[0] ?? c.id;
    if (filled.has(key)) continue;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const clarifications: Clarification[] = [];
  for (const [role, candidates] of groups) {
    const terms = [...new Set(candidates.flatMap((c) => c.terms))];
    const options: ClarificationOption[] = candidates.map((c) => ({
      id: c.id,
      name: c.name,
      confidence: c.confidence,
      usedBefore: used(c.id),
    }));
    // Services the user already uses in the same role are options too ("email" -> their SendGrid).
    for (const id of new Set([
      ...history.services.keys(),
      ...history.previousWorkflows.flatMap((w) => w.services),
    ])) {
      const s = catalog.byId.get(id);
      if (!s || options.some((o) => o.id === id) || !(s.roles ?? []).includes(role)) continue;
      options.push({ id, name: s.name, confidence: 0, usedBefore: used(id) });
    }
    options.sort(
      (a, b) => b.usedBefore - a.usedBefore || b.confidence - a.confidence || a.id.localeCompare(b.id),
    );
    const pick = options[0];
    if (pick && pick.usedBefore > 0) {
      add({ id: pick.id, name: pick.name, confidence: pick.confidence }, 'history', terms);
      rationale.push(
        `"${terms.join('", "')}" -> ${pick.name}: you used it ${pick.usedBefore} times ` +
          `(candidates: ${options.map((o) => `${o.id} ${o.confidence.toFixed(2)}`).join(', ')})`,
      );
    } else {
      clarifications.push({
        id: role,
        question: `Which ${role} service do you mean by "${terms.join('", "')}"?`,
        terms,
        options,
      });
    }
  }
  return { chosen, resolved, clarifications, rationale };
}

function operation(
  service: Service | undefined,
  id: string,
  kind: 'triggers' | 'actions',
): Operation | undefined {
  return service?.[kind].find((o) => o.id === id);
}

function triggerLabel(
  trigger: PlannedTrigger | WorkflowTemplate['trigger'],
  catalog: ServiceCatalog,
): string {
  if (trigger.service === SCHEDULE_SERVICE) return `Schedule ${trigger.config.cron ?? ''}`.trim();
  if (trigger.service === WEBHOOK_SERVICE) return 'Webhook';
  const service = catalog.byId.get(trigger.service);
  const op = operation(service, trigger.event, 'triggers');
  // "Stripe: invoice.payment_failed" says more than the generic "Stripe event (...)".
  const events = trigger.config.events;
  return `${service?.name ?? trigger.service}: ${events !== undefined && events !== '' ? events : (op?.name ?? trigger.event)}`;
}

function triggerFields(
  trigger: PlannedTrigger | WorkflowTemplate['trigger'],
  catalog: ServiceCatalog,
): string[] {
  if (trigger.service === SCHEDULE_SERVICE) return ['timestamp'];
  if (trigger.service === WEBHOOK_SERVICE) return ['body', 'headers', 'query'];
  const service = catalog.byId.get(trigger.service);
  const op = operation(service, trigger.event, 'triggers');
  return op ? triggerOutputs(service, op) : ['data'];
}

interface StepDraft {
  readonly stepId: string;
  readonly service: string;
  readonly action: string;
  readonly preset: Readonly<Record<string, string>>;
}

function stepIdsFor(drafts: readonly { service: string; action: string }[]): string[] {
  const ids: string[] = [];
  for (const d of drafts) {
    const base = `${d.service}-${d.action}`.slice(0, 120).replace(/-+$/, '');
    let id = base;
    for (let n = 2; ids.includes(id); n++) id = `${base}-${n}`;
    ids.push(id);
  }
  return ids;
}

/** Generates a workflow (or the clarifications needed first). Throws ValidationError on a malformed request. */
export function generateWorkflow(request: GenerationRequest, context: GenerationContext): GenerationResult {
  const parsed = generationRequestSchema.safeParse(request);
  if (!parsed.success) {
    throw new ValidationError(
      'generation request',
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
  const req = parsed.data;
  const catalog = context.catalog ?? defaultCatalog();
  const history = context.userHistory ?? EMPTY_HISTORY;
  const used = usageCounter(history);
  const unknownSelected = (req.selectedServices ?? []).filter((id) => !catalog.byId.has(id));
  if (unknownSelected.length > 0) {
    throw new ValidationError(
      'generation request',
      unknownSelected.map((id) => ({ path: 'selectedServices', message: `unknown service "${id}"` })),
    );
  }

  const resolution = resolveServices(req.description, catalog, req.selectedServices ?? [], used, history);
  const rationale = [...resolution.rationale];
  if (resolution.clarifications.length > 0) {
    return {
      status: 'needs_clarification',
      clarifications: resolution.clarifications,
      rationale: [...rationale, 'some services are only implied; asking instead of guessing'],
      services: resolution.resolved,
    };
  }
  if (resolution.chosen.length === 0) {
    const options = [
      ...new Set([...history.services.keys(), ...history.previousWorkflows.flatMap((w) => w.services)]),
    ]
      .filter((id) => catalog.byId.has(id))
      .sort((a, b) => used(b) - used(a) || a.localeCompare(b))
      .slice(0, 5)
      .map((id) => ({ id, name: catalog.byId.get(id)?.name ?? id, confidence: 0, usedBefore: used(id) }));
    return {
      status: 'needs_clarification',
      clarifications: [
        { id: 'services', question: 'Which apps should this workflow connect?', terms: [], options },
      ],
      rationale: [...rationale, 'no service named or implied in the description'],
      services: [],
    };
  }

  // Plan from the text; a fitting template replaces the plan.
  const plan = planWorkflow(req.description, resolution.chosen, catalog, req.workflowId);
  const textTrigger = catalog.byId.has(plan.trigger.service) ? plan.trigger.service : undefined;
  const match: TemplateMatch | undefined = matchTemplate(
    req.description,
    resolution.chosen.map((c) => c.id),
    {
      templates: context.templates ?? builtInTemplates(),
      ...(textTrigger ? { triggerService: textTrigger } : {}),
      ...(textTrigger && plan.trigger.eventFromText ? { triggerEvent: plan.trigger.event } : {}),
    },
  );
  const useTemplate = match !== undefined && match.score >= TEMPLATE_MATCH_THRESHOLD;
  let trigger: PlannedTrigger | WorkflowTemplate['trigger'];
  let drafts: StepDraft[];
  if (useTemplate) {
    trigger = match.template.trigger;
    drafts = match.template.steps.map((s) => ({
      stepId: s.stepId,
      service: s.service,
      action: s.action,
      preset: s.inputs,
    }));
    rationale.push(
      `template ${match.template.id} (score ${match.score.toFixed(2)} >= ${TEMPLATE_MATCH_THRESHOLD}; ` +
        `keywords: ${match.matchedKeywords.join(', ') || 'none'})`,
    );
  } else {
    trigger = plan.trigger;
    const ids = stepIdsFor(plan.steps);
    drafts = plan.steps.map((s, i) => ({
      stepId: ids[i] ?? s.action,
      service: s.service,
      action: s.action,
      preset: {},
    }));
    if (match) {
      rationale.push(
        `closest template ${match.template.id} scored ${match.score.toFixed(2)} (< ${TEMPLATE_MATCH_THRESHOLD}); generated from the text`,
      );
    }
    rationale.push(plan.trigger.reason, ...plan.steps.map((s) => `step: ${s.reason}`));
  }
  if (drafts.length === 0) {
    return {
      status: 'needs_clarification',
      clarifications: [
        {
          id: 'action',
          question: `What should happen after "${triggerLabel(trigger, catalog)}"?`,
          terms: [],
          options: [],
        },
      ],
      rationale: [...rationale, 'the description names a trigger but nothing to do'],
      services: resolution.resolved,
    };
  }

  // Settings, fallbacks, inputs.
  rationale.push(strategyRule(req.strategy));
  const assessments = new Map<string, ReliabilityAssessment>();
  const assess = (id: string): ReliabilityAssessment => {
    let a = assessments.get(id);
    if (!a) {
      a = assessReliability(id, catalog.byId.get(id), context.reliability.get(id), req.now);
      assessments.set(id, a);
    }
    return a;
  };
  const observedServices = [...context.reliability.keys()]
    .map((id) => catalog.byId.get(id))
    .filter((s): s is Service => s !== undefined);
  const producers: Producer[] = [
    { ref: 'trigger', fields: triggerFields(trigger, catalog), label: triggerLabel(trigger, catalog) },
  ];
  const steps: WorkflowStep[] = [];
  const forecasts: StepForecast[] = [];
  const evidence: Evidence[] = [];
  const suggestions: CostSuggestion[] = [];
  const missingInputs: MissingInput[] = [];
  for (const draft of drafts) {
    const service = catalog.byId.get(draft.service);
    const op = operation(service, draft.action, 'actions');
    const a = assess(draft.service);
    const settings = stepSettings(req.strategy, draft.service, op, a);
    rationale.push(...settings.notes);
    evidence.push(...a.evidence);
    const inputNames = [...new Set([...(op?.inputs ?? []), ...Object.keys(draft.preset)])];
    const verb = op ? actionVerb(op) : 'other';
    const mapped = mapInputs(inputNames, producers, {
      isMessage: verb === 'send' || verb === 'reply' || verb === 'comment',
      preset: draft.preset,
    });
    for (const input of mapped.missing) missingInputs.push({ stepId: draft.stepId, input });
    let fallback: { service: string; action: string } | undefined;
    let fallbackAssessment: ReliabilityAssessment | undefined;
    if (service && op) {
      const alternatives = alternativesFor(service, op, observedServices, (s) => assess(s.id), used);
      const choice = chooseFallback(req.strategy, a, alternatives);
      if (choice) {
        fallback = { service: choice.service, action: choice.action };
        fallbackAssessment = assess(choice.service);
        rationale.push(choice.note);
        evidence.push(choice.evidence);
      }
      if (req.strategy === 'cost')
        suggestions.push(...costSuggestions(draft.stepId, service, op, a, alternatives));
    }
    steps.push({
      stepId: draft.stepId,
      service: draft.service,
      action: draft.action,
      inputs: mapped.inputs,
      retry: settings.retry,
      concurrency: settings.concurrency,
      batchSize: settings.batchSize,
      timeoutMs: settings.timeoutMs,
      ...(fallback ? { fallback } : {}),
    });
    forecasts.push({
      stepId: draft.stepId,
      retry: settings.retry,
      batchSize: settings.batchSize,
      assessment: a,
      ...(fallbackAssessment ? { fallback: fallbackAssessment } : {}),
    });
    producers.push({
      ref: `steps.${draft.stepId}.output`,
      fields: op ? actionOutputs(op) : ['id'],
      label: `${service?.name ?? draft.service}: ${op?.name ?? draft.action}`,
    });
  }
  const unknown = [...assessments.values()].filter((x) => x.status === 'no_data').map((x) => x.service);
  if (unknown.length > 0) rationale.push(`no live data for ${unknown.join(', ')}: catalog defaults used`);
  for (const s of suggestions) rationale.push(`suggestion: ${s.message}`);

  const prediction = predictWorkflow(forecasts, evidence);
  rationale.push(
    `prediction: ${(prediction.successRate * 100).toFixed(2)}% of runs succeed, ` +
      `${prediction.costPerRunMicros} micro-$ per run, p95 ${prediction.p95Ms} ms`,
  );
  const name = useTemplate
    ? match.template.name
    : [triggerLabel(trigger, catalog), ...drafts.map((d, i) => producers[i + 1]?.label ?? d.action)].join(
        ' → ',
      );
  const workflow = parseWorkflowDefinition({
    workflowId: req.workflowId,
    tenantId: req.tenantId,
    name: name.length > 256 ? `${name.slice(0, 255)}…` : name,
    description: req.description,
    version: 1,
    trigger: { service: trigger.service, event: trigger.event, config: { ...trigger.config } },
    steps,
    strategy: req.strategy satisfies Strategy,
    prediction,
    createdFrom: useTemplate ? 'template' : 'generated',
  });
  return {
    status: 'generated',
    workflow,
    rationale,
    suggestions,
    missingInputs,
    services: resolution.resolved,
    template: useTemplate ? { id: match.template.id, score: match.score } : null,
  };
}
