import type { ErrorClass } from './errorClass.ts';

/**
 * How specific a piece of evidence is. A provider's documented error code beats a generic keyword,
 * which beats a bare HTTP status: providers routinely send 403 for rate limits or 200 for failures.
 */
export type EvidenceTier = 'provider' | 'keyword' | 'status';

/** One documented provider error (code or message shape) and the class it means. */
export interface ProviderErrorRule {
  /** Stable id, `<provider>.<code>`, reported in `matched`. */
  readonly id: string;
  readonly class: ErrorClass;
  readonly match: RegExp;
  /** Defaults to the provider tier weight. */
  readonly weight?: number;
  /**
   * Only fire when the step's service is this provider. Set for codes that are meaningless
   * elsewhere (bare numbers like Twilio's 20003, or common words).
   */
  readonly scoped?: boolean;
  /** Only fire when the HTTP status is one of these (ignored when the status is unknown). */
  readonly statuses?: readonly number[];
  /** Why this happens, in words a workflow author understands; used in the resolution text. */
  readonly note?: string;
  /**
   * Which setting to change, for classes a person must fix (every `config` rule has one): the
   * resolution text quotes it instead of a generic "check the connection".
   */
  readonly fix?: string;
  /** Overrides the class default, e.g. a row-lock conflict does pass on a plain retry. */
  readonly retryable?: boolean;
}

export interface ProviderRuleSet {
  readonly provider: string;
  readonly rules: readonly ProviderErrorRule[];
}

/** Provider-independent wording (Node error codes, common phrases) and its class. */
export interface KeywordRule {
  readonly id: string;
  readonly class: ErrorClass;
  readonly match: RegExp;
  readonly weight: number;
  /** Only fire when the HTTP status is known and one of these (an HTML page means little without it). */
  readonly statuses?: readonly number[];
  readonly note?: string;
  /** Which setting to change; see `ProviderErrorRule.fix`. */
  readonly fix?: string;
}

/** What a bare HTTP status suggests on its own. */
export interface StatusEvidence {
  readonly class: ErrorClass;
  readonly weight: number;
}
