// `pulse command …`: sends a command over the command bus (workflow.commands.v1) to the running
// pipeline and prints its result (JSON) when it arrives. On a timeout it prints the command id:
// sending again with `--command-id` is safe (a command id is executed once).
import { readFileSync } from 'node:fs';
import type { Command as Program } from 'commander';
import { loadConfig } from '../../config.ts';
import type { Command } from '../../core/commands/command.ts';
import { ValidationError } from '../../errors.ts';
import { createLogger } from '../../logger.ts';
import { createCommandClient, newCommandId } from '../../sdk/commandClient.ts';

interface Common {
  tenant: string;
  user: string;
  commandId?: string;
  timeout: string;
}

const STRATEGIES = ['performance', 'cost', 'reliability', 'hybrid'] as const;

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ValidationError('arguments', [{ path: name, message: 'must be a positive integer' }]);
  return n;
}

async function run(build: (base: Omit<Command, 'type' | 'payload'>) => Command, opts: Common): Promise<void> {
  const config = loadConfig();
  const command = build({
    commandId: opts.commandId ?? newCommandId(),
    tenantId: opts.tenant,
    userId: opts.user,
    issuedAt: Date.now(),
  });
  const client = await createCommandClient({
    brokers: config.PULSE_KAFKA_BROKERS,
    registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
    topicPrefix: config.PULSE_TOPIC_PREFIX,
    logger: createLogger({ module: 'cli' }),
  });
  try {
    const result = await client.request(command, positiveInt('--timeout', opts.timeout));
    process.stdout.write(
      `${JSON.stringify({ ...result, body: JSON.parse(result.bodyJson) as unknown, bodyJson: undefined }, null, 2)}\n`,
    );
    if (result.status === 'rejected') process.exitCode = 2;
  } finally {
    await client.close();
  }
}

export function registerCommandCommand(program: Program): void {
  const command = program
    .command('command')
    .description('Send a command to the running pipeline over the command bus and print its result');
  const common = (c: Program): Program =>
    c
      .requiredOption('--tenant <id>', 'tenant')
      .option('--user <id>', 'user issuing the command', 'cli')
      .option('--command-id <id>', 'reuse to retry safely (default: a new id)')
      .option('--timeout <ms>', 'how long to wait for the result', '15000');

  common(command.command('generate').argument('<description>', 'what the workflow should do'))
    .description('Generate a workflow from a description (version 1 of a new workflow)')
    .option('--strategy <name>', STRATEGIES.join(' | '), 'hybrid')
    .option('--workflow <id>', 'id of the new workflow (default: derived from the command id)')
    .option('--service <id...>', 'services picked in answer to a clarification')
    .action(
      async (
        description: string,
        opts: Common & { strategy: string; workflow?: string; service?: string[] },
      ) => {
        if (!(STRATEGIES as readonly string[]).includes(opts.strategy)) {
          throw new ValidationError('arguments', [
            { path: '--strategy', message: `one of ${STRATEGIES.join(', ')}` },
          ]);
        }
        await run(
          (base) => ({
            ...base,
            type: 'generate',
            payload: {
              description,
              strategy: opts.strategy as (typeof STRATEGIES)[number],
              workflowId: opts.workflow ?? null,
              selectedServices: opts.service ?? [],
            },
          }),
          opts,
        );
      },
    );

  common(command.command('publish'))
    .description('Publish a new version of a workflow from a definition file (JSON)')
    .requiredOption('--workflow <id>', 'workflow')
    .requiredOption('--definition <file>', 'the new definition, JSON')
    .requiredOption('--reason <text>', 'why')
    .action(async (opts: Common & { workflow: string; definition: string; reason: string }) => {
      const definitionJson = readFileSync(opts.definition, 'utf8');
      await run(
        (base) => ({
          ...base,
          type: 'publish_version',
          payload: { workflowId: opts.workflow, definitionJson, reason: opts.reason },
        }),
        opts,
      );
    });

  common(command.command('rollback'))
    .description('Make an earlier version of a workflow the current one')
    .requiredOption('--workflow <id>', 'workflow')
    .requiredOption('--to <version>', 'version to go back to')
    .requiredOption('--reason <text>', 'why')
    .action(async (opts: Common & { workflow: string; to: string; reason: string }) => {
      await run(
        (base) => ({
          ...base,
          type: 'roll_back',
          payload: {
            workflowId: opts.workflow,
            toVersion: positiveInt('--to', opts.to),
            reason: opts.reason,
          },
        }),
        opts,
      );
    });

  common(command.command('feedback'))
    .description("Record a user's rating (1-5) of a workflow version")
    .requiredOption('--workflow <id>', 'workflow')
    .requiredOption('--version <n>', 'version rated')
    .requiredOption('--rating <n>', '1..5')
    .option('--comment <text>', 'comment', '')
    .action(async (opts: Common & { workflow: string; version: string; rating: string; comment: string }) => {
      await run(
        (base) => ({
          ...base,
          type: 'record_feedback',
          payload: {
            workflowId: opts.workflow,
            version: positiveInt('--version', opts.version),
            rating: positiveInt('--rating', opts.rating),
            comment: opts.comment,
          },
        }),
        opts,
      );
    });
}
