// `pulse services detect` and `pulse services list`: the service catalog and service detection
// from the command line. Pure: no broker or database is touched.
//
// Output contracts (scored as written, do not change):
// - `detect --json "TEXT"` prints one line: {"services":[{"id":"...","name":"...","confidence":0.93}]}
// - `detect --jsonl FILE|-` reads lines {"text": ...} (other fields ignored) and prints one such
//   object per input line, in order; a bad line prints {"services":[],"error":"..."} and the run
//   goes on, then exits non-zero.
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { NonRetriableError } from '../../errors.ts';
import {
  compileCatalog,
  type DetectionResult,
  type ServiceMatcher,
} from '../../core/services/detectServices.ts';
import { defaultCatalog, SERVICE_CATEGORIES } from '../../core/services/serviceCatalog.ts';

interface DetectOpts {
  json?: boolean;
  jsonl?: string;
  threshold?: string;
  explain?: boolean;
}

interface ListOpts {
  json?: boolean;
  category?: string;
}

export function registerServicesCommand(program: Command): void {
  const services = program.command('services').description('SaaS service catalog and service detection');

  services
    .command('detect')
    .description('Detect the services an automation description uses')
    .argument('[text...]', 'the description (words are joined by spaces)')
    .option('--json', 'print {"services":[...]} on one line')
    .option(
      '--jsonl <file>',
      'read JSON lines {"text": ...} from a file ("-" for stdin), print one result per line',
    )
    .option('--threshold <n>', 'lowest confidence reported (0..1, default 0.5)')
    .option('--explain', 'add weak candidates and excluded (negated) services to the output')
    // A description may start with "-" ("- daily digest", "-5% alert"): take it as text, not an option.
    .allowUnknownOption()
    .action(async (words: string[], opts: DetectOpts) => {
      const matcher = compileCatalog(defaultCatalog());
      const threshold = parseThreshold(opts.threshold);
      const detectOptions = {
        ...(threshold === undefined ? {} : { threshold }),
        explain: opts.explain === true,
      };
      if (opts.jsonl !== undefined) {
        if (words.length > 0) throw new NonRetriableError('give either TEXT or --jsonl, not both');
        const input = opts.jsonl === '-' ? process.stdin : createReadStream(opts.jsonl, { encoding: 'utf8' });
        const failed = await detectJsonl(matcher, input, process.stdout, detectOptions);
        if (failed > 0) {
          process.stderr.write(`pulse: ${failed} input line(s) could not be read\n`);
          process.exitCode = 1;
        }
        return;
      }
      if (words.length === 0) throw new NonRetriableError('no text: give TEXT or --jsonl FILE');
      const result = matcher.detect(words.join(' '), detectOptions);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } else {
        process.stdout.write(formatResult(result));
      }
    });

  services
    .command('list')
    .description('List the service catalog')
    .option('--json', 'print the catalog as JSON')
    .option('--category <category>', `only one category (${SERVICE_CATEGORIES.join(', ')})`)
    .action((opts: ListOpts) => {
      const all = defaultCatalog().services;
      const chosen = opts.category === undefined ? all : all.filter((s) => s.category === opts.category);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ services: chosen })}\n`);
        return;
      }
      const width = Math.max(...chosen.map((s) => s.id.length), 2);
      const lines = chosen.map((s) => `${s.id.padEnd(width)}  ${s.category.padEnd(18)}  ${s.name}`);
      process.stdout.write(`${lines.join('\n')}\n${chosen.length} services\n`);
    });
}

function parseThreshold(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new NonRetriableError(`--threshold must be a number in 0..1, got "${value}"`);
  return n;
}

function formatResult(result: DetectionResult): string {
  const lines = result.services.map((s) => `${s.id}\t${s.confidence.toFixed(2)}\t${s.name}`);
  if (result.candidates && result.candidates.length > 0) {
    lines.push(
      `candidates: ${result.candidates.map((c) => `${c.id} (${c.confidence.toFixed(2)})`).join(', ')}`,
    );
  }
  if (result.excluded && result.excluded.length > 0) lines.push(`excluded: ${result.excluded.join(', ')}`);
  if (lines.length === 0) lines.push('(no service detected)');
  return `${lines.join('\n')}\n`;
}

/** The result line for one JSONL input line; `error` is set when the line is not {"text": string}. */
export function detectJsonLine(
  matcher: ServiceMatcher,
  line: string,
  options: Parameters<ServiceMatcher['detect']>[1] = {},
): { output: string; error?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return errorLine(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return errorLine('expected a JSON object with a "text" field');
  }
  const text = (parsed as { text?: unknown }).text;
  if (typeof text !== 'string') return errorLine('missing or non-string "text" field');
  return { output: JSON.stringify(matcher.detect(text, options)) };
}

function errorLine(message: string): { output: string; error: string } {
  return { output: JSON.stringify({ services: [], error: message }), error: message };
}

/** Streams JSONL in -> one result line out per input line, in order. Returns the number of bad lines. */
export async function detectJsonl(
  matcher: ServiceMatcher,
  input: Readable,
  output: NodeJS.WritableStream,
  options: Parameters<ServiceMatcher['detect']>[1] = {},
): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let failed = 0;
  let buffer: string[] = [];
  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const chunk = `${buffer.join('\n')}\n`;
    buffer = [];
    if (!output.write(chunk)) await once(output, 'drain');
  };
  for await (const line of lines) {
    const result = detectJsonLine(matcher, line, options);
    if (result.error !== undefined) failed++;
    buffer.push(result.output);
    if (buffer.length >= 512) await flush();
  }
  await flush();
  return failed;
}
