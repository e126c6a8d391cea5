// A seeded simulation of a workflow runtime: tenants own workflows, each a trigger plus steps
// that call real SaaS services with realistic latencies and failure modes (rate limits, expired
// tokens, timeouts, upstream 5xx, validation errors). Deterministic for a seed, so demos and
// benchmarks are repeatable. Produces execution events as the runtime would emit them.
import type { ExecutionEvent } from '../executionEvent.ts';
import { seededRandom } from '../seededRandom.ts';

interface FailureMode {
  readonly class: string;
  readonly code: string;
  readonly httpStatus: number | null;
  readonly message: string;
  readonly retryable: boolean;
  /** share of calls failing this way */
  readonly rate: number;
}

interface ServiceProfile {
  readonly id: string;
  readonly actions: readonly string[];
  /** median latency (ms) and log-normal spread */
  readonly medianMs: number;
  readonly spread: number;
  /** cost of one call, micro-USD */
  readonly costMicros: number;
  readonly failures: readonly FailureMode[];
}

const rateLimit = (code: string, message: string, rate: number, httpStatus = 429): FailureMode => ({
  class: 'rate_limit',
  code,
  httpStatus,
  message,
  retryable: true,
  rate,
});
const auth = (code: string, message: string, rate: number, httpStatus: number | null = 401): FailureMode => ({
  class: 'auth',
  code,
  httpStatus,
  message,
  retryable: false,
  rate,
});
const timeout = (rate: number): FailureMode => ({
  class: 'timeout',
  code: 'ETIMEDOUT',
  httpStatus: null,
  message: 'request timed out after 30000 ms',
  retryable: true,
  rate,
});
const upstream = (rate: number): FailureMode => ({
  class: 'upstream_5xx',
  code: 'service_unavailable',
  httpStatus: 503,
  message: 'Service Unavailable',
  retryable: true,
  rate,
});
const validation = (code: string, message: string, rate: number, httpStatus = 400): FailureMode => ({
  class: 'validation',
  code,
  httpStatus,
  message,
  retryable: false,
  rate,
});

