// Policies the benchmarks start the helper with.
import type { PolicyInput } from '../../shared/policy/schema';

/** `count` inbound TCP allow rules on ports from `firstPort` up, for both profiles. */
export function portAllowRules(count: number, firstPort = 20_000): NonNullable<PolicyInput['portRules']> {
  return Array.from({ length: count }, (_, i) => ({
    id: `bench-${i}`,
    action: 'allow' as const,
    protocol: 'tcp' as const,
    ports: { from: firstPort + i, to: firstPort + i },
    profiles: ['private' as const, 'public' as const],
  }));
}

/**
 * Closed ports answer with a reset on both profiles (stealth off), so the prober sees a change
 * of state the moment it happens instead of waiting out a silent drop.
 */
export const ANSWERING_PROFILES: PolicyInput['profiles'] = { private: { stealth: false }, public: { stealth: false } };
