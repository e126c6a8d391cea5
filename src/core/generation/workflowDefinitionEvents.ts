// Workflow definitions, event-sourced. Four facts:
//   WorkflowCreated           a workflow and its version 1
//   WorkflowVersionPublished  a new version (latest + 1) with its diff against the current one
//   WorkflowRolledBack        the current version set back to an earlier one (latest unchanged)
//   FeedbackRecorded          a user's 1..5 rating of one version
// `decide` checks a command against the projection and returns the events to append (or why
// not); `evolve` folds one event into the projection the loader writes to ClickHouse
// (workflows, workflow_versions, workflow_feedback). Replaying the log from scratch gives the
// same projection, and an event seen twice (at-least-once delivery) changes nothing the second
// time. Pure: ids and times come from the commands.
import { z } from 'zod';
import {
  parseWorkflowDefinition,
  workflowDefinitionSchema,
  type WorkflowDefinition,
} from './workflowDefinition.ts';

const id = z.string().min(1).max(256);
// Epoch ms; years 2000..2100 catch seconds-vs-millis mix-ups (as for execution events).
const epochMs = z.number().int().min(946684800000).max(4102444800000);
const version = z.number().int().min(1);

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export const fieldChangeSchema = z.strictObject({
  /** Path inside the definition or step ("trigger.config.events", "retry.maxAttempts"). */
  path: z.string().min(1),
  /** Old value; absent when the field did not exist. */
  from: z.json().optional(),
  /** New value; absent when the field was removed. */
  to: z.json().optional(),
});

const stepRefSchema = z.strictObject({
  stepId: id,
  index: z.number().int().nonnegative(),
  service: id,
  action: id,
});

export const definitionDiffSchema = z.strictObject({
  /** Changes outside the steps: name, description, strategy, trigger. */
  fields: z.array(fieldChangeSchema),
  stepsAdded: z.array(stepRefSchema),
  stepsRemoved: z.array(stepRefSchema),
  stepsChanged: z.array(z.strictObject({ stepId: id, changes: z.array(fieldChangeSchema).min(1) })),
  /** Step order before and after, when steps present in both changed order. */
  order: z.strictObject({ from: z.array(id), to: z.array(id) }).nullable(),
});

export type FieldChange = z.infer<typeof fieldChangeSchema>;
export type DefinitionDiff = z.infer<typeof definitionDiffSchema>;

const base = { eventId: id, occurredAt: epochMs, tenantId: id };

export const workflowCreatedSchema = z.strictObject({
  type: z.literal('WorkflowCreated'),
  ...base,
  workflow: workflowDefinitionSchema,
});

export const workflowVersionPublishedSchema = z.strictObject({
  type: z.literal('WorkflowVersionPublished'),
  ...base,
  workflowId: id,
  version: version.min(2),
  definition: workflowDefinitionSchema,
  diff: definitionDiffSchema,
  reason: z.string().min(1).max(2000),
});

export const workflowRolledBackSchema = z.strictObject({
  type: z.literal('WorkflowRolledBack'),
  ...base,
  workflowId: id,
  fromVersion: version,
  toVersion: version,
  reason: z.string().min(1).max(2000),
});

export const feedbackRecordedSchema = z.strictObject({
  type: z.literal('FeedbackRecorded'),
  ...base,
  workflowId: id,
  version,
  userId: id,
  rating: z.number().int().min(1).max(5),
  comment: z.string().max(4000),
});

/** What the loader parses each record of the definitions topic with. */
export const workflowDefinitionEventSchema = z.discriminatedUnion('type', [
  workflowCreatedSchema,
  workflowVersionPublishedSchema,
  workflowRolledBackSchema,
  feedbackRecordedSchema,
]);

export type WorkflowCreated = z.infer<typeof workflowCreatedSchema>;
export type WorkflowVersionPublished = z.infer<typeof workflowVersionPublishedSchema>;
export type WorkflowRolledBack = z.infer<typeof workflowRolledBackSchema>;
export type FeedbackRecorded = z.infer<typeof feedbackRecordedSchema>;
export type WorkflowDefinitionEvent = z.infer<typeof workflowDefinitionEventSchema>;

