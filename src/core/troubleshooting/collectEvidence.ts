import type { ErrorClass } from './errorClass.ts';
import type { EvidenceTier, ProviderErrorRule } from './errorRule.ts';
import { awsRegions, configKeywordRules, tenantDomains } from './errorRules/configRules.ts';
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
  readonly fix?: string;
  readonly retryable?: boolean;
}

export interface EvidenceContext {
  /** Normalised log text. */
  readonly text: string;
  /** Provider profile id of the step's service, if recognised. */
  readonly provider: string | undefined;
  /** That provider's API hosts, to tell a misspelled or custom host from a provider outage. */
  readonly providerHosts?: RegExp | undefined;
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

const dnsNotFound = /\b(?:ENOTFOUND|EAI_NONAME)\s+([^\s'",;)]+)/;
// A DNS failure outweighs the network wording (ENOTFOUND + getaddrinfo, 7.25 together) when the
// host itself shows the setting is wrong.
const dnsConfigWeight = 9;
// Above a provider's own network rule with the generic DNS wording (e.g. MongoDB's 7 + 5 + 4.5, decayed).
const tenantDnsWeight = 12;

/**
 * ENOTFOUND says the name does not exist. For the provider's own API host that is a resolver
 * hiccup (network, retried); for a placeholder, a host that is not the provider's, or a
 * customer-named subdomain of the provider it is the connection's host setting that is wrong.
 */
function dnsEvidence(text: string, providerHosts: RegExp | undefined): Evidence | undefined {
  const host = dnsNotFound.exec(text)?.[1]?.replace(/\.$/, '');
  if (host === undefined) return undefined;
  const base = {
    rule: 'config.dns_host',
    class: 'config',
    tier: 'keyword',
    weight: dnsConfigWeight,
    text: host,
  } as const;
  const fix =
    "Correct the host in the step's base URL or the connection (spelling, tenant/subdomain, region), then re-run.";
  if (!host.includes('.') || /^(?:undefined|null|nan)\b|[{}$]/i.test(host)) {
    return {
      ...base,
      note: 'the host name is empty or an unfilled placeholder',
      fix: "Fill in the setting that builds the step's URL (it resolved to a placeholder), then re-run.",
    };
  }
  if (providerHosts !== undefined && !providerHosts.test(host)) {
    return {
      ...base,
      note: "the host is not one of the provider's API hosts (misspelled or custom base URL)",
      fix,
    };
  }
  if (tenantDomains.test(host)) {
    // The customer's own name under the provider's domain does not resolve: nothing else explains it.
    return {
      ...base,
      weight: tenantDnsWeight,
      note: 'the account, project, cluster or site name in the host does not exist',
      fix,
    };
  }
  return undefined;
}

// `<service>.<region>.amazonaws.com` and `<bucket>.s3.<region>.amazonaws.com`; dualstack and FIPS
// labels sit before the region.
const awsHostRegion = /\b([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})\.amazonaws\.com\b/g;
const awsRegionWeight = 9;

/**
 * An AWS endpoint whose region does not exist (a typo such as `eu-wets-1`) cannot be reached
 * however often it is retried: whatever the error says (DNS, connect), the region setting is wrong.
 */
function awsRegionEvidence(text: string): Evidence | undefined {
  for (const found of text.matchAll(awsHostRegion)) {
    const region = found[1];
    if (region === undefined || awsRegions.has(region)) continue;
    return {
      rule: 'config.aws_region',
      class: 'config',
      tier: 'keyword',
      weight: awsRegionWeight,
      text: region,
      note: `the AWS region "${region}" in the endpoint does not exist`,
      fix: "Set the connection's AWS region to a real region code (e.g. eu-west-1, us-east-1) where the resource lives, and clear any hand-written endpoint URL.",
    };
  }
  return undefined;
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
        ...(rule.fix !== undefined ? { fix: rule.fix } : {}),
        ...(rule.retryable !== undefined ? { retryable: rule.retryable } : {}),
      });
    }
  }

  const dns = dnsEvidence(text, context.providerHosts);
  if (dns !== undefined) evidence.push(dns);
  const region = awsRegionEvidence(text);
  if (region !== undefined) evidence.push(region);

  for (const rule of [...keywordRules, ...configKeywordRules]) {
    if (rule.statuses !== undefined && (status === undefined || !rule.statuses.includes(status))) continue;
    const found = rule.match.exec(text);
    if (found === null) continue;
    evidence.push({
      rule: rule.id,
      class: rule.class,
      tier: 'keyword',
      weight: rule.weight,
      text: quote(found[0]),
      ...(rule.note !== undefined ? { note: rule.note } : {}),
      ...(rule.fix !== undefined ? { fix: rule.fix } : {}),
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
