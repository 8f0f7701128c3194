// The exposure predictor: what nmap on another host would report, without sending a probe.
// The truth table of BRIEF.md §2 is the oracle, through test/scanner/truth-table.ts (written on
// its own, not derived from shared/).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  predictExposure, predictPing, predictPort, socketReceives,
  type ExposureContext, type PortPrediction, type ProbeTarget,
} from '../../shared/exposure/predict';
import { parsePolicy } from '../../shared/policy/validate';
import type { AppIdentity, Policy, PolicyInput, ProfileName } from '../../shared/policy/schema';
import type { ListeningSocket } from '../../shared/runtime/sockets';
import type { TransportProtocol } from '../../shared/runtime/state';
import { expectedPing, expectedPortState, type ProfileFacts } from '../scanner/truth-table';

// ---------------------------------------------------------------------------------------------
// Builders

type PortRuleInput = NonNullable<PolicyInput['portRules']>[number];
type AppRuleInput = NonNullable<PolicyInput['apps']>[number];
type ProfileInput = NonNullable<NonNullable<PolicyInput['profiles']>['private']>;

function policyOf(fields: { profiles?: Partial<Record<ProfileName, ProfileInput>>; portRules?: PortRuleInput[]; apps?: AppRuleInput[] } = {}): Policy {
  return parsePolicy({ version: 1, ...fields });
}

const exe = (path: string): AppIdentity => ({ kind: 'executable', path });
const SERVER = exe('/usr/bin/server');
const OTHER = exe('/usr/bin/other');

const appRule = (id: string, identity: AppIdentity, action: 'allow' | 'block', profiles: ProfileName[]): AppRuleInput => ({ id, identity, action, profiles });
const portRule = (id: string, fields: Partial<PortRuleInput> = {}): PortRuleInput =>
  ({ id, action: 'allow', protocol: 'both', ports: { from: PORT, to: PORT }, profiles: ['private', 'public'], ...fields });

function sock(protocol: TransportProtocol, address: string, port: number, extra: Partial<ListeningSocket> = {}): ListeningSocket {
  return { protocol, address, port, ...extra };
}

const PORT = 8000;
const ETH_V4 = '10.0.0.1';
const ETH_V6 = 'fd00::1';
const INTERFACES: Record<string, ProfileName> = { eth0: 'private', wlan0: 'public' };

function ctxOf(policy: Policy, sockets: ListeningSocket[], extra: { now?: string; source?: string; interfaces?: Record<string, ProfileName>; knocked?: string[] } = {}): ExposureContext {
  const runtime = { interfaces: extra.interfaces ?? INTERFACES, ...(extra.now === undefined ? {} : { now: extra.now }) };
  return { policy, runtime, sockets, ...(extra.source === undefined ? {} : { source: extra.source }), ...(extra.knocked === undefined ? {} : { knocked: extra.knocked }) };
}

const at = (iface: string, address: string): ProbeTarget => ({ interface: iface, address });

const predict = (ctx: ExposureContext, protocol: TransportProtocol = 'tcp', target: ProbeTarget = at('eth0', ETH_V4), port = PORT): PortPrediction =>
  predictPort(ctx, target, protocol, port);

// ---------------------------------------------------------------------------------------------

