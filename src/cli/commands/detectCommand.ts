// `pulse detect --input FILE.csv`: streams a timestamp,value CSV through the anomaly detector and
// prints timestamp,value,anomaly_score on stdout (nothing else), one row per input row, in order.
// Each row's score uses only the rows before it; every run starts fresh with the same parameters.
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ValidationError } from '../../errors.ts';
import { CsvAnomalyScorer } from '../../core/detection/csvAnomalyScorer.ts';

// Output is written in batches: one write per row would dominate the run time.
const BATCH_LINES = 2000;

export async function detectCsv(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<number> {
  const scorer = new CsvAnomalyScorer();
  const lines = createInterface({ input, crlfDelay: Infinity });
  let batch: string[] = [];
  let rows = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const chunk = batch.join('\n') + '\n';
    batch = [];
    if (!output.write(chunk)) await once(output, 'drain');
  };
  for await (const line of lines) {
    const out = scorer.push(line);
    if (out === undefined) continue;
    batch.push(out);
    rows++;
    if (batch.length >= BATCH_LINES) await flush();
  }
  await flush();
  if (!scorer.sawHeader) {
    throw new ValidationError('CSV input', [
      { path: 'line 1', message: 'empty input: expected header "timestamp,value"' },
    ]);
  }
  return rows - 1;
}

export function registerDetectCommand(program: Command): void {
  program
    .command('detect')
    .description(
      'Score a timestamp,value CSV for anomalies; prints timestamp,value,anomaly_score (score in [0, 1])',
    )
    .requiredOption(
      '--input <file>',
      'CSV with header "timestamp,value" (timestamps YYYY-MM-DD HH:MM:SS), or - for stdin',
    )
    .action(async (options: { input: string }) => {
      // A closed pipe (e.g. `| head`) is not an error worth a stack trace.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') process.exit(0);
        throw error;
      });
      const input =
        options.input === '-' ? process.stdin : createReadStream(options.input, { encoding: 'utf8' });
      await detectCsv(input, process.stdout);
    });
}
