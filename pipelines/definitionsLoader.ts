// Definitions loader: workflow.definitions.v1 (read committed) → ClickHouse
// workflow_definition_events; the views workflows, workflow_versions and workflow_feedback
// project it.
import type { SourcePosition } from '../src/core/executionRow.ts';
import { workflowDefinitionEventSchema } from '../src/core/generation/workflowDefinitionEvents.ts';
import type { LoaderDefinition } from '../src/pipeline/loaderDefinition.ts';
import { DEFINITIONS_DLQ_TOPIC, DEFINITIONS_TOPIC } from '../src/topology/topics.ts';

export interface DefinitionEventRow {
  event_id: string;
  event_type: string;
  occurred_at: string;
  tenant_id: string;
  workflow_id: string;
  version: number;
  current_version: number;
  latest_version: number;
  command_id: string | null;
  name: string;
  definition: string;
  diff: string;
  reason: string;
  user_id: string;
  rating: number;
  comment: string;
  body: string;
  source_partition: number;
  source_offset: string;
}

interface Envelope {
  readonly version: number;
  readonly currentVersion: number;
  readonly latestVersion: number;
  readonly commandId: string | null;
  readonly bodyJson: string;
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.bodyJson === 'string' &&
    typeof v.currentVersion === 'number' &&
    typeof v.latestVersion === 'number'
  );
}

export const definitionsLoader: LoaderDefinition<DefinitionEventRow> = {
  name: 'definitions-loader',
  input: DEFINITIONS_TOPIC,
  deadLetters: DEFINITIONS_DLQ_TOPIC,
  table: 'workflow_definition_events',
  transform(decoded, source: SourcePosition) {
    if (!isEnvelope(decoded)) {
      return {
        ok: false,
        errorClass: 'ValidationError',
        reason: 'not-a-definition-event',
        message: 'record is not a definition event',
      };
    }
    let body: unknown;
    try {
      body = JSON.parse(decoded.bodyJson);
    } catch {
      return {
        ok: false,
        errorClass: 'ValidationError',
        reason: 'body-not-json',
        message: 'bodyJson is not JSON',
      };
    }
    const parsed = workflowDefinitionEventSchema.safeParse(body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return {
        ok: false,
        errorClass: 'ValidationError',
        reason: 'invalid-event',
        message: `${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`,
      };
    }
    const e = parsed.data;
    const definition =
      e.type === 'WorkflowCreated' ? e.workflow : e.type === 'WorkflowVersionPublished' ? e.definition : null;
    return {
      ok: true,
      row: {
        event_id: e.eventId,
        event_type: e.type,
        occurred_at: new Date(e.occurredAt).toISOString(),
        tenant_id: e.tenantId,
        workflow_id: e.type === 'WorkflowCreated' ? e.workflow.workflowId : e.workflowId,
        version: decoded.version,
        current_version: decoded.currentVersion,
        latest_version: decoded.latestVersion,
        command_id: decoded.commandId,
        name: definition?.name ?? '',
        definition: definition === null ? '' : JSON.stringify(definition),
        diff: e.type === 'WorkflowVersionPublished' ? JSON.stringify(e.diff) : '',
        reason:
          e.type === 'WorkflowVersionPublished' || e.type === 'WorkflowRolledBack'
            ? e.reason
            : e.type === 'WorkflowCreated'
              ? 'created'
              : '',
        user_id: e.type === 'FeedbackRecorded' ? e.userId : '',
        rating: e.type === 'FeedbackRecorded' ? e.rating : 0,
        comment: e.type === 'FeedbackRecorded' ? e.comment : '',
        body: decoded.bodyJson,
        source_partition: source.partition,
        source_offset: source.offset,
      },
    };
  },
};
