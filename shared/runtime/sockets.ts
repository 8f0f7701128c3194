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
  v6Only?: boolean | undefined;
  /** SO_BINDTODEVICE: only packets arriving on this interface reach the socket. */
  boundInterface?: string | undefined;
  /** The app that owns the socket, when known. */
  app?: AppIdentity | undefined;
}

export interface ProcessInfo {
  pid: number;
  /** /proc/PID/exe; null when it cannot be read (the process exited, or a kernel thread). */
  exe: string | null;
  cmdline: string[];
  uid: number;
  /** Login name of uid, when known. */
  user: string | null;
}

export type SocketState =
  | 'LISTEN' | 'UNCONN' | 'ESTABLISHED' | 'SYN_SENT' | 'SYN_RECV' | 'FIN_WAIT1' | 'FIN_WAIT2'
  | 'TIME_WAIT' | 'CLOSE' | 'CLOSE_WAIT' | 'LAST_ACK' | 'CLOSING';

/** A socket as the helper's monitor reports it: a ListeningSocket plus what the kernel and /proc say. */
export interface SocketEntry extends ListeningSocket {
  family: 4 | 6;
  /** TCP state; UDP sockets are UNCONN (listening / unconnected) or ESTABLISHED (connected). */
  state: SocketState;
  remoteAddress: string;
  remotePort: number;
  inode: number;
  /** Owner uid of the socket (sock_diag). */
  uid: number;
  /** A process holding the socket, when one was found (it may have exited). */
  process?: ProcessInfo | undefined;
}

/** Sockets that accept packets from other hosts: TCP listeners and unconnected UDP sockets. */
export function isListeningEntry(entry: Pick<SocketEntry, 'protocol' | 'state'>): boolean {
  return entry.protocol === 'tcp' ? entry.state === 'LISTEN' : entry.state === 'UNCONN';
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
  // Every rate-limited allowed app has its own set, listening or not (so updates empty it).
  for (const rule of policy.apps) {
    if (rule.action === 'allow' && rule.limit) for (const p of rule.profiles) found[p].limited[rule.id] = [];
  }
  for (const socket of sockets) {
    if (!socket.app || isLoopbackOnly(socket)) continue;
    const rule = rulesByApp.get(appKey(socket.app));
    if (!rule) continue;
    const key = { protocol: socket.protocol, port: socket.port };
    for (const profile of rule.profiles) {
      if (rule.action === 'allow' && rule.limit) found[profile].limited[rule.id]?.push(key);
      else found[profile][rule.action].push(key);
    }
  }
  const result = emptyAppPorts();
  for (const p of PROFILE_NAMES) {
    result[p] = {
      allow: normalisePortKeys(found[p].allow),
      block: normalisePortKeys(found[p].block),
      limited: Object.fromEntries(Object.entries(found[p].limited).map(([id, keys]) => [id, normalisePortKeys(keys)])),
    };
  }
  return result;
}
