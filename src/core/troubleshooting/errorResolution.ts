import type { ErrorClass } from './errorClass.ts';
import type { Evidence } from './collectEvidence.ts';
import { defaultThrottle } from './providerProfiles.ts';
import type { ProviderProfile } from './providerProfiles.ts';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly backoff: 'exponential';
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: true;
}

/** What the platform does by itself for an auto-resolvable failure. */
export type AutomaticResolution =
  | {
      readonly action: 'backoff';
      readonly retry: RetryPolicy;
      readonly concurrency: number;
      readonly respectRetryAfter: true;
      readonly retryAfterMs?: number;
      readonly instructions: string;
    }
  | {
      readonly action: 'retry';
      readonly retry: RetryPolicy;
      readonly respectRetryAfter: boolean;
      readonly timeoutMultiplier?: number;
      readonly instructions: string;
    }
  | {
      readonly action: 'reduce_batch_size';
      readonly factor: number;
      readonly minBatchSize: number;
      readonly instructions: string;
    };

export type ManualAction =
  | 'reconnect_credentials'
  | 'grant_access'
  | 'raise_quota'
  | 'fix_input'
  | 'fix_reference'
  | 'resolve_conflict'
  | 'fix_configuration';

/** What a person has to do; the platform does not retry these on its own. */
export interface ManualResolution {
  readonly action: ManualAction;
  readonly instructions: string;
}

export type Resolution = AutomaticResolution | ManualResolution;

export interface ResolutionContext {
  readonly class: ErrorClass;
  readonly provider: ProviderProfile | undefined;
  /** Strongest evidence for the chosen class, if any. */
  readonly evidence: Evidence | undefined;
  readonly retryAfterMs: number | undefined;
}

function jittered(maxAttempts: number, initialDelayMs: number, maxDelayMs: number): RetryPolicy {
  return { maxAttempts, backoff: 'exponential', initialDelayMs, maxDelayMs, jitter: true };
}

/** "the token was revoked (invalid_auth)" from the rule's note, else the text that matched. */
function cause(evidence: Evidence | undefined, fallback: string): string {
  if (evidence === undefined) return fallback;
  const code = evidence.tier === 'status' ? `HTTP ${evidence.text ?? ''}` : evidence.text;
  if (evidence.note !== undefined) {
    return code !== undefined && !evidence.note.includes(code) ? `${evidence.note} (${code})` : evidence.note;
  }
  return code !== undefined ? `${fallback} (${code})` : fallback;
}

export function errorResolution(context: ResolutionContext): Resolution {
  const { provider, evidence } = context;
  const name = provider?.name ?? 'the service';
  const connection = provider !== undefined ? `the ${provider.name} connection` : 'the connection';
  const throttle = provider?.throttle ?? defaultThrottle;

  switch (context.class) {
    case 'rate_limit': {
      const waitMs = context.retryAfterMs;
      const initialDelayMs = Math.max(throttle.initialDelayMs, waitMs ?? 0);
      return {
        action: 'backoff',
        retry: jittered(6, initialDelayMs, Math.max(throttle.maxDelayMs, initialDelayMs * 4)),
        concurrency: throttle.concurrency,
        respectRetryAfter: true,
        ...(waitMs !== undefined ? { retryAfterMs: waitMs } : {}),
        instructions: `${name} is rate limiting: ${cause(evidence, 'too many requests in a short window')}. Retrying with exponential backoff and jitter, honouring Retry-After, and lowering concurrency to ${throttle.concurrency}.`,
      };
    }
    case 'timeout':
      return {
        action: 'retry',
        retry: jittered(3, 2000, 30_000),
        respectRetryAfter: false,
        timeoutMultiplier: 2,
        instructions: `${name} did not answer in time: ${cause(evidence, 'the request timed out')}. Retrying with jittered backoff and a doubled timeout; if it keeps timing out, request less data per call.`,
      };
    case 'network':
      return {
        action: 'retry',
        retry: jittered(5, 1000, 30_000),
        respectRetryAfter: false,
        instructions: `The connection to ${name} failed before a response arrived: ${cause(evidence, 'a network error')}. Retrying with jittered backoff; if DNS or TLS errors persist, check the host name, proxy and certificates.`,
      };
    case 'upstream_5xx':
      return {
        action: 'retry',
        retry: jittered(4, 2000, 60_000),
        respectRetryAfter: true,
        instructions: `${name} failed on its side: ${cause(evidence, 'a server error')}. Retrying with jittered backoff; check the provider's status page if it persists.`,
      };
    case 'payload_too_large':
      return {
        action: 'reduce_batch_size',
        factor: 0.5,
        minBatchSize: 1,
        instructions: `The request is too large for ${name}: ${cause(evidence, 'the payload exceeds a size limit')}. Halving the batch size and retrying; if a single item is still too large, truncate or split its content.`,
      };
    case 'auth':
      return {
        action: 'reconnect_credentials',
        instructions: `Reconnect ${connection}: ${cause(evidence, `${name} rejected the credentials (expired, revoked or wrong)`)}. Re-authorise it (sign in again or paste a new API key/token) in Connections, then re-run the step. Retrying with the same credentials will keep failing.`,
      };
    case 'permission':
      return {
        action: 'grant_access',
        instructions: `The credentials of ${connection} are valid but not allowed to do this: ${cause(evidence, 'access was denied')}. Grant the missing scope/role or share the resource with the connected account (for chat apps, add the bot to the channel), reconnect if scopes changed, then re-run the step.`,
      };
    case 'quota':
      return {
        action: 'raise_quota',
        instructions: `${name} quota is exhausted: ${cause(evidence, 'a daily/monthly or plan allowance is used up')}. This will not pass with retries, so the step is not retried. Raise the plan, billing limit or quota in the ${name} account, or wait for the quota period to reset, then re-run.`,
      };
    case 'validation':
      return {
        action: 'fix_input',
        instructions: `${name} rejected the request data: ${cause(evidence, 'a field is missing or has an invalid value')}. Fix the step's input mapping (required fields, formats, allowed values) using the field named in the error, then re-run.`,
      };
    case 'not_found':
      return {
        action: 'fix_reference',
        instructions: `The ${name} resource the step refers to does not exist or is not visible to this connection: ${cause(evidence, 'not found')}. Check the id/path mapped into the step (it may have been deleted, renamed or never shared), then re-run.`,
      };
    case 'conflict':
      return {
        action: 'resolve_conflict',
        instructions: `The request clashes with the current state in ${name}: ${cause(evidence, 'the record already exists or was changed concurrently')}. Use an update/upsert or a unique key instead of a create, or serialise writes to the same record, then re-run.`,
      };
    case 'config':
      // Never automatic: a retry sends the same settings. The rule's `fix` names the setting.
      return {
        action: 'fix_configuration',
        instructions:
          evidence === undefined
            ? `The step failed before ${name} answered, with an error Pulse does not recognise and no network error: most likely the step's own setup. Check that every setting and credential the step uses is filled in (no empty values or unfilled placeholders), its base URL/region/account, then re-run. The step is not retried automatically.`
            : `The step or ${connection} is set up wrongly: ${cause(evidence, 'an endpoint, region, account or API setting does not match')}. ${evidence.fix ?? "Check the connection's base URL/region/account, API version and enabled services, then re-run."} Retrying with the same settings will keep failing, so the step is not retried.`,
      };
  }
}
