// The command bus contract (schemas/workflow.commands.v1.avsc, workflow.command-results.v1.avsc):
// what a decoded command record must satisfy beyond its Avro schema (exactly one payload, the one
// its type names; JSON fields that parse), and the result record every command gets back.
import { z } from 'zod';

export const COMMAND_TYPES = [
  'generate',
  'troubleshoot',
  'predict',
  'publish_version',
  'roll_back',
  'record_feedback',
  'verify_resolution',
] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

/** Avro field of each type's payload. */
export const PAYLOAD_FIELD = {
  generate: 'generate',
  troubleshoot: 'troubleshoot',
  predict: 'predict',
  publish_version: 'publishVersion',
  roll_back: 'rollBack',
  record_feedback: 'recordFeedback',
  verify_resolution: 'verifyResolution',
} as const satisfies Record<CommandType, string>;

const id = z.string().trim().min(1).max(256);
const epochMs = z.number().int().min(946684800000).max(4102444800000);
const jsonText = z.string().refine(
  (text) => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be valid JSON' },
);

// z.object, not strictObject: Avro decodes nested records as class instances whose prototype
// methods a strict check would report as unknown keys; the Avro schema already fixes the fields.
const payloads = {
  generate: z.object({
    description: z.string().trim().min(1).max(8192),
    strategy: z.enum(['performance', 'cost', 'reliability', 'hybrid']),
    workflowId: id.nullable(),
    selectedServices: z.array(id).max(50),
  }),
  troubleshoot: z.object({
    workflowId: id,
    errorLogs: z
      .array(
        z.object({
          service: id.nullable(),
          stepId: id.nullable(),
          log: z.string().min(1).max(16_384),
          httpStatus: z.number().int().min(100).max(599).nullable(),
          occurredAt: epochMs.nullable(),
        }),
      )
      .max(1000),
    metricsJson: jsonText.nullable(),
    autoResolve: z.boolean(),
  }),
  predict: z.object({
    workflowId: id.nullable(),
    workflowJson: jsonText.nullable(),
    historicalDataJson: jsonText.nullable(),
    predictionHorizonHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 31),
  }),
  publish_version: z.object({
    workflowId: id,
    definitionJson: jsonText,
    reason: z.string().min(1).max(2000),
  }),
  roll_back: z.object({
    workflowId: id,
    toVersion: z.number().int().min(1),
    reason: z.string().min(1).max(2000),
  }),
  record_feedback: z.object({
    workflowId: id,
    version: z.number().int().min(1),
    rating: z.number().int().min(1).max(5),
    comment: z.string().max(4000),
  }),
  verify_resolution: z.object({
    sessionId: id,
    workflowId: id,
    runs: z.number().int().nonnegative(),
    failedRuns: z.number().int().nonnegative(),
  }),
};

export type CommandPayload<T extends CommandType> = z.infer<(typeof payloads)[T]>;

interface CommandBase {
  readonly commandId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly issuedAt: number;
}

export type Command = {
  [T in CommandType]: CommandBase & { readonly type: T; readonly payload: CommandPayload<T> };
}[CommandType];

const envelope = z.object({
  commandId: id,
  type: z.enum(COMMAND_TYPES),
  tenantId: id,
  userId: id,
  issuedAt: epochMs,
});

export type CommandParse = { ok: true; command: Command } | { ok: false; reason: string };

/** A decoded command record → a command, or every reason it is not one ("path: problem; ..."). */
export function parseCommand(decoded: unknown): CommandParse {
  const head = envelope.safeParse(decoded);
  if (!head.success) return { ok: false, reason: issues(head.error) };
  const record = decoded as Record<string, unknown>;
  const field = PAYLOAD_FIELD[head.data.type];
  const others = Object.values(PAYLOAD_FIELD).filter(
    (f) => f !== field && record[f] !== null && record[f] !== undefined,
  );
  if (others.length > 0) {
    return { ok: false, reason: `${others.join(', ')}: must be null for a ${head.data.type} command` };
  }
  const payload = payloads[head.data.type].safeParse(record[field]);
  if (!payload.success) return { ok: false, reason: issues(payload.error, field) };
  return { ok: true, command: { ...head.data, payload: payload.data } as Command };
}

function issues(error: z.ZodError, prefix?: string): string {
  return error.issues
    .map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(record)'}: ${i.message}`)
    .join('; ');
}

/** The Avro record of a command (absent payloads null), for senders. */
export function commandRecord(command: Command): Record<string, unknown> {
  const record: Record<string, unknown> = {
    commandId: command.commandId,
    type: command.type,
    tenantId: command.tenantId,
    userId: command.userId,
    issuedAt: command.issuedAt,
  };
  for (const [type, field] of Object.entries(PAYLOAD_FIELD)) {
    record[field] = type === command.type ? command.payload : null;
  }
  return record;
}

export type CommandStatus = 'completed' | 'needs_input' | 'rejected';

export interface CommandResult {
  readonly commandId: string;
  readonly type: CommandType;
  readonly tenantId: string;
  readonly userId: string;
  readonly status: CommandStatus;
  readonly error: { readonly code: string; readonly message: string; readonly retriable: boolean } | null;
  readonly workflowId: string | null;
  readonly version: number | null;
  readonly issuedAt: number;
  readonly bodyJson: string;
}

export function isCommandResult(value: unknown): value is CommandResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.commandId === 'string' &&
    typeof v.type === 'string' &&
    typeof v.status === 'string' &&
    typeof v.tenantId === 'string' &&
    typeof v.bodyJson === 'string'
  );
}
