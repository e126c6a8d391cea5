// Shared helpers for the generation tests: a request builder and reliability stats.
import { expect } from 'vitest';
import {
  generateWorkflow,
  type GenerationResult,
  type UserHistory,
} from '../../../src/core/generation/generateWorkflow.ts';
import type { ServiceReliability } from '../../../src/core/generation/serviceReliability.ts';
import type {
  Strategy,
  WorkflowDefinition,
  WorkflowStep,
} from '../../../src/core/generation/workflowDefinition.ts';

export const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

export interface RunOptions {
  readonly strategy?: Strategy;
  readonly reliability?: Readonly<Record<string, ServiceReliability>>;
  readonly history?: UserHistory;
  readonly selected?: readonly string[];
  readonly workflowId?: string;
}

export function run(description: string, options: RunOptions = {}): GenerationResult {
  return generateWorkflow(
    {
      description,
      tenantId: 'tenant-1',
      userId: 'user-1',
      strategy: options.strategy ?? 'hybrid',
      workflowId: options.workflowId ?? 'wf-test',
      now: NOW,
      ...(options.selected ? { selectedServices: [...options.selected] } : {}),
    },
    {
      reliability: new Map(Object.entries(options.reliability ?? {})),
      ...(options.history ? { userHistory: options.history } : {}),
    },
  );
}

export type Generated = Extract<GenerationResult, { status: 'generated' }>;

export function generated(result: GenerationResult): Generated {
  if (result.status !== 'generated') {
    throw new Error(`expected a workflow, got clarifications: ${JSON.stringify(result.clarifications)}`);
  }
  return result;
}

export function stepOf(workflow: WorkflowDefinition, service: string): WorkflowStep {
  const step = workflow.steps.find((s) => s.service === service);
  expect(step, `a ${service} step`).toBeDefined();
  if (!step) throw new Error(`no ${service} step`);
  return step;
}

/** 25% of Slack calls failing, 92% of them with rate_limit, over 24 h. */
export const slackStorm: ServiceReliability = {
  executions: 1200,
  failureRate: 0.25,
  p95Ms: 900,
  dominantErrorClasses: [
    { class: 'rate_limit', share: 0.92 },
    { class: 'upstream_5xx', share: 0.08 },
  ],
  rateLimitShare: 0.92,
  windowHours: 24,
};

export function healthy(overrides: Partial<ServiceReliability> = {}): ServiceReliability {
  return {
    executions: 1200,
    failureRate: 0.004,
    p95Ms: 400,
    dominantErrorClasses: [
      { class: 'upstream_5xx', share: 0.6 },
      { class: 'rate_limit', share: 0.4 },
    ],
    rateLimitShare: 0.4,
    windowHours: 24,
    ...overrides,
  };
}

export function history(
  services: Readonly<Record<string, number>>,
  previous: UserHistory['previousWorkflows'] = [],
): UserHistory {
  return { services: new Map(Object.entries(services)), previousWorkflows: previous };
}
