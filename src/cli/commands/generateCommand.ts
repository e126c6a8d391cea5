// `pulse generate "DESCRIPTION"`: try workflow generation from the command line. Pure apart from
// reading the optional reliability and history files; no broker or database is touched.
//
// Output:
// - `--json`: the whole result on one line: {"status":"generated","workflow":{...},"rationale":[...],...}
//   or {"status":"needs_clarification","clarifications":[...],...};
// - otherwise the workflow definition as indented JSON, then the rationale as `# ` lines on stderr.
// Exit code 2 when the description needs clarification first (the questions are printed).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { NonRetriableError } from '../../errors.ts';
import { generateWorkflow, type UserHistory } from '../../core/generation/generateWorkflow.ts';
import {
  serviceReliabilitySchema,
  type ServiceReliability,
} from '../../core/generation/serviceReliability.ts';
import { strategies, type Strategy } from '../../core/generation/workflowDefinition.ts';

interface GenerateOpts {
  json?: boolean;
  strategy: string;
  reliability?: string;
  history?: string;
  tenant: string;
  user: string;
  workflowId?: string;
  select?: string;
}

const reliabilityFileSchema = z.record(z.string(), serviceReliabilitySchema);
const historyFileSchema = z.strictObject({
  services: z.record(z.string(), z.number().nonnegative()).default({}),
  previousWorkflows: z
    .array(
      z.strictObject({ workflowId: z.string(), name: z.string().optional(), services: z.array(z.string()) }),
    )
    .default([]),
});

async function readJson<T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new NonRetriableError(`cannot read ${what} file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new NonRetriableError(`${what} file ${path} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new NonRetriableError(`${what} file ${path}: ${issues}`);
  }
  return parsed.data;
}

/** A stable id for a description, so the same text gives the same workflow id. */
function descriptionId(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `wf-${h.toString(16).padStart(8, '0')}`;
}

function parseStrategy(value: string): Strategy {
  const found = strategies.find((s) => s === value);
  if (!found)
    throw new NonRetriableError(`--strategy must be one of ${strategies.join(', ')}, got "${value}"`);
  return found;
}

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('Generate a workflow definition from a natural-language description')
    .argument('<description...>', 'what the workflow should do (words are joined by spaces)')
    .option('--json', 'print the whole result (workflow, rationale, suggestions, clarifications) on one line')
    .option('--strategy <strategy>', `tuning: ${strategies.join(', ')}`, 'hybrid')
    .option(
      '--reliability <file>',
      'JSON object: service id -> {executions, failureRate, p95Ms, dominantErrorClasses, rateLimitShare}',
    )
    .option(
      '--history <file>',
      'JSON {"services": {id: count}, "previousWorkflows": [{workflowId, services}]}',
    )
    .option('--select <ids>', 'comma-separated service ids chosen in answer to clarifications')
    .option('--tenant <id>', 'tenant id', 'local')
    .option('--user <id>', 'user id', 'local')
    .option('--workflow-id <id>', 'workflow id (default: derived from the description)')
    .action(async (words: string[], opts: GenerateOpts) => {
      const description = words.join(' ');
      const strategy = parseStrategy(opts.strategy);
      const reliability: Record<string, ServiceReliability> =
        opts.reliability === undefined
          ? {}
          : await readJson(opts.reliability, reliabilityFileSchema, 'reliability');
      const history =
        opts.history === undefined ? undefined : await readJson(opts.history, historyFileSchema, 'history');
      const userHistory: UserHistory | undefined = history && {
        services: new Map(Object.entries(history.services)),
        previousWorkflows: history.previousWorkflows,
      };
      const selected = (opts.select ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const result = generateWorkflow(
        {
          description,
          tenantId: opts.tenant,
          userId: opts.user,
          strategy,
          workflowId: opts.workflowId ?? descriptionId(description),
          now: Date.now(),
          ...(selected.length > 0 ? { selectedServices: selected } : {}),
        },
        {
          reliability: new Map(Object.entries(reliability)),
          ...(userHistory ? { userHistory } : {}),
        },
      );
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } else if (result.status === 'generated') {
        process.stdout.write(`${JSON.stringify(result.workflow, null, 2)}\n`);
        process.stderr.write(result.rationale.map((r) => `# ${r}\n`).join(''));
      } else {
        const lines = result.clarifications.map(
          (c) => `${c.question}${c.options.length > 0 ? ` (${c.options.map((o) => o.id).join(' | ')})` : ''}`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (result.status === 'needs_clarification') process.exitCode = 2;
    });
}