// ---------------------------------------------------------------------------------------------
// Diff

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Deep equality of JSON values (key order ignored). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Leaf changes between two JSON values: objects are walked key by key, anything else compared whole. */
function leafChanges(a: unknown, b: unknown, path: string, out: FieldChange[]): void {
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) leafChanges(a[k], b[k], path === '' ? k : `${path}.${k}`, out);
    return;
  }
  if (jsonEqual(a, b)) return;
  if (a !== undefined && isRecord(a) && b === undefined) {
    leafChanges(a, {}, path, out);
    return;
  }
  if (b !== undefined && isRecord(b) && a === undefined) {
    leafChanges({}, b, path, out);
    return;
  }
  out.push({
    path,
    ...(a === undefined ? {} : { from: a as Json }),
    ...(b === undefined ? {} : { to: b as Json }),
  });
}

/**
 * What changed from `a` to `b`. Steps are matched by stepId; step changes are leaf paths inside
 * the step ("retry.maxAttempts", "inputs.channel", "fallback.service"). Ids, version, provenance
 * and the prediction (derived, not authored) are not compared.
 */
export function diffDefinitions(a: WorkflowDefinition, b: WorkflowDefinition): DefinitionDiff {
  const fields: FieldChange[] = [];
  leafChanges(
    { name: a.name, description: a.description, strategy: a.strategy, trigger: a.trigger },
    { name: b.name, description: b.description, strategy: b.strategy, trigger: b.trigger },
    '',
    fields,
  );
  const before = new Map(a.steps.map((s, index) => [s.stepId, { step: s, index }]));
  const after = new Map(b.steps.map((s, index) => [s.stepId, { step: s, index }]));
  const ref = (x: {
    step: WorkflowDefinition['steps'][number];
    index: number;
  }): DefinitionDiff['stepsAdded'][number] => ({
    stepId: x.step.stepId,
    index: x.index,
    service: x.step.service,
    action: x.step.action,
  });
  const stepsAdded = [...after.values()].filter((x) => !before.has(x.step.stepId)).map(ref);
  const stepsRemoved = [...before.values()].filter((x) => !after.has(x.step.stepId)).map(ref);
  const stepsChanged: DefinitionDiff['stepsChanged'] = [];
  for (const { step } of after.values()) {
    const old = before.get(step.stepId);
    if (!old) continue;
    const changes: FieldChange[] = [];
    leafChanges(old.step, step, '', changes);
    if (changes.length > 0) stepsChanged.push({ stepId: step.stepId, changes });
  }
  const commonBefore = a.steps.map((s) => s.stepId).filter((s) => after.has(s));
  const commonAfter = b.steps.map((s) => s.stepId).filter((s) => before.has(s));
  const order = jsonEqual(commonBefore, commonAfter)
    ? null
    : { from: a.steps.map((s) => s.stepId), to: b.steps.map((s) => s.stepId) };
  return { fields, stepsAdded, stepsRemoved, stepsChanged, order };
}

export function isEmptyDiff(diff: DefinitionDiff): boolean {
  return (
    diff.fields.length === 0 &&
    diff.stepsAdded.length === 0 &&
    diff.stepsRemoved.length === 0 &&
    diff.stepsChanged.length === 0 &&
    diff.order === null
  );
}

// ---------------------------------------------------------------------------------------------
// Projection

/** A row of `workflows`: one per workflow, its current and latest version. */
export interface WorkflowRow {
  readonly workflowId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly description: string;
  readonly strategy: WorkflowDefinition['strategy'];
  readonly createdFrom: WorkflowDefinition['createdFrom'];
  /** The version that runs (after a rollback, lower than latestVersion). */
  readonly currentVersion: number;
  readonly latestVersion: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly feedbackCount: number;
  readonly ratingSum: number;
}

/** A row of `workflow_versions`. */
export interface WorkflowVersionRow {
  readonly workflowId: string;
  readonly tenantId: string;
  readonly version: number;
  readonly definition: WorkflowDefinition;
  /** Against the version that was current when it was published; null for version 1. */
  readonly diff: DefinitionDiff | null;
  readonly reason: string;
  readonly publishedAt: number;
  readonly eventId: string;
}

/** A row of `workflow_feedback`. */
export interface FeedbackRow {
  readonly eventId: string;
  readonly workflowId: string;
  readonly tenantId: string;
  readonly version: number;
  readonly userId: string;
  readonly rating: number;
  readonly comment: string;
  readonly recordedAt: number;
}

