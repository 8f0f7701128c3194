// Listening sockets as the helper sees them, and what they mean for the per-app port sets.
import type { AppIdentity, Policy, ProfileName } from '../policy/schema';
import { PROFILE_NAMES } from '../policy/schema';
import { appKey } from '../policy/identity';
import { isLoopbackAddress } from '../net/address';
import { emptyAppPorts, normalisePortKeys, type AppPortSets, type TransportProtocol } from './state';

export interface ListeningSocket {
  protocol: TransportProtocol;
  /** Local bound address: `0.0.0.0`, `::`, a specific address, or `::ffff:a.b.c.d`. */
  address: string;
  port: number;
  /** For `::`: IPV6_V6ONLY set, so IPv4 is not accepted. */
  v6Only?: boolean;
  /** SO_BINDTODEVICE: only packets arriving on this interface reach the socket. */
  boundInterface?: string;
  /** The app that owns the socket, when known. */
  app?: AppIdentity;
}

/** A socket bound only to loopback is never reachable from another host. */
export function isLoopbackOnly(socket: ListeningSocket): boolean {
  return isLoopbackAddress(socket.address) || socket.boundInterface === 'lo';
}

/**
 * Which (protocol, port) pairs each profile opens or closes for apps, given the sockets
 * listening now: an allowed app opens exactly the ports it listens on, a blocked app closes
 * them. Loopback-only listeners change nothing.
 */
export function appOpenings(policy: Policy, sockets: readonly ListeningSocket[]): Record<ProfileName, AppPortSets> {
  const rulesByApp = new Map(policy.apps.map((rule) => [appKey(rule.identity), rule]));
  const found = emptyAppPorts();
  for (const socket of sockets) {
    if (!socket.app || isLoopbackOnly(socket)) continue;
    const rule = rulesByApp.get(appKey(socket.app));
    if (!rule) continue;
    for (const profile of rule.profiles) {
      found[profile][rule.action].push({ protocol: socket.protocol, port: socket.port });
    }
  }
  const result = emptyAppPorts();
  for (const p of PROFILE_NAMES) {
    result[p] = { allow: normalisePortKeys(found[p].allow), block: normalisePortKeys(found[p].block) };
  }
  return result;
}