export const simulatedServices: readonly ServiceProfile[] = [
  {
    id: 'slack',
    actions: ['chat.postMessage', 'conversations.history'],
    medianMs: 180,
    spread: 0.5,
    costMicros: 0,
    failures: [
      rateLimit('ratelimited', 'Slack API: ratelimited (Retry-After: 30)', 0.03),
      auth('token_expired', 'Slack API: token_expired', 0.004, 200),
    ],
  },
  {
    id: 'gmail',
    actions: ['messages.send', 'messages.list'],
    medianMs: 320,
    spread: 0.6,
    costMicros: 0,
    failures: [
      rateLimit('userRateLimitExceeded', 'User-rate limit exceeded', 0.01, 403),
      auth('invalid_grant', 'Token has been expired or revoked.', 0.005, 400),
    ],
  },
  {
    id: 'google-sheets',
    actions: ['values.append', 'values.get'],
    medianMs: 420,
    spread: 0.6,
    costMicros: 0,
    failures: [
      rateLimit(
        'RATE_LIMIT_EXCEEDED',
        'Quota exceeded for quota metric Write requests per minute per user',
        0.02,
      ),
    ],
  },
  {
    id: 'google-drive',
    actions: ['files.create', 'files.list'],
    medianMs: 380,
    spread: 0.7,
    costMicros: 0,
    failures: [upstream(0.004)],
  },
  {
    id: 'google-calendar',
    actions: ['events.insert'],
    medianMs: 260,
    spread: 0.5,
    costMicros: 0,
    failures: [],
  },
  {
    id: 'salesforce',
    actions: ['sobjects.Lead.create', 'query'],
    medianMs: 650,
    spread: 0.7,
    costMicros: 0,
    failures: [
      {
        class: 'quota',
        code: 'REQUEST_LIMIT_EXCEEDED',
        httpStatus: 403,
        message: 'TotalRequests Limit exceeded.',
        retryable: false,
        rate: 0.002,
      },
      auth('INVALID_SESSION_ID', 'Session expired or invalid', 0.003),
    ],
  },
  {
    id: 'hubspot',
    actions: ['crm.contacts.create', 'crm.deals.update'],
    medianMs: 300,
    spread: 0.6,
    costMicros: 0,
    failures: [rateLimit('RATE_LIMIT', 'You have reached your ten_secondly_rolling limit.', 0.015)],
  },
  { id: 'pipedrive', actions: ['deals.add'], medianMs: 280, spread: 0.5, costMicros: 0, failures: [] },
  {
    id: 'stripe',
    actions: ['charges.create', 'invoices.list'],
    medianMs: 350,
    spread: 0.5,
    costMicros: 0,
    failures: [
      validation('card_declined', 'Your card was declined.', 0.02, 402),
      rateLimit('rate_limit', 'Too many requests hit the API too quickly.', 0.002),
    ],
  },
  {
    id: 'shopify',
    actions: ['orders.get', 'products.update'],
    medianMs: 240,
    spread: 0.5,
    costMicros: 0,
    failures: [rateLimit('throttled', 'Exceeded 2 calls per second for api client.', 0.02)],
  },
  {
    id: 'quickbooks',
    actions: ['invoice.create'],
    medianMs: 700,
    spread: 0.6,
    costMicros: 0,
    failures: [auth('AuthenticationFailed', 'Token expired', 0.004)],
  },
  {
    id: 'xero',
    actions: ['invoices.create'],
    medianMs: 600,
    spread: 0.6,
    costMicros: 0,
    failures: [rateLimit('rate_limit_exceeded', 'Minute limit exceeded', 0.01)],
  },
  {
    id: 'github',
    actions: ['issues.create', 'pulls.list'],
    medianMs: 230,
    spread: 0.5,
    costMicros: 0,
    failures: [rateLimit('secondary_rate_limit', 'You have exceeded a secondary rate limit.', 0.005, 403)],
  },
  {
    id: 'jira',
    actions: ['issue.create', 'issue.transition'],
    medianMs: 520,
    spread: 0.6,
    costMicros: 0,
    failures: [validation('INVALID_INPUT', "Field 'priority' cannot be set.", 0.01)],
  },
  { id: 'linear', actions: ['issueCreate'], medianMs: 210, spread: 0.4, costMicros: 0, failures: [] },
  { id: 'asana', actions: ['tasks.create'], medianMs: 330, spread: 0.5, costMicros: 0, failures: [] },
  { id: 'trello', actions: ['cards.create'], medianMs: 260, spread: 0.5, costMicros: 0, failures: [] },
  {
    id: 'notion',
    actions: ['pages.create', 'databases.query'],
    medianMs: 480,
    spread: 0.7,
    costMicros: 0,
    failures: [rateLimit('rate_limited', 'Rate limited', 0.01), upstream(0.005)],
  },
  {
    id: 'airtable',
    actions: ['records.create'],
    medianMs: 300,
    spread: 0.5,
    costMicros: 0,
    failures: [rateLimit('RATE_LIMIT_REACHED', 'Rate limit exceeded (5 requests per second)', 0.02)],
  },
  {
    id: 'microsoft-teams',
    actions: ['chatMessage.send'],
    medianMs: 400,
    spread: 0.6,
    costMicros: 0,
    failures: [rateLimit('TooManyRequests', 'Application is over its MailboxConcurrency limit.', 0.01)],
  },
  {
    id: 'microsoft-outlook',
    actions: ['sendMail'],
    medianMs: 450,
    spread: 0.6,
    costMicros: 0,
    failures: [auth('InvalidAuthenticationToken', 'Access token has expired or is not yet valid.', 0.004)],
  },
  { id: 'zendesk', actions: ['tickets.create'], medianMs: 380, spread: 0.5, costMicros: 0, failures: [] },
  {
    id: 'intercom',
    actions: ['conversations.reply'],
    medianMs: 350,
    spread: 0.5,
    costMicros: 0,
    failures: [],
  },
  {
    id: 'twilio',
    actions: ['messages.create'],
    medianMs: 290,
    spread: 0.4,
    costMicros: 7900,
    failures: [validation('21211', "The 'To' number is not a valid phone number.", 0.01)],
  },
  { id: 'sendgrid', actions: ['mail.send'], medianMs: 210, spread: 0.4, costMicros: 100, failures: [] },
  {
    id: 'mailchimp',
    actions: ['lists.members.add'],
    medianMs: 340,
    spread: 0.5,
    costMicros: 0,
    failures: [validation('Member Exists', 'is already a list member', 0.02)],
  },
  {
    id: 'openai',
    actions: ['chat.completions', 'embeddings'],
    medianMs: 1900,
    spread: 0.8,
    costMicros: 2400,
    failures: [
      rateLimit(
        'rate_limit_exceeded',
        'Rate limit reached for gpt-4o-mini in organization on requests per min (RPM)',
        0.02,
      ),
      timeout(0.01),
    ],
  },
  {
    id: 'anthropic',
    actions: ['messages.create'],
    medianMs: 2300,
    spread: 0.7,
    costMicros: 3100,
    failures: [
      {
        class: 'upstream_5xx',
        code: 'overloaded_error',
        httpStatus: 529,
        message: 'Overloaded',
        retryable: true,
        rate: 0.01,
      },
    ],
  },
  {
    id: 'dropbox',
    actions: ['files.upload'],
    medianMs: 700,
    spread: 0.7,
    costMicros: 0,
    failures: [
      {
        class: 'payload_too_large',
        code: 'payload_too_large',
        httpStatus: 413,
        message: 'Request body too large',
        retryable: false,
        rate: 0.003,
      },
    ],
  },
  {
    id: 'aws-s3',
    actions: ['PutObject'],
    medianMs: 120,
    spread: 0.5,
    costMicros: 5,
    failures: [rateLimit('SlowDown', 'Please reduce your request rate.', 0.002, 503)],
  },
  { id: 'zoom', actions: ['meetings.create'], medianMs: 420, spread: 0.5, costMicros: 0, failures: [] },
  {
    id: 'discord',
    actions: ['channels.messages.create'],
    medianMs: 190,
    spread: 0.5,
    costMicros: 0,
    failures: [rateLimit('429', 'You are being rate limited.', 0.01)],
  },
];

