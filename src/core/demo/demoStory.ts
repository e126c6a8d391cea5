// What `pulse demo` tells: five tenants whose workflows are generated from sentences, a few days of
// their history, then a time-lapse of the last minutes up to now in which three things go wrong —
// a Slack rate-limit storm across one tenant's workflows, an expired Gmail OAuth token in another,
// and a version that makes a third tenant's busiest workflow slow — until the event clock has
// caught up with the wall clock and the runtime goes on in real time.
//
// Event time never runs ahead of the wall clock: the time-lapse starts `lagMs` behind it and runs
// `speed` times faster until it meets it. Detectors need minutes of event time to open and resolve
// an insight (k of n minutes), which is why the story is told in event time, not seconds.

const MINUTE = 60_000;

export interface DemoWorkflowSpec {
  readonly tenantId: string;
  /** Stable id, given to the generate command so that the definition and the runs agree. */
  readonly workflowId: string;
  readonly description: string;
  /** Runs a minute at the daily mean (the hour of day scales it, never below one a minute). */
  readonly runsPerMinute: number;
}

/** Something that goes wrong, from `fromMin` to `toMin` minutes after the time-lapse starts. */
export type DemoIncident =
  | {
      readonly kind: 'rate_limit_storm';
      readonly tenantId: string;
      readonly service: string;
      /** Share of the service's calls answered 429 meanwhile. */
      readonly failShare: number;
      readonly fromMin: number;
      readonly toMin: number;
    }
  | {
      readonly kind: 'token_expired';
      readonly tenantId: string;
      readonly service: string;
      readonly fromMin: number;
      /** The user re-authorises the connection. */
      readonly toMin: number;
    }
  | {
      readonly kind: 'slow_version';
      readonly tenantId: string;
      readonly workflowId: string;
      /** A version is published with this step changed; its calls take `factor` times longer. */
      readonly service: string;
      readonly factor: number;
      readonly fromMin: number;
      /** Rolled back at the latest then, if the latency insight has not made the demo do it earlier. */
      readonly toMin: number;
    };

export interface DemoStory {
  readonly workflows: readonly DemoWorkflowSpec[];
  readonly incidents: readonly DemoIncident[];
  /** The workflow whose 7-day load is forecast, and the sentence generated while the story runs. */
  readonly forecastWorkflow: { readonly tenantId: string; readonly workflowId: string };
  readonly liveGeneration: { readonly tenantId: string; readonly description: string };
}

const wf = (
  tenantId: string,
  name: string,
  runsPerMinute: number,
  description: string,
): DemoWorkflowSpec => ({ tenantId, workflowId: `wf-${tenantId}-${name}`, description, runsPerMinute });

/** The demo's tenants and workflows; `tag` keeps workflow ids apart between runs. */
export function demoStory(tag = ''): DemoStory {
  const suffix = tag === '' ? '' : `-${tag}`;
  const workflows = [
    wf('acme', 'leads', 1, 'When a Typeform lead comes in, create a HubSpot contact and post to Slack'),
    wf('acme', 'issues', 1, 'When a GitHub issue is opened, create a Jira ticket and notify Slack'),
    wf(
      'acme',
      'orders',
      1,
      'When a new Shopify order arrives, add a row to Google Sheets and send a Slack message',
    ),
    wf(
      'acme',
      'tickets',
      1,
      'When a Zendesk ticket is created, summarize it with OpenAI and post it to Slack',
    ),
    wf('globex', 'bookings', 1, 'When a Calendly meeting is booked, send a confirmation email with Gmail'),
    wf(
      'globex',
      'deals',
      1,
      'When a HubSpot deal closes, send a thank-you email with Gmail and create a Trello card',
    ),
    wf('globex', 'receipts', 1, 'When a Stripe invoice is paid, email the receipt with Gmail'),
    wf(
      'initech',
      'lead-routing',
      4,
      'When a new Salesforce lead is created, create a HubSpot contact and post to Microsoft Teams',
    ),
    wf('initech', 'releases', 1, 'When a Jira issue is resolved, post it to Microsoft Teams'),
    wf('umbrella', 'files', 1, 'When a Dropbox file is uploaded, copy it to Google Drive'),
    wf('hooli', 'invoices', 1, 'When a Pipedrive deal is won, create a QuickBooks invoice'),
  ].map((w) => ({ ...w, workflowId: `${w.workflowId}${suffix}` }));
  const regression = workflows.find((w) => w.tenantId === 'initech');
  if (regression === undefined) throw new RangeError('the story needs an initech workflow');
  return {
    workflows,
    incidents: [
      {
        kind: 'rate_limit_storm',
        tenantId: 'acme',
        service: 'slack',
        failShare: 0.95,
        fromMin: 2,
        toMin: 7,
      },
      { kind: 'token_expired', tenantId: 'globex', service: 'gmail', fromMin: 4, toMin: 10 },
      {
        kind: 'slow_version',
        tenantId: 'initech',
        workflowId: regression.workflowId,
        service: 'hubspot',
        factor: 4,
        fromMin: 3,
        toMin: 16,
      },
    ],
    forecastWorkflow: { tenantId: regression.tenantId, workflowId: regression.workflowId },
    liveGeneration: {
      tenantId: 'acme',
      description: 'When a Stripe payment fails, post the customer and amount to Slack',
    },
  };
}

/** Hour-of-day load profile: busiest at 15:00 UTC, quietest at 03:00, mean 1. */
export function hourlyLoadFactor(atMs: number): number {
  const hour = (atMs % 86_400_000) / 3_600_000;
  return 1 + 0.4 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
}

/** Runs a workflow starts in the minute beginning at `minuteStart`: at least one. */
export function runsInMinute(spec: DemoWorkflowSpec, minuteStart: number): number {
  return Math.max(1, Math.round(spec.runsPerMinute * hourlyLoadFactor(minuteStart)));
}

export interface TimeLapse {
  /** Event time at which the time-lapse starts (where the history ends), a minute boundary. */
  readonly startEventMs: number;
  /** Wall-clock time at which it starts. */
  readonly startWallMs: number;
  readonly speed: number;
}

/** Event time of the runtime at wall-clock `wallMs`: fast until it has caught up, then the clock. */
export function eventClock(lapse: TimeLapse, wallMs: number): number {
  const fast = lapse.startEventMs + lapse.speed * Math.max(0, wallMs - lapse.startWallMs);
  return Math.min(wallMs, fast);
}

/** Wall-clock time at which event time `eventMs` is reached. */
export function wallTimeOf(lapse: TimeLapse, eventMs: number): number {
  const fast = lapse.startWallMs + (eventMs - lapse.startEventMs) / lapse.speed;
  return Math.max(fast, eventMs);
}

/** The history to backfill before the time-lapse: whole minutes, ending `lagMs` before `nowMs`. */
export function historyRange(
  nowMs: number,
  days: number,
  lagMs: number,
): { readonly from: number; readonly to: number } {
  const to = Math.floor((nowMs - lagMs) / MINUTE) * MINUTE;
  return { from: to - days * 24 * 60 * MINUTE, to };
}

/** Event time of a story minute. */
export function storyTime(lapse: TimeLapse, minute: number): number {
  return lapse.startEventMs + minute * MINUTE;
}
