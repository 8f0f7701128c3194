// The exposure predictor: (policy, interface, listening sockets) → what nmap on another host
// would report for each port, and whether ping is answered. It follows the compiled inbound
// chain (shared/compiler/inbound.ts) step by step, in the same order, but reasons about sockets
// instead of packets, so the UI can say "what others see" without sending a probe:
//
//   firewall off │ shields up │ knock ports (always dropped) │ blocked apps │ block rules
//   │ allow rules (a knock rule only for a scanner that knocked) │ rate-limited apps
//   │ allowed apps │ default │ stealth drop or reject
//
// Only inbound rules count: outbound rules never change what a scanner sees. Predictions are for
// one scanner (ExposureContext.source) that is not over any brute-force limit and has not been
// caught by port-scan detection (a caught source sees every port silent until it is forgotten).
import { PROFILE_NAMES, type AppRule, type Policy, type PortRule, type ProfileName, type RateLimit } from '../policy/schema';
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
  | { kind: 'not-allowed' }
  /** An allow rule guards the port with knocking, and the scanner has not knocked. */
  | { kind: 'knock-required'; ruleId: string }
  /** The port is one of a rule's knocks: every packet to it is dropped silently. */
  | { kind: 'knock-port'; ruleId: string };

export interface PortPrediction {
  state: ScanState;
  reason: PredictionReason;
  /** A socket would receive the probe. */
  listening: boolean;
  profile: ProfileName;
  /**
   * With a knock rule in force on the port (for this protocol and profile): what the scanner sees
   * once it has knocked every such rule ("open after knock"). Equal to `state` when knocking
   * changes nothing for it (the firewall is off, shields are up, a block rule decides first, the
   * rule is limited to networks the scanner is not in, or the scanner has knocked already).
   */
  afterKnock?: ScanState;
  /**
   * The rule (port or app) that accepts the probe — for a knock-guarded port, once knocked —
   * limits new connections per source ("rate limited"). A single probe is not over any limit,
   * so `state` is unchanged; a source that goes over one sees the port as a denied one.
   */
  rateLimited?: RateLimited;
}

export interface RateLimited { owner: 'port' | 'app'; id: string; rates: { count: number; seconds: number }[]; blockSeconds: number }

/** Inputs to a prediction. Read as a snapshot: build a new context when any of them changes. */
export interface ExposureContext {
  policy: Policy;
  runtime: Pick<RuntimeState, 'interfaces' | 'now'>;
  sockets: readonly ListeningSocket[];
  /** The scanner's address. Rules limited to remote networks apply only when it is inside them;
   *  without it the scanner is taken to be outside every such network. */
  source?: string;
  /**
   * Ids of the knock rules whose whole sequence the scanner has knocked, in order and in time,
   * and whose port is still open to it (within the rule's `openSeconds`). Without it the scanner
   * has not knocked at all: predictions are the "before knocking" view, and each one for a
   * knock-guarded port says in `afterKnock` what knocking would change.
   */
  knocked?: readonly string[];
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
  openings: Record<ProfileName, { allow: Set<string>; block: Set<string>; limited: Map<string, AppRule[]> }>;
  /** Inbound port rules in force, per profile, in chain order. */
  activeRules: Map<ProfileName, PortRule[]>;
  /** Knock ports per profile: `protocol/port` → the first rule (in chain order) that knocks there. */
  knockPorts: Map<ProfileName, Map<string, PortRule>>;
  sourceInRule: Map<string, boolean>;
  knocked: ReadonlySet<string>;
}

const preparedContexts = new WeakMap<ExposureContext, PreparedContext>();
const portKey = (protocol: TransportProtocol, port: number) => `${protocol}/${port}`;

/** Inbound port rules in force on a profile (outbound rules never decide what a scanner sees). */
function inboundRules(policy: Policy, profile: ProfileName, now: string | undefined): PortRule[] {
  return activePortRules(policy, profile, now).filter((r) => r.direction === 'in');
}

