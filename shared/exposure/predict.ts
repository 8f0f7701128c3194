// The exposure predictor: (policy, interface, listening sockets) → what nmap on another host
// would report for each port, and whether ping is answered. It follows the compiled chain
// (shared/compiler/ruleset.ts) step by step, in the same order, but reasons about sockets
// instead of packets, so the UI can say "what others see" without sending a probe.
import { PROFILE_NAMES, type Policy, type PortRule, type ProfileName } from '../policy/schema';
import { activePortRules, ruleProtocols } from '../policy/rules';
import { canonicalAddress, ipFamily, isUnspecifiedAddress, networkContains, parseNetwork, unmapAddress } from '../net/address';
import { profileOfInterface, type RuntimeState, type TransportProtocol } from '../runtime/state';
import { appOpenings, isLoopbackOnly, type ListeningSocket } from '../runtime/sockets';

/** nmap's port states (SYN scan for TCP, UDP scan for UDP). */
export type ScanState = 'open' | 'closed' | 'filtered' | 'open|filtered';

export type PredictionReason =
  | { kind: 'firewall-off' }
  | { kind: 'shields-up' }
  | { kind: 'blocked-app' }
  | { kind: 'block-rule'; ruleId: string }
  | { kind: 'always-open'; ruleId: string }
  | { kind: 'allow-rule'; ruleId: string }
  /** A rule allows the port, but nothing listens on it now. */
  | { kind: 'allowed-idle'; ruleId: string }
  | { kind: 'allowed-app' }
  | { kind: 'default-allow' }
  | { kind: 'not-allowed' };

export interface PortPrediction {
  state: ScanState;
  reason: PredictionReason;
  /** A socket would receive the probe. */
  listening: boolean;
  profile: ProfileName;
}

/** Inputs to a prediction. Read as a snapshot: build a new context when any of them changes. */
export interface ExposureContext {
  policy: Policy;
  runtime: Pick<RuntimeState, 'interfaces' | 'now'>;
  sockets: readonly ListeningSocket[];
  /** The scanner's address. Rules limited to remote networks apply only when it is inside them;
   *  without it the scanner is taken to be outside every such network. */
  source?: string;
}

export interface ProbeTarget {
  /** Interface the probe arrives on (decides the profile). */
  interface: string;
  /** Address the scanner aims at, one of the interface's own. */
  address: string;
}

/** Would the kernel deliver a packet for (protocol, address, port) on `iface` to this socket? */
export function socketReceives(sock: ListeningSocket, protocol: TransportProtocol, target: ProbeTarget, port: number): boolean {
  if (sock.protocol !== protocol || sock.port !== port) return false;
  if (sock.boundInterface !== undefined && sock.boundInterface !== target.interface) return false;
  const family = ipFamily(target.address);
  const bound = unmapAddress(sock.address);
  const boundFamily = ipFamily(sock.address);
  if (isUnspecifiedAddress(sock.address)) {
    if (boundFamily === family) return true;
    // `::` without IPV6_V6ONLY is dual-stack and takes IPv4 too.
    return family === 4 && boundFamily === 6 && !sock.v6Only;
  }
  return canonicalAddress(bound) === canonicalAddress(unmapAddress(target.address));
}

/** What every prediction from one context needs, worked out once: a whole exposure view asks
 *  about every listening port, so per-call scans of all sockets would be quadratic. */
interface PreparedContext {
  socketsByPort: Map<string, ListeningSocket[]>;
  openings: Record<ProfileName, { allow: Set<string>; block: Set<string> }>;
  activeRules: Map<ProfileName, PortRule[]>;
  sourceInRule: Map<string, boolean>;
}

const preparedContexts = new WeakMap<ExposureContext, PreparedContext>();
const portKey = (protocol: TransportProtocol, port: number) => `${protocol}/${port}`;

function prepare(ctx: ExposureContext): PreparedContext {
  const cached = preparedContexts.get(ctx);
  if (cached) return cached;
  const socketsByPort = new Map<string, ListeningSocket[]>();
  for (const s of ctx.sockets) {
    const key = portKey(s.protocol, s.port);
    socketsByPort.set(key, [...(socketsByPort.get(key) ?? []), s]);
  }
  const found = appOpenings(ctx.policy, ctx.sockets);
  const asKeys = (list: { protocol: TransportProtocol; port: number }[]) => new Set(list.map((k) => portKey(k.protocol, k.port)));
  const openings = {
    private: { allow: asKeys(found.private.allow), block: asKeys(found.private.block) },
    public: { allow: asKeys(found.public.allow), block: asKeys(found.public.block) },
  };
  const activeRules = new Map(PROFILE_NAMES.map((p) => [p, activePortRules(ctx.policy, p, ctx.runtime.now)] as const));
  // Rules limited to remote networks apply only when the scanner is inside one of them.
  const { source } = ctx;
  const sourceInside = (net: string) => source !== undefined && networkContains(parseNetwork(net), source);
  const sourceInRule = new Map(ctx.policy.portRules.map((r) => [r.id, r.remote.length === 0 || r.remote.some(sourceInside)]));
  const prepared = { socketsByPort, openings, activeRules, sourceInRule };
  preparedContexts.set(ctx, prepared);
  return prepared;
}