describe('socketReceives', () => {
  const eth4 = at('eth0', '10.0.0.1');
  const eth6 = at('eth0', 'fd00::1');
  const wlan4 = at('wlan0', '192.168.1.20');
  const receives = (s: ListeningSocket, target: ProbeTarget, protocol: TransportProtocol = 'tcp', port = 80) => socketReceives(s, protocol, target, port);

  it('0.0.0.0 takes IPv4 on every interface, not IPv6', () => {
    const s = sock('tcp', '0.0.0.0', 80);
    expect(receives(s, eth4)).toBe(true);
    expect(receives(s, wlan4)).toBe(true);
    expect(receives(s, eth6)).toBe(false);
  });

  it(':: without v6Only is dual-stack; with v6Only takes IPv6 only', () => {
    expect(receives(sock('tcp', '::', 80), eth4)).toBe(true);
    expect(receives(sock('tcp', '::', 80), eth6)).toBe(true);
    expect(receives(sock('tcp', '::', 80, { v6Only: false }), eth4)).toBe(true);
    expect(receives(sock('tcp', '::', 80, { v6Only: true }), eth4)).toBe(false);
    expect(receives(sock('tcp', '::', 80, { v6Only: true }), eth6)).toBe(true);
    expect(receives(sock('tcp', '0:0::0', 80), eth6)).toBe(true);
  });

  it('a specific address takes only probes to that address', () => {
    expect(receives(sock('tcp', '10.0.0.1', 80), eth4)).toBe(true);
    expect(receives(sock('tcp', '10.0.0.1', 80), wlan4)).toBe(false);
    expect(receives(sock('tcp', '10.0.0.1', 80), eth6)).toBe(false);
    expect(receives(sock('tcp', 'fd00::1', 80), eth6)).toBe(true);
    expect(receives(sock('tcp', 'fd00:0:0::1', 80), eth6)).toBe(true);
    expect(receives(sock('tcp', 'fd00::2', 80), eth6)).toBe(false);
    expect(receives(sock('tcp', 'fd00::1', 80), eth4)).toBe(false);
  });

  it('::ffff:10.0.0.1 (IPv4-mapped) takes IPv4 probes to 10.0.0.1', () => {
    expect(receives(sock('tcp', '::ffff:10.0.0.1', 80), eth4)).toBe(true);
    expect(receives(sock('tcp', '::ffff:10.0.0.2', 80), eth4)).toBe(false);
    expect(receives(sock('tcp', '::ffff:10.0.0.1', 80), wlan4)).toBe(false);
  });

  it('loopback never takes a probe to an interface address', () => {
    for (const address of ['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1']) {
      for (const target of [eth4, eth6, wlan4]) expect(receives(sock('tcp', address, 80), target), `${address} → ${target.address}`).toBe(false);
    }
  });

  it('boundInterface restricts the socket to that interface', () => {
    const s = sock('udp', '0.0.0.0', 80, { boundInterface: 'eth0' });
    expect(receives(s, eth4, 'udp')).toBe(true);
    expect(receives(s, wlan4, 'udp')).toBe(false);
    expect(receives(sock('udp', '::', 80, { boundInterface: 'wlan0' }), eth6, 'udp')).toBe(false);
    expect(receives(sock('tcp', '0.0.0.0', 80, { boundInterface: 'lo' }), eth4)).toBe(false);
  });

  it('protocol and port must match', () => {
    expect(receives(sock('tcp', '0.0.0.0', 80), eth4, 'udp')).toBe(false);
    expect(receives(sock('udp', '::', 80), eth6, 'tcp')).toBe(false);
    expect(receives(sock('tcp', '0.0.0.0', 80), eth4, 'tcp', 81)).toBe(false);
    expect(receives(sock('udp', '::', 53), eth6, 'udp', 53)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// The truth table, exhaustively over profile settings × how the port is (not) allowed ×
// listener × protocol × address family × profile.

type Allowance = {
  name: string;
  /** Does the policy allow the port, for the truth table? */
  allowed: boolean;
  apps?: AppRuleInput[];
  portRules?: PortRuleInput[];
  /** Who owns the listener. */
  owner?: AppIdentity;
  now?: string;
  source?: { 4: string; 6: string };
  /** Knock rules the scanner has knocked. */
  knocked?: string[];
};

const KNOCK = { sequence: [{ protocol: 'tcp' as const, port: 7001 }, { protocol: 'udp' as const, port: 7002 }], windowSeconds: 10, openSeconds: 30 };
const LIMIT = { rates: [{ count: 3, seconds: 10 }], blockSeconds: 60 };

/** Ways a port ends up allowed or not, for a probe on an interface of profile `p`. */
function allowances(p: ProfileName): Allowance[] {
  const other: ProfileName = p === 'private' ? 'public' : 'private';
  const both: ProfileName[] = ['private', 'public'];
  return [
    { name: 'no rule', allowed: false },
    { name: 'no rule, listener of an unknown app', allowed: false, owner: OTHER },
    { name: 'app allowed on this profile', allowed: true, apps: [appRule('srv', SERVER, 'allow', [p])], owner: SERVER },
    { name: 'app allowed on both profiles', allowed: true, apps: [appRule('srv', SERVER, 'allow', both)], owner: SERVER },
    { name: 'app allowed on the other profile only', allowed: false, apps: [appRule('srv', SERVER, 'allow', [other])], owner: SERVER },
    { name: 'app allowed with no profile', allowed: false, apps: [appRule('srv', SERVER, 'allow', [])], owner: SERVER },
    { name: 'app allowed, another app listens', allowed: false, apps: [appRule('srv', SERVER, 'allow', both)], owner: OTHER },
    { name: 'port rule on this profile', allowed: true, portRules: [portRule('r', { profiles: [p] })], owner: OTHER },
    { name: 'port rule, range', allowed: true, portRules: [portRule('r', { ports: { from: PORT - 10, to: PORT + 10 } })] },
    { name: 'port rule on the other profile', allowed: false, portRules: [portRule('r', { profiles: [other] })], owner: OTHER },
    { name: 'port rule, next port', allowed: false, portRules: [portRule('r', { ports: { from: PORT + 1, to: PORT + 5 } })] },
    { name: 'always open', allowed: true, portRules: [portRule('r', { alwaysOpen: true })] },
    { name: 'blocked app, port allowed by rule', allowed: false, apps: [appRule('bad', SERVER, 'block', both)], portRules: [portRule('r')], owner: SERVER },
    { name: 'blocked app, always-open rule', allowed: false, apps: [appRule('bad', SERVER, 'block', both)], portRules: [portRule('r', { alwaysOpen: true })], owner: SERVER },
    { name: 'block rule, allowed app listening', allowed: false, apps: [appRule('srv', SERVER, 'allow', both)], portRules: [portRule('b', { action: 'block' })], owner: SERVER },
    { name: 'block rule before allow rule', allowed: false, portRules: [portRule('a'), portRule('b', { action: 'block', ports: { from: 1, to: 65535 } })] },
    { name: 'rule from the scanner network', allowed: true, portRules: [portRule('r', { remote: ['10.9.0.0/16', 'fd09::/32'] })], source: { 4: '10.9.1.2', 6: 'fd09::2' } },
    { name: 'rule from another network', allowed: false, portRules: [portRule('r', { remote: ['192.0.2.0/24', '2001:db8::/32'] })], source: { 4: '10.9.1.2', 6: 'fd09::2' } },
    { name: 'block rule for another network', allowed: true, apps: [appRule('srv', SERVER, 'allow', both)], portRules: [portRule('b', { action: 'block', remote: ['192.0.2.0/24', '2001:db8::/32'] })], owner: SERVER, source: { 4: '10.9.1.2', 6: 'fd09::2' } },
    { name: 'expired rule', allowed: false, portRules: [portRule('r', { expires: '2026-01-01T00:00:00Z' })], now: '2026-06-01T00:00:00Z' },
    { name: 'rule expiring later', allowed: true, portRules: [portRule('r', { expires: '2026-12-01T00:00:00Z' })], now: '2026-06-01T00:00:00Z' },
    { name: 'disabled rule', allowed: false, portRules: [portRule('r', { enabled: false })] },
    { name: 'UDP-only rule', allowed: false, portRules: [portRule('r', { protocol: 'udp' })] }, // adjusted per protocol below
    // The protections (test/unit/predictor-protections.test.ts has their own cases).
    { name: 'knock rule, scanner has not knocked', allowed: false, portRules: [portRule('r', { knock: KNOCK })] },
    { name: 'knock rule, scanner has knocked', allowed: true, portRules: [portRule('r', { knock: KNOCK })], knocked: ['r'] },
    { name: 'knock rule, knocked another', allowed: false, portRules: [portRule('r', { knock: KNOCK }), portRule('s', { knock: KNOCK, ports: { from: 1, to: 2 } })], knocked: ['s'] },
    { name: 'rate-limited port rule', allowed: true, portRules: [portRule('r', { limit: LIMIT })] },
    { name: 'rate-limited app', allowed: true, apps: [{ ...appRule('srv', SERVER, 'allow', both), limit: LIMIT }], owner: SERVER },
    { name: 'rate-limited app on the other profile', allowed: false, apps: [{ ...appRule('srv', SERVER, 'allow', [other]), limit: LIMIT }], owner: SERVER },
    { name: 'outbound allow rule', allowed: false, portRules: [portRule('r', { direction: 'out' })] },
    { name: 'outbound block rule, app allowed', allowed: true, apps: [appRule('srv', SERVER, 'allow', both)], portRules: [portRule('b', { direction: 'out', action: 'block' })], owner: SERVER },
  ];
}

type ListenerKind = 'none' | 'dual-stack' | 'ipv4-any' | 'ipv6-only' | 'specific' | 'other-address' | 'loopback' | 'other-interface' | 'other-protocol';

function listeners(kind: ListenerKind, protocol: TransportProtocol, owner: AppIdentity | undefined): ListeningSocket[] {
  const app = owner ? { app: owner } : {};
  const otherProto: TransportProtocol = protocol === 'tcp' ? 'udp' : 'tcp';
  switch (kind) {
    case 'none': return [];
    case 'dual-stack': return [sock(protocol, '::', PORT, app)];
    case 'ipv4-any': return [sock(protocol, '0.0.0.0', PORT, app)];
    case 'ipv6-only': return [sock(protocol, '::', PORT, { v6Only: true, ...app })];
    case 'specific': return [sock(protocol, ETH_V4, PORT, app), sock(protocol, ETH_V6, PORT, app)];
    case 'other-address': return [sock(protocol, '10.0.0.99', PORT, app), sock(protocol, 'fd00::99', PORT, app)];
    case 'loopback': return [sock(protocol, '127.0.0.1', PORT, app), sock(protocol, '::1', PORT, { v6Only: true, ...app })];
    case 'other-interface': return [sock(protocol, '::', PORT, { boundInterface: 'nowhere0', ...app })];
    case 'other-protocol': return [sock(otherProto, '::', PORT, app)];
  }
}

function reachable(kind: ListenerKind, family: 4 | 6): boolean {
  switch (kind) {
    case 'dual-stack': case 'specific': return true;
    case 'ipv4-any': return family === 4;
    case 'ipv6-only': return family === 6;
    default: return false;
  }
}

const LISTENER_KINDS: ListenerKind[] = ['none', 'dual-stack', 'ipv4-any', 'ipv6-only', 'specific', 'other-address', 'loopback', 'other-interface', 'other-protocol'];
const BOOLS = [false, true];

describe('predictPort follows the truth table', () => {
  it('for every profile setting × allowance × listener × protocol × family × profile', () => {
    const failures: string[] = [];
    let cases = 0;
    for (const enabled of BOOLS) for (const stealth of BOOLS) for (const shieldsUp of BOOLS) for (const answerPing of BOOLS) {
      const facts: ProfileFacts = { enabled, stealth, shieldsUp, answerPing };
      for (const [iface, profile] of Object.entries(INTERFACES) as [string, ProfileName][]) {
        for (const a of allowances(profile)) {
          // The other profile gets the opposite settings, so a wrong profile lookup shows.
          const opposite = { enabled: !enabled, stealth: !stealth, shieldsUp: !shieldsUp, answerPing: !answerPing };
          const policy = policyOf({
            profiles: { [profile]: facts, [profile === 'private' ? 'public' : 'private']: opposite },
            ...(a.apps ? { apps: a.apps } : {}),
            ...(a.portRules ? { portRules: a.portRules } : {}),
          });
          for (const protocol of ['tcp', 'udp'] as const) for (const family of [4, 6] as const) for (const kind of LISTENER_KINDS) {
            const allowed = a.name === 'UDP-only rule' ? protocol === 'udp' : a.allowed;
            const ctx = ctxOf(policy, listeners(kind, protocol, a.owner), {
              ...(a.now === undefined ? {} : { now: a.now }),
              ...(a.source === undefined ? {} : { source: a.source[family] }),
              ...(a.knocked === undefined ? {} : { knocked: a.knocked }),
            });
            const target = at(iface, family === 4 ? ETH_V4 : ETH_V6);
            const got = predictPort(ctx, target, protocol, PORT);
            const listening = reachable(kind, family);
            const want = expectedPortState(facts, allowed, listening, protocol);
            cases++;
            if (got.state !== want || got.listening !== listening || got.profile !== profile) {
              failures.push(`${JSON.stringify(facts)} ${profile} "${a.name}" ${kind} ${protocol}/IPv${family}: want ${want} (listening ${listening}), got ${got.state} (listening ${got.listening}, ${got.reason.kind}, ${got.profile})`);
            }
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(10_000);
    expect(failures.slice(0, 20)).toEqual([]);
  });

  it('for random mixes of rules (fast-check)', () => {
    const ruleArb = fc.record({
      action: fc.constantFrom('allow' as const, 'block' as const),
      protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'both' as const),
      from: fc.integer({ min: PORT - 3, max: PORT + 1 }),
      len: fc.integer({ min: 0, max: 3 }),
      profiles: fc.constantFrom<ProfileName[]>(['private'], ['public'], ['private', 'public']),
      alwaysOpen: fc.boolean(),
      enabled: fc.boolean(),
    });
    fc.assert(fc.property(
      fc.record({ enabled: fc.boolean(), stealth: fc.boolean(), shieldsUp: fc.boolean(), answerPing: fc.boolean() }),
      fc.array(ruleArb, { maxLength: 4 }),
      fc.constantFrom<ProfileName[] | 'block' | 'none'>(['private'], ['public'], ['private', 'public'], [], 'block', 'none'),
      fc.constantFrom(...LISTENER_KINDS),
      fc.constantFrom('tcp' as const, 'udp' as const),
      fc.constantFrom(4 as const, 6 as const),
      fc.constantFrom('eth0', 'wlan0', 'unknown0'),
      (facts, rules, app, kind, protocol, family, iface) => {
        const profile: ProfileName = iface === 'eth0' ? 'private' : 'public';
        const portRules = rules.map((r, i) => portRule(`r${i}`, {
          action: r.action, protocol: r.protocol, ports: { from: r.from, to: r.from + r.len }, profiles: r.profiles,
          alwaysOpen: r.action === 'allow' && r.alwaysOpen, enabled: r.enabled,
        }));
        const apps = app === 'none' ? [] : [app === 'block' ? appRule('srv', SERVER, 'block', ['private', 'public']) : appRule('srv', SERVER, 'allow', app)];
        const policy = policyOf({ profiles: { private: facts, public: facts }, portRules, apps });
        const listening = reachable(kind, family);
        // The test's own reading of the policy.
        const applies = (r: (typeof rules)[number]) => r.enabled && r.profiles.includes(profile) && (r.protocol === 'both' || r.protocol === protocol) && PORT >= r.from && PORT <= r.from + r.len;
        const appOpens = kind !== 'loopback' && kind !== 'other-protocol' && kind !== 'none';
        const blocked = rules.some((r) => applies(r) && r.action === 'block') || (app === 'block' && appOpens);
        const allowedByRule = rules.some((r) => applies(r) && r.action === 'allow');
        const allowedByApp = Array.isArray(app) && app.includes(profile);
        const allowed = !blocked && (allowedByRule || allowedByApp);
        const got = predictPort(ctxOf(policy, listeners(kind, protocol, SERVER)), at(iface, family === 4 ? ETH_V4 : ETH_V6), protocol, PORT);
        expect(got.profile).toBe(profile);
        expect(got.listening).toBe(listening);
        expect(got.state).toBe(expectedPortState(facts, allowed, listening, protocol));
      },
    ), { numRuns: 2000 });
  });
});

describe('predictPort reasons', () => {
  const listening = (owner?: AppIdentity) => [sock('tcp', '::', PORT, owner ? { app: owner } : {}), sock('udp', '::', PORT, owner ? { app: owner } : {})];

  it('firewall off: open if listening, closed otherwise', () => {
    const policy = policyOf({ profiles: { private: { enabled: false, shieldsUp: true } } });
    expect(predict(ctxOf(policy, listening()))).toMatchObject({ state: 'open', reason: { kind: 'firewall-off' }, listening: true, profile: 'private' });
    expect(predict(ctxOf(policy, listening()), 'udp')).toMatchObject({ state: 'open|filtered', reason: { kind: 'firewall-off' } });
    expect(predict(ctxOf(policy, []))).toMatchObject({ state: 'closed', reason: { kind: 'firewall-off' }, listening: false });
    expect(predict(ctxOf(policy, []), 'udp')).toMatchObject({ state: 'closed', reason: { kind: 'firewall-off' } });
  });

  it('shields up: filtered / open|filtered even for an allowed, listening app', () => {
    const policy = policyOf({
      profiles: { private: { shieldsUp: true, stealth: false } },
      apps: [appRule('srv', SERVER, 'allow', ['private'])],
      portRules: [portRule('r', { alwaysOpen: true })],
    });
    const ctx = ctxOf(policy, listening(SERVER));
    expect(predict(ctx)).toMatchObject({ state: 'filtered', reason: { kind: 'shields-up' }, listening: true });
    expect(predict(ctx, 'udp')).toMatchObject({ state: 'open|filtered', reason: { kind: 'shields-up' } });
  });

  it('blocked-app: an app block wins over a port allow rule (even alwaysOpen)', () => {
    const policy = policyOf({ apps: [appRule('bad', SERVER, 'block', ['private'])], portRules: [portRule('r', { alwaysOpen: true })] });
    expect(predict(ctxOf(policy, listening(SERVER)))).toMatchObject({ state: 'filtered', reason: { kind: 'blocked-app' } });
    const noStealth = policyOf({ profiles: { private: { stealth: false } }, apps: [appRule('bad', SERVER, 'block', ['private'])], portRules: [portRule('r')] });
    expect(predict(ctxOf(noStealth, listening(SERVER)))).toMatchObject({ state: 'closed', reason: { kind: 'blocked-app' } });
    expect(predict(ctxOf(noStealth, listening(SERVER)), 'udp')).toMatchObject({ state: 'closed', reason: { kind: 'blocked-app' } });
    // The block only covers profiles it names.
    expect(predict(ctxOf(policy, listening(SERVER)), 'tcp', at('wlan0', '192.168.1.20'))).toMatchObject({ state: 'open', reason: { kind: 'always-open', ruleId: 'r' } });
  });

  it('block-rule: a block rule wins over an allowed, listening app', () => {
    const policy = policyOf({ apps: [appRule('srv', SERVER, 'allow', ['private'])], portRules: [portRule('r'), portRule('deny', { action: 'block', protocol: 'tcp', ports: { from: 7000, to: 9000 } })] });
    const ctx = ctxOf(policy, listening(SERVER));
    expect(predict(ctx)).toEqual({ state: 'filtered', reason: { kind: 'block-rule', ruleId: 'deny' }, listening: true, profile: 'private' });
    // UDP is not covered by the TCP block: the allow rule decides.
    expect(predict(ctx, 'udp')).toMatchObject({ state: 'open|filtered', reason: { kind: 'allow-rule', ruleId: 'r' } });
  });

  it('always-open: stealth hides the idle port, no stealth shows it closed, a listener shows it open', () => {
    const rules = [portRule('ao', { alwaysOpen: true })];
    const stealth = policyOf({ portRules: rules });
    const plain = policyOf({ profiles: { private: { stealth: false } }, portRules: rules });
    const reason = { kind: 'always-open', ruleId: 'ao' };
    expect(predict(ctxOf(stealth, []))).toMatchObject({ state: 'filtered', reason });
    expect(predict(ctxOf(stealth, []), 'udp')).toMatchObject({ state: 'open|filtered', reason });
    expect(predict(ctxOf(plain, []))).toMatchObject({ state: 'closed', reason });
    expect(predict(ctxOf(plain, []), 'udp')).toMatchObject({ state: 'closed', reason });
    expect(predict(ctxOf(stealth, listening()))).toMatchObject({ state: 'open', reason });
    expect(predict(ctxOf(plain, listening()), 'udp')).toMatchObject({ state: 'open|filtered', reason });
  });

  it('allow-rule: open while something listens, otherwise like any closed port', () => {
    const policy = policyOf({ profiles: { private: { stealth: false } }, portRules: [portRule('web', { protocol: 'tcp' })] });
    expect(predict(ctxOf(policy, listening(OTHER)))).toEqual({ state: 'open', reason: { kind: 'allow-rule', ruleId: 'web' }, listening: true, profile: 'private' });
    expect(predict(ctxOf(policy, []))).toMatchObject({ state: 'closed', reason: { kind: 'allowed-idle', ruleId: 'web' }, listening: false });
    expect(predict(ctxOf(policy, listening(OTHER)), 'udp')).toMatchObject({ state: 'closed', reason: { kind: 'not-allowed' } });
  });

  it('allowed-app: open only while the app itself listens', () => {
    const policy = policyOf({ apps: [appRule('srv', SERVER, 'allow', ['private'])] });
    expect(predict(ctxOf(policy, listening(SERVER)))).toEqual({ state: 'open', reason: { kind: 'allowed-app' }, listening: true, profile: 'private' });
    expect(predict(ctxOf(policy, listening(SERVER)), 'udp')).toMatchObject({ state: 'open|filtered', reason: { kind: 'allowed-app' } });
    expect(predict(ctxOf(policy, listening(OTHER)))).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' } });
    expect(predict(ctxOf(policy, []))).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' } });
  });

  it('default-allow: defaultInbound allow accepts what no rule allows', () => {
    const policy = policyOf({ profiles: { private: { defaultInbound: 'allow' } } });
    expect(predict(ctxOf(policy, listening(OTHER)))).toMatchObject({ state: 'open', reason: { kind: 'default-allow' } });
    expect(predict(ctxOf(policy, []))).toMatchObject({ state: 'closed', reason: { kind: 'default-allow' } });
    expect(predict(ctxOf(policy, []), 'udp')).toMatchObject({ state: 'closed', reason: { kind: 'default-allow' } });
    // A block still wins.
    const withBlock = policyOf({ profiles: { private: { defaultInbound: 'allow' } }, portRules: [portRule('b', { action: 'block' })] });
    expect(predict(ctxOf(withBlock, listening(OTHER)))).toMatchObject({ state: 'filtered', reason: { kind: 'block-rule', ruleId: 'b' } });
  });

  it('not-allowed: filtered with stealth, closed without', () => {
    expect(predict(ctxOf(policyOf(), listening(OTHER)))).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' }, listening: true });
    expect(predict(ctxOf(policyOf(), listening(OTHER)), 'udp')).toMatchObject({ state: 'open|filtered', reason: { kind: 'not-allowed' } });
    const plain = policyOf({ profiles: { private: { stealth: false } } });
    expect(predict(ctxOf(plain, listening(OTHER)))).toMatchObject({ state: 'closed', reason: { kind: 'not-allowed' } });
    expect(predict(ctxOf(plain, listening(OTHER)), 'udp')).toMatchObject({ state: 'closed', reason: { kind: 'not-allowed' } });
  });
});

describe('predictPort situations', () => {
  it('an allowed app listening only on 127.0.0.1 is not reachable', () => {
    const loopback = [sock('tcp', '127.0.0.1', PORT, { app: SERVER }), sock('tcp', '::1', PORT, { app: SERVER })];
    for (const stealth of BOOLS) {
      const policy = policyOf({ profiles: { private: { stealth } }, apps: [appRule('srv', SERVER, 'allow', ['private'])] });
      for (const address of [ETH_V4, ETH_V6]) {
        const got = predict(ctxOf(policy, loopback), 'tcp', at('eth0', address));
        expect(got.listening).toBe(false);
        expect(got.state).toBe(stealth ? 'filtered' : 'closed');
      }
    }
  });

  it('an app allowed only on Private is not allowed on a Public interface', () => {
    const policy = policyOf({ apps: [appRule('srv', SERVER, 'allow', ['private'])] });
    const sockets = [sock('tcp', '::', PORT, { app: SERVER })];
    expect(predict(ctxOf(policy, sockets), 'tcp', at('eth0', ETH_V4))).toMatchObject({ state: 'open', profile: 'private', reason: { kind: 'allowed-app' } });
    expect(predict(ctxOf(policy, sockets), 'tcp', at('wlan0', '192.168.1.20'))).toMatchObject({ state: 'filtered', profile: 'public', reason: { kind: 'not-allowed' } });
  });

  it('an unknown interface gets the Public profile', () => {
    const policy = policyOf({ profiles: { private: { stealth: true }, public: { stealth: false } }, apps: [appRule('srv', SERVER, 'allow', ['private'])] });
    const sockets = [sock('tcp', '::', PORT, { app: SERVER })];
    const got = predict(ctxOf(policy, sockets), 'tcp', at('tun7', '10.8.0.2'));
    expect(got).toMatchObject({ profile: 'public', state: 'closed', reason: { kind: 'not-allowed' } });
    expect(predict(ctxOf(policy, sockets, { interfaces: {} }), 'tcp', at('eth0', ETH_V4)).profile).toBe('public');
  });

  it('remote rules apply only to a source inside one of their networks, of the same family', () => {
    const policy = policyOf({ portRules: [portRule('lan', { remote: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8'] })] });
    const sockets = [sock('tcp', '::', PORT)];
    const state = (source: string | undefined, address: string) =>
      predict(ctxOf(policy, sockets, source === undefined ? {} : { source }), 'tcp', at('eth0', address));
    expect(state('10.1.2.3', ETH_V4)).toMatchObject({ state: 'open', reason: { kind: 'allow-rule', ruleId: 'lan' } });
    expect(state('192.168.1.7', ETH_V4).state).toBe('open');
    expect(state('192.168.1.8', ETH_V4)).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' } });
    expect(state('fd12::5', ETH_V6).state).toBe('open');
    expect(state('2001:db8::5', ETH_V6).state).toBe('filtered');
    expect(state(undefined, ETH_V4)).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' } });
    expect(state(undefined, ETH_V6).state).toBe('filtered');
  });

  it('a remote-limited block rule blocks only sources inside its networks', () => {
    const policy = policyOf({ apps: [appRule('srv', SERVER, 'allow', ['private'])], portRules: [portRule('bad', { action: 'block', remote: ['203.0.113.0/24'] })] });
    const sockets = [sock('tcp', '::', PORT, { app: SERVER })];
    expect(predict(ctxOf(policy, sockets, { source: '203.0.113.9' }))).toMatchObject({ state: 'filtered', reason: { kind: 'block-rule', ruleId: 'bad' } });
    expect(predict(ctxOf(policy, sockets, { source: '198.51.100.9' }))).toMatchObject({ state: 'open', reason: { kind: 'allowed-app' } });
    expect(predict(ctxOf(policy, sockets))).toMatchObject({ state: 'open', reason: { kind: 'allowed-app' } });
    expect(predict(ctxOf(policy, sockets, { source: 'fd00::9' }), 'tcp', at('eth0', ETH_V6))).toMatchObject({ state: 'open' });
  });

  it('expiry follows runtime.now (expires <= now is expired; no now, no expiry)', () => {
    const policy = policyOf({ portRules: [portRule('tmp', { expires: '2026-03-01T12:00:00Z' })] });
    const sockets = [sock('tcp', '::', PORT)];
    const withNow = (now?: string) => predict(ctxOf(policy, sockets, now === undefined ? {} : { now }));
    expect(withNow('2026-03-01T11:59:59Z')).toMatchObject({ state: 'open', reason: { kind: 'allow-rule' } });
    expect(withNow('2026-03-01T12:00:00Z')).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' } });
    expect(withNow('2027-01-01T00:00:00Z').state).toBe('filtered');
    expect(withNow(undefined)).toMatchObject({ state: 'open', reason: { kind: 'allow-rule' } });
  });

  it('rules of the other profile do not apply', () => {
    const policy = policyOf({ portRules: [portRule('pub', { profiles: ['public'] })] });
    const sockets = [sock('tcp', '::', PORT)];
    expect(predict(ctxOf(policy, sockets), 'tcp', at('eth0', ETH_V4)).state).toBe('filtered');
    expect(predict(ctxOf(policy, sockets), 'tcp', at('wlan0', '192.168.1.20')).state).toBe('open');
  });
});

describe('predictPing', () => {
  const ping = (s: ProfileInput, iface = 'eth0') => predictPing({ policy: policyOf({ profiles: { private: s, public: s } }), runtime: { interfaces: INTERFACES } }, iface);

  it('firewall off → answered', () => {
    expect(ping({ enabled: false, answerPing: false, shieldsUp: true })).toBe(true);
  });

  it('shields up → not answered', () => {
    expect(ping({ shieldsUp: true, answerPing: true })).toBe(false);
  });

  it('answerPing on / off', () => {
    expect(ping({ answerPing: true })).toBe(true);
    expect(ping({ answerPing: false })).toBe(false);
    expect(ping({ answerPing: false, stealth: false })).toBe(false);
  });

  it('defaults: Private answers, Public does not, an unknown interface is Public', () => {
    const ctx = { policy: policyOf(), runtime: { interfaces: INTERFACES } };
    expect(predictPing(ctx, 'eth0')).toBe(true);
    expect(predictPing(ctx, 'wlan0')).toBe(false);
    expect(predictPing(ctx, 'tun0')).toBe(false);
  });

  it('matches the truth table for every profile setting', () => {
    fc.assert(fc.property(
      fc.record({ enabled: fc.boolean(), stealth: fc.boolean(), shieldsUp: fc.boolean(), answerPing: fc.boolean() }),
      fc.record({ enabled: fc.boolean(), stealth: fc.boolean(), shieldsUp: fc.boolean(), answerPing: fc.boolean() }),
      fc.constantFrom('eth0', 'wlan0', 'other0'),
      (priv, pub, iface) => {
        const got = predictPing({ policy: policyOf({ profiles: { private: priv, public: pub } }), runtime: { interfaces: INTERFACES } }, iface);
        expect(got).toBe(expectedPing(iface === 'eth0' ? priv : pub));
      },
    ));
  });
});

describe('predictExposure', () => {
  const policy = policyOf({
    profiles: { private: { answerPing: true } },
    apps: [appRule('srv', SERVER, 'allow', ['private', 'public'])],
    portRules: [
      portRule('range', { protocol: 'tcp', ports: { from: 9000, to: 9010 } }),
      portRule('dns', { protocol: 'both', ports: { from: 7000, to: 7000 } }),
      portRule('pub-only', { protocol: 'tcp', ports: { from: 6000, to: 6000 }, profiles: ['public'] }),
      portRule('off', { protocol: 'tcp', ports: { from: 5000, to: 5000 }, enabled: false }),
    ],
  });
  const sockets = [
    sock('tcp', '::', 8000, { app: SERVER }),
    sock('udp', '0.0.0.0', 5353),
    sock('tcp', '127.0.0.1', 631),
    sock('tcp', '::1', 6379, { v6Only: true }),
    sock('udp', '0.0.0.0', 4000, { boundInterface: 'lo' }),
    sock('tcp', '0.0.0.0', 8000, { app: SERVER }),
  ];
  const addresses = [ETH_V4, ETH_V6];

  it('lists every non-loopback listener and every active rule\'s first port, for each address', () => {
    const ctx = ctxOf(policy, sockets);
    const exp = predictExposure(ctx, { name: 'eth0', addresses });
    const keys = [...new Set(exp.ports.map((p) => `${p.protocol}/${p.port}`))].sort();
    expect(keys).toEqual(['tcp/7000', 'tcp/8000', 'tcp/9000', 'udp/5353', 'udp/7000']);
    expect(exp.ports).toHaveLength(keys.length * addresses.length);
    for (const address of addresses) expect(exp.ports.filter((p) => p.address === address)).toHaveLength(keys.length);
    for (const p of exp.ports) {
      expect(p).toEqual({ address: p.address, protocol: p.protocol, port: p.port, ...predictPort(ctx, at('eth0', p.address), p.protocol, p.port) });
    }
    const find = (protocol: TransportProtocol, port: number, address: string) => {
      const found = exp.ports.find((p) => p.protocol === protocol && p.port === port && p.address === address);
      if (!found) throw new Error(`no ${protocol}/${port} on ${address}`);
      return found;
    };
    expect(find('tcp', 8000, ETH_V4)).toMatchObject({ state: 'open', reason: { kind: 'allowed-app' } });
    expect(find('udp', 5353, ETH_V4)).toMatchObject({ listening: true, state: 'open|filtered', reason: { kind: 'not-allowed' } });
    expect(find('udp', 5353, ETH_V6)).toMatchObject({ listening: false });
    expect(find('tcp', 9000, ETH_V6)).toMatchObject({ listening: false, state: 'filtered' });
  });

  it('uses the interface\'s profile for the rules it lists', () => {
    const exp = predictExposure(ctxOf(policy, sockets), { name: 'wlan0', addresses: ['192.168.1.20'] });
    expect(exp.profile).toBe('public');
    expect(exp.ports.map((p) => `${p.protocol}/${p.port}`)).toContain('tcp/6000');
    expect(exp.ports.every((p) => p.profile === 'public')).toBe(true);
  });

  it('expired rules are not listed', () => {
    const expiring = policyOf({ portRules: [portRule('old', { protocol: 'tcp', ports: { from: 2222, to: 2222 }, expires: '2026-01-01T00:00:00Z' })] });
    expect(predictExposure(ctxOf(expiring, [], { now: '2026-02-01T00:00:00Z' }), { name: 'eth0', addresses }).ports).toEqual([]);
    expect(predictExposure(ctxOf(expiring, []), { name: 'eth0', addresses }).ports).toHaveLength(2);
  });

  it('reports the profile, ping and what an unlisted port looks like', () => {
    const stealth = predictExposure(ctxOf(policy, sockets), { name: 'eth0', addresses });
    expect(stealth).toMatchObject({ interface: 'eth0', profile: 'private', ping: true, unlistedPort: { tcp: 'filtered', udp: 'open|filtered' } });
    const plainPolicy = policyOf({ profiles: { public: { stealth: false } }, portRules: [portRule('ao', { alwaysOpen: true, ports: { from: 1, to: 65535 } })] });
    const plain = predictExposure(ctxOf(plainPolicy, sockets), { name: 'wlan0', addresses: ['192.168.1.20'] });
    expect(plain).toMatchObject({ interface: 'wlan0', profile: 'public', ping: false, unlistedPort: { tcp: 'closed', udp: 'closed' } });
    const unknown = predictExposure(ctxOf(policyOf(), []), { name: 'ppp0', addresses: [] });
    expect(unknown).toEqual({ interface: 'ppp0', profile: 'public', ping: false, unlistedPort: { tcp: 'filtered', udp: 'open|filtered' }, ports: [] });
  });

  it('an unlisted port with shields up or the firewall off', () => {
    const shields = policyOf({ profiles: { private: { shieldsUp: true, stealth: false } } });
    expect(predictExposure(ctxOf(shields, []), { name: 'eth0', addresses }).unlistedPort).toEqual({ tcp: 'filtered', udp: 'open|filtered' });
    const off = policyOf({ profiles: { private: { enabled: false } } });
    expect(predictExposure(ctxOf(off, sockets), { name: 'eth0', addresses }).unlistedPort).toEqual({ tcp: 'closed', udp: 'closed' });
  });
});
