// The exposure predictor and the protections: port knocking ("open after knock", knock ports),
// brute-force limits ("rate limited"), and outbound rules (which never change what a scanner
// sees). The inbound chain order it must follow is shared/compiler/inbound.ts's: firewall off
// │ shields up │ knocks │ blocked apps │ block rules │ allow rules (knock rules for knocked
// sources only) │ rate-limited apps │ allowed apps │ default │ stealth drop or reject.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { predictExposure, predictPort, type ExposureContext, type PortPrediction, type ProbeTarget } from '../../shared/exposure/predict';
import { wouldCutOff } from '../../shared/exposure/cutoff';
import { parsePolicy } from '../../shared/policy/validate';
import type { AppIdentity, Policy, PolicyInput, ProfileName } from '../../shared/policy/schema';
import type { ListeningSocket } from '../../shared/runtime/sockets';
import type { TransportProtocol } from '../../shared/runtime/state';

type PortRuleInput = NonNullable<PolicyInput['portRules']>[number];
type AppRuleInput = NonNullable<PolicyInput['apps']>[number];
type ProfileInput = NonNullable<NonNullable<PolicyInput['profiles']>['private']>;

function policyOf(fields: { profiles?: Partial<Record<ProfileName, ProfileInput>>; portRules?: PortRuleInput[]; apps?: AppRuleInput[] } = {}): Policy {
  return parsePolicy({ version: 1, ...fields });
}

const PORT = 2222;
const ETH_V4 = '10.0.0.1';
const ETH_V6 = 'fd00::1';
const INTERFACES: Record<string, ProfileName> = { eth0: 'private', wlan0: 'public' };
const SERVER: AppIdentity = { kind: 'executable', path: '/usr/sbin/sshd' };
const OTHER: AppIdentity = { kind: 'executable', path: '/usr/bin/other' };

/** The example: `--knock 7001/tcp,7002/udp,7003/tcp --knock-window 10s --knock-open 30s`. */
const KNOCK = {
  sequence: [{ protocol: 'tcp' as const, port: 7001 }, { protocol: 'udp' as const, port: 7002 }, { protocol: 'tcp' as const, port: 7003 }],
  windowSeconds: 10,
  openSeconds: 30,
};
/** The source article's SSH example: 3 in 10 seconds and 4 in 30 minutes, then blocked for 30 minutes. */
const LIMIT = { rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 1800 };

const portRule = (id: string, fields: Partial<PortRuleInput> = {}): PortRuleInput =>
  ({ id, action: 'allow', protocol: 'both', ports: { from: PORT, to: PORT }, profiles: ['private', 'public'], ...fields });
const knockRule = (id: string, fields: Partial<PortRuleInput> = {}) => portRule(id, { knock: KNOCK, ...fields });
const appRule = (id: string, identity: AppIdentity, action: 'allow' | 'block', profiles: ProfileName[], extra: Partial<AppRuleInput> = {}): AppRuleInput =>
  ({ id, identity, action, profiles, ...extra });

const sock = (protocol: TransportProtocol, port = PORT, app?: AppIdentity): ListeningSocket => ({ protocol, address: '::', port, ...(app ? { app } : {}) });
/** Something listens on PORT over TCP and UDP, dual-stack. */
const listening = (app?: AppIdentity) => [sock('tcp', PORT, app), sock('udp', PORT, app)];

function ctxOf(policy: Policy, sockets: ListeningSocket[], extra: { now?: string; source?: string; knocked?: string[] } = {}): ExposureContext {
  const runtime = { interfaces: INTERFACES, ...(extra.now === undefined ? {} : { now: extra.now }) };
  return {
    policy, runtime, sockets,
    ...(extra.source === undefined ? {} : { source: extra.source }),
    ...(extra.knocked === undefined ? {} : { knocked: extra.knocked }),
  };
}

const at = (iface: string, address: string): ProbeTarget => ({ interface: iface, address });
const predict = (ctx: ExposureContext, protocol: TransportProtocol = 'tcp', port = PORT, target: ProbeTarget = at('eth0', ETH_V4)): PortPrediction =>
  predictPort(ctx, target, protocol, port);

const BOOLS = [false, true];

// ---------------------------------------------------------------------------------------------

