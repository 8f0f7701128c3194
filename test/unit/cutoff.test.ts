// Would a change cut the caller off? Someone connected over SSH must get a confirmation window
// when a change closes the port they came in on — and only then: a change that leaves it open,
// or one on another interface's profile, must not nag.
import { describe, expect, it } from 'vitest';
import { parseSshConnection, wouldCutOff, type CutoffInputs, type RemoteConnection } from '../../shared/exposure/cutoff';
import { parsePolicy } from '../../shared/policy/validate';
import type { AppIdentity, NetworkIdentity, Policy, PolicyInput } from '../../shared/policy/schema';
import type { ListeningSocket } from '../../shared/runtime/sockets';
import type { ActiveNetwork } from '../../shared/runtime/networks';

// ---------------------------------------------------------------------------------------------
// parseSshConnection

describe('parseSshConnection', () => {
  const good: [string, RemoteConnection][] = [
    ['192.168.1.5 51234 192.168.1.10 22', { clientAddress: '192.168.1.5', serverAddress: '192.168.1.10', serverPort: 22 }],
    ['fd00::5 51234 fd00::10 2222', { clientAddress: 'fd00::5', serverAddress: 'fd00::10', serverPort: 2222 }],
    ['fd00:0:0::5 51234 FD00:0::10 22', { clientAddress: 'fd00::5', serverAddress: 'fd00::10', serverPort: 22 }],
    ['::ffff:192.168.1.5 51234 ::ffff:192.168.1.10 22', { clientAddress: '192.168.1.5', serverAddress: '192.168.1.10', serverPort: 22 }],
    ['  10.0.0.7   40000 10.0.0.1 65535\n', { clientAddress: '10.0.0.7', serverAddress: '10.0.0.1', serverPort: 65535 }],
    ['10.0.0.7 40000 10.0.0.1 1', { clientAddress: '10.0.0.7', serverAddress: '10.0.0.1', serverPort: 1 }],
  ];
  it.each(good)('%j', (value, expected) => {
    expect(parseSshConnection(value)).toEqual(expected);
  });

  const malformed: [string, string | undefined][] = [
    ['unset', undefined],
    ['empty', ''],
    ['blank', '   '],
    ['three fields', '192.168.1.5 51234 192.168.1.10'],
    ['one field', '192.168.1.5'],
    ['port 0', '192.168.1.5 51234 192.168.1.10 0'],
    ['port 65536', '192.168.1.5 51234 192.168.1.10 65536'],
    ['negative port', '192.168.1.5 51234 192.168.1.10 -22'],
    ['fractional port', '192.168.1.5 51234 192.168.1.10 22.5'],
    ['port word', '192.168.1.5 51234 192.168.1.10 ssh'],
    ['hex port', '192.168.1.5 51234 192.168.1.10 0x16'],
    ['exponent port', '192.168.1.5 51234 192.168.1.10 1e3'],
    ['client not an address', 'garbage 51234 192.168.1.10 22'],
    ['server not an address', '192.168.1.5 51234 nonsense 22'],
    ['server a host name', '192.168.1.5 51234 example.org 22'],
    ['three-part IPv4 client', '1.2.3 51234 192.168.1.10 22'],
    ['IPv4 server with a too-large part', '192.168.1.5 51234 192.168.1.300 22'],
  ];
  it('reads link-local addresses with their zone, as sshd writes them, without the zone', () => {
    expect(parseSshConnection('fe80::1%eth0 51234 fe80::2%eth0 22')).toEqual({ clientAddress: 'fe80::1', serverAddress: 'fe80::2', serverPort: 22 });
  });
  it.each(malformed)('%s → undefined, without throwing', (_, value) => {
    expect(() => parseSshConnection(value)).not.toThrow();
    expect(parseSshConnection(value)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// wouldCutOff

const UUID_HOME = '0b0c1b5e-7a1c-4f7e-9a55-6a7f9c2d1e00';
const UUID_CAFE = 'c2a1f5d3-3b4e-4c6d-8e7f-9a0b1c2d3e4f';
const HOME: NetworkIdentity = { kind: 'networkmanager', uuid: UUID_HOME };
const CAFE: NetworkIdentity = { kind: 'networkmanager', uuid: UUID_CAFE, ssid: 'cafe' };
const SSHD: AppIdentity = { kind: 'executable', path: '/usr/sbin/sshd' };

// eth0 is on the remembered Home network (Private); wlan0 is on an unknown café network (Public).
const INTERFACES = [
  { name: 'eth0', addresses: ['192.168.1.10', 'fd00::10'] },
  { name: 'wlan0', addresses: ['10.9.0.2'] },
];
const ACTIVE: ActiveNetwork[] = [
  { interface: 'eth0', identity: HOME, name: 'Home', primary: true },
  { interface: 'wlan0', identity: CAFE, name: 'cafe', primary: false },
];
const SSHD_SOCKETS: ListeningSocket[] = [
  { protocol: 'tcp', address: '0.0.0.0', port: 22, app: SSHD },
  { protocol: 'tcp', address: '::', port: 22, v6Only: true, app: SSHD },
];
const VIA_ETH0: RemoteConnection = { clientAddress: '192.168.1.5', serverAddress: '192.168.1.10', serverPort: 22 };
const VIA_WLAN0: RemoteConnection = { clientAddress: '10.9.0.77', serverAddress: '10.9.0.2', serverPort: 22 };

type PortRuleInput = NonNullable<PolicyInput['portRules']>[number];
const sshRule = (fields: Partial<PortRuleInput> = {}): PortRuleInput =>
  ({ id: 'ssh', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['private'], ...fields });

function policyOf(fields: Omit<PolicyInput, 'version'> = {}): Policy {
  return parsePolicy({ version: 1, networks: [{ name: 'Home', identity: HOME, profile: 'private' }], ...fields });
}

/** The base situation: SSH allowed on Private by a port rule, sshd listening on all addresses. */
const BEFORE = policyOf({ portRules: [sshRule()] });

function inputs(before: Policy, after: Policy, extra: Partial<CutoffInputs> = {}): CutoffInputs {
  return { before, after, interfaces: INTERFACES, activeNetworks: ACTIVE, listening: SSHD_SOCKETS, connection: VIA_ETH0, ...extra };
}

describe('wouldCutOff: a change that closes the caller\'s port', () => {
  it('shields up on the profile of the caller\'s interface', () => {
    const after = policyOf({ portRules: [sshRule()], profiles: { private: { shieldsUp: true } } });
    expect(wouldCutOff(inputs(BEFORE, after))).toBe(true);
  });

  it('removing the allow rule', () => {
    expect(wouldCutOff(inputs(BEFORE, policyOf()))).toBe(true);
  });

  it('adding a block rule for the port (block beats allow)', () => {
    const after = policyOf({ portRules: [sshRule(), sshRule({ id: 'no-ssh', action: 'block' })] });
    expect(wouldCutOff(inputs(BEFORE, after))).toBe(true);
  });

  it('the caller\'s network switching to a profile that does not allow the port', () => {
    const after = policyOf({ portRules: [sshRule()], networks: [{ name: 'Home', identity: HOME, profile: 'public' }] });
    expect(wouldCutOff(inputs(BEFORE, after))).toBe(true);
  });

  it('forgetting the caller\'s network (it becomes Public)', () => {
    const after = parsePolicy({ version: 1, portRules: [sshRule()] });
    expect(wouldCutOff(inputs(BEFORE, after))).toBe(true);
  });

  it('pinning the caller\'s interface to a profile that does not allow the port', () => {
    const after = policyOf({ portRules: [sshRule()], interfaces: { eth0: 'public' } });
    expect(wouldCutOff(inputs(BEFORE, after))).toBe(true);
  });

  it('blocking the app that listens on the port', () => {
    const before = policyOf({ apps: [{ id: 'sshd', identity: SSHD, action: 'allow', profiles: ['private'] }] });
    const after = policyOf({ apps: [{ id: 'sshd', identity: SSHD, action: 'block', profiles: ['private', 'public'] }] });
    expect(wouldCutOff(inputs(before, after))).toBe(true);
  });

  it('unticking the caller\'s profile for the app that listens', () => {
    const before = policyOf({ apps: [{ id: 'sshd', identity: SSHD, action: 'allow', profiles: ['private', 'public'] }] });
    const after = policyOf({ apps: [{ id: 'sshd', identity: SSHD, action: 'allow', profiles: ['public'] }] });
    expect(wouldCutOff(inputs(before, after))).toBe(true);
  });

  it('turning the firewall on when it was off and nothing allows the port', () => {
    const before = policyOf({ profiles: { private: { enabled: false } } });
    expect(wouldCutOff(inputs(before, policyOf()))).toBe(true);
  });

  it('narrowing the rule\'s remote networks so that the caller is outside them', () => {
    const before = policyOf({ portRules: [sshRule({ remote: ['192.168.1.0/24'] })] });
    const after = policyOf({ portRules: [sshRule({ remote: ['10.0.0.0/8'] })] });
    expect(wouldCutOff(inputs(before, after))).toBe(true);
  });

  it('the rule expiring (the given time is honoured)', () => {
    const now = '2026-03-01T12:00:00Z';
    const before = policyOf({ portRules: [sshRule({ expires: '2026-03-01T13:00:00Z' })] });
    const after = policyOf({ portRules: [sshRule({ expires: '2026-03-01T11:00:00Z' })] });
    expect(wouldCutOff(inputs(before, after, { now }))).toBe(true);
  });

  it('over IPv6, with the server address written differently from the interface\'s', () => {
    const connection: RemoteConnection = { clientAddress: 'fd00::5', serverAddress: 'fd00:0:0::10', serverPort: 22 };
    expect(wouldCutOff(inputs(BEFORE, policyOf(), { connection }))).toBe(true);
  });

  it('over an IPv4-mapped SSH_CONNECTION', () => {
    const connection = parseSshConnection('::ffff:192.168.1.5 51234 ::ffff:192.168.1.10 22');
    expect(connection).toBeDefined();
    if (connection) expect(wouldCutOff(inputs(BEFORE, policyOf(), { connection }))).toBe(true);
  });

  it('SSH on another port, closed by removing its rule', () => {
    const rule = sshRule({ ports: { from: 2200, to: 2299 } });
    const listening: ListeningSocket[] = [{ protocol: 'tcp', address: '192.168.1.10', port: 2222 }];
    const connection = { ...VIA_ETH0, serverPort: 2222 };
    expect(wouldCutOff(inputs(policyOf({ portRules: [rule] }), policyOf(), { listening, connection }))).toBe(true);
  });
});

describe('wouldCutOff: changes that leave the caller alone', () => {
  it('the port stays open: a change to stealth, ping or notifications', () => {
    const after = policyOf({ portRules: [sshRule()], profiles: { private: { stealth: false, answerPing: false, notify: false } } });
    expect(wouldCutOff(inputs(BEFORE, after))).toBe(false);
  });

  it('the port stays open: shields up on the other profile', () => {
    const after = policyOf({ portRules: [sshRule()], profiles: { public: { shieldsUp: true } } });
    expect(wouldCutOff(inputs(BEFORE, after))).toBe(false);
  });

  it('the port stays open: the allow rule is removed but the app is allowed too', () => {
    const apps = [{ id: 'sshd', identity: SSHD, action: 'allow' as const, profiles: ['private' as const] }];
    expect(wouldCutOff(inputs(policyOf({ portRules: [sshRule()], apps }), policyOf({ apps })))).toBe(false);
  });

  it('an unrelated change: another port\'s rule removed, another app blocked', () => {
    const before = policyOf({ portRules: [sshRule(), sshRule({ id: 'web', ports: { from: 80, to: 80 } })] });
    const after = policyOf({
      portRules: [sshRule()],
      apps: [{ id: 'ff', identity: { kind: 'executable', path: '/usr/bin/firefox' }, action: 'block', profiles: ['private', 'public'] }],
    });
    expect(wouldCutOff(inputs(before, after))).toBe(false);
  });

  it('the port was not open before (nothing allows it): even shields up does not count', () => {
    const after = policyOf({ profiles: { private: { shieldsUp: true } } });
    expect(wouldCutOff(inputs(policyOf(), after))).toBe(false);
  });

  it('the port was not open before (allowed, but nothing listens)', () => {
    expect(wouldCutOff(inputs(BEFORE, policyOf(), { listening: [] }))).toBe(false);
  });

  it('the port was not open before (the listener is bound to loopback only)', () => {
    const listening: ListeningSocket[] = [{ protocol: 'tcp', address: '127.0.0.1', port: 22, app: SSHD }];
    expect(wouldCutOff(inputs(BEFORE, policyOf(), { listening }))).toBe(false);
  });

  it('the server address is on no interface', () => {
    const connection: RemoteConnection = { clientAddress: '172.16.0.5', serverAddress: '172.16.0.1', serverPort: 22 };
    expect(wouldCutOff(inputs(BEFORE, policyOf(), { connection }))).toBe(false);
  });

  it('the caller is on another interface, whose profile the change does not touch', () => {
    // SSH allowed on both profiles; the change drops Private only, and the caller comes in on wlan0 (Public).
    const before = policyOf({ portRules: [sshRule({ profiles: ['private', 'public'] })] });
    const after = policyOf({ portRules: [sshRule({ profiles: ['public'] })] });
    expect(wouldCutOff(inputs(before, after, { connection: VIA_WLAN0 }))).toBe(false);
    // The same change does cut off a caller on eth0 (Private).
    expect(wouldCutOff(inputs(before, after))).toBe(true);
  });

  it('a change that opens the port', () => {
    expect(wouldCutOff(inputs(policyOf(), BEFORE))).toBe(false);
  });

  it('no change at all', () => {
    expect(wouldCutOff(inputs(BEFORE, BEFORE))).toBe(false);
  });
});
