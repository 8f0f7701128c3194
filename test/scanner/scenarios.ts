// The scanner suite's world: which ports play which role, who listens where, and the policy
// configurations the lab is put through. Each port is one scenario per (configuration,
// interface, address family, protocol); before the scan some sources knock (Configuration.knocks).
import type { PolicyInput, ProfileName } from '../../shared/policy/schema';
import type { ListenerSpec } from '../lab/lab';
import type { Knock } from '../lab/knock';

export type ListenerKind = 'none' | 'dual-stack' | 'ipv4-any' | 'ipv6-only' | 'specific-h0' | 'loopback';

/** Where a listener of each kind can be reached from outside — the test's own, simple account. */
export function reachableListener(kind: ListenerKind, iface: string, family: 4 | 6): boolean {
  switch (kind) {
    case 'none': case 'loopback': return false;
    case 'dual-stack': return true;
    case 'ipv4-any': return family === 4;
    case 'ipv6-only': return family === 6;
    case 'specific-h0': return iface === 'h0';
  }
}

export function listenerSpecs(kind: ListenerKind, port: number, protocol: 'tcp' | 'udp'): ListenerSpec[] {
  switch (kind) {
    case 'none': return [];
    case 'dual-stack': return [{ protocol, address: '::', port }];
    case 'ipv4-any': return [{ protocol, address: '0.0.0.0', port }];
    case 'ipv6-only': return [{ protocol, address: '::', port, v6Only: true }];
    case 'specific-h0': return [{ protocol, address: '10.77.0.1', port }, { protocol, address: 'fd00:77:0::1', port }];
    case 'loopback': return [{ protocol, address: '127.0.0.1', port }, { protocol, address: '::1', port, v6Only: true }];
  }
}

export interface Role {
  name: string;
  /** Whether the policy allows this port on a profile, for a protocol (the test's own reading). */
  allowed: (profile: ProfileName, protocol: 'tcp' | 'udp') => boolean;
  /** Listener variants to run for this role. */
  listeners: ListenerKind[];
  /** App that owns this role's listeners (an executable path), if any. */
  app?: string;
  /** Put the port in both profiles' allowed-app sets even though nothing listens (a stale opening). */
  staleOpening?: boolean;
  /** The port's rule is guarded by knocking (`allowed` is then before knocking): is the port allowed once the scanner has knocked? */
  afterKnock?: (profile: ProfileName, protocol: 'tcp' | 'udp') => boolean;
  /** The port is one of the knocks of a knock-guarded rule (see KNOCKS), for the protocol KNOCKS says. */
  knockPort?: boolean;
  /** The rule or app that allows the port limits new connections per source. */
  rateLimited?: 'port' | 'app';
}

const both = () => true;
const never = () => false;
const only = (p: ProfileName) => (profile: ProfileName) => profile === p;