describe('knock-guarded ports: knock-required, and afterKnock ("open after knock")', () => {
  it('stealth on: silent before knocking, open after (TCP and UDP, IPv4 and IPv6)', () => {
    const ctx = ctxOf(policyOf({ portRules: [knockRule('ssh')] }), listening());
    for (const address of [ETH_V4, ETH_V6]) {
      expect(predict(ctx, 'tcp', PORT, at('eth0', address))).toEqual({
        state: 'filtered', reason: { kind: 'knock-required', ruleId: 'ssh' }, listening: true, profile: 'private', afterKnock: 'open',
      });
      expect(predict(ctx, 'udp', PORT, at('eth0', address))).toMatchObject({ state: 'open|filtered', reason: { kind: 'knock-required' }, afterKnock: 'open|filtered' });
    }
  });

  it('stealth off: closed before knocking, open after', () => {
    const ctx = ctxOf(policyOf({ profiles: { private: { stealth: false } }, portRules: [knockRule('ssh')] }), listening());
    expect(predict(ctx)).toMatchObject({ state: 'closed', reason: { kind: 'knock-required', ruleId: 'ssh' }, afterKnock: 'open' });
    expect(predict(ctx, 'udp')).toMatchObject({ state: 'closed', reason: { kind: 'knock-required' }, afterKnock: 'open|filtered' });
  });

  it('nothing listening: knocking opens nothing (idle like any allowed port)', () => {
    for (const stealth of BOOLS) {
      const ctx = ctxOf(policyOf({ profiles: { private: { stealth } }, portRules: [knockRule('ssh')] }), []);
      const closed = stealth ? 'filtered' : 'closed';
      expect(predict(ctx)).toMatchObject({ state: closed, reason: { kind: 'knock-required' }, afterKnock: closed, listening: false });
      expect(predict(ctx, 'tcp', PORT, at('eth0', ETH_V6))).toMatchObject({ state: closed, afterKnock: closed });
    }
  });

  it('a scanner that knocked (ctx.knocked) gets the rule\'s verdict, and afterKnock agrees', () => {
    const policy = policyOf({ portRules: [knockRule('ssh')] });
    expect(predict(ctxOf(policy, listening(), { knocked: ['ssh'] }))).toEqual({
      state: 'open', reason: { kind: 'allow-rule', ruleId: 'ssh' }, listening: true, profile: 'private', afterKnock: 'open',
    });
    expect(predict(ctxOf(policy, [], { knocked: ['ssh'] }))).toMatchObject({ state: 'filtered', reason: { kind: 'allowed-idle', ruleId: 'ssh' }, afterKnock: 'filtered' });
    // Knocking another rule opens nothing here.
    expect(predict(ctxOf(policy, listening(), { knocked: ['web'] }))).toMatchObject({ state: 'filtered', reason: { kind: 'knock-required' }, afterKnock: 'open' });
  });

  it('firewall off: knocking changes nothing', () => {
    const off = policyOf({ profiles: { private: { enabled: false } }, portRules: [knockRule('ssh')] });
    expect(predict(ctxOf(off, listening()))).toMatchObject({ state: 'open', reason: { kind: 'firewall-off' }, afterKnock: 'open' });
    expect(predict(ctxOf(off, []))).toMatchObject({ state: 'closed', reason: { kind: 'firewall-off' }, afterKnock: 'closed' });
  });

  it('shields up: silent before and after, stealth or not', () => {
    for (const stealth of BOOLS) {
      const ctx = ctxOf(policyOf({ profiles: { private: { shieldsUp: true, stealth } }, portRules: [knockRule('ssh')] }), listening());
      expect(predict(ctx)).toMatchObject({ state: 'filtered', reason: { kind: 'shields-up' }, afterKnock: 'filtered' });
      expect(predict(ctx, 'udp')).toMatchObject({ state: 'open|filtered', afterKnock: 'open|filtered' });
    }
  });

  it('a block rule or a blocked app comes first: knocking does not get past them', () => {
    for (const stealth of BOOLS) {
      const closed = stealth ? 'filtered' : 'closed';
      const blocked = policyOf({ profiles: { private: { stealth } }, portRules: [knockRule('ssh'), portRule('deny', { action: 'block' })] });
      expect(predict(ctxOf(blocked, listening()))).toMatchObject({ state: closed, reason: { kind: 'block-rule', ruleId: 'deny' }, afterKnock: closed });
      expect(predict(ctxOf(blocked, listening(), { knocked: ['ssh'] }))).toMatchObject({ state: closed, reason: { kind: 'block-rule' } });
      const blockedApp = policyOf({ profiles: { private: { stealth } }, apps: [appRule('bad', SERVER, 'block', ['private'])], portRules: [knockRule('ssh')] });
      expect(predict(ctxOf(blockedApp, listening(SERVER)))).toMatchObject({ state: closed, reason: { kind: 'blocked-app' }, afterKnock: closed });
    }
  });

  it('another way in decides before knocking: an allow rule without knocking, an allowed app, default allow', () => {
    const twoRules = policyOf({ portRules: [knockRule('guarded'), portRule('plain')] });
    expect(predict(ctxOf(twoRules, listening()))).toMatchObject({ state: 'open', reason: { kind: 'allow-rule', ruleId: 'plain' }, afterKnock: 'open' });
    const app = policyOf({ apps: [appRule('sshd', SERVER, 'allow', ['private'])], portRules: [knockRule('guarded')] });
    expect(predict(ctxOf(app, listening(SERVER)))).toMatchObject({ state: 'open', reason: { kind: 'allowed-app' }, afterKnock: 'open' });
    // Once knocked, the knock rule (earlier in the chain) is what accepts.
    expect(predict(ctxOf(app, listening(SERVER), { knocked: ['guarded'] }))).toMatchObject({ state: 'open', reason: { kind: 'allow-rule', ruleId: 'guarded' } });
    const defaultAllow = policyOf({ profiles: { private: { defaultInbound: 'allow' } }, portRules: [knockRule('guarded')] });
    expect(predict(ctxOf(defaultAllow, listening(OTHER)))).toMatchObject({ state: 'open', reason: { kind: 'default-allow' }, afterKnock: 'open' });
  });

  it('"always open" with knocking: accepted without a listener only once knocked', () => {
    for (const stealth of BOOLS) {
      const ctx = ctxOf(policyOf({ profiles: { private: { stealth } }, portRules: [knockRule('ao', { alwaysOpen: true })] }), []);
      const closed = stealth ? 'filtered' : 'closed';
      expect(predict(ctx)).toMatchObject({ state: closed, reason: { kind: 'knock-required', ruleId: 'ao' }, afterKnock: closed });
      expect(predict({ ...ctx, knocked: ['ao'] })).toMatchObject({ state: closed, reason: { kind: 'always-open', ruleId: 'ao' } });
    }
    const withListener = ctxOf(policyOf({ profiles: { private: { stealth: false } }, portRules: [knockRule('ao', { alwaysOpen: true })] }), listening());
    expect(predict(withListener)).toMatchObject({ state: 'closed', afterKnock: 'open' });
  });

  it('remote networks: knocking helps only a scanner inside them', () => {
    const policy = policyOf({ portRules: [knockRule('lan', { remote: ['10.9.0.0/16', 'fd09::/32'] })] });
    const inside = ctxOf(policy, listening(), { source: '10.9.1.2' });
    expect(predict(inside)).toMatchObject({ state: 'filtered', reason: { kind: 'knock-required', ruleId: 'lan' }, afterKnock: 'open' });
    expect(predict(ctxOf(policy, listening(), { source: 'fd09::2' }), 'tcp', PORT, at('eth0', ETH_V6))).toMatchObject({ afterKnock: 'open' });
    for (const source of ['192.0.2.7', undefined]) {
      const outside = ctxOf(policy, listening(), source === undefined ? {} : { source });
      expect(predict(outside)).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' }, afterKnock: 'filtered' });
      expect(predict({ ...outside, knocked: ['lan'] })).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' } });
    }
  });

  it('only the protocol, ports and profiles of the rule are guarded', () => {
    const policy = policyOf({ portRules: [knockRule('ssh', { protocol: 'tcp', ports: { from: PORT, to: PORT + 2 }, profiles: ['private'] })] });
    const ctx = ctxOf(policy, [...listening(), sock('tcp', PORT + 2), sock('tcp', PORT + 3)]);
    expect(predict(ctx, 'tcp', PORT + 2)).toMatchObject({ reason: { kind: 'knock-required' }, afterKnock: 'open' });
    expect(predict(ctx, 'udp').afterKnock).toBeUndefined();
    expect(predict(ctx, 'tcp', PORT + 3).afterKnock).toBeUndefined();
    expect(predict(ctx, 'tcp', PORT, at('wlan0', '192.168.1.20'))).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' } });
    expect(predict(ctx, 'tcp', PORT, at('wlan0', '192.168.1.20')).afterKnock).toBeUndefined();
  });

  it('expired and disabled knock rules are ignored, as every expired rule is', () => {
    const now = '2026-06-01T00:00:00Z';
    for (const fields of [{ expires: '2026-01-01T00:00:00Z' }, { enabled: false }]) {
      const policy = policyOf({ profiles: { private: { stealth: false } }, portRules: [knockRule('old', fields)] });
      const ctx = ctxOf(policy, listening(), { now });
      expect(predict(ctx)).toEqual({ state: 'closed', reason: { kind: 'not-allowed' }, listening: true, profile: 'private' });
      // Its knocks are ordinary ports again.
      expect(predict(ctx, 'tcp', 7001)).toMatchObject({ state: 'closed', reason: { kind: 'not-allowed' } });
    }
    const later = policyOf({ portRules: [knockRule('tmp', { expires: '2026-12-01T00:00:00Z' })] });
    expect(predict(ctxOf(later, listening(), { now }))).toMatchObject({ reason: { kind: 'knock-required' }, afterKnock: 'open' });
    expect(predict(ctxOf(later, listening(), { now }), 'tcp', 7001)).toMatchObject({ reason: { kind: 'knock-port', ruleId: 'tmp' } });
  });
});

