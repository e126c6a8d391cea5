import { setLogLevel, type LogLevel } from '../../src/logger.ts';

// Integration tests log warnings and errors only, unless asked for more.
setLogLevel((process.env.PULSE_TEST_LOG_LEVEL as LogLevel | undefined) ?? 'warn');