export const ROLES: Role[] = [
  { name: 'allowed app (private)', allowed: only('private'), listeners: ['none', 'dual-stack'], app: '/opt/lab/app-private' },
  { name: 'allowed app (public)', allowed: only('public'), listeners: ['none', 'dual-stack'], app: '/opt/lab/app-public' },
  { name: 'allowed app (both)', allowed: both, listeners: ['none', 'dual-stack', 'ipv4-any', 'ipv6-only', 'specific-h0', 'loopback'], app: '/opt/lab/app-both' },
  { name: 'stale app opening', allowed: both, listeners: ['none'], staleOpening: true },
  { name: 'unknown app (not allowed)', allowed: never, listeners: ['none', 'dual-stack'], app: '/opt/lab/app-unknown' },
  { name: 'blocked app, port allowed by rule', allowed: never, listeners: ['none', 'dual-stack'], app: '/opt/lab/app-blocked' },
  { name: 'port rule (private)', allowed: only('private'), listeners: ['none', 'dual-stack'] },
  { name: 'port rule (public)', allowed: only('public'), listeners: ['none', 'dual-stack'] },
  { name: 'port rule, UDP only', allowed: (_p, proto) => proto === 'udp', listeners: ['none', 'dual-stack'] },
  { name: 'always open', allowed: both, listeners: ['none', 'dual-stack'] },
  { name: 'rule from scanner network', allowed: both, listeners: ['none', 'dual-stack'] },
  { name: 'rule from other network', allowed: never, listeners: ['dual-stack'] },
  { name: 'block rule, allowed app listening', allowed: never, listeners: ['none', 'dual-stack'], app: '/opt/lab/app-both' },
  { name: 'expired rule', allowed: never, listeners: ['dual-stack'] },
  { name: 'disabled rule', allowed: never, listeners: ['dual-stack'] },
  // The protections. New roles go last, so the ports above keep their numbers.
  { name: 'knock-guarded rule', allowed: never, afterKnock: both, listeners: ['none', 'dual-stack'] },
  { name: 'knock-guarded rule from other network', allowed: never, afterKnock: never, listeners: ['dual-stack'] },
  // Four knocks for each knock-guarded port above, in PORTS order; one knock port has a listener.
  { name: 'knock port', allowed: never, knockPort: true, listeners: ['none', 'dual-stack', ...Array.from({ length: 10 }, (): ListenerKind => 'none')] },
  { name: 'rate-limited port rule', allowed: both, rateLimited: 'port', listeners: ['none', 'dual-stack'] },
  { name: 'rate-limited app', allowed: both, rateLimited: 'app', listeners: ['none', 'dual-stack'], app: '/opt/lab/app-limited' },
  { name: 'outbound rules only', allowed: never, listeners: ['none', 'dual-stack'] },
  { name: 'port rule, outbound block on the same port', allowed: both, listeners: ['none', 'dual-stack'] },
];

export interface PortScenario {
  port: number;
  role: Role;
  listener: ListenerKind;
}

export const PORTS: PortScenario[] = ROLES.flatMap((role) => role.listeners.map((listener) => ({ role, listener })))
  .map((s, i) => ({ ...s, port: 20000 + i }));

const portsOf = (roleName: string) => PORTS.filter((p) => p.role.name === roleName).map((p) => p.port);

/**
 * The knocks guarding each knock-guarded port: U,T,U,T. Every probe nmap sends to a knock port
 * is a knock, and nmap scans TCP first, then UDP: one nmap run thus reaches the first stage at
 * most, and two (a configuration and the profile switch after it, which keeps the knock sets)
 * the third. The suite's own scans never open a port; only the knocker does.
 */
export const KNOCK_SEQUENCES: ReadonlyMap<number, Knock[]> = (() => {
  const guarded = PORTS.filter((p) => p.role.afterKnock).map((p) => p.port);
  const knockPorts = PORTS.filter((p) => p.role.knockPort).map((p) => p.port);
  if (knockPorts.length !== 4 * guarded.length) throw new Error(`need 4 knock ports per knock-guarded port: ${knockPorts.length} for ${guarded.length}`);
  return new Map(guarded.map((port, i) => [port, knockPorts.slice(4 * i, 4 * i + 4).map((k, j): Knock => ({ protocol: j % 2 === 0 ? 'udp' : 'tcp', port: k }))]));
})();

/** Each knock port: the protocol it is a knock for and the rule it belongs to. */
export const KNOCKS: ReadonlyMap<number, { protocol: 'tcp' | 'udp'; ruleId: string }> = new Map(
  [...KNOCK_SEQUENCES].flatMap(([guarded, knocks]) => knocks.map((k) => [k.port, { protocol: k.protocol, ruleId: knockRuleId(guarded) }] as const)));

export function knockRuleId(guardedPort: number): string {
  return `knock-${guardedPort}`;
}

/** Knock rules: knocks must come within KNOCK_WINDOW_SECONDS of each other; the port then stays open for a minute. */
export const KNOCK_WINDOW_SECONDS = 2;
const KNOCK_OPEN_SECONDS = 60;

/** Limits the suite's own scans never reach (a configuration scans each port a few times at most). */
const LIMIT = { rates: [{ count: 50, seconds: 10 }, { count: 500, seconds: 1800 }], blockSeconds: 60 };