describe('knock ports: every packet dropped, stealth or not', () => {
  it('each knock is silent for its own protocol, in both stealth settings and both families', () => {
    for (const stealth of BOOLS) {
      const ctx = ctxOf(policyOf({ profiles: { private: { stealth } }, portRules: [knockRule('ssh')] }), listening());
      for (const address of [ETH_V4, ETH_V6]) {
        const target = at('eth0', address);
        expect(predict(ctx, 'tcp', 7001, target)).toEqual({ state: 'filtered', reason: { kind: 'knock-port', ruleId: 'ssh' }, listening: false, profile: 'private' });
        expect(predict(ctx, 'udp', 7002, target)).toMatchObject({ state: 'open|filtered', reason: { kind: 'knock-port', ruleId: 'ssh' } });
        expect(predict(ctx, 'tcp', 7003, target)).toMatchObject({ state: 'filtered', reason: { kind: 'knock-port', ruleId: 'ssh' } });
        // The same numbers in the other protocol are ordinary ports.
        const closed = stealth ? 'filtered' : 'closed';
        expect(predict(ctx, 'udp', 7001, target)).toMatchObject({ state: stealth ? 'open|filtered' : 'closed', reason: { kind: 'not-allowed' } });
        expect(predict(ctx, 'tcp', 7002, target)).toMatchObject({ state: closed, reason: { kind: 'not-allowed' } });
      }
    }
  });

  it('silent even with a listener, an allow rule, an allowed app, default allow — and once knocked', () => {
    const sockets = [sock('tcp', 7001, SERVER), sock('udp', 7002, SERVER)];
    const policy = policyOf({
      profiles: { private: { stealth: false, defaultInbound: 'allow' } },
      apps: [appRule('sshd', SERVER, 'allow', ['private'])],
      portRules: [knockRule('ssh'), portRule('also', { ports: { from: 7000, to: 7010 }, alwaysOpen: true })],
    });
    for (const knocked of [[], ['ssh']]) {
      const ctx = ctxOf(policy, sockets, { knocked });
      expect(predict(ctx, 'tcp', 7001)).toMatchObject({ state: 'filtered', reason: { kind: 'knock-port', ruleId: 'ssh' }, listening: true });
      expect(predict(ctx, 'udp', 7002)).toMatchObject({ state: 'open|filtered', reason: { kind: 'knock-port' }, listening: true });
    }
  });

  it('knocks come before blocked apps and block rules (the knock decides, silently)', () => {
    const policy = policyOf({
      profiles: { private: { stealth: false } },
      apps: [appRule('bad', SERVER, 'block', ['private'])],
      portRules: [knockRule('ssh'), portRule('deny', { action: 'block', ports: { from: 7000, to: 7010 } })],
    });
    const ctx = ctxOf(policy, [sock('tcp', 7001, SERVER)]);
    expect(predict(ctx, 'tcp', 7001)).toMatchObject({ state: 'filtered', reason: { kind: 'knock-port', ruleId: 'ssh' } });
    expect(predict(ctx, 'tcp', 7005)).toMatchObject({ state: 'closed', reason: { kind: 'block-rule', ruleId: 'deny' } });
  });

  it('firewall off and shields up decide before knocks', () => {
    const off = ctxOf(policyOf({ profiles: { private: { enabled: false } }, portRules: [knockRule('ssh')] }), [sock('tcp', 7001)]);
    expect(predict(off, 'tcp', 7001)).toMatchObject({ state: 'open', reason: { kind: 'firewall-off' } });
    expect(predict(off, 'udp', 7002)).toMatchObject({ state: 'closed', reason: { kind: 'firewall-off' } });
    const shields = ctxOf(policyOf({ profiles: { private: { shieldsUp: true, stealth: false } }, portRules: [knockRule('ssh')] }), []);
    expect(predict(shields, 'tcp', 7001)).toMatchObject({ state: 'filtered', reason: { kind: 'shields-up' } });
  });

  it('knocks are dropped from any source, whatever networks the rule allows', () => {
    const policy = policyOf({ profiles: { private: { stealth: false } }, portRules: [knockRule('lan', { remote: ['10.9.0.0/16'] })] });
    expect(predict(ctxOf(policy, [], { source: '192.0.2.7' }), 'tcp', 7001)).toMatchObject({ state: 'filtered', reason: { kind: 'knock-port', ruleId: 'lan' } });
    expect(predict(ctxOf(policy, []), 'udp', 7002, at('eth0', ETH_V6))).toMatchObject({ state: 'open|filtered', reason: { kind: 'knock-port' } });
  });

  it('only on the profiles of the rule; the first rule in order names a shared knock', () => {
    const policy = policyOf({
      profiles: { public: { stealth: false } },
      portRules: [knockRule('first', { profiles: ['private'] }), knockRule('second', { ports: { from: 3000, to: 3000 } })],
    });
    const ctx = ctxOf(policy, []);
    expect(predict(ctx, 'tcp', 7001)).toMatchObject({ reason: { kind: 'knock-port', ruleId: 'first' } });
    expect(predict(ctx, 'tcp', 7001, at('wlan0', '192.168.1.20'))).toMatchObject({ state: 'filtered', reason: { kind: 'knock-port', ruleId: 'second' } });
    const privateOnly = ctxOf(policyOf({ profiles: { public: { stealth: false } }, portRules: [knockRule('p', { profiles: ['private'] })] }), []);
    expect(predict(privateOnly, 'tcp', 7001, at('wlan0', '192.168.1.20'))).toMatchObject({ state: 'closed', reason: { kind: 'not-allowed' } });
  });
});

