// One small error family. Every error says whether retrying can help (`retriable`) and keeps
// its cause. Adapters translate library errors into these at their boundary.

export class PulseError extends Error {
  readonly retriable: boolean;
  readonly code: string;

  constructor(message: string, options: { retriable: boolean; code?: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'PulseError';
    this.retriable = options.retriable;
    this.code = options.code ?? 'PULSE_ERROR';
  }
}

/** A failure that will not pass by retrying: bad input, bad config, a programming error. */
export class NonRetriableError extends PulseError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { retriable: false, code: options.code ?? 'NON_RETRIABLE', cause: options.cause });
    this.name = 'NonRetriableError';
  }
}

/** A failure of something outside us (broker, database, network) that may pass with time. */
export class TransientError extends PulseError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { retriable: true, code: options.code ?? 'TRANSIENT', cause: options.cause });
    this.name = 'TransientError';
  }
}

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** Input that fails its schema; `issues` names every failing field by its path. */
export class ValidationError extends NonRetriableError {
  readonly issues: readonly FieldIssue[];

  constructor(what: string, issues: readonly FieldIssue[]) {
    super(`${what}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, {
      code: 'VALIDATION',
    });
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** Bad configuration: names the setting so start-up can stop with a useful message. */
export class ConfigError extends NonRetriableError {
  constructor(message: string) {
    super(message, { code: 'CONFIG' });
    this.name = 'ConfigError';
  }
}

/** Whether an error may pass with a retry. JS programming errors never do. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError) {
    return false;
  }
  if (error instanceof PulseError) return error.retriable;
  if (error !== null && typeof error === 'object' && 'retriable' in error) {
    return (error as { retriable?: unknown }).retriable === true;
  }
  return true;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