/** One port rule per port of a role (so every listener variant has its own rule). */
function rulesFor(roleName: string, idBase: string, body: Omit<NonNullable<PolicyInput['portRules']>[number], 'id' | 'ports'>): NonNullable<PolicyInput['portRules']> {
  return portsOf(roleName).map((port) => ({ id: `${idBase}-${port}`, ports: { from: port, to: port }, ...body }));
}

const BOTH: ProfileName[] = ['private', 'public'];

export const NOW = '2026-06-01T12:00:00Z';

/** Apps and rules shared by every configuration; only the profile settings change. */
export function basePolicy(): Omit<PolicyInput, 'profiles'> {
  return {
    version: 1,
    apps: [
      { id: 'app-private', identity: { kind: 'executable', path: '/opt/lab/app-private' }, action: 'allow', profiles: ['private'] },
      { id: 'app-public', identity: { kind: 'executable', path: '/opt/lab/app-public' }, action: 'allow', profiles: ['public'] },
      { id: 'app-both', identity: { kind: 'executable', path: '/opt/lab/app-both' }, action: 'allow', profiles: BOTH },
      { id: 'app-blocked', identity: { kind: 'executable', path: '/opt/lab/app-blocked' }, action: 'block', profiles: BOTH },
      { id: 'app-limited', identity: { kind: 'executable', path: '/opt/lab/app-limited' }, action: 'allow', profiles: BOTH, limit: LIMIT },
    ],
    portRules: [
      ...rulesFor('blocked app, port allowed by rule', 'allow-under-blocked-app', { action: 'allow', protocol: 'both', profiles: BOTH }),
      ...rulesFor('port rule (private)', 'rule-private', { action: 'allow', protocol: 'both', profiles: ['private'] }),
      ...rulesFor('port rule (public)', 'rule-public', { action: 'allow', protocol: 'both', profiles: ['public'] }),
      ...rulesFor('port rule, UDP only', 'rule-udp', { action: 'allow', protocol: 'udp', profiles: BOTH }),
      ...rulesFor('always open', 'always-open', { action: 'allow', protocol: 'both', profiles: BOTH, alwaysOpen: true }),
      ...rulesFor('rule from scanner network', 'remote-near', { action: 'allow', protocol: 'both', profiles: BOTH, remote: ['10.77.0.0/16', 'fd00:77::/32'] }),
      ...rulesFor('rule from other network', 'remote-far', { action: 'allow', protocol: 'both', profiles: BOTH, remote: ['192.0.2.0/24', '2001:db8::/32'] }),
      ...rulesFor('block rule, allowed app listening', 'block', { action: 'block', protocol: 'both', profiles: BOTH }),
      ...rulesFor('expired rule', 'expired', { action: 'allow', protocol: 'both', profiles: BOTH, expires: '2026-01-01T00:00:00Z' }),
      ...rulesFor('disabled rule', 'disabled', { action: 'allow', protocol: 'both', profiles: BOTH, enabled: false }),
      ...knockRules('knock-guarded rule', {}),
      ...knockRules('knock-guarded rule from other network', { remote: ['192.0.2.0/24', '2001:db8::/32'] }),
      ...rulesFor('rate-limited port rule', 'limited', { action: 'allow', protocol: 'both', profiles: BOTH, limit: LIMIT }),
      // Outbound rules name remote ports: the same numbers as local ports change nothing inbound.
      ...rulesFor('outbound rules only', 'out-allow', { direction: 'out', action: 'allow', protocol: 'both', profiles: BOTH }),
      ...rulesFor('outbound rules only', 'out-block', { direction: 'out', action: 'block', protocol: 'both', profiles: BOTH }),
      ...rulesFor('port rule, outbound block on the same port', 'in-allow', { action: 'allow', protocol: 'both', profiles: BOTH }),
      ...rulesFor('port rule, outbound block on the same port', 'out-block-same', { direction: 'out', action: 'block', protocol: 'both', profiles: BOTH }),
    ],
  };
}