export interface DefinitionProjection {
  readonly workflows: ReadonlyMap<string, WorkflowRow>;
  /** Keyed by versionKey(workflowId, version). */
  readonly versions: ReadonlyMap<string, WorkflowVersionRow>;
  /** In log order. */
  readonly feedback: readonly FeedbackRow[];
  /** Events that took effect (a redelivered one is skipped). */
  readonly appliedEventIds: ReadonlySet<string>;
}

export function versionKey(workflowId: string, v: number): string {
  return `${workflowId}@${v}`;
}

export function emptyProjection(): DefinitionProjection {
  return { workflows: new Map(), versions: new Map(), feedback: [], appliedEventIds: new Set() };
}

interface Draft {
  workflows: Map<string, WorkflowRow>;
  versions: Map<string, WorkflowVersionRow>;
  feedback: FeedbackRow[];
  appliedEventIds: Set<string>;
}

/**
 * Folds one event into a mutable draft unless it already took effect. Events that do not fit the
 * state (unknown workflow, other tenant, a version that is not latest + 1, a rollback target that
 * does not exist) are facts the decider would not have produced: they are skipped rather than
 * corrupting the projection, and not remembered, so the same event delivered again after what it
 * depends on still applies.
 */
function applyOnce(d: Draft, event: WorkflowDefinitionEvent): void {
  if (d.appliedEventIds.has(event.eventId)) return;
  if (apply(d, event)) d.appliedEventIds.add(event.eventId);
}

/** Folds one event; returns whether it took effect. */
function apply(d: Draft, event: WorkflowDefinitionEvent): boolean {
  switch (event.type) {
    case 'WorkflowCreated': {
      const wf = event.workflow;
      if (d.workflows.has(wf.workflowId)) return false;
      d.workflows.set(wf.workflowId, {
        workflowId: wf.workflowId,
        tenantId: event.tenantId,
        name: wf.name,
        description: wf.description,
        strategy: wf.strategy,
        createdFrom: wf.createdFrom,
        currentVersion: wf.version,
        latestVersion: wf.version,
        createdAt: event.occurredAt,
        updatedAt: event.occurredAt,
        feedbackCount: 0,
        ratingSum: 0,
      });
      d.versions.set(versionKey(wf.workflowId, wf.version), {
        workflowId: wf.workflowId,
        tenantId: event.tenantId,
        version: wf.version,
        definition: wf,
        diff: null,
        reason: 'created',
        publishedAt: event.occurredAt,
        eventId: event.eventId,
      });
      return true;
    }
    case 'WorkflowVersionPublished': {
      const wf = d.workflows.get(event.workflowId);
      if (wf?.tenantId !== event.tenantId || event.version !== wf.latestVersion + 1) return false;
      d.versions.set(versionKey(event.workflowId, event.version), {
        workflowId: event.workflowId,
        tenantId: event.tenantId,
        version: event.version,
        definition: event.definition,
        diff: event.diff,
        reason: event.reason,
        publishedAt: event.occurredAt,
        eventId: event.eventId,
      });
      d.workflows.set(event.workflowId, {
        ...wf,
        name: event.definition.name,
        description: event.definition.description,
        strategy: event.definition.strategy,
        currentVersion: event.version,
        latestVersion: event.version,
        updatedAt: Math.max(wf.updatedAt, event.occurredAt),
      });
      return true;
    }
    case 'WorkflowRolledBack': {
      const wf = d.workflows.get(event.workflowId);
      if (wf?.tenantId !== event.tenantId) return false;
      const target = d.versions.get(versionKey(event.workflowId, event.toVersion));
      if (!target) return false;
      d.workflows.set(event.workflowId, {
        ...wf,
        name: target.definition.name,
        description: target.definition.description,
        strategy: target.definition.strategy,
        currentVersion: event.toVersion,
        updatedAt: Math.max(wf.updatedAt, event.occurredAt),
      });
      return true;
    }
    case 'FeedbackRecorded': {
      const wf = d.workflows.get(event.workflowId);
      if (wf?.tenantId !== event.tenantId || !d.versions.has(versionKey(event.workflowId, event.version)))
        return false;
      d.feedback.push({
        eventId: event.eventId,
        workflowId: event.workflowId,
        tenantId: event.tenantId,
        version: event.version,
        userId: event.userId,
        rating: event.rating,
        comment: event.comment,
        recordedAt: event.occurredAt,
      });
      d.workflows.set(event.workflowId, {
        ...wf,
        feedbackCount: wf.feedbackCount + 1,
        ratingSum: wf.ratingSum + event.rating,
      });
      return true;
    }
  }
}