describe('rate limited', () => {
  const limited = { owner: 'port', id: 'ssh', rates: LIMIT.rates, blockSeconds: LIMIT.blockSeconds };

  it('a port rule with limits that accepts the probe says so; the state is what it would be without them', () => {
    for (const stealth of BOOLS) {
      const ctx = ctxOf(policyOf({ profiles: { private: { stealth } }, portRules: [portRule('ssh', { limit: LIMIT })] }), listening());
      expect(predict(ctx)).toEqual({ state: 'open', reason: { kind: 'allow-rule', ruleId: 'ssh' }, listening: true, profile: 'private', rateLimited: limited });
      expect(predict(ctx, 'udp', PORT, at('eth0', ETH_V6))).toMatchObject({ state: 'open|filtered', rateLimited: limited });
    }
  });

  it('not when nothing accepts: an idle rule, a block, shields up, the firewall off', () => {
    expect(predict(ctxOf(policyOf({ portRules: [portRule('ssh', { limit: LIMIT })] }), [])).rateLimited).toBeUndefined();
    const blocked = policyOf({ portRules: [portRule('ssh', { limit: LIMIT }), portRule('deny', { action: 'block' })] });
    expect(predict(ctxOf(blocked, listening())).rateLimited).toBeUndefined();
    const shields = policyOf({ profiles: { private: { shieldsUp: true } }, portRules: [portRule('ssh', { limit: LIMIT })] });
    expect(predict(ctxOf(shields, listening())).rateLimited).toBeUndefined();
    const off = policyOf({ profiles: { private: { enabled: false } }, portRules: [portRule('ssh', { limit: LIMIT })] });
    expect(predict(ctxOf(off, listening()))).toMatchObject({ state: 'open', reason: { kind: 'firewall-off' } });
    expect(predict(ctxOf(off, listening())).rateLimited).toBeUndefined();
  });

  it('"always open" with limits: accepted without a listener, so limited', () => {
    const ctx = ctxOf(policyOf({ portRules: [portRule('ssh', { limit: LIMIT, alwaysOpen: true })] }), []);
    expect(predict(ctx)).toMatchObject({ state: 'filtered', reason: { kind: 'always-open', ruleId: 'ssh' }, rateLimited: limited });
  });

  it('the rule that accepts is the first in order: an earlier unlimited rule means no limit', () => {
    const unlimitedFirst = policyOf({ portRules: [portRule('plain'), portRule('ssh', { limit: LIMIT })] });
    expect(predict(ctxOf(unlimitedFirst, listening()))).toMatchObject({ reason: { kind: 'allow-rule', ruleId: 'plain' } });
    expect(predict(ctxOf(unlimitedFirst, listening())).rateLimited).toBeUndefined();
    const limitedFirst = policyOf({ portRules: [portRule('ssh', { limit: LIMIT }), portRule('plain')] });
    expect(predict(ctxOf(limitedFirst, listening()))).toMatchObject({ reason: { kind: 'allow-rule', ruleId: 'ssh' }, rateLimited: limited });
  });

  it('an allowed app with limits, while it listens; port rules come before it', () => {
    const app = appRule('sshd', SERVER, 'allow', ['private'], { limit: LIMIT });
    const ctx = ctxOf(policyOf({ apps: [app] }), listening(SERVER));
    const appLimited = { owner: 'app', id: 'sshd', rates: LIMIT.rates, blockSeconds: LIMIT.blockSeconds };
    expect(predict(ctx)).toEqual({ state: 'open', reason: { kind: 'allowed-app' }, listening: true, profile: 'private', rateLimited: appLimited });
    expect(predict(ctx, 'udp', PORT, at('eth0', ETH_V6))).toMatchObject({ state: 'open|filtered', rateLimited: appLimited });
    // Not listening, another app listening, or another profile: not allowed at all.
    expect(predict(ctxOf(policyOf({ apps: [app] }), []))).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' } });
    expect(predict(ctxOf(policyOf({ apps: [app] }), listening(OTHER))).rateLimited).toBeUndefined();
    expect(predict(ctx, 'tcp', PORT, at('wlan0', '192.168.1.20'))).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' } });
    // A port rule accepting first takes the probe (without limits of its own).
    const withRule = ctxOf(policyOf({ apps: [app], portRules: [portRule('plain')] }), listening(SERVER));
    expect(predict(withRule)).toMatchObject({ reason: { kind: 'allow-rule', ruleId: 'plain' } });
    expect(predict(withRule).rateLimited).toBeUndefined();
    // An app without limits: no rateLimited.
    expect(predict(ctxOf(policyOf({ apps: [appRule('sshd', SERVER, 'allow', ['private'])] }), listening(SERVER))).rateLimited).toBeUndefined();
  });

  it('a knock rule with limits: rate limited once knocked, said before knocking too', () => {
    const policy = policyOf({ portRules: [knockRule('ssh', { limit: LIMIT })] });
    expect(predict(ctxOf(policy, listening()))).toMatchObject({ state: 'filtered', reason: { kind: 'knock-required' }, afterKnock: 'open', rateLimited: limited });
    expect(predict(ctxOf(policy, listening(), { knocked: ['ssh'] }))).toMatchObject({ state: 'open', reason: { kind: 'allow-rule' }, rateLimited: limited });
  });

  it('expired limited rules are ignored', () => {
    const policy = policyOf({ portRules: [portRule('ssh', { limit: LIMIT, expires: '2026-01-01T00:00:00Z' })] });
    expect(predict(ctxOf(policy, listening(), { now: '2026-06-01T00:00:00Z' }))).toEqual({ state: 'filtered', reason: { kind: 'not-allowed' }, listening: true, profile: 'private' });
  });
});