function knockRules(roleName: string, extra: { remote?: string[] }): NonNullable<PolicyInput['portRules']> {
  return portsOf(roleName).map((port) => ({
    id: knockRuleId(port), action: 'allow', protocol: 'both', ports: { from: port, to: port }, profiles: BOTH, ...extra,
    knock: { sequence: (KNOCK_SEQUENCES.get(port) ?? []).map(({ protocol, port: p }) => ({ protocol, port: p })), windowSeconds: KNOCK_WINDOW_SECONDS, openSeconds: KNOCK_OPEN_SECONDS },
  }));
}

export interface ProfileConfig {
  enabled: boolean;
  stealth: boolean;
  shieldsUp: boolean;
  answerPing: boolean;
  /** Port-scan detection on, with a threshold the suite's own scans stay under (SCAN_DETECTION). */
  scanDetection?: boolean;
}

/**
 * Port-scan detection as the suite turns it on: a configuration's scan sends each source a few
 * hundred probes to closed ports at most (≈60 ports × 2 protocols × up to 3 tries), far under
 * 5000 within a minute however they are counted (packets or distinct ports), so no scan of the
 * suite gets its source caught and every prediction stays as it is without detection.
 */
export const SCAN_DETECTION = { enabled: true, ports: 5000, withinSeconds: 60, blockSeconds: 600 };

/** The policy's profile settings for a configuration's profile. */
export function profileSettings(c: ProfileConfig): NonNullable<NonNullable<PolicyInput['profiles']>['private']> {
  const { scanDetection, ...rest } = c;
  return { ...rest, ...(scanDetection ? { scanDetection: SCAN_DETECTION } : {}) };
}

/** How a source knocks before the scan: the right sequence, the wrong order, or the right order too slowly. */
export type KnockRound = 'right' | 'wrong-order' | 'too-slow';

export interface Configuration {
  name: string;
  profiles: Record<ProfileName, ProfileConfig>;
  /** Profile of each lab interface; h2 is left out of the map, so it falls back to Public. */
  interfaces: Record<string, ProfileName>;
  /** Reach this configuration by an element-only profile switch on top of the previous one (knocks made then still count). */
  viaProfileSwitch?: boolean;
  /** Sources (`h0/4`: the outside end of h0, over IPv4) that knock every knock rule before the scan, and how; the others do not knock. */
  knocks?: Record<string, KnockRound>;
}

const on = (o: Partial<ProfileConfig> = {}): ProfileConfig => ({ enabled: true, stealth: true, shieldsUp: false, answerPing: false, ...o });

// Every knock-guarded port is seen before knocking and after, stealth on and off, over IPv4 and
// IPv6: A's knocks still hold after the profile switch, which swaps the stealth settings they
// meet. Wrong and slow knocks come only where no profile switch follows: a wrong order leaves its
// source at a later stage than no knocking does, and two more scans could take it to the end.
export const CONFIGURATIONS: Configuration[] = [
  { name: 'A', profiles: { private: on({ stealth: true, answerPing: true }), public: on({ stealth: false }) }, interfaces: { h0: 'private', h1: 'public' }, knocks: { 'h0/4': 'right', 'h1/6': 'right' } },
  { name: 'A-switched', profiles: { private: on({ stealth: true, answerPing: true }), public: on({ stealth: false }) }, interfaces: { h0: 'public', h1: 'private' }, viaProfileSwitch: true },
  {
    name: 'B', profiles: { private: on({ stealth: false, scanDetection: true }), public: on({ stealth: true, answerPing: true, scanDetection: true }) }, interfaces: { h0: 'private', h1: 'public' },
    knocks: { 'h0/4': 'right', 'h0/6': 'wrong-order', 'h1/4': 'too-slow', 'h1/6': 'right', 'h2/4': 'wrong-order' },
  },
  { name: 'C', profiles: { private: on({ shieldsUp: true, answerPing: true }), public: on({ enabled: false }) }, interfaces: { h0: 'private', h1: 'public' }, knocks: { 'h0/4': 'right', 'h1/6': 'right' } },
  { name: 'D', profiles: { private: on({ enabled: false }), public: on({ shieldsUp: true, stealth: false, answerPing: true }) }, interfaces: { h0: 'private', h1: 'public' }, knocks: { 'h0/6': 'right', 'h1/4': 'right' } },
];
