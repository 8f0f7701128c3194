// Which default gateway identifies the network on each interface, from the kernel's links and
// default routes (pure: the rtnetlink reading is in rtnetlink.ts). Windows names a network by its
// default gateway's MAC; Palisade does the same when there is no NetworkManager to ask.
import type { ActiveNetwork } from '../../../shared/runtime/networks';

export type IpVersion = 4 | 6;

export interface KernelLink {
  index: number;
  name: string;
  /** Up, with carrier, and a link layer whose neighbours have MAC addresses (not loopback, not a tunnel). */
  usable: boolean;
}

/** A unicast default route of the main table with a single gateway. */
export interface KernelRoute {
  version: IpVersion;
  ifindex: number;
  gateway: string;
  metric: number;
}

export interface KernelNeighbour {
  ifindex: number;
  address: string;
  /** Lowercase MAC, or undefined while the kernel is still resolving it (or has failed to). */
  mac: string | undefined;
}

export interface GatewayCandidate {
  ifindex: number;
  interface: string;
  address: string;
  /** Carries the route the kernel uses first for traffic leaving the machine. */
  primary: boolean;
}

export const neighbourKey = (ifindex: number, address: string) => `${ifindex}|${address}`;

/** The lowest-metric route wins; on equal metrics the one listed first, as in the kernel's lookup. */
function best(routes: readonly KernelRoute[]): KernelRoute | undefined {
  return routes.reduce<KernelRoute | undefined>((win, r) => (win === undefined || r.metric < win.metric ? r : win), undefined);
}

/**
 * One gateway per usable interface: its IPv4 default gateway when it has one (what Windows uses),
 * otherwise its IPv6 default gateway. The primary interface is the one whose default route wins,
 * IPv4 first.
 */
export function selectGateways(links: readonly KernelLink[], routes: readonly KernelRoute[]): GatewayCandidate[] {
  const usable = new Map(links.filter((l) => l.usable).map((l) => [l.index, l]));
  const candidates = routes.filter((r) => usable.has(r.ifindex));
  const primary = best(candidates.filter((r) => r.version === 4)) ?? best(candidates.filter((r) => r.version === 6));
  const result: GatewayCandidate[] = [];
  for (const link of usable.values()) {
    const own = candidates.filter((r) => r.ifindex === link.index);
    const chosen = best(own.filter((r) => r.version === 4)) ?? best(own.filter((r) => r.version === 6));
    if (!chosen) continue;
    const isPrimary = primary !== undefined && primary.ifindex === link.index;
    result.push({ ifindex: link.index, interface: link.name, address: chosen.gateway, primary: isPrimary });
  }
  return result;
}

export function gatewayNetwork(candidate: GatewayCandidate, mac: string): ActiveNetwork {
  return {
    interface: candidate.interface,
    identity: { kind: 'gateway', address: candidate.address, mac },
    name: `Network via ${candidate.address}`,
    primary: candidate.primary,
  };
}