describe('outbound rules never change what a scanner sees', () => {
  it('an outbound allow rule does not open the port; an outbound block does not close it', () => {
    const outAllow = policyOf({ profiles: { private: { stealth: false } }, portRules: [portRule('out', { direction: 'out' })] });
    expect(predict(ctxOf(outAllow, listening()))).toEqual({ state: 'closed', reason: { kind: 'not-allowed' }, listening: true, profile: 'private' });
    const outBlock = policyOf({
      apps: [appRule('sshd', SERVER, 'allow', ['private'])],
      portRules: [portRule('in'), portRule('out', { direction: 'out', action: 'block', ports: { from: 1, to: 65535 } })],
    });
    expect(predict(ctxOf(outBlock, listening(SERVER)))).toMatchObject({ state: 'open', reason: { kind: 'allow-rule', ruleId: 'in' } });
    const onlyApp = policyOf({ apps: [appRule('sshd', SERVER, 'allow', ['private'])], portRules: [portRule('out', { direction: 'out', action: 'block' })] });
    expect(predict(ctxOf(onlyApp, listening(SERVER)))).toMatchObject({ state: 'open', reason: { kind: 'allowed-app' } });
    expect(predict(ctxOf(onlyApp, []))).toMatchObject({ state: 'filtered', reason: { kind: 'not-allowed' } });
  });

  it('for random policies, adding outbound rules changes no prediction (fast-check)', () => {
    const inRule = fc.record({
      action: fc.constantFrom('allow' as const, 'block' as const),
      protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'both' as const),
      from: fc.integer({ min: PORT - 2, max: PORT + 1 }),
      alwaysOpen: fc.boolean(),
      knock: fc.boolean(),
      limit: fc.boolean(),
      profiles: fc.constantFrom<ProfileName[]>(['private'], ['public'], ['private', 'public']),
    });
    const outRule = fc.record({
      action: fc.constantFrom('allow' as const, 'block' as const),
      protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'both' as const),
      from: fc.integer({ min: PORT - 2, max: PORT + 1 }),
      remote: fc.constantFrom<string[]>([], ['10.9.0.0/16'], ['0.0.0.0/0', '::/0']),
      profiles: fc.constantFrom<ProfileName[]>(['private'], ['public'], ['private', 'public']),
    });
    fc.assert(fc.property(
      fc.record({ enabled: fc.boolean(), stealth: fc.boolean(), shieldsUp: fc.boolean(), defaultInbound: fc.constantFrom('block' as const, 'allow' as const) }),
      fc.array(inRule, { maxLength: 3 }),
      fc.array(outRule, { minLength: 1, maxLength: 3 }),
      fc.constantFrom('tcp' as const, 'udp' as const),
      fc.constantFrom('eth0', 'wlan0'),
      fc.boolean(),
      fc.boolean(),
      (settings, ins, outs, protocol, iface, listens, knocked) => {
        const inbound = ins.map((r, i) => portRule(`in${i}`, {
          action: r.action, protocol: r.protocol, ports: { from: r.from, to: r.from + 1 }, profiles: r.profiles,
          ...(r.action === 'allow' ? { alwaysOpen: r.alwaysOpen, ...(r.knock ? { knock: KNOCK } : {}), ...(r.limit ? { limit: LIMIT } : {}) } : {}),
        }));
        const outbound = outs.map((r, i) => portRule(`out${i}`, { direction: 'out', action: r.action, protocol: r.protocol, ports: { from: r.from, to: r.from + 1 }, remote: r.remote, profiles: r.profiles }));
        const profiles = { private: settings, public: settings };
        const sockets = listens ? listening(SERVER) : [];
        const extra = { source: '10.9.1.2', ...(knocked ? { knocked: inbound.map((r) => r.id) } : {}) };
        const without = ctxOf(policyOf({ profiles, portRules: inbound }), sockets, extra);
        const withOut = ctxOf(policyOf({ profiles, portRules: [...outbound, ...inbound] }), sockets, extra);
        for (const port of [PORT - 1, PORT, PORT + 1, 7001, 7002]) {
          expect(predict(withOut, protocol, port, at(iface, ETH_V4))).toEqual(predict(without, protocol, port, at(iface, ETH_V4)));
        }
      },
    ), { numRuns: 500 });
  });
});

