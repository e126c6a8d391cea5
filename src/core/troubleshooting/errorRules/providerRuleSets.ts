import type { ProviderRuleSet } from '../errorRule.ts';
import { commerceRules } from './commerceRules.ts';
import { configRules } from './configRules.ts';
import { messagingRules } from './messagingRules.ts';
import { platformRules } from './platformRules.ts';
import { productivityRules } from './productivityRules.ts';
import { sharedRules } from './sharedRules.ts';

/** Every documented provider error code the classifier knows, grouped by provider. */
export const providerRuleSets: readonly ProviderRuleSet[] = [
  ...messagingRules,
  ...productivityRules,
  ...commerceRules,
  ...platformRules,
  ...configRules,
  // Last, so on equal weight a provider's own rule (with its specific note) is reported first.
  sharedRules,
];
