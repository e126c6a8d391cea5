// Fakes for the pure HTTP layer: the API's collaborators answer from memory, so tests exercise
// routing, validation, auth and limits through `app.inject` without ClickHouse or Kafka.
import type { ClickHouseStore } from '../../../src/adapters/clickhouse/clickhouseStore.ts';
import type { ApiDeps, ApiSecurity, CommandGateway } from '../../../src/api/apiServer.ts';
import type { Command, CommandResult } from '../../../src/core/commands/command.ts';
import type { Logger } from '../../../src/logger.ts';

export const TOKEN = 'pulse-test-token-0123456789abcdef';

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields: Record<string, unknown> | undefined;
}

export function recordingLogger(records: LogRecord[] = []): Logger {
  const at =
    (level: LogRecord['level']) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      records.push({ level, msg, fields });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

export interface FakeApi {
  readonly deps: ApiDeps;
  readonly sql: string[];
  readonly commands: Command[];
  readonly logs: LogRecord[];
}

export function fakeApi(security?: ApiSecurity): FakeApi {
  const sql: string[] = [];
  const commands: Command[] = [];
  const logs: LogRecord[] = [];
  const reader = {
    target: { database: 'pulse', mode: 'embedded' },
    query: (_sql: string, params: Record<string, unknown>) =>
      Promise.resolve(
        params.id === 'known'
          ? [{ command_id: 'known', command_type: 'generate', status: 'completed', body: '{"ok":true}' }]
          : [],
      ),
  } as unknown as ClickHouseStore;
  const gateway: CommandGateway = {
    timeoutMs: 50,
    newCommandId: () => `cmd-${commands.length + 1}`,
    request: (command): Promise<CommandResult> => {
      commands.push(command);
      return Promise.resolve({
        commandId: command.commandId,
        type: command.type,
        tenantId: command.tenantId,
        userId: command.userId,
        status: 'completed',
        error: null,
        workflowId: null,
        version: null,
        issuedAt: command.issuedAt,
        bodyJson: '{"done":true}',
      });
    },
  };
  const deps: ApiDeps = {
    reader,
    queries: {
      run: (text) => {
        sql.push(text);
        return Promise.resolve({ columns: [{ name: 'x', type: 'UInt8' }], rows: [{ x: 1 }] });
      },
    },
    metrics: () => [],
    health: () => Promise.resolve({ status: 'ok' }),
    replay: (request) => Promise.resolve({ table: request.table, replayed: 0 }),
    commands: gateway,
    log: recordingLogger(logs),
    ...(security === undefined ? {} : { security }),
  };
  return { deps, sql, commands, logs };
}
