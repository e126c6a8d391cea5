import type { Command } from 'commander';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { NonRetriableError } from '../../errors.ts';
import { classifyError } from '../../core/troubleshooting/classifyError.ts';
import { parseFailedStepLine } from '../../core/troubleshooting/parseFailedStepLine.ts';

// `pulse troubleshoot ...`: diagnose failing workflow steps. The group is shared: other modules
// add their subcommands through `troubleshootCommandGroup(program)`, whichever registers first.

/** The `troubleshoot` command group, created on first use so modules can register in any order. */
export function troubleshootCommandGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'troubleshoot');
  if (existing !== undefined) return existing;
  return program.command('troubleshoot').description('Diagnose failing workflow steps');
}

async function writeLine(text: string): Promise<void> {
  if (!process.stdout.write(`${text}\n`)) await once(process.stdout, 'drain');
}

/** Classifies every line in order; returns how many lines were malformed. */
async function classifyJsonl(path: string): Promise<number> {
  const input = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  let malformed = 0;
  for await (const rawLine of lines) {
    lineNumber++;
    const line = lineNumber === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine;
    if (line.trim() === '') continue; // blank lines are not records
    const parsed = parseFailedStepLine(line, lineNumber);
    if (parsed.ok) {
      await writeLine(JSON.stringify(classifyError(parsed.step)));
    } else {
      malformed++;
      await writeLine(JSON.stringify({ error: parsed.error }));
    }
  }
  return malformed;
}

function parseStatus(value: string): number {
  const status = Number(value);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new NonRetriableError(`--status must be an HTTP status between 100 and 599, got "${value}"`);
  }
  return status;
}

interface ClassifyOptions {
  jsonl?: string;
  service?: string;
  log?: string;
  status?: number;
}

export function registerTroubleshootCommand(program: Command): void {
  troubleshootCommandGroup(program)
    .command('classify')
    .description(
      'Classify failing steps (auth, permission, rate_limit, quota, timeout, network, validation, not_found, ' +
        'conflict, upstream_5xx, config, payload_too_large) with confidence and resolution; one JSON object per case',
    )
    .option('--jsonl <file>', 'JSONL of {"service","log","httpStatus"} lines; "-" reads stdin')
    .option('--service <id>', 'service id of a single case, e.g. slack')
    .option('--log <text>', 'error log / response body of a single case')
    .option('--status <code>', 'HTTP status of a single case', parseStatus)
    .action(async (opts: ClassifyOptions) => {
      if (opts.jsonl !== undefined) {
        if (opts.log !== undefined) throw new NonRetriableError('use either --jsonl or --log, not both');
        const malformed = await classifyJsonl(opts.jsonl);
        if (malformed > 0) {
          process.stderr.write(`pulse troubleshoot classify: ${malformed} malformed line(s)\n`);
          process.exitCode = 1;
        }
        return;
      }
      if (opts.log === undefined)
        throw new NonRetriableError('give --jsonl FILE or --log TEXT (with --service)');
      const result = classifyError({
        service: opts.service ?? '',
        log: opts.log,
        httpStatus: opts.status ?? null,
      });
      await writeLine(JSON.stringify(result));
    });
}