/** The projection after one more event (the input is not changed). */
export function evolve(state: DefinitionProjection, event: WorkflowDefinitionEvent): DefinitionProjection {
  if (state.appliedEventIds.has(event.eventId)) return state;
  const draft: Draft = {
    workflows: new Map(state.workflows),
    versions: new Map(state.versions),
    feedback: [...state.feedback],
    appliedEventIds: new Set(state.appliedEventIds),
  };
  applyOnce(draft, event);
  return draft;
}

/** The projection of a whole log, folded in one pass (same result as folding `evolve`). */
export function replay(
  events: Iterable<WorkflowDefinitionEvent>,
  from: DefinitionProjection = emptyProjection(),
): DefinitionProjection {
  const draft: Draft = {
    workflows: new Map(from.workflows),
    versions: new Map(from.versions),
    feedback: [...from.feedback],
    appliedEventIds: new Set(from.appliedEventIds),
  };
  for (const event of events) applyOnce(draft, event);
  return draft;
}

/** Rows for the three tables, in a stable order (workflow id, then version; feedback in log order). */
export function projectionRows(state: DefinitionProjection): {
  workflows: WorkflowRow[];
  workflowVersions: WorkflowVersionRow[];
  workflowFeedback: FeedbackRow[];
} {
  const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return {
    workflows: [...state.workflows.values()].sort((a, b) => byId(a.workflowId, b.workflowId)),
    workflowVersions: [...state.versions.values()].sort(
      (a, b) => byId(a.workflowId, b.workflowId) || a.version - b.version,
    ),
    workflowFeedback: [...state.feedback],
  };
}

// ---------------------------------------------------------------------------------------------
// Decide

interface CommandBase {
  readonly eventId: string;
  readonly occurredAt: number;
}

export type WorkflowCommand =
  | (CommandBase & { readonly type: 'CreateWorkflow'; readonly workflow: WorkflowDefinition })
  | (CommandBase & {
      readonly type: 'PublishVersion';
      readonly tenantId: string;
      readonly workflowId: string;
      /** The new definition; its `version` is set by the decider (latest + 1). */
      readonly definition: WorkflowDefinition;
      readonly reason: string;
    })
  | (CommandBase & {
      readonly type: 'RollBack';
      readonly tenantId: string;
      readonly workflowId: string;
      readonly toVersion: number;
      readonly reason: string;
    })
  | (CommandBase & {
      readonly type: 'RecordFeedback';
      readonly tenantId: string;
      readonly workflowId: string;
      readonly version: number;
      readonly userId: string;
      readonly rating: number;
      readonly comment: string;
    });

export type RejectionCode = 'not_found' | 'conflict' | 'invalid' | 'unchanged';

export type Decision =
  | { readonly ok: true; readonly events: readonly WorkflowDefinitionEvent[] }
  | { readonly ok: false; readonly code: RejectionCode; readonly message: string };

function reject(code: RejectionCode, message: string): Decision {
  return { ok: false, code, message };
}

function checkBase(c: CommandBase): string | undefined {
  if (!id.safeParse(c.eventId).success) return 'eventId must be a non-empty string';
  if (!epochMs.safeParse(c.occurredAt).success) return 'occurredAt must be epoch milliseconds';
  return undefined;
}

function checkReason(reason: string): string | undefined {
  return reason.trim().length === 0 || reason.length > 2000 ? 'reason must be 1..2000 characters' : undefined;
}

/**
 * The events a command produces against the current projection, or why it is rejected:
 * - CreateWorkflow: a valid definition at version 1 whose workflowId is new;
 * - PublishVersion: the workflow exists for the tenant, the definition is valid, belongs to it
 *   and differs from the current version; it becomes latest + 1, with the diff against current;
 * - RollBack: only to an existing version earlier than the current one;
 * - RecordFeedback: an existing version, rating 1..5, comment up to 4000 characters.
 * A command whose eventId was already applied is accepted with no new events (a retried request).
 * Another tenant's workflow is reported as not found.
 */
