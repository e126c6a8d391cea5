// The `pulse` CLI: one entry for every operator and analyst task. Each command lives in its own
// module under ./commands and loads heavy adapters (Kafka, chDB) only when it runs, so pure
// commands such as `pulse detect` start fast.
import { Command, CommanderError } from 'commander';
import { PulseError, errorMessage } from '../errors.ts';
// command imports (one line per command module)
import { registerCommandCommand } from './commands/commandCommand.ts';
import { registerGenerateCommand } from './commands/generateCommand.ts';
import { registerDetectCommand } from './commands/detectCommand.ts';
import { registerServicesCommand } from './commands/servicesCommand.ts';
import { registerTroubleshootCommand } from './commands/troubleshootCommand.ts';
import { registerForecastCommand } from './commands/forecastCommand.ts';
import { registerStackCommand } from './commands/stackCommand.ts';
import { registerRunCommand } from './commands/runCommand.ts';
import { registerMigrateCommand } from './commands/migrateCommand.ts';
import { registerTopicsCommand } from './commands/topicsCommand.ts';
import { registerQueryCommand } from './commands/queryCommand.ts';
import { registerDemoCommand } from './commands/demoCommand.ts';
import { registerReplayCommand } from './commands/replayCommand.ts';
import { registerBacktestCommand } from './commands/backtestCommand.ts';
import { registerInsightsCommand } from './commands/insightsCommand.ts';

// `pulse query … | head` closes stdout early; that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command('pulse')
  .description('Pulse: streaming analytics for workflow executions')
  .showHelpAfterError()
  .exitOverride();

// command registrations (one line per command module)
registerCommandCommand(program);
registerGenerateCommand(program);
registerDetectCommand(program);
registerServicesCommand(program);
registerTroubleshootCommand(program);
registerForecastCommand(program);
registerStackCommand(program);
registerRunCommand(program);
registerMigrateCommand(program);
registerTopicsCommand(program);
registerQueryCommand(program);
registerDemoCommand(program);
registerReplayCommand(program);
registerBacktestCommand(program);
registerInsightsCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    const retriable = error instanceof PulseError ? error.retriable : undefined;
    process.stderr.write(
      `pulse: ${errorMessage(error)}${retriable === true ? ' (temporary: retry later)' : ''}\n`,
    );
    process.exitCode = 1;
  }
}
