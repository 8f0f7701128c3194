// App openings: which (protocol, port) pairs each profile's app sets hold, given the sockets
// listening now. An allowed app opens exactly the ports it listens on (BRIEF.md §2), a blocked
// app closes them, and a listener reachable only through loopback changes nothing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appOpenings, isLoopbackOnly, type ListeningSocket } from '../../shared/runtime/sockets';
import { parsePolicy } from '../../shared/policy/validate';
import type { AppIdentity, Policy, PolicyInput, ProfileName } from '../../shared/policy/schema';
import type { AppPortSets, PortKey, TransportProtocol } from '../../shared/runtime/state';

type AppRuleInput = NonNullable<PolicyInput['apps']>[number];

const exe = (path: string): AppIdentity => ({ kind: 'executable', path });
const script = (interpreter: string, scriptPath: string): AppIdentity => ({ kind: 'script', interpreter, script: scriptPath });

const SERVER = exe('/usr/bin/server');
const BAD = exe('/opt/bad/daemon');

function policyWith(...apps: AppRuleInput[]): Policy {
  return parsePolicy({ version: 1, apps });
}

const allow = (id: string, identity: AppIdentity, profiles: ProfileName[] = ['private', 'public']): AppRuleInput => ({ id, identity, action: 'allow', profiles });
const block = (id: string, identity: AppIdentity, profiles: ProfileName[] = ['private', 'public']): AppRuleInput => ({ id, identity, action: 'block', profiles });

function sock(protocol: TransportProtocol, address: string, port: number, app?: AppIdentity, extra: Partial<ListeningSocket> = {}): ListeningSocket {
  return { protocol, address, port, ...(app ? { app } : {}), ...extra };
}

const key = (protocol: TransportProtocol, port: number): PortKey => ({ protocol, port });
const NOTHING: AppPortSets = { allow: [], block: [], limited: {} };

