import { providerProfiles } from './providerProfiles.ts';
import type { ProviderProfile } from './providerProfiles.ts';

// Short aliases ('x', 's3', 'sf') only count as whole tokens; longer brand names may also sit
// inside a compound id such as `googlesheetsv4` or `hubspotcrm`.
const minSubstringAlias = 6;

function serviceTokens(service: string): string[] {
  return service
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '');
}

/**
 * The provider a step talks to: from its service id first (longest matching alias wins, so
 * `onedrive` is Microsoft rather than a Google `drive`), else from an API host named in the log.
 */
export function detectProvider(service: string, log: string): ProviderProfile | undefined {
  const tokens = serviceTokens(service);
  const compact = tokens.join('');
  let best: ProviderProfile | undefined;
  let bestLength = 0;
  for (const profile of providerProfiles) {
    for (const alias of profile.aliases) {
      const hit = tokens.includes(alias) || (alias.length >= minSubstringAlias && compact.includes(alias));
      if (hit && alias.length > bestLength) {
        best = profile;
        bestLength = alias.length;
      }
    }
  }
  if (best !== undefined) return best;

  let earliest = Number.POSITIVE_INFINITY;
  for (const profile of providerProfiles) {
    const index = profile.hosts === undefined ? -1 : log.search(profile.hosts);
    if (index >= 0 && index < earliest) {
      best = profile;
      earliest = index;
    }
  }
  return best;
}
