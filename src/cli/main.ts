// The `pulse` CLI: one entry for every operator and analyst task. Each command lives in its own
// module under ./commands and loads heavy adapters (Kafka, chDB) only when it runs, so pure
// commands such as `pulse detect` start fast.
import { Command, CommanderError } from 'commander';
import { PulseError, errorMessage } from '../errors.ts';
import { rootLogger } from '../logger.ts';
// command imports (one line per command module)

const program = new Command('pulse')
  .description('Pulse: streaming analytics for workflow executions')
  .showHelpAfterError()
  .exitOverride();

// command registrations (one line per command module)

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    const retriable = error instanceof PulseError ? error.retriable : undefined;
    rootLogger.error(errorMessage(error), { module: 'cli', retriable });
    process.stderr.write(`pulse: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  }
}