describe('appOpenings', () => {
  it('an allowed app listening on a reachable address opens its ports in each profile of its rule', () => {
    const policy = policyWith(allow('srv', SERVER));
    const result = appOpenings(policy, [sock('tcp', '::', 8080, SERVER), sock('udp', '0.0.0.0', 5353, SERVER)]);
    const expected = { allow: [key('tcp', 8080), key('udp', 5353)], block: [], limited: {} };
    expect(result).toEqual({ private: expected, public: expected });
  });

  it('only the profiles the rule names', () => {
    const policy = policyWith(allow('srv', SERVER, ['private']), allow('web', exe('/usr/sbin/web'), ['public']));
    const result = appOpenings(policy, [sock('tcp', '10.0.0.1', 8080, SERVER), sock('tcp', 'fd00::1', 443, exe('/usr/sbin/web'))]);
    expect(result).toEqual({
      private: { allow: [key('tcp', 8080)], block: [], limited: {} },
      public: { allow: [key('tcp', 443)], block: [], limited: {} },
    });
  });

  it('a blocked app fills the block sets', () => {
    const policy = policyWith(block('bad', BAD, ['public']));
    const result = appOpenings(policy, [sock('tcp', '::', 4444, BAD), sock('udp', '::', 4444, BAD)]);
    expect(result).toEqual({
      private: NOTHING,
      public: { allow: [], block: [key('tcp', 4444), key('udp', 4444)], limited: {} },
    });
  });

  it('allowed and blocked apps side by side', () => {
    const policy = policyWith(allow('srv', SERVER), block('bad', BAD));
    const result = appOpenings(policy, [sock('tcp', '::', 8080, SERVER), sock('tcp', '0.0.0.0', 4444, BAD)]);
    for (const p of ['private', 'public'] as const) expect(result[p]).toEqual({ allow: [key('tcp', 8080)], block: [key('tcp', 4444)], limited: {} });
  });

  it('an allowed app with brute-force limits gets its own set per profile, listening or not', () => {
    const limit = { rates: [{ count: 3, seconds: 10 }], blockSeconds: 60 };
    const policy = policyWith({ ...allow('ssh', SERVER, ['public']), limit }, allow('web', exe('/usr/sbin/web')));
    const result = appOpenings(policy, [sock('tcp', '::', 22, SERVER), sock('tcp', '::', 80, exe('/usr/sbin/web'))]);
    expect(result.public).toEqual({ allow: [key('tcp', 80)], block: [], limited: { ssh: [key('tcp', 22)] } });
    expect(result.private).toEqual({ allow: [key('tcp', 80)], block: [], limited: {} });
    expect(appOpenings(policy, []).public.limited).toEqual({ ssh: [] });
  });

  it('ignores listeners reachable only through loopback', () => {
    const policy = policyWith(allow('srv', SERVER), block('bad', BAD));
    const sockets = [
      sock('tcp', '127.0.0.1', 8080, SERVER),
      sock('tcp', '127.0.0.53', 53, SERVER),
      sock('udp', '127.1.2.3', 9999, BAD),
      sock('tcp', '::1', 8081, SERVER),
      sock('tcp', '::ffff:127.0.0.1', 8082, SERVER),
      sock('tcp', '0.0.0.0', 8083, SERVER, { boundInterface: 'lo' }),
      sock('udp', '::', 8084, BAD, { boundInterface: 'lo' }),
    ];
    expect(appOpenings(policy, sockets)).toEqual({ private: NOTHING, public: NOTHING });
  });

  it('a socket bound to another interface still counts', () => {
    const policy = policyWith(allow('srv', SERVER));
    const result = appOpenings(policy, [sock('udp', '0.0.0.0', 67, SERVER, { boundInterface: 'eth0' })]);
    expect(result.private.allow).toEqual([key('udp', 67)]);
  });

  it('ignores sockets of unknown apps and sockets without an app', () => {
    const policy = policyWith(allow('srv', SERVER), block('bad', BAD));
    const sockets = [
      sock('tcp', '::', 22),
      sock('tcp', '::', 8080, exe('/usr/bin/server2')),
      sock('tcp', '::', 8081, exe('/usr/bin')),
      sock('udp', '0.0.0.0', 5353, { kind: 'flatpak', appId: 'org.example.Server' }),
    ];
    expect(appOpenings(policy, sockets)).toEqual({ private: NOTHING, public: NOTHING });
    expect(appOpenings(policyWith(), [sock('tcp', '::', 8080, SERVER)])).toEqual({ private: NOTHING, public: NOTHING });
  });

  it('a script app keeps its rule across interpreter versions (python3.11 → python3.12), and only for that script', () => {
    const policy = policyWith(allow('tool', script('/usr/bin/python3.11', '/opt/tool/server.py'), ['private']));
    const sockets = [
      sock('tcp', '::', 8000, script('/usr/bin/python3.12', '/opt/tool/server.py')),
      sock('tcp', '::', 8001, script('/usr/bin/python3', '/opt/tool/server.py')),
      sock('tcp', '::', 9000, script('/usr/bin/python3.12', '/opt/tool/other.py')),
      sock('tcp', '::', 9001, script('/usr/bin/node', '/opt/tool/server.py')),
      sock('tcp', '::', 9002, exe('/opt/tool/server.py')),
    ];
    const result = appOpenings(policy, sockets);
    expect(result.private.allow).toEqual([key('tcp', 8000), key('tcp', 8001)]);
    expect(result.public).toEqual(NOTHING);
  });

  it('matches Flatpak, Snap and AppImage apps by their ids', () => {
    const policy = policyWith(
      allow('fp', { kind: 'flatpak', appId: 'org.example.Chat' }),
      allow('snap', { kind: 'snap', name: 'syncthing' }),
      block('ai', { kind: 'appimage', name: 'Tool.AppImage' }),
    );
    const result = appOpenings(policy, [
      sock('tcp', '::', 5000, { kind: 'flatpak', appId: 'org.example.Chat' }),
      sock('tcp', '::', 22000, { kind: 'snap', name: 'syncthing' }),
      sock('udp', '::', 21027, { kind: 'snap', name: 'syncthing-fork' }),
      sock('tcp', '::', 7000, { kind: 'appimage', name: 'Tool.AppImage' }),
    ]);
    expect(result.public).toEqual({ allow: [key('tcp', 5000), key('tcp', 22000)], block: [key('tcp', 7000)], limited: {} });
  });

  it('output is sorted (protocol, then port) and de-duplicated', () => {
    const policy = policyWith(allow('srv', SERVER));
    const result = appOpenings(policy, [
      sock('udp', '0.0.0.0', 53, SERVER),
      sock('tcp', '0.0.0.0', 8080, SERVER),
      sock('tcp', '::', 8080, SERVER, { v6Only: true }),
      sock('tcp', '10.0.0.1', 22, SERVER),
      sock('udp', '::', 53, SERVER),
      sock('tcp', '0.0.0.0', 443, SERVER),
    ]);
    expect(result.private.allow).toEqual([key('tcp', 22), key('tcp', 443), key('tcp', 8080), key('udp', 53)]);
  });

  it('an allowed app with no profile checked opens nothing', () => {
    const policy = policyWith(allow('srv', SERVER, []));
    expect(appOpenings(policy, [sock('tcp', '::', 8080, SERVER)])).toEqual({ private: NOTHING, public: NOTHING });
  });

  it('whatever the sockets: sorted, unique, only known apps\' reachable ports (fast-check)', () => {
    const apps = [SERVER, BAD, exe('/usr/bin/unknown')];
    const socketArb = fc.record({
      protocol: fc.constantFrom<TransportProtocol>('tcp', 'udp'),
      address: fc.constantFrom('0.0.0.0', '::', '10.0.0.1', '127.0.0.1', '::1', 'fd00::1'),
      port: fc.integer({ min: 1, max: 20 }),
      app: fc.option(fc.constantFrom(...apps), { nil: undefined }),
      lo: fc.boolean(),
    });
    fc.assert(fc.property(fc.array(socketArb, { maxLength: 30 }), (raw) => {
      const sockets = raw.map((s) => sock(s.protocol, s.address, s.port, s.app, s.lo ? { boundInterface: 'lo' } : {}));
      const result = appOpenings(policyWith(allow('srv', SERVER, ['private']), block('bad', BAD, ['private', 'public'])), sockets);
      const expectedFor = (app: AppIdentity) => {
        const keys = new Map<string, PortKey>();
        for (const s of sockets) {
          const loopback = s.address === '127.0.0.1' || s.address === '::1' || s.boundInterface === 'lo';
          if (s.app === app && !loopback) keys.set(`${s.protocol}/${s.port}`, key(s.protocol, s.port));
        }
        return [...keys.values()].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port);
      };
      expect(result.private).toEqual({ allow: expectedFor(SERVER), block: expectedFor(BAD), limited: {} });
      expect(result.public).toEqual({ allow: [], block: expectedFor(BAD), limited: {} });
    }));
  });
});

describe('isLoopbackOnly', () => {
  it.each([
    ['127.0.0.1', undefined, true],
    ['127.255.255.254', undefined, true],
    ['::1', undefined, true],
    ['::ffff:127.0.0.1', undefined, true],
    ['0.0.0.0', 'lo', true],
    ['::', 'lo', true],
    ['0.0.0.0', undefined, false],
    ['::', undefined, false],
    ['10.0.0.1', undefined, false],
    ['fd00::1', 'eth0', false],
    ['::ffff:10.0.0.1', undefined, false],
  ] as const)('%s bound to %s → %s', (address, boundInterface, expected) => {
    const s = sock('tcp', address, 80, undefined, boundInterface === undefined ? {} : { boundInterface });
    expect(isLoopbackOnly(s)).toBe(expected);
  });
});