/** Knocks are compiled for inbound allow rules in force with knocking, in rule order; the first rule to knock on a port drops it. */
function knockPortsOf(rules: readonly PortRule[]): Map<string, PortRule> {
  const ports = new Map<string, PortRule>();
  for (const r of rules) {
    if (r.action !== 'allow' || !r.knock) continue;
    for (const k of r.knock.sequence) if (!ports.has(portKey(k.protocol, k.port))) ports.set(portKey(k.protocol, k.port), r);
  }
  return ports;
}

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
  // Rate-limited apps come in policy order, as the compiler writes their rules.
  const limitedApps = (p: ProfileName) => {
    const byKey = new Map<string, AppRule[]>();
    for (const app of ctx.policy.apps) {
      for (const k of found[p].limited[app.id] ?? []) {
        const key = portKey(k.protocol, k.port);
        byKey.set(key, [...(byKey.get(key) ?? []), app]);
      }
    }
    return byKey;
  };
  const openingsOf = (p: ProfileName) => ({ allow: asKeys(found[p].allow), block: asKeys(found[p].block), limited: limitedApps(p) });
  const openings = { private: openingsOf('private'), public: openingsOf('public') };
  const activeRules = new Map(PROFILE_NAMES.map((p) => [p, inboundRules(ctx.policy, p, ctx.runtime.now)] as const));
  const knockPorts = new Map(PROFILE_NAMES.map((p) => [p, knockPortsOf(activeRules.get(p) ?? [])] as const));
  // Rules limited to remote networks apply only when the scanner is inside one of them.
  const { source } = ctx;
  const sourceInside = (net: string) => source !== undefined && networkContains(parseNetwork(net), source);
  const sourceInRule = new Map(ctx.policy.portRules.map((r) => [r.id, r.remote.length === 0 || r.remote.some(sourceInside)]));
  const prepared = { socketsByPort, openings, activeRules, knockPorts, sourceInRule, knocked: new Set(ctx.knocked ?? []) };
  preparedContexts.set(ctx, prepared);
  return prepared;
}

const answeredOpen = (protocol: TransportProtocol): ScanState => (protocol === 'tcp' ? 'open' : 'open|filtered');
const unanswered = (protocol: TransportProtocol): ScanState => (protocol === 'tcp' ? 'filtered' : 'open|filtered');

const limitOf = (owner: RateLimited['owner'], id: string, limit: RateLimit | undefined): Pick<PortPrediction, 'rateLimited'> =>
  (limit ? { rateLimited: { owner, id, rates: limit.rates.map((r) => ({ count: r.count, seconds: r.seconds })), blockSeconds: limit.blockSeconds } } : {});

interface Probe {
  profile: ProfileName;
  protocol: TransportProtocol;
  port: number;
  key: string;
  listening: boolean;
}

