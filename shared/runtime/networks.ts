// Networks the machine is on, and which profile each interface gets. A network is known by its
// NetworkManager connection (UUID, plus SSID/BSSID on Wi-Fi) or, without NetworkManager, by its
// default gateway's address and MAC — as Windows does. Unknown networks are Public until the
// user says otherwise.
import type { NetworkIdentity, Policy, ProfileName } from '../policy/schema';
import { networkKey } from '../policy/identity';
import { FALLBACK_PROFILE } from './state';

export interface ActiveNetwork {
  /** Interface the network is reached through. */
  interface: string;
  identity: NetworkIdentity;
  /** What to call it: the connection name, the SSID, or "Network via 192.168.1.1". */
  name: string;
  /** Carries the default route (NetworkManager's primary connection). */
  primary: boolean;
}

export interface ProfileAssignment {
  /** Interface → profile for the verdict maps. Interfaces on no known network fall back to Public. */
  interfaces: Record<string, ProfileName>;
  /** Active networks not in the policy yet: Public for now; the user is asked once. */
  unknown: ActiveNetwork[];
}

/**
 * The profile in force on each interface: an interface pinned in the policy keeps its profile;
 * otherwise it takes its network's remembered profile; otherwise (new network, or no network
 * identity at all) Public.
 */
export function assignProfiles(policy: Policy, active: readonly ActiveNetwork[], interfaces: readonly string[] = []): ProfileAssignment {
  const remembered = new Map(policy.networks.map((n) => [networkKey(n.identity), n.profile]));
  const result: ProfileAssignment = { interfaces: {}, unknown: [] };
  for (const iface of interfaces) result.interfaces[iface] = FALLBACK_PROFILE;
  for (const net of active) {
    const profile = remembered.get(networkKey(net.identity));
    if (profile === undefined && !result.unknown.some((u) => networkKey(u.identity) === networkKey(net.identity))) result.unknown.push(net);
    result.interfaces[net.interface] = profile ?? FALLBACK_PROFILE;
  }
  for (const [iface, profile] of Object.entries(policy.interfaces)) result.interfaces[iface] = profile;
  return result;
}
