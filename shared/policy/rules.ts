// Which port rules are in force for a profile at a given time. The compiler and the exposure
// predictor both ask here, so they can never disagree about an expired or disabled rule.
import type { Policy, PortRule, ProfileName } from './schema';

export function isPortRuleActive(rule: PortRule, now?: string): boolean {
  if (!rule.enabled) return false;
  if (rule.expires !== undefined && now !== undefined && Date.parse(rule.expires) <= Date.parse(now)) return false;
  return true;
}

export function activePortRules(policy: Policy, profile: ProfileName, now?: string): PortRule[] {
  return policy.portRules.filter((r) => r.profiles.includes(profile) && isPortRuleActive(r, now));
}

export function ruleProtocols(rule: Pick<PortRule, 'protocol'>): ('tcp' | 'udp')[] {
  return rule.protocol === 'both' ? ['tcp', 'udp'] : [rule.protocol];
}