/** The inbound chain for one probe, from a scanner that has knocked the rules in `knocked`. */
function decide(ctx: ExposureContext, prep: PreparedContext, probe: Probe, knocked: ReadonlySet<string>): PortPrediction {
  const { profile, protocol, port, key, listening } = probe;
  const settings = ctx.policy.profiles[profile];
  const result = (state: ScanState, reason: PredictionReason, extra: Pick<PortPrediction, 'rateLimited'> = {}): PortPrediction =>
    ({ state, reason, listening, profile, ...extra });
  // Accepted by the firewall: the kernel answers as it would without one.
  const accepted = (reason: PredictionReason) => result(listening ? answeredOpen(protocol) : 'closed', reason);
  const denied = (reason: PredictionReason) => result(settings.stealth ? unanswered(protocol) : 'closed', reason);

  if (!settings.enabled) return accepted({ kind: 'firewall-off' });
  if (settings.shieldsUp) return result(unanswered(protocol), { kind: 'shields-up' });

  // A knock is dropped whatever else would decide its port, stealth or not, knocked or not.
  const knock = prep.knockPorts.get(profile)?.get(key);
  if (knock) return result(unanswered(protocol), { kind: 'knock-port', ruleId: knock.id });

  const openings = prep.openings[profile];
  if (openings.block.has(key)) return denied({ kind: 'blocked-app' });

  // A remote-network rule only ever matches a source of its own family, so the probe's family
  // need not be checked separately: the source and the target share one.
  const rules = (prep.activeRules.get(profile) ?? []).filter((r) =>
    ruleProtocols(r).includes(protocol) && port >= r.ports.from && port <= r.ports.to && prep.sourceInRule.get(r.id) === true);
  const block = rules.find((r) => r.action === 'block');
  if (block) return denied({ kind: 'block-rule', ruleId: block.id });
  let idleRule: PortRule | undefined;
  let unknocked: PortRule | undefined;
  for (const r of rules.filter((x) => x.action === 'allow')) {
    // A knock rule matches only sources in its open set; its limits count the probe either way,
    // but one probe is never over a limit.
    if (r.knock && !knocked.has(r.id)) {
      unknocked ??= r;
      continue;
    }
    const limit = limitOf('port', r.id, r.limit);
    if (r.alwaysOpen) {
      // Accepted without a listener: the kernel's RST / port unreachable is then silenced by stealth.
      if (listening) return result(answeredOpen(protocol), { kind: 'always-open', ruleId: r.id }, limit);
      return result(settings.stealth ? unanswered(protocol) : 'closed', { kind: 'always-open', ruleId: r.id }, limit);
    }
    if (listening) return result(answeredOpen(protocol), { kind: 'allow-rule', ruleId: r.id }, limit);
    idleRule ??= r;
  }
  if (listening) {
    const limitedApp = openings.limited.get(key)?.[0];
    if (limitedApp) return result(answeredOpen(protocol), { kind: 'allowed-app' }, limitOf('app', limitedApp.id, limitedApp.limit));
    if (openings.allow.has(key)) return result(answeredOpen(protocol), { kind: 'allowed-app' });
  }
  if (settings.defaultInbound === 'allow') return accepted({ kind: 'default-allow' });
  if (unknocked) return denied({ kind: 'knock-required', ruleId: unknocked.id });
  return denied(idleRule ? { kind: 'allowed-idle', ruleId: idleRule.id } : { kind: 'not-allowed' });
}

export function predictPort(ctx: ExposureContext, target: ProbeTarget, protocol: TransportProtocol, port: number): PortPrediction {
  const prep = prepare(ctx);
  const profile = profileOfInterface(ctx.runtime, target.interface);
  const key = portKey(protocol, port);
  const listening = (prep.socketsByPort.get(key) ?? []).some((s) => socketReceives(s, protocol, target, port));
  const probe: Probe = { profile, protocol, port, key, listening };
  const now = decide(ctx, prep, probe, prep.knocked);
  // Knock rules in force on this port: what the scanner would see having knocked them all.
  const guards = (prep.activeRules.get(profile) ?? []).filter((r) =>
    r.action === 'allow' && r.knock && ruleProtocols(r).includes(protocol) && port >= r.ports.from && port <= r.ports.to);
  if (!guards.length) return now;
  const after = guards.every((r) => prep.knocked.has(r.id)) ? now : decide(ctx, prep, probe, new Set([...prep.knocked, ...guards.map((r) => r.id)]));
  const rateLimited = now.rateLimited ?? after.rateLimited;
  return { ...now, afterKnock: after.state, ...(rateLimited ? { rateLimited } : {}) };
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

/**
 * Everything a scanner can learn about one interface: every port something listens on, the
 * first port of every inbound rule, and every knock — as a scanner that has not knocked sees
 * them (unless `ctx.knocked` says otherwise), with `afterKnock` on knock-guarded ports.
 */
export function predictExposure(ctx: ExposureContext, iface: { name: string; addresses: readonly string[] }): InterfaceExposure {
  const profile = profileOfInterface(ctx.runtime, iface.name);
  const interesting = new Map<string, { protocol: TransportProtocol; port: number }>();
  const add = (protocol: TransportProtocol, port: number) => interesting.set(portKey(protocol, port), { protocol, port });
  for (const s of ctx.sockets) if (!isLoopbackOnly(s)) add(s.protocol, s.port);
  for (const r of inboundRules(ctx.policy, profile, ctx.runtime.now)) {
    for (const proto of ruleProtocols(r)) add(proto, r.ports.from);
    if (r.action === 'allow') for (const k of r.knock?.sequence ?? []) add(k.protocol, k.port);
  }
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
