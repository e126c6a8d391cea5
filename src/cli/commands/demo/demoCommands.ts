// The demo's side of the command bus: a request that returns the parsed result body, and the
// shape of the generated definitions it runs.
import type { Command } from '../../../core/commands/command.ts';
import { newCommandId, type CommandClient } from '../../../sdk/commandClient.ts';

export type Out = (line: string) => void;

export interface GeneratedDefinition {
  workflowId: string;
  name: string;
  trigger: { service: string };
  steps: {
    stepId: string;
    service: string;
    action: string;
    retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number };
  }[];
}

/** Sends a command and returns its parsed result body; throws when it is not completed. */
export async function request(
  client: CommandClient,
  command: Omit<Command, 'commandId' | 'issuedAt' | 'userId'>,
): Promise<{ body: unknown; version: number | null; workflowId: string | null }> {
  const result = await client.request(
    { ...command, commandId: newCommandId(), userId: 'pulse-demo', issuedAt: Date.now() } as Command,
    30_000,
  );
  if (result.status !== 'completed') {
    throw new Error(
      `${command.type} for ${command.tenantId} ${result.status}: ${result.error?.message ?? result.bodyJson.slice(0, 300)}`,
    );
  }
  return {
    body: JSON.parse(result.bodyJson) as unknown,
    version: result.version,
    workflowId: result.workflowId,
  };
}
