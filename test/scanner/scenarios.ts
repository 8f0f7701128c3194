// The scanner suite's world: which ports play which role, who listens where, and the policy
// configurations the lab is put through. Each port is one scenario per (configuration,
// interface, address family, protocol).
import type { PolicyInput, ProfileName } from '../../shared/policy/schema';
import type { ListenerSpec } from '../lab/lab';

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
];

export interface PortScenario {
  port: number;
  role: Role;
  listener: ListenerKind;
}

export const PORTS: PortScenario[] = ROLES.flatMap((role) => role.listeners.map((listener) => ({ role, listener })))
  .map((s, i) => ({ ...s, port: 20000 + i }));

const portsOf = (roleName: string) => PORTS.filter((p) => p.role.name === roleName).map((p) => p.port);

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
    ],
  };
}

export interface ProfileConfig {
  enabled: boolean;
  stealth: boolean;
  shieldsUp: boolean;
  answerPing: boolean;
}

export interface Configuration {
  name: string;
  profiles: Record<ProfileName, ProfileConfig>;
  /** Profile of each lab interface; h2 is left out of the map, so it falls back to Public. */
  interfaces: Record<string, ProfileName>;
  /** Reach this configuration by an element-only profile switch on top of the previous one. */
  viaProfileSwitch?: boolean;
}

const on = (o: Partial<ProfileConfig> = {}): ProfileConfig => ({ enabled: true, stealth: true, shieldsUp: false, answerPing: false, ...o });

export const CONFIGURATIONS: Configuration[] = [
  { name: 'A', profiles: { private: on({ stealth: true, answerPing: true }), public: on({ stealth: false }) }, interfaces: { h0: 'private', h1: 'public' } },
  { name: 'A-switched', profiles: { private: on({ stealth: true, answerPing: true }), public: on({ stealth: false }) }, interfaces: { h0: 'public', h1: 'private' }, viaProfileSwitch: true },
  { name: 'B', profiles: { private: on({ stealth: false }), public: on({ stealth: true, answerPing: true }) }, interfaces: { h0: 'private', h1: 'public' } },
  { name: 'C', profiles: { private: on({ shieldsUp: true, answerPing: true }), public: on({ enabled: false }) }, interfaces: { h0: 'private', h1: 'public' } },
  { name: 'D', profiles: { private: on({ enabled: false }), public: on({ shieldsUp: true, stealth: false, answerPing: true }) }, interfaces: { h0: 'private', h1: 'public' } },
];