export function decide(command: WorkflowCommand, state: DefinitionProjection): Decision {
  const bad = checkBase(command);
  if (bad) return reject('invalid', bad);
  if (state.appliedEventIds.has(command.eventId)) return { ok: true, events: [] };
  const meta = { eventId: command.eventId, occurredAt: command.occurredAt };
  if (command.type === 'CreateWorkflow') {
    let workflow: WorkflowDefinition;
    try {
      workflow = parseWorkflowDefinition(command.workflow);
    } catch (error) {
      return reject('invalid', error instanceof Error ? error.message : String(error));
    }
    if (workflow.version !== 1) return reject('invalid', 'a new workflow starts at version 1');
    if (state.workflows.has(workflow.workflowId)) {
      return reject('conflict', `workflow ${workflow.workflowId} already exists`);
    }
    return {
      ok: true,
      events: [{ type: 'WorkflowCreated', ...meta, tenantId: workflow.tenantId, workflow }],
    };
  }
  const wf = state.workflows.get(command.workflowId);
  if (wf?.tenantId !== command.tenantId)
    return reject('not_found', `workflow ${command.workflowId} not found`);
  switch (command.type) {
    case 'PublishVersion': {
      const reasonError = checkReason(command.reason);
      if (reasonError) return reject('invalid', reasonError);
      const next = wf.latestVersion + 1;
      let definition: WorkflowDefinition;
      try {
        definition = parseWorkflowDefinition({ ...command.definition, version: next });
      } catch (error) {
        return reject('invalid', error instanceof Error ? error.message : String(error));
      }
      if (definition.workflowId !== wf.workflowId || definition.tenantId !== wf.tenantId) {
        return reject('invalid', 'the definition belongs to another workflow or tenant');
      }
      const current = state.versions.get(versionKey(wf.workflowId, wf.currentVersion));
      if (!current) return reject('not_found', `version ${wf.currentVersion} of ${wf.workflowId} not found`);
      const diff = diffDefinitions(current.definition, definition);
      if (isEmptyDiff(diff)) return reject('unchanged', `no change against version ${wf.currentVersion}`);
      return {
        ok: true,
        events: [
          {
            type: 'WorkflowVersionPublished',
            ...meta,
            tenantId: wf.tenantId,
            workflowId: wf.workflowId,
            version: next,
            definition,
            diff,
            reason: command.reason,
          },
        ],
      };
    }
    case 'RollBack': {
      const reasonError = checkReason(command.reason);
      if (reasonError) return reject('invalid', reasonError);
      if (!Number.isInteger(command.toVersion) || command.toVersion >= wf.currentVersion) {
        return reject('invalid', `rollback goes to a version before the current one (${wf.currentVersion})`);
      }
      if (!state.versions.has(versionKey(wf.workflowId, command.toVersion))) {
        return reject('not_found', `version ${command.toVersion} of ${wf.workflowId} not found`);
      }
      return {
        ok: true,
        events: [
          {
            type: 'WorkflowRolledBack',
            ...meta,
            tenantId: wf.tenantId,
            workflowId: wf.workflowId,
            fromVersion: wf.currentVersion,
            toVersion: command.toVersion,
            reason: command.reason,
          },
        ],
      };
    }
    case 'RecordFeedback': {
      if (!Number.isInteger(command.rating) || command.rating < 1 || command.rating > 5) {
        return reject('invalid', 'rating must be an integer 1..5');
      }
      if (command.comment.length > 4000) return reject('invalid', 'comment must be at most 4000 characters');
      if (!id.safeParse(command.userId).success)
        return reject('invalid', 'userId must be a non-empty string');
      if (!state.versions.has(versionKey(wf.workflowId, command.version))) {
        return reject('not_found', `version ${command.version} of ${wf.workflowId} not found`);
      }
      return {
        ok: true,
        events: [
          {
            type: 'FeedbackRecorded',
            ...meta,
            tenantId: wf.tenantId,
            workflowId: wf.workflowId,
            version: command.version,
            userId: command.userId,
            rating: command.rating,
            comment: command.comment,
          },
        ],
      };
    }
  }
}
