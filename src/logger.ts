// Structured logs: one JSON object per line on stderr (stdout stays free for command output).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

let globalLevel: LogLevel = 'info';

export function setLogLevel(level: LogLevel): void {
  globalLevel = level;
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...('code' in value ? { code: value.code } : {}) };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export function createLogger(base: Record<string, unknown> = {}): Logger {
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (rank[level] < rank[globalLevel]) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg, ...base };
    if (fields) for (const [k, v] of Object.entries(fields)) record[k] = serialise(v);
    process.stderr.write(JSON.stringify(record) + '\n');
  };
  return {
    debug: (m, f) => {
      write('debug', m, f);
    },
    info: (m, f) => {
      write('info', m, f);
    },
    warn: (m, f) => {
      write('warn', m, f);
    },
    error: (m, f) => {
      write('error', m, f);
    },
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

export const rootLogger = createLogger();
