// Troubleshooting sessions loader: workflow.troubleshooting.v1 (read committed) → ClickHouse
// troubleshooting_sessions (latest revision per session).
import type { LoaderDefinition } from '../src/pipeline/loaderDefinition.ts';
import { TROUBLESHOOTING_DLQ_TOPIC, TROUBLESHOOTING_TOPIC } from '../src/topology/topics.ts';
import type { SessionRecord } from './commandProcessor.ts';

export interface SessionRow {
  session_id: string;
  tenant_id: string;
  workflow_id: string;
  revision: number;
  resolution_status: string;
  start_time: string;
  updated_at: string;
  end_time: string | null;
  issues_detected: string;
  recommendations: string;
  evidence: string;
  actions_taken: string;
  verification: string;
  source_partition: number;
  source_offset: string;
}

function isSession(value: unknown): value is SessionRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.sessionId === 'string' && typeof v.revision === 'number' && typeof v.status === 'string';
}

const iso = (ms: number): string => new Date(ms).toISOString();

export const sessionsLoader: LoaderDefinition<SessionRow> = {
  name: 'sessions-loader',
  input: TROUBLESHOOTING_TOPIC,
  deadLetters: TROUBLESHOOTING_DLQ_TOPIC,
  table: 'troubleshooting_sessions',
  transform(decoded, source) {
    if (!isSession(decoded)) {
      return {
        ok: false,
        errorClass: 'ValidationError',
        reason: 'not-a-session',
        message: 'record is not a session',
      };
    }
    const s = decoded;
    return {
      ok: true,
      row: {
        session_id: s.sessionId,
        tenant_id: s.tenantId,
        workflow_id: s.workflowId,
        revision: s.revision,
        resolution_status: s.status,
        start_time: iso(s.startedAt),
        updated_at: iso(s.updatedAt),
        end_time: s.endedAt === null ? null : iso(s.endedAt),
        issues_detected: s.issuesDetectedJson,
        recommendations: s.recommendationsJson,
        evidence: s.evidenceJson,
        actions_taken: s.actionsJson,
        verification: s.verificationJson,
        source_partition: source.partition,
        source_offset: source.offset,
      },
    };
  },
};