export interface SimulatedWorkflow {
  readonly tenantId: string;
  readonly workflowId: string;
  readonly userId: string;
  readonly version: number;
  readonly steps: readonly { stepId: string; service: ServiceProfile; action: string }[];
  /** relative frequency of runs */
  readonly weight: number;
}

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

function logNormal(median: number, spread: number, random: () => number): number {
  const u = Math.max(random(), 1e-9);
  const v = random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.max(1, Math.round(median * Math.exp(spread * z)));
}

export function simulateWorkflows(options: {
  tenants: number;
  workflows: number;
  seed: number;
}): SimulatedWorkflow[] {
  const random = seededRandom(options.seed);
  const tenantNames = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka'];
  return Array.from({ length: options.workflows }, (_, i) => {
    const tenant = tenantNames[i % Math.min(options.tenants, tenantNames.length)] ?? 'acme';
    const stepCount = 2 + Math.floor(random() * 4);
    const steps = Array.from({ length: stepCount }, (_, s) => {
      const service = pick(simulatedServices, random);
      return { stepId: `step-${s + 1}-${service.id}`, service, action: pick(service.actions, random) };
    });
    return {
      tenantId: tenant,
      workflowId: `wf-${tenant}-${String(i + 1).padStart(3, '0')}`,
      userId: `user-${tenant}-${1 + Math.floor(random() * 5)}`,
      version: 1 + Math.floor(random() * 3),
      steps,
      weight: 0.2 + random() * 2,
    };
  });
}

/** The run-level fields every event of one execution shares. */
export type RunBase = Pick<
  ExecutionEvent,
  'tenantId' | 'userId' | 'workflowId' | 'workflowVersion' | 'executionId' | 'attributes'
>;

/** One event of a simulated run: the run's fields, no step, and whatever `partial` says. */
export function runEvent(
  base: RunBase,
  eventId: string,
  occurredAt: number,
  partial: Partial<ExecutionEvent> & Pick<ExecutionEvent, 'type'>,
): ExecutionEvent {
  return {
    ...base,
    eventId,
    occurredAt,
    stepId: null,
    service: null,
    action: null,
    attempt: 1,
    durationMs: null,
    costMicros: null,
    error: null,
    ...partial,
  };
}

/**
 * Runs one execution of a workflow starting at `startMs`: WORKFLOW_STARTED, then per step
 * STEP_STARTED and STEP_COMPLETED, or STEP_FAILED followed by retries for retryable failures,
 * and WORKFLOW_COMPLETED/FAILED. Event ids are unique per (run, sequence).
 */
export function simulateExecution(
  workflow: SimulatedWorkflow,
  runId: string,
  startMs: number,
  random: () => number,
): ExecutionEvent[] {
  const events: ExecutionEvent[] = [];
  let clock = startMs;
  let seq = 0;
  const base = {
    tenantId: workflow.tenantId,
    userId: workflow.userId,
    workflowId: workflow.workflowId,
    workflowVersion: workflow.version,
    executionId: runId,
    attributes: {},
  };
  const emit = (partial: Partial<ExecutionEvent> & Pick<ExecutionEvent, 'type'>): void => {
    events.push(runEvent(base, `${runId}-${seq++}`, clock, partial));
  };
  emit({ type: 'WORKFLOW_STARTED' });
  let totalCost = 0;
  let failed: ExecutionEvent['error'] = null;
  for (const step of workflow.steps) {
    let attempt = 1;
    for (;;) {
      const stepFields = { stepId: step.stepId, service: step.service.id, action: step.action, attempt };
      emit({ type: 'STEP_STARTED', ...stepFields });
      const durationMs = logNormal(step.service.medianMs, step.service.spread, random);
      clock += durationMs;
      const roll = random();
      let acc = 0;
      const failure = step.service.failures.find((f) => (acc += f.rate) > roll);
      if (failure === undefined) {
        totalCost += step.service.costMicros;
        emit({ type: 'STEP_COMPLETED', ...stepFields, durationMs, costMicros: step.service.costMicros });
        break;
      }
      const error = {
        class: failure.class,
        code: failure.code,
        httpStatus: failure.httpStatus,
        message: failure.message,
        retryable: failure.retryable,
      };
      emit({ type: 'STEP_FAILED', ...stepFields, durationMs, error });
      if (!failure.retryable || attempt >= 3) {
        failed = error;
        break;
      }
      attempt++;
      clock += 1000 * 2 ** attempt;
      emit({ type: 'STEP_RETRIED', ...stepFields, attempt });
    }
    if (failed !== null) break;
  }
  const durationMs = clock - startMs;
  if (failed === null) emit({ type: 'WORKFLOW_COMPLETED', durationMs, costMicros: totalCost });
  else emit({ type: 'WORKFLOW_FAILED', durationMs, costMicros: totalCost, error: failed });
  return events;
}
