import type { ErrorClass } from './errorClass.ts';
import type { EvidenceTier, ProviderErrorRule } from './errorRule.ts';
import { keywordRules } from './errorRules/keywordRules.ts';
import { providerRuleSets } from './errorRules/providerRuleSets.ts';
import { statusEvidence, statusFamilyEvidence } from './errorRules/statusEvidence.ts';

/** One fired rule: what it points at, how strongly, and the text that triggered it. */
export interface Evidence {
  readonly rule: string;
  readonly class: ErrorClass;
  readonly tier: EvidenceTier;
  readonly weight: number;
  readonly text?: string;
  readonly note?: string;
  readonly retryable?: boolean;
}

export interface EvidenceContext {
  /** Normalised log text. */
  readonly text: string;
  /** Provider profile id of the step's service, if recognised. */
  readonly provider: string | undefined;
  readonly status: number | undefined;
  /** Whether the status came from the input (true) or was read out of the log (false). */
  readonly statusGiven: boolean;
}

const providerTierWeight = 6;
// A documented code seen on a different or unknown service (e.g. a generic `http` step calling
// OpenAI) is still strong evidence, just less certain than on its home provider.
const crossProviderFactor = 0.6;
const inferredStatusFactor = 0.8;
const maxQuotedLength = 120;

function quote(found: string): string {
  return found.length > maxQuotedLength ? `${found.slice(0, maxQuotedLength)}…` : found;
}

function providerWeight(rule: ProviderErrorRule, ruleProvider: string, provider: string | undefined): number {
  const base = rule.weight ?? providerTierWeight;
  if (ruleProvider === '*' || ruleProvider === provider) return base;
  return rule.scoped === true ? 0 : base * crossProviderFactor;
}

export function collectEvidence(context: EvidenceContext): Evidence[] {
  const { text, provider, status } = context;
  const evidence: Evidence[] = [];

  for (const set of providerRuleSets) {
    for (const rule of set.rules) {
      if (rule.statuses !== undefined && status !== undefined && !rule.statuses.includes(status)) continue;
      if (rule.statuses !== undefined && status === undefined) continue;
      const weight = providerWeight(rule, set.provider, provider);
      if (weight <= 0) continue;
      const found = rule.match.exec(text);
      if (found === null) continue;
      evidence.push({
        rule: rule.id,
        class: rule.class,
        tier: 'provider',
        weight,
        text: quote(found[0]),
        ...(rule.note !== undefined ? { note: rule.note } : {}),
        ...(rule.retryable !== undefined ? { retryable: rule.retryable } : {}),
      });
    }
  }

  for (const rule of keywordRules) {
    const found = rule.match.exec(text);
    if (found === null) continue;
    evidence.push({
      rule: rule.id,
      class: rule.class,
      tier: 'keyword',
      weight: rule.weight,
      text: quote(found[0]),
      ...(rule.note !== undefined ? { note: rule.note } : {}),
    });
  }

  if (status !== undefined) {
    const family = Math.floor(status / 100);
    const hints = statusEvidence[status] ?? statusFamilyEvidence[family] ?? [];
    const factor = context.statusGiven ? 1 : inferredStatusFactor;
    for (const hint of hints) {
      evidence.push({
        rule: `http.${status}`,
        class: hint.class,
        tier: 'status',
        weight: hint.weight * factor,
        text: String(status),
      });
    }
  }
  return evidence;
}
