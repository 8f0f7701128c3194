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
  /** Ports of allowed apps with brute-force limits, by app id (each app has its own set and limits). */
  limited: Record<string, PortKey[]>;
}

export interface RuntimeState {
  /** Interface name → profile in force. Interfaces not listed get Public. */
  interfaces: Record<string, ProfileName>;
  appPorts: Record<ProfileName, AppPortSets>;
  /** Current time (ISO 8601), for rule expiry. Without it no rule counts as expired. */
  now?: string | undefined;
  /** DNS servers the system is configured with (outbound essentials allow DNS to these). */
  resolvers?: string[] | undefined;
  /**
   * Sources the kernel remembered before a full replacement (knock stages reached, sources
   * blocked by a limit or caught scanning), by set name (compiler/dynamic.ts), so that changing
   * an unrelated rule neither unblocks a brute-forcer nor forgets a knock.
   */
  remembered?: Record<string, RememberedSource[]> | undefined;
  /** Counter values of the table being replaced, by rule comment, so hit counts survive changes to other rules. */
  counters?: Record<string, RuleCounter> | undefined;
}

export interface RuleCounter { packets: number; bytes: number }

export interface RememberedSource {
  address: string;
  family: 4 | 6;
  /** Seconds until the kernel would have forgotten it. */
  expiresInSeconds: number;
}

/** Interfaces whose network is not known yet are Public, as on Windows. */
export const FALLBACK_PROFILE: ProfileName = 'public';

export function emptyAppPorts(): Record<ProfileName, AppPortSets> {
  return { private: { allow: [], block: [], limited: {} }, public: { allow: [], block: [], limited: {} } };
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
