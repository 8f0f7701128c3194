// Runtime state: what the helper knows beyond the policy file — which profile is in force on
// each interface, and which ports allowed (or blocked) apps are listening on right now.
import type { ProfileName } from '../policy/schema';

export type TransportProtocol = 'tcp' | 'udp';

export interface PortKey {
  protocol: TransportProtocol;
  port: number;
}

export interface AppPortSets {
  /** Ports of allowed apps listening now; still gated by the kernel socket lookup. */
  allow: PortKey[];
  /** Ports of blocked apps listening now; block beats every allow. */
  block: PortKey[];
}

export interface RuntimeState {
  /** Interface name → profile in force. Interfaces not listed get Public. */
  interfaces: Record<string, ProfileName>;
  appPorts: Record<ProfileName, AppPortSets>;
  /** Current time (ISO 8601), for rule expiry. Without it no rule counts as expired. */
  now?: string;
}

/** Interfaces whose network is not known yet are Public, as on Windows. */
export const FALLBACK_PROFILE: ProfileName = 'public';

export function emptyAppPorts(): Record<ProfileName, AppPortSets> {
  return { private: { allow: [], block: [] }, public: { allow: [], block: [] } };
}

export function emptyRuntime(): RuntimeState {
  return { interfaces: {}, appPorts: emptyAppPorts() };
}

export function profileOfInterface(runtime: Pick<RuntimeState, 'interfaces'>, iface: string): ProfileName {
  return runtime.interfaces[iface] ?? FALLBACK_PROFILE;
}

export function portKeyString(key: PortKey): string {
  return `${key.protocol}/${key.port}`;
}

/** Sorted, de-duplicated port keys, so equal states compile to equal documents. */
export function normalisePortKeys(keys: Iterable<PortKey>): PortKey[] {
  const unique = new Map<string, PortKey>();
  for (const k of keys) unique.set(portKeyString(k), { protocol: k.protocol, port: k.port });
  return [...unique.values()].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port);
}