const answeredOpen = (protocol: TransportProtocol): ScanState => (protocol === 'tcp' ? 'open' : 'open|filtered');
const unanswered = (protocol: TransportProtocol): ScanState => (protocol === 'tcp' ? 'filtered' : 'open|filtered');

export function predictPort(ctx: ExposureContext, target: ProbeTarget, protocol: TransportProtocol, port: number): PortPrediction {
  const prep = prepare(ctx);
  const profile = profileOfInterface(ctx.runtime, target.interface);
  const settings = ctx.policy.profiles[profile];
  const key = portKey(protocol, port);
  const listening = (prep.socketsByPort.get(key) ?? []).some((s) => socketReceives(s, protocol, target, port));
  const result = (state: ScanState, reason: PredictionReason): PortPrediction => ({ state, reason, listening, profile });
  // Accepted by the firewall: the kernel answers as it would without one.
  const accepted = (reason: PredictionReason) => result(listening ? answeredOpen(protocol) : 'closed', reason);
  const denied = (reason: PredictionReason) => result(settings.stealth ? unanswered(protocol) : 'closed', reason);

  if (!settings.enabled) return accepted({ kind: 'firewall-off' });
  if (settings.shieldsUp) return result(unanswered(protocol), { kind: 'shields-up' });

  const openings = prep.openings[profile];
  if (openings.block.has(key)) return denied({ kind: 'blocked-app' });

  // A remote-network rule only ever matches a source of its own family, so the probe's family
  // need not be checked separately: the source and the target share one.
  const rules = (prep.activeRules.get(profile) ?? []).filter((r) =>
    ruleProtocols(r).includes(protocol) && port >= r.ports.from && port <= r.ports.to && prep.sourceInRule.get(r.id) === true);
  const block = rules.find((r) => r.action === 'block');
  if (block) return denied({ kind: 'block-rule', ruleId: block.id });
  let idleRule: PortRule | undefined;
  for (const r of rules.filter((x) => x.action === 'allow')) {
    if (r.alwaysOpen) {
      // Accepted without a listener: the kernel's RST / port unreachable is then silenced by stealth.
      if (listening) return result(answeredOpen(protocol), { kind: 'always-open', ruleId: r.id });
      return result(settings.stealth ? unanswered(protocol) : 'closed', { kind: 'always-open', ruleId: r.id });
    }
    if (listening) return result(answeredOpen(protocol), { kind: 'allow-rule', ruleId: r.id });
    idleRule ??= r;
  }
  if (listening && openings.allow.has(key)) return result(answeredOpen(protocol), { kind: 'allowed-app' });
  if (settings.defaultInbound === 'allow') return accepted({ kind: 'default-allow' });
  return denied(idleRule ? { kind: 'allowed-idle', ruleId: idleRule.id } : { kind: 'not-allowed' });
}

/** Is an echo request to this interface answered? */
export function predictPing(ctx: Pick<ExposureContext, 'policy' | 'runtime'>, iface: string): boolean {
  const profile = profileOfInterface(ctx.runtime, iface);
  const s = ctx.policy.profiles[profile];
  if (!s.enabled) return true;
  return s.answerPing && !s.shieldsUp;
}

export interface InterfaceExposure {
  interface: string;
  profile: ProfileName;
  ping: boolean;
  /** What a port with no rule and no listener shows. */
  unlistedPort: Record<TransportProtocol, ScanState>;
  ports: (PortPrediction & { address: string; protocol: TransportProtocol; port: number })[];
}

/** Everything a scanner can learn about one interface: every port something listens on or a rule names. */
export function predictExposure(ctx: ExposureContext, iface: { name: string; addresses: readonly string[] }): InterfaceExposure {
  const profile = profileOfInterface(ctx.runtime, iface.name);
  const interesting = new Map<string, { protocol: TransportProtocol; port: number }>();
  const add = (protocol: TransportProtocol, port: number) => interesting.set(`${protocol}/${port}`, { protocol, port });
  for (const s of ctx.sockets) if (!isLoopbackOnly(s)) add(s.protocol, s.port);
  for (const r of activePortRules(ctx.policy, profile, ctx.runtime.now)) for (const proto of ruleProtocols(r)) add(proto, r.ports.from);
  const keys = [...interesting.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
  const ports = iface.addresses.flatMap((address) => keys.map(({ protocol, port }) => ({
    address, protocol, port, ...predictPort(ctx, { interface: iface.name, address }, protocol, port),
  })));
  // Port 0 never has a listener or a rule: it shows what an unlisted port looks like.
  const unlisted = (protocol: TransportProtocol) => {
    const address = iface.addresses[0] ?? '0.0.0.0';
    return predictPort({ ...ctx, sockets: [], policy: { ...ctx.policy, portRules: [] } }, { interface: iface.name, address }, protocol, 0).state;
  };
  return {
    interface: iface.name,
    profile,
    ping: predictPing(ctx, iface.name),
    unlistedPort: { tcp: unlisted('tcp'), udp: unlisted('udp') },
    ports,
  };
}
