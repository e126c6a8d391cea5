// `pulse demo`: the options; the run itself is in ./demo/demoRunner.ts.
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { setLogLevel } from '../../logger.ts';

interface DemoFlags {
  duration?: string;
  seed: string;
  keepStack: boolean;
  days: string;
  speed: string;
  lag: string;
}

function positive(name: string, value: string, integer = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  return n;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Start what is missing, generate workflows from sentences, backfill days of their history, then replay the last minutes up to now with incidents (a Slack rate-limit storm, an expired OAuth token, a slow version) and show the insights, troubleshooting sessions, forecast and generated workflow the pipeline produces',
    )
    .option('--duration <seconds>', 'stop by itself after this many seconds')
    .option('--seed <n>', 'simulation seed', '7')
    .option('--days <n>', 'days of history to backfill', '2')
    .option('--speed <x>', 'how much faster than the clock the time-lapse runs', '20')
    .option('--lag <minutes>', 'the time-lapse starts this many minutes before now', '25')
    .option('--keep-stack', 'leave Kafka and the registry running afterwards', false)
    .action(async (flags: DemoFlags) => {
      const config = loadConfig();
      setLogLevel(config.PULSE_LOG_LEVEL === 'info' ? 'warn' : config.PULSE_LOG_LEVEL);
      const speed = positive('--speed', flags.speed);
      if (speed <= 1) throw new Error(`--speed must be above 1, got ${flags.speed}`);
      const { runDemo } = await import('./demo/demoRunner.ts');
      await runDemo(config, {
        // Counted from the start, set-up and backfill included.
        durationMs: flags.duration === undefined ? undefined : positive('--duration', flags.duration) * 1000,
        seed: positive('--seed', flags.seed, true),
        keepStack: flags.keepStack,
        days: positive('--days', flags.days),
        speed,
        lagMinutes: positive('--lag', flags.lag),
      });
    });
}
