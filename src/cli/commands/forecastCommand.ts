import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { forecastJsonLine } from '../../core/forecasting/forecastRequest.ts';

// `pulse forecast --jsonl [FILE]`: one forecast request per input line, one JSON answer per
// output line in the same order. Bad lines are answered with an error object and processing
// goes on; the exit code reports whether any line failed.

export function registerForecastCommand(program: Command): void {
  program
    .command('forecast')
    .description(
      'Forecast series given as JSON lines {"id","h","m","y"}; prints {"id","point","lo","hi",...} per line',
    )
    .argument('[file]', 'JSONL input file; stdin when omitted or "-"')
    .option('--jsonl', 'read and write JSON lines (the only format)', true)
    .action(async (file: string | undefined) => {
      const input = file === undefined || file === '-' ? process.stdin : createReadStream(file);
      const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      let failed = 0;
      let answered = 0;
      for await (const line of lines) {
        if (line.trim() === '') continue;
        const { output, ok } = forecastJsonLine(line);
        process.stdout.write(`${output}\n`);
        answered++;
        if (!ok) failed++;
      }
      if (failed > 0) {
        process.stderr.write(`pulse forecast: ${failed} of ${answered} lines failed\n`);
        process.exitCode = 1;
      }
    });
}