describe('predictExposure with the protections', () => {
  const policy = policyOf({
    profiles: { private: { stealth: false } },
    apps: [appRule('web', OTHER, 'allow', ['private'], { limit: LIMIT })],
    portRules: [
      knockRule('ssh', { protocol: 'tcp' }),
      portRule('out-dns', { direction: 'out', protocol: 'udp', ports: { from: 53, to: 53 } }),
      portRule('out-smtp', { direction: 'out', action: 'block', protocol: 'tcp', ports: { from: 25, to: 25 } }),
    ],
  });
  const sockets = [sock('tcp', PORT, SERVER), sock('tcp', 8080, OTHER)];

  it('lists knock ports and guarded ports, not outbound rules\' remote ports', () => {
    const exp = predictExposure(ctxOf(policy, sockets), { name: 'eth0', addresses: [ETH_V4] });
    expect(exp.ports.map((p) => `${p.protocol}/${p.port}`)).toEqual(['tcp/2222', 'tcp/7001', 'udp/7002', 'tcp/7003', 'tcp/8080']);
    const byKey = new Map(exp.ports.map((p) => [`${p.protocol}/${p.port}`, p]));
    expect(byKey.get('tcp/2222')).toMatchObject({ state: 'closed', reason: { kind: 'knock-required', ruleId: 'ssh' }, afterKnock: 'open' });
    expect(byKey.get('tcp/7001')).toMatchObject({ state: 'filtered', reason: { kind: 'knock-port', ruleId: 'ssh' } });
    expect(byKey.get('udp/7002')).toMatchObject({ state: 'open|filtered', reason: { kind: 'knock-port', ruleId: 'ssh' } });
    expect(byKey.get('tcp/8080')).toMatchObject({ state: 'open', reason: { kind: 'allowed-app' }, rateLimited: { owner: 'app', id: 'web' } });
    expect(exp.unlistedPort).toEqual({ tcp: 'closed', udp: 'closed' });
  });

  it('is the "before knocking" view unless the context says the scanner knocked', () => {
    const exp = predictExposure(ctxOf(policy, sockets, { knocked: ['ssh'] }), { name: 'eth0', addresses: [ETH_V4, ETH_V6] });
    for (const p of exp.ports.filter((x) => x.port === PORT)) expect(p).toMatchObject({ state: 'open', reason: { kind: 'allow-rule' }, afterKnock: 'open' });
    for (const p of exp.ports.filter((x) => x.port === 7001)) expect(p).toMatchObject({ state: 'filtered', reason: { kind: 'knock-port' } });
  });

  it('an expired knock rule lists neither its port nor its knocks', () => {
    const expiring = policyOf({ portRules: [knockRule('old', { expires: '2026-01-01T00:00:00Z' })] });
    expect(predictExposure(ctxOf(expiring, [], { now: '2026-02-01T00:00:00Z' }), { name: 'eth0', addresses: [ETH_V4] }).ports).toEqual([]);
  });
});

