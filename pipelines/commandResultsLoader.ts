// Command results loader: workflow.command-results.v1 (read committed) → ClickHouse command_results.
import { isCommandResult } from '../src/core/commands/command.ts';
import type { LoaderDefinition } from '../src/pipeline/loaderDefinition.ts';
import { COMMAND_RESULTS_DLQ_TOPIC, COMMAND_RESULTS_TOPIC } from '../src/topology/topics.ts';

export interface CommandResultRow {
  command_id: string;
  command_type: string;
  tenant_id: string;
  user_id: string;
  status: string;
  error_code: string | null;
  error_message: string | null;
  workflow_id: string | null;
  version: number | null;
  issued_at: string;
  completed_at: string;
  body: string;
  source_partition: number;
  source_offset: string;
}

export const commandResultsLoader: LoaderDefinition<CommandResultRow> = {
  name: 'command-results-loader',
  input: COMMAND_RESULTS_TOPIC,
  deadLetters: COMMAND_RESULTS_DLQ_TOPIC,
  table: 'command_results',
  transform(decoded, source) {
    if (!isCommandResult(decoded)) {
      return {
        ok: false,
        errorClass: 'ValidationError',
        reason: 'not-a-result',
        message: 'record is not a CommandResult',
      };
    }
    return {
      ok: true,
      row: {
        command_id: decoded.commandId,
        command_type: decoded.type,
        tenant_id: decoded.tenantId,
        user_id: decoded.userId,
        status: decoded.status,
        error_code: decoded.error?.code ?? null,
        error_message: decoded.error?.message ?? null,
        workflow_id: decoded.workflowId,
        version: decoded.version,
        issued_at: new Date(decoded.issuedAt).toISOString(),
        completed_at: new Date(source.timestamp ?? decoded.issuedAt).toISOString(),
        body: decoded.bodyJson,
        source_partition: source.partition,
        source_offset: source.offset,
      },
    };
  },
};