describe('wouldCutOff and knocking: a connected caller has knocked', () => {
  const SSH = 22;
  const base = (portRules: PortRuleInput[]): Policy => policyOf({ portRules: portRules.map((r) => ({ ...r, ports: { from: SSH, to: SSH }, protocol: 'tcp' as const })) });
  const cutoff = (before: Policy, after: Policy) => wouldCutOff({
    before, after,
    interfaces: [{ name: 'eth0', addresses: [ETH_V4] }],
    activeNetworks: [],
    listening: [sock('tcp', SSH, SERVER)],
    connection: { clientAddress: '10.0.0.7', serverAddress: ETH_V4, serverPort: SSH },
  });

  it('the same knock rule before and after: not cut off; a rule change elsewhere neither', () => {
    const guarded = base([knockRule('ssh')]);
    expect(cutoff(guarded, guarded)).toBe(false);
    expect(cutoff(guarded, base([knockRule('ssh', { knock: { ...KNOCK, openSeconds: 60 } })]))).toBe(false);
  });

  it('adding knocking, changing the sequence or renaming the rule cuts off (knocks are remembered per rule and sequence)', () => {
    expect(cutoff(base([portRule('ssh')]), base([knockRule('ssh')]))).toBe(true);
    const other = { ...KNOCK, sequence: [...KNOCK.sequence].reverse() };
    expect(cutoff(base([knockRule('ssh')]), base([knockRule('ssh', { knock: other })]))).toBe(true);
    expect(cutoff(base([knockRule('ssh')]), base([knockRule('ssh2')]))).toBe(true);
  });

  it('removing knocking keeps the port open', () => {
    expect(cutoff(base([knockRule('ssh')]), base([portRule('ssh')]))).toBe(false);
  });
});
