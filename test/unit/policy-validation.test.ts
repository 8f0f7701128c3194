// Validation of the policy document: every refused document must name each offending path and
// say why; every accepted one must come back complete, with the brief's defaults filled in.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  PolicyValidationError,
  formatPath,
  parsePolicy,
  parsePolicyText,
  validatePolicy,
  type ValidationIssue,
} from '../../shared/policy/validate';
import { defaultPolicy } from '../../shared/policy/defaults';
import { appDisplayName, appKey, interpreterFamily, networkKey, sameApp } from '../../shared/policy/identity';
import type { Policy } from '../../shared/policy/schema';

// ---------------------------------------------------------------------------------------------
// Builders: small, valid pieces that each test breaks in one place.

type Json = Record<string, unknown>;

const doc = (fields: Json = {}): Json => ({ version: 1, ...fields });
const exe = (path: string): Json => ({ kind: 'executable', path });
const script = (interpreter: string, scriptPath: string): Json => ({ kind: 'script', interpreter, script: scriptPath });
const app = (id: string, identity: unknown, fields: Json = {}): Json => ({ id, identity, action: 'allow', profiles: ['private'], ...fields });
const portRule = (fields: Json = {}): Json => ({
  id: 'web',
  action: 'allow',
  protocol: 'tcp',
  ports: { from: 8080, to: 8080 },
  profiles: ['private'],
  ...fields,
});
const gateway = (address: string, mac = '52:54:00:12:34:56'): Json => ({ kind: 'gateway', address, mac });
const nm = (uuid: string, fields: Json = {}): Json => ({ kind: 'networkmanager', uuid, ...fields });
const network = (identity: unknown, fields: Json = {}): Json => ({ name: 'Home', identity, profile: 'private', ...fields });

const UUID_A = '0b0c1b5e-7a1c-4f7e-9a55-6a7f9c2d1e00';
const UUID_B = 'c2a1f5d3-3b4e-4c6d-8e7f-9a0b1c2d3e4f';

/** The issues of a document that must be refused (fails the test if it is accepted). */
function issuesOf(input: unknown): ValidationIssue[] {
  const result = validatePolicy(input);
  if (result.ok) throw new Error(`expected the document to be refused, but it was accepted: ${JSON.stringify(input)}`);
  return result.issues;
}

/** The value of a document that must be accepted (fails the test with its issues otherwise). */
function valueOf(input: unknown): Policy {
  const result = validatePolicy(input);
  if (!result.ok) throw new Error(`expected the document to be accepted, but got:\n${JSON.stringify(result.issues, null, 2)}`);
  return result.value;
}

interface Expected {
  path: string;
  /** A substring the message must contain: the reason, not just "invalid". */
  says: string;
}

/**
 * The document is refused with issues at exactly the expected paths (no more, no fewer), and
 * for every expectation some issue at that path gives the expected reason.
 */
function expectIssues(input: unknown, expected: readonly Expected[]): ValidationIssue[] {
  const issues = issuesOf(input);
  const uniqueSorted = (paths: string[]) => [...new Set(paths)].sort();
  expect(uniqueSorted(issues.map((i) => i.path))).toEqual(uniqueSorted(expected.map((e) => e.path)));
  for (const e of expected) {
    const atPath = issues.filter((i) => i.path === e.path).map((i) => i.message);
    expect(atPath, `messages at "${e.path}"`).toEqual(expect.arrayContaining([expect.stringContaining(e.says)]));
  }
  return issues;
}

const IDENTITY_KINDS = 'one of executable, script, flatpak, snap, appimage';
const INTERFACE_NAME = 'must be a Linux interface name';
const MAC = 'must be a MAC address in lowercase';
const DATE_TIME = 'must be an ISO 8601 date and time';

// ---------------------------------------------------------------------------------------------

describe('the version', () => {
  it.each([
    ['a newer version', 2],
    ['version 0', 0],
    ['a string', '1'],
    ['null', null],
    ['a fraction', 1.5],
  ])('refuses %s', (_label, version) => {
    const issues = expectIssues({ version }, [{ path: 'version', says: 'unsupported policy version' }]);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toContain('reads version 1');
  });

  it('refuses a document without a version', () => {
    expectIssues({}, [{ path: 'version', says: 'required: the policy format version (1)' }]);
    expectIssues({ profiles: {} }, [{ path: 'version', says: 'required: the policy format version (1)' }]);
  });
});

describe('the document itself', () => {
  it.each([
    ['null', null, 'expected object, received null'],
    ['an array', [], 'expected object, received array'],
    ['a string', 'version: 1', 'expected object, received string'],
    ['a number', 1, 'expected object, received number'],
  ])('refuses %s at the root path', (_label, input, says) => {
    const issues = expectIssues(input, [{ path: '', says }]);
    expect(issues).toHaveLength(1);
  });
});

describe('unknown fields', () => {
  it.each<[string, Json, string, string]>([
    ['the root', doc({ portrules: [] }), '', 'portrules'],
    ['profiles', doc({ profiles: { privat: {} } }), 'profiles', 'privat'],
    ['a profile', doc({ profiles: { public: { stelth: true } } }), 'profiles.public', 'stelth'],
    ['an app rule', doc({ apps: [app('ssh', exe('/usr/sbin/sshd'), { profile: ['private'] })] }), 'apps[0]', 'profile'],
    ['an app identity', doc({ apps: [app('ssh', { ...exe('/usr/sbin/sshd'), args: ['-D'] })] }), 'apps[0].identity', 'args'],
    ['an identity of another kind', doc({ apps: [app('vlc', { kind: 'snap', name: 'vlc', path: '/snap/bin/vlc' })] }), 'apps[0].identity', 'path'],
    ['a port rule', doc({ portRules: [portRule({ port: 22 })] }), 'portRules[0]', 'port'],
    ['a port range', doc({ portRules: [portRule({ ports: { from: 1, to: 2, end: 3 } })] }), 'portRules[0].ports', 'end'],
    ['a known network', doc({ networks: [network(nm(UUID_A), { profiles: ['private'] })] }), 'networks[0]', 'profiles'],
    ['a network identity', doc({ networks: [network({ ...gateway('192.168.1.1'), ssid: 'Home' })] }), 'networks[0].identity', 'ssid'],
  ])('at %s are refused, naming the field', (_label, input, path, key) => {
    const issues = expectIssues(input, [{ path, says: `unknown field "${key}"` }]);
    expect(issues).toHaveLength(1);
  });

  it('lists several unknown fields of one object in one message', () => {
    const issues = expectIssues(doc({ foo: 1, bar: 2 }), [{ path: '', says: 'unknown fields "foo", "bar"' }]);
    expect(issues).toHaveLength(1);
  });
});

describe('wrong types', () => {
  it.each<[string, Json, string, string]>([
    ['profiles as a string', doc({ profiles: 'strict' }), 'profiles', 'expected object, received string'],
    ['a profile as a boolean', doc({ profiles: { private: true } }), 'profiles.private', 'expected object, received boolean'],
    ['a profile switch as a string', doc({ profiles: { private: { enabled: 'yes' } } }), 'profiles.private.enabled', 'expected boolean, received string'],
    ['stealth as a number', doc({ profiles: { public: { stealth: 1 } } }), 'profiles.public.stealth', 'expected boolean, received number'],
    ['apps as an object', doc({ apps: {} }), 'apps', 'expected array, received object'],
    ['portRules as null', doc({ portRules: null }), 'portRules', 'expected array, received null'],
    ['networks as a string', doc({ networks: 'home' }), 'networks', 'expected array, received string'],
    ['interfaces as an array', doc({ interfaces: ['eth0'] }), 'interfaces', 'expected record, received array'],
    ['an app name as a number', doc({ apps: [app('ssh', exe('/usr/sbin/sshd'), { name: 42 })] }), 'apps[0].name', 'expected string, received number'],
    ['an id as a number', doc({ apps: [app('ssh', exe('/usr/sbin/sshd'), { id: 7 })] }), 'apps[0].id', 'expected string, received number'],
    ['a port as a string', doc({ portRules: [portRule({ ports: { from: '80', to: 80 } })] }), 'portRules[0].ports.from', 'expected number, received string'],
    ['a port range as a number', doc({ portRules: [portRule({ ports: 80 })] }), 'portRules[0].ports', 'expected object, received number'],
    ['profiles as a string', doc({ portRules: [portRule({ profiles: 'private' })] }), 'portRules[0].profiles', 'expected array, received string'],
    ['remote as a string', doc({ portRules: [portRule({ remote: '10.0.0.0/8' })] }), 'portRules[0].remote', 'expected array, received string'],
    ['enabled as a number', doc({ portRules: [portRule({ enabled: 1 })] }), 'portRules[0].enabled', 'expected boolean, received number'],
    ['a missing port range', doc({ portRules: [portRule({ ports: undefined })] }), 'portRules[0].ports', 'expected object, received undefined'],
    ['a missing executable path', doc({ apps: [app('x', { kind: 'executable' })] }), 'apps[0].identity.path', 'expected string, received undefined'],
    ['a missing gateway MAC', doc({ networks: [network({ kind: 'gateway', address: '10.0.0.1' })] }), 'networks[0].identity.mac', 'expected string, received undefined'],
  ])('refuses %s', (_label, input, path, says) => {
    const issues = expectIssues(input, [{ path, says }]);
    expect(issues).toHaveLength(1);
  });
});

describe('enums', () => {
  it.each<[string, Json, string, string]>([
    ['a default inbound verdict', doc({ profiles: { private: { defaultInbound: 'deny' } } }), 'profiles.private.defaultInbound', 'expected one of "block", "allow"'],
    ['a default outbound verdict', doc({ profiles: { public: { defaultOutbound: 'reject' } } }), 'profiles.public.defaultOutbound', 'expected one of "allow", "block"'],
    ['an app action', doc({ apps: [app('ssh', exe('/usr/sbin/sshd'), { action: 'deny' })] }), 'apps[0].action', 'expected one of "allow", "block"'],
    ['an app profile', doc({ apps: [app('ssh', exe('/usr/sbin/sshd'), { profiles: ['private', 'home'] })] }), 'apps[0].profiles[1]', 'expected one of "private", "public"'],
    ['a protocol', doc({ portRules: [portRule({ protocol: 'icmp' })] }), 'portRules[0].protocol', 'expected one of "tcp", "udp", "both"'],
    ['a port rule profile', doc({ portRules: [portRule({ profiles: ['domain'] })] }), 'portRules[0].profiles[0]', 'expected one of "private", "public"'],
    ['a network profile', doc({ networks: [network(nm(UUID_A), { profile: 'work' })] }), 'networks[0].profile', 'expected one of "private", "public"'],
    ['an interface profile', doc({ interfaces: { wlan0: 'home' } }), 'interfaces.wlan0', 'expected one of "private", "public"'],
    ['a profile name in the wrong case', doc({ portRules: [portRule({ profiles: ['Private'] })] }), 'portRules[0].profiles[0]', 'expected one of "private", "public"'],
  ])('refuses a bad value for %s', (_label, input, path, says) => {
    const issues = expectIssues(input, [{ path, says }]);
    expect(issues).toHaveLength(1);
  });
});

describe('ids', () => {
  it.each([
    ['empty', ''],
    ['starting with "-"', '-web'],
    ['with a space', 'web server'],
    ['with a "/"', 'web/1'],
    ['65 characters long', 'x'.repeat(65)],
  ])('refuses an id %s', (_label, id) => {
    expectIssues(doc({ portRules: [portRule({ id })] }), [{ path: 'portRules[0].id', says: 'must be 1–64 letters, digits' }]);
  });

  it('accepts ids of 1 and 64 characters with "_", "." and "-"', () => {
    const policy = valueOf(doc({ portRules: [portRule({ id: 'a' }), portRule({ id: `A${'_.-9'.repeat(15)}xyz` })] }));
    expect(policy.portRules.map((r) => r.id.length)).toEqual([1, 64]);
  });
});

describe('ports', () => {
  it.each<[string, Json, readonly Expected[]]>([
    ['port 0', { from: 0, to: 10 }, [{ path: 'portRules[0].ports.from', says: 'ports start at 1' }]],
    ['a negative port', { from: 1, to: -1 }, [
      { path: 'portRules[0].ports.to', says: 'ports start at 1' },
      { path: 'portRules[0].ports.to', says: '"from" must not be greater than "to"' },
    ]],
    ['port 65536', { from: 1, to: 65536 }, [{ path: 'portRules[0].ports.to', says: 'ports end at 65535' }]],
    ['a fractional port', { from: 1.5, to: 2 }, [{ path: 'portRules[0].ports.from', says: 'must be a whole number' }]],
    ['"from" greater than "to"', { from: 443, to: 80 }, [{ path: 'portRules[0].ports.to', says: '"from" must not be greater than "to"' }]],
    ['both ends out of range', { from: 0, to: 65536 }, [
      { path: 'portRules[0].ports.from', says: 'ports start at 1' },
      { path: 'portRules[0].ports.to', says: 'ports end at 65535' },
    ]],
    ['a missing end', { from: 22 }, [{ path: 'portRules[0].ports.to', says: 'expected number, received undefined' }]],
  ])('refuses %s', (_label, ports, expected) => {
    const issues = expectIssues(doc({ portRules: [portRule({ ports })] }), expected);
    expect(issues).toHaveLength(expected.length);
  });

  it('accepts the extremes and single-port ranges', () => {
    const policy = valueOf(doc({ portRules: [portRule({ id: 'all', ports: { from: 1, to: 65535 } }), portRule({ id: 'one', ports: { from: 22, to: 22 } })] }));
    expect(policy.portRules.map((r) => r.ports)).toEqual([{ from: 1, to: 65535 }, { from: 22, to: 22 }]);
  });

  it('accepts exactly the ranges with 1 ≤ from ≤ to ≤ 65535', () => {
    const port = fc.oneof(fc.integer({ min: -5, max: 65540 }), fc.double({ min: 0, max: 70000, noNaN: true, noDefaultInfinity: true }));
    fc.assert(fc.property(port, port, (from, to) => {
      const valid = Number.isInteger(from) && Number.isInteger(to) && from >= 1 && to <= 65535 && from <= to;
      const result = validatePolicy(doc({ portRules: [portRule({ ports: { from, to } })] }));
      expect(result.ok).toBe(valid);
      if (!result.ok) expect(result.issues.every((i) => i.path.startsWith('portRules[0].ports.'))).toBe(true);
    }), { numRuns: 500 });
  });
});

describe('profile lists', () => {
  it('refuses a port rule that names no profile', () => {
    const issues = expectIssues(doc({ portRules: [portRule({ profiles: [] })] }), [{ path: 'portRules[0].profiles', says: 'names no profile' }]);
    expect(issues).toHaveLength(1);
  });

  it('accepts an app rule with no profile (listed, unchecked)', () => {
    expect(valueOf(doc({ apps: [app('ssh', exe('/usr/sbin/sshd'), { profiles: [] })] })).apps[0]?.profiles).toEqual([]);
  });

  it('refuses a profile listed twice, on app rules and port rules alike', () => {
    const issues = expectIssues(
      doc({
        apps: [app('ssh', exe('/usr/sbin/sshd'), { profiles: ['private', 'private'] })],
        portRules: [portRule({ profiles: ['public', 'private', 'public'] })],
      }),
      [
        { path: 'apps[0].profiles', says: 'lists a profile twice' },
        { path: 'portRules[0].profiles', says: 'lists a profile twice' },
      ],
    );
    expect(issues).toHaveLength(2);
  });
});

describe('remote networks', () => {
  it.each([
    ['host bits set (IPv4)', '10.0.0.1/8', 'has host bits set; did you mean 10.0.0.0/8?'],
    ['host bits set (IPv6)', 'fd00::1/8', 'has host bits set; did you mean fd00::/8?'],
    ['garbage', 'garbage', '"garbage" is not an IPv4 or IPv6 address'],
    ['an IPv4 prefix of 33', '10.0.0.0/33', '"10.0.0.0/33" is not a network in CIDR form'],
    ['an IPv6 prefix of 129', 'fd00::/129', '"fd00::/129" is not a network in CIDR form'],
    ['shorthand IPv4', '10/8', '"10/8" is not a network in CIDR form'],
    ['a three-part address', '192.168.1', '"192.168.1" is not an IPv4 or IPv6 address'],
    ['a hostname', 'example.com', '"example.com" is not an IPv4 or IPv6 address'],
    ['an empty prefix', '10.0.0.0/', '"10.0.0.0/" is not a network in CIDR form'],
    ['an empty string', '', 'is not an IPv4 or IPv6 address'],
  ])('refuses %s', (_label, remote, says) => {
    const issues = expectIssues(doc({ portRules: [portRule({ remote: ['192.168.0.0/16', remote] })] }), [{ path: 'portRules[0].remote[1]', says }]);
    expect(issues).toHaveLength(1);
  });

  it('refuses an IPv6 address with a zone index, which nftables cannot match', () => {
    // "fe80::1%eth0" is a scoped address for a socket API, not a network: the compiler would
    // write it verbatim into an nftables set, and nft would refuse the whole ruleset.
    const issues = issuesOf(doc({ portRules: [portRule({ remote: ['fe80::1%eth0'] })] }));
    expect(issues.map((i) => i.path)).toEqual(['portRules[0].remote[0]']);
  });

  it('reports every bad network of a list at its own index', () => {
    expectIssues(doc({ portRules: [portRule({ remote: ['10.0.0.1/8', '10.0.0.0/8', 'nope', 'fd00::/8', '1.2.3.4/40'] })] }), [
      { path: 'portRules[0].remote[0]', says: 'host bits' },
      { path: 'portRules[0].remote[2]', says: 'not an IPv4 or IPv6 address' },
      { path: 'portRules[0].remote[4]', says: 'not a network in CIDR form' },
    ]);
  });

  it('accepts networks and bare addresses of both families', () => {
    const remote = ['192.168.1.0/24', '10.1.2.3', 'fd00::/8', '2001:db8::1', '0.0.0.0/0', '::/0'];
    expect(valueOf(doc({ portRules: [portRule({ remote })] })).portRules[0]?.remote).toEqual(remote);
  });

  it('refuses more than 256 remote networks', () => {
    const remote = Array.from({ length: 257 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    expectIssues(doc({ portRules: [portRule({ remote })] }), [{ path: 'portRules[0].remote', says: '<=256' }]);
  });
});

describe('alwaysOpen', () => {
  it('is refused on a block rule, at the alwaysOpen field', () => {
    const issues = expectIssues(doc({ portRules: [portRule({ action: 'block', alwaysOpen: true })] }), [
      { path: 'portRules[0].alwaysOpen', says: '"alwaysOpen" only applies to inbound allow rules' },
    ]);
    expect(issues).toHaveLength(1);
  });

  it('is accepted on an allow rule, and "false" on a block rule', () => {
    const policy = valueOf(doc({ portRules: [portRule({ id: 'a', alwaysOpen: true }), portRule({ id: 'b', action: 'block', alwaysOpen: false })] }));
    expect(policy.portRules.map((r) => r.alwaysOpen)).toEqual([true, false]);
  });
});

describe('protections on port rules', () => {
  const knock = { sequence: [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }], windowSeconds: 10, openSeconds: 30 };
  const limit = { rates: [{ count: 3, seconds: 10 }], blockSeconds: 1800 };

  it('knocking and limits are refused on block rules and on outbound rules, at their own fields', () => {
    const issues = expectIssues(doc({ portRules: [
      portRule({ id: 'a', action: 'block', knock, limit }),
      portRule({ id: 'b', direction: 'out', knock, limit, alwaysOpen: true }),
    ] }), [
      { path: 'portRules[0].knock', says: '"knock" only applies to inbound allow rules' },
      { path: 'portRules[0].limit', says: '"limit" only applies to inbound allow rules' },
      { path: 'portRules[1].knock', says: 'only applies to inbound allow rules' },
      { path: 'portRules[1].limit', says: 'only applies to inbound allow rules' },
      { path: 'portRules[1].alwaysOpen', says: 'only applies to inbound allow rules' },
    ]);
    expect(issues).toHaveLength(5);
  });

  it('refuses bad knocks, windows and rates, each at its path', () => {
    expectIssues(doc({ portRules: [portRule({
      knock: { sequence: [{ protocol: 'icmp', port: 7001 }, { protocol: 'tcp', port: 0 }], windowSeconds: 0, openSeconds: 1.5 },
      limit: { rates: [{ count: 0, seconds: 10 }, { count: 3, seconds: 100_000 }], blockSeconds: -1 },
    })] }), [
      { path: 'portRules[0].knock.sequence[0].protocol', says: '' },
      { path: 'portRules[0].knock.sequence[1].port', says: '>=1' },
      { path: 'portRules[0].knock.windowSeconds', says: 'at least 1 second' },
      { path: 'portRules[0].knock.openSeconds', says: 'whole number of seconds' },
      { path: 'portRules[0].limit.rates[0].count', says: '>=1' },
      { path: 'portRules[0].limit.rates[1].seconds', says: 'at most 86400 seconds' },
      { path: 'portRules[0].limit.blockSeconds', says: 'at least 1 second' },
    ]);
  });

  it('refuses a knock on a port the rule opens, for the protocols it opens', () => {
    const issues = expectIssues(doc({ portRules: [
      portRule({ id: 'a', protocol: 'tcp', ports: { from: 7000, to: 7010 }, knock: { ...knock, sequence: [{ protocol: 'udp', port: 7001 }, { protocol: 'tcp', port: 7005 }] } }),
      portRule({ id: 'b', protocol: 'both', ports: { from: 22, to: 22 }, knock: { ...knock, sequence: [{ protocol: 'udp', port: 22 }] } }),
    ] }), [
      { path: 'portRules[0].knock.sequence[1]', says: 'a knock must not be on a port the rule opens' },
      { path: 'portRules[1].knock.sequence[0]', says: 'a knock must not be on a port the rule opens' },
    ]);
    expect(issues).toHaveLength(2);
  });

  it('refuses an empty knock sequence, more than 8 knocks, no rate and more than 4 rates', () => {
    expectIssues(doc({ portRules: [
      portRule({ id: 'a', knock: { ...knock, sequence: [] }, limit: { ...limit, rates: [] } }),
      portRule({ id: 'b', knock: { ...knock, sequence: Array.from({ length: 9 }, (_, i) => ({ protocol: 'tcp', port: 7000 + i })) }, limit: { ...limit, rates: Array.from({ length: 5 }, () => ({ count: 1, seconds: 1 })) } }),
    ] }), [
      { path: 'portRules[0].knock.sequence', says: 'needs at least one knock' },
      { path: 'portRules[0].limit.rates', says: 'needs at least one rate' },
      { path: 'portRules[1].knock.sequence', says: 'at most 8 knocks' },
      { path: 'portRules[1].limit.rates', says: '<=4' },
    ]);
  });

  it('a limit on a blocked app is refused; on an allowed app it is kept', () => {
    expectIssues(doc({ apps: [{ id: 'x', identity: { kind: 'snap', name: 'x' }, action: 'block', profiles: ['public'], limit }] }), [
      { path: 'apps[0].limit', says: '"limit" only applies to allow rules' },
    ]);
    expect(valueOf(doc({ apps: [{ id: 'x', identity: { kind: 'snap', name: 'x' }, action: 'allow', profiles: ['public'], limit }] })).apps[0]?.limit).toEqual(limit);
  });

  it('refuses a direction other than in or out, and bad scan-detection and essentials settings', () => {
    expectIssues(doc({
      portRules: [portRule({ direction: 'forward' })],
      profiles: { public: { scanDetection: { enabled: true, ports: 1, withinSeconds: 5, blockSeconds: 600 }, outboundEssentials: { dns: true, dhcp: 'yes', ntp: true } } },
    }), [
      { path: 'portRules[0].direction', says: '' },
      { path: 'profiles.public.scanDetection.ports', says: '>=2' },
      { path: 'profiles.public.outboundEssentials.dhcp', says: 'expected boolean' },
    ]);
  });
});

describe('expiry', () => {
  it.each([
    ['prose', 'tomorrow'],
    ['a date alone', '2026-11-21'],
    ['a local time without offset', '2026-11-21T18:00:00'],
    ['an impossible date', '2026-02-30T12:00:00Z'],
    ['hour 24', '2026-11-21T24:00:00Z'],
    ['a space instead of "T"', '2026-11-21 18:00:00Z'],
    ['a Unix timestamp as text', '1795284000'],
  ])('refuses %s', (_label, expires) => {
    const issues = expectIssues(doc({ portRules: [portRule({ expires })] }), [{ path: 'portRules[0].expires', says: DATE_TIME }]);
    expect(issues).toHaveLength(1);
  });

  it('refuses a number', () => {
    expectIssues(doc({ portRules: [portRule({ expires: 1795284000 })] }), [{ path: 'portRules[0].expires', says: DATE_TIME }]);
  });

  it('accepts UTC, offsets and fractional seconds', () => {
    const times = ['2026-11-21T18:00:00Z', '2026-11-21T19:00:00+01:00', '2026-11-21T18:00:00.250Z', '2028-02-29T00:00:00-05:30'];
    const policy = valueOf(doc({ portRules: times.map((expires, i) => portRule({ id: `r${i}`, expires })) }));
    expect(policy.portRules.map((r) => r.expires)).toEqual(times);
  });

  it('applies to firstSeen and lastSeen of networks too', () => {
    expectIssues(doc({ networks: [network(nm(UUID_A), { firstSeen: 'last week', lastSeen: '2026-13-01T00:00:00Z' })] }), [
      { path: 'networks[0].firstSeen', says: DATE_TIME },
      { path: 'networks[0].lastSeen', says: DATE_TIME },
    ]);
  });
});

describe('app identities', () => {
  const identityIssue = (identity: unknown) => issuesOf(doc({ apps: [app('x', identity)] }));

  it.each<[string, Json, string, string]>([
    ['a relative path', exe('usr/bin/firefox'), 'apps[0].identity.path', 'must be an absolute path'],
    ['a bare command name', exe('firefox'), 'apps[0].identity.path', 'must be an absolute path'],
    ['a ".." segment', exe('/usr/lib/../bin/firefox'), 'apps[0].identity.path', 'must be normalised'],
    ['a "." segment', exe('/usr/./bin/firefox'), 'apps[0].identity.path', 'must be normalised'],
    ['a "//"', exe('/usr//bin/firefox'), 'apps[0].identity.path', 'must be normalised'],
    ['a trailing "/"', exe('/usr/bin/'), 'apps[0].identity.path', 'must name a file, not end with "/"'],
    ['a NUL byte', exe('/usr/bin/fire\0fox'), 'apps[0].identity.path', 'must not contain a NUL byte'],
    ['a path over 4096 characters', exe(`/${'x'.repeat(4096)}`), 'apps[0].identity.path', '<=4096'],
    ['a relative interpreter', script('python3', '/opt/app/serve.py'), 'apps[0].identity.interpreter', 'must be an absolute path'],
    ['a script with ".."', script('/usr/bin/python3', '/opt/app/../serve.py'), 'apps[0].identity.script', 'must be normalised'],
    ['a script with a trailing "/"', script('/usr/bin/python3', '/opt/app/'), 'apps[0].identity.script', 'must name a file'],
    ['a Flatpak id with two parts', { kind: 'flatpak', appId: 'org.mozilla' }, 'apps[0].identity.appId', 'must be a Flatpak application id'],
    ['a Flatpak id starting with a digit', { kind: 'flatpak', appId: '1org.mozilla.firefox' }, 'apps[0].identity.appId', 'must be a Flatpak application id'],
    ['a Flatpak id with a "/"', { kind: 'flatpak', appId: 'org.mozilla.firefox/stable' }, 'apps[0].identity.appId', 'must be a Flatpak application id'],
    ['a Flatpak id with an empty part', { kind: 'flatpak', appId: 'org..mozilla.firefox' }, 'apps[0].identity.appId', 'must be a Flatpak application id'],
    ['a snap name in upper case', { kind: 'snap', name: 'Spotify' }, 'apps[0].identity.name', 'must be a snap name'],
    ['a snap name with "--"', { kind: 'snap', name: 'my--app' }, 'apps[0].identity.name', 'must be a snap name'],
    ['a snap name starting with "-"', { kind: 'snap', name: '-app' }, 'apps[0].identity.name', 'must be a snap name'],
    ['a snap name of digits only', { kind: 'snap', name: '123' }, 'apps[0].identity.name', 'must be a snap name'],
    ['a snap name with "_"', { kind: 'snap', name: 'my_app' }, 'apps[0].identity.name', 'must be a snap name'],
    ['a snap name of 41 characters', { kind: 'snap', name: 'a'.repeat(41) }, 'apps[0].identity.name', '<=40'],
    ['an AppImage name with "/"', { kind: 'appimage', name: 'apps/Obsidian.AppImage' }, 'apps[0].identity.name', 'must be a file name, without "/" or NUL'],
    ['an empty AppImage name', { kind: 'appimage', name: '' }, 'apps[0].identity.name', '>=1'],
    ['an unknown kind', { kind: 'deb', name: 'firefox' }, 'apps[0].identity.kind', IDENTITY_KINDS],
    ['a kind in the wrong case', { kind: 'Executable', path: '/usr/bin/firefox' }, 'apps[0].identity.kind', IDENTITY_KINDS],
    ['a missing kind', { path: '/usr/bin/firefox' }, 'apps[0].identity.kind', IDENTITY_KINDS],
  ])('refuses %s', (_label, identity, path, says) => {
    const issues = identityIssue(identity);
    expect([...new Set(issues.map((i) => i.path))]).toEqual([path]);
    expect(issues.map((i) => i.message)).toEqual(expect.arrayContaining([expect.stringContaining(says)]));
  });

  it('refuses an AppImage name with a NUL byte', () => {
    const issues = identityIssue({ kind: 'appimage', name: 'Obsidian\0.AppImage' });
    expect(issues.map((i) => i.path)).toEqual(['apps[0].identity.name']);
  });

  it('refuses "/" itself, a directory', () => {
    const issues = identityIssue(exe('/'));
    expect([...new Set(issues.map((i) => i.path))]).toEqual(['apps[0].identity.path']);
  });

  it('refuses an identity that is not an object', () => {
    expectIssues(doc({ apps: [app('x', '/usr/bin/firefox')] }), [{ path: 'apps[0].identity', says: IDENTITY_KINDS }]);
    expectIssues(doc({ apps: [app('x', undefined)] }), [{ path: 'apps[0].identity', says: IDENTITY_KINDS }]);
  });

  it('accepts one identity of every kind', () => {
    const identities = [
      exe('/usr/bin/firefox'),
      script('/usr/bin/python3.12', '/home/ana/bin/serve.py'),
      { kind: 'flatpak', appId: 'org.mozilla.firefox' },
      { kind: 'flatpak', appId: 'com.valvesoftware.Steam' },
      { kind: 'snap', name: 'spotify' },
      { kind: 'snap', name: 'node-red2' },
      { kind: 'appimage', name: 'Obsidian-1.5.3.AppImage' },
    ];
    const policy = valueOf(doc({ apps: identities.map((identity, i) => app(`app${i}`, identity)) }));
    expect(policy.apps.map((a) => a.identity)).toEqual(identities);
  });
});

describe('interfaces', () => {
  it.each([
    ['a wildcard "*"', 'eth*'],
    ['16 characters', 'abcdefghijklmnop'],
    ['a "/"', 'br/lan'],
    ['a space', 'eth 0'],
    ['a leading "-"', '-eth0'],
    ['a ":"', 'eth0:1'],
  ])('refuses a name with %s as a key, at that key', (_label, name) => {
    const issues = expectIssues(doc({ interfaces: { wlan0: 'private', [name]: 'public' } }), [{ path: `interfaces.${name}`, says: INTERFACE_NAME }]);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/^bad key: /);
  });

  it('reports every bad key at once', () => {
    expectIssues(doc({ interfaces: { 'eth*': 'private', 'a/b': 'public', ['x'.repeat(16)]: 'public', eth0: 'work' } }), [
      { path: 'interfaces.eth*', says: INTERFACE_NAME },
      { path: 'interfaces.a/b', says: INTERFACE_NAME },
      { path: `interfaces.${'x'.repeat(16)}`, says: INTERFACE_NAME },
      { path: 'interfaces.eth0', says: 'expected one of "private", "public"' },
    ]);
  });

  it('accepts real interface names up to 15 characters', () => {
    const interfaces = { wlp2s0: 'public', 'enp0s31f6': 'private', 'br-lan': 'private', 'eth0.100': 'public', wg_home: 'private', ['x'.repeat(15)]: 'public' };
    expect(valueOf(doc({ interfaces })).interfaces).toEqual(interfaces);
  });
});

describe('known networks', () => {
  it.each<[string, Json, string, string]>([
    ['an upper-case MAC', gateway('192.168.1.1', '52:54:00:AB:CD:EF'), 'networks[0].identity.mac', MAC],
    ['a MAC with a non-hex digit', gateway('192.168.1.1', '52:54:00:12:34:5g'), 'networks[0].identity.mac', MAC],
    ['a MAC of five octets', gateway('192.168.1.1', '52:54:00:12:34'), 'networks[0].identity.mac', MAC],
    ['a MAC with "-"', gateway('192.168.1.1', '52-54-00-12-34-56'), 'networks[0].identity.mac', MAC],
    ['a bad BSSID', nm(UUID_A, { bssid: 'AA:BB:CC:DD:EE:FF' }), 'networks[0].identity.bssid', MAC],
    ['a garbage UUID', nm('not-a-uuid'), 'networks[0].identity.uuid', 'must be a NetworkManager connection UUID'],
    ['a UUID without dashes', nm(UUID_A.replaceAll('-', '')), 'networks[0].identity.uuid', 'must be a NetworkManager connection UUID'],
    ['a UUID one digit short', nm(UUID_A.slice(1)), 'networks[0].identity.uuid', 'must be a NetworkManager connection UUID'],
    ['an SSID over 32 bytes', nm(UUID_A, { ssid: 'x'.repeat(33) }), 'networks[0].identity.ssid', '<=32'],
    ['an IPv4 gateway out of range', gateway('300.1.1.1'), 'networks[0].identity.address', 'must be the gateway IPv4 or IPv6 address'],
    ['a gateway hostname', gateway('router.lan'), 'networks[0].identity.address', 'must be the gateway IPv4 or IPv6 address'],
    ['a gateway network', gateway('192.168.1.0/24'), 'networks[0].identity.address', 'must be the gateway IPv4 or IPv6 address'],
    ['an unknown identity kind', { kind: 'wifi', ssid: 'Home' }, 'networks[0].identity.kind', 'networkmanager or gateway'],
  ])('refuses %s', (_label, identity, path, says) => {
    const issues = expectIssues(doc({ networks: [network(identity)] }), [{ path, says }]);
    expect(issues).toHaveLength(1);
  });

  it('refuses an empty name', () => {
    expectIssues(doc({ networks: [network(nm(UUID_A), { name: '' })] }), [{ path: 'networks[0].name', says: '>=1' }]);
  });

  it('accepts both identity kinds', () => {
    const networks = [
      network(nm(UUID_A, { ssid: 'Home', bssid: 'aa:bb:cc:dd:ee:ff' })),
      network(gateway('fd00::1'), { name: 'Office', profile: 'public', firstSeen: '2026-01-01T08:00:00Z', lastSeen: '2026-03-01T08:00:00Z' }),
      network(gateway('192.168.1.1', '52:54:00:12:34:57')),
    ];
    // A network written without "undecided" is one the user (or admin) chose: the default is false.
    expect(valueOf(doc({ networks })).networks).toEqual(networks.map((n) => ({ undecided: false, ...n })));
  });
});

describe('uniqueness across the document', () => {
  it('refuses an id used by two apps, at the second app\'s id', () => {
    const issues = expectIssues(doc({ apps: [app('web', exe('/usr/bin/nginx')), app('web', exe('/usr/bin/caddy'))] }), [
      { path: 'apps[1].id', says: 'id "web" is already used by apps[0]' },
    ]);
    expect(issues).toHaveLength(1);
  });

  it('refuses an id shared by an app and a port rule', () => {
    const issues = expectIssues(doc({ apps: [app('web', exe('/usr/bin/nginx'))], portRules: [portRule({ id: 'web' })] }), [
      { path: 'portRules[0].id', says: 'id "web" is already used by apps[0]' },
    ]);
    expect(issues).toHaveLength(1);
  });

  it('refuses an id used by two port rules', () => {
    const issues = expectIssues(doc({ portRules: [portRule({ id: 'dns', protocol: 'udp' }), portRule({ id: 'dns', protocol: 'tcp' })] }), [
      { path: 'portRules[1].id', says: 'id "dns" is already used by portRules[0]' },
    ]);
    expect(issues).toHaveLength(1);
  });

  it.each<[string, Json, Json]>([
    ['the same executable', exe('/usr/bin/nginx'), exe('/usr/bin/nginx')],
    ['a script under python3.11 and python3.12', script('/usr/bin/python3.11', '/opt/app/serve.py'), script('/usr/bin/python3.12', '/opt/app/serve.py')],
    ['a script under python3 and python3.12', script('/usr/bin/python3', '/opt/app/serve.py'), script('/usr/local/bin/python3.12', '/opt/app/serve.py')],
    ['the same Flatpak', { kind: 'flatpak', appId: 'org.mozilla.firefox' }, { kind: 'flatpak', appId: 'org.mozilla.firefox' }],
    ['the same snap', { kind: 'snap', name: 'spotify' }, { kind: 'snap', name: 'spotify' }],
    ['the same AppImage', { kind: 'appimage', name: 'Obsidian.AppImage' }, { kind: 'appimage', name: 'Obsidian.AppImage' }],
  ])('refuses %s listed twice, at the second identity', (_label, first, second) => {
    const issues = expectIssues(doc({ apps: [app('one', first), app('two', second, { action: 'block' })] }), [
      { path: 'apps[1].identity', says: 'the same app is already listed as apps[0]' },
    ]);
    expect(issues).toHaveLength(1);
  });

  it('keeps apps apart that only look alike', () => {
    const policy = valueOf(doc({
      apps: [
        app('a', exe('/usr/bin/python3')),
        app('b', script('/usr/bin/python3', '/opt/app/serve.py')),
        app('c', script('/usr/bin/perl', '/opt/app/serve.py')),
        app('d', script('/usr/bin/python3', '/opt/app/worker.py')),
        app('e', { kind: 'snap', name: 'firefox' }),
        app('f', { kind: 'appimage', name: 'firefox' }),
        app('g', { kind: 'flatpak', appId: 'org.mozilla.Firefox' }),
        app('h', { kind: 'flatpak', appId: 'org.mozilla.firefox' }),
      ],
    }));
    expect(policy.apps).toHaveLength(8);
  });

  it('refuses the same gateway written two ways ("fe80::1" and "fe80:0::1")', () => {
    const issues = expectIssues(doc({ networks: [network(gateway('fe80::1')), network(gateway('fe80:0::1'), { name: 'Home again', profile: 'public' })] }), [
      { path: 'networks[1].identity', says: 'the same network is already listed as networks[0]' },
    ]);
    expect(issues).toHaveLength(1);
  });

  it('refuses the same gateway in upper and lower case, and the same connection UUID twice', () => {
    expectIssues(doc({
      networks: [
        network(gateway('fd00::1')),
        network(gateway('FD00:0000::0001')),
        network(nm(UUID_A)),
        network(nm(UUID_A, { ssid: 'Renamed' })),
      ],
    }), [
      { path: 'networks[1].identity', says: 'already listed as networks[0]' },
      { path: 'networks[3].identity', says: 'already listed as networks[2]' },
    ]);
  });

  it('refuses the same NetworkManager connection with its UUID in another case', () => {
    // z.uuid() accepts upper-case hex, but networkKey uses the UUID text as it is, so the same
    // connection written twice slips through (MACs avoid this by allowing lower case only).
    const result = validatePolicy(doc({ networks: [network(nm(UUID_A)), network(nm(UUID_A.toUpperCase()), { profile: 'public' })] }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.some((i) => i.path.startsWith('networks[1].identity'))).toBe(true);
  });

  it('keeps networks apart: same gateway behind another MAC, or another gateway', () => {
    const policy = valueOf(doc({
      networks: [
        network(gateway('192.168.1.1', '52:54:00:12:34:56')),
        network(gateway('192.168.1.1', '52:54:00:12:34:57')),
        network(gateway('192.168.1.254', '52:54:00:12:34:56')),
        network(nm(UUID_B)),
      ],
    }));
    expect(policy.networks.map((n) => networkKey(n.identity))).toEqual([
      'gw:192.168.1.1@52:54:00:12:34:56',
      'gw:192.168.1.1@52:54:00:12:34:57',
      'gw:192.168.1.254@52:54:00:12:34:56',
      `nm:${UUID_B}`,
    ]);
  });

  it('reports every duplicate of a document at once', () => {
    expectIssues(doc({
      apps: [app('a', exe('/usr/bin/x')), app('b', exe('/usr/bin/x')), app('c', exe('/usr/bin/y'))],
      portRules: [portRule({ id: 'c' }), portRule({ id: 'd' }), portRule({ id: 'd' })],
      networks: [network(gateway('10.0.0.1')), network(gateway('10.0.0.1'))],
    }), [
      { path: 'apps[1].identity', says: 'already listed as apps[0]' },
      { path: 'portRules[0].id', says: 'id "c" is already used by apps[2]' },
      { path: 'portRules[2].id', says: 'id "d" is already used by portRules[1]' },
      { path: 'networks[1].identity', says: 'already listed as networks[0]' },
    ]);
  });
});

describe('a document with many errors', () => {
  const broken = doc({
    stelth: true,
    profiles: { private: { enabled: 'yes' }, public: { defaultInbound: 'deny' } },
    apps: [
      app('ssh', exe('usr/sbin/sshd')),
      app('tool', { kind: 'flatpak', appId: 'org.example' }, { profiles: ['private', 'private'] }),
    ],
    portRules: [
      portRule({ id: 'web', ports: { from: 0, to: 65536 } }),
      portRule({ id: 'dns', protocol: 'udp', profiles: [], remote: ['10.0.0.1/8'] }),
      portRule({ id: 'old', action: 'block', alwaysOpen: true, expires: 'tomorrow' }),
    ],
    networks: [network(gateway('192.168.1.1', '52:54:00:12:34:5G'))],
    interfaces: { 'eth*': 'private' },
  });

  const expected: Expected[] = [
    { path: '', says: 'unknown field "stelth"' },
    { path: 'profiles.private.enabled', says: 'expected boolean' },
    { path: 'profiles.public.defaultInbound', says: 'expected one of "block", "allow"' },
    { path: 'apps[0].identity.path', says: 'must be an absolute path' },
    { path: 'apps[1].identity.appId', says: 'must be a Flatpak application id' },
    { path: 'apps[1].profiles', says: 'lists a profile twice' },
    { path: 'portRules[0].ports.from', says: 'ports start at 1' },
    { path: 'portRules[0].ports.to', says: 'ports end at 65535' },
    { path: 'portRules[1].profiles', says: 'names no profile' },
    { path: 'portRules[1].remote[0]', says: 'host bits' },
    { path: 'portRules[2].alwaysOpen', says: 'only applies to inbound allow rules' },
    { path: 'portRules[2].expires', says: DATE_TIME },
    { path: 'networks[0].identity.mac', says: MAC },
    { path: 'interfaces.eth*', says: INTERFACE_NAME },
  ];

  it('reports all of them in one result, not just the first', () => {
    const issues = expectIssues(broken, expected);
    expect(issues).toHaveLength(expected.length);
  });

  it('reports duplicates alongside shape errors elsewhere in the document', () => {
    // A duplicated id is as much an error as a bad port; a refused document should list every
    // offending path (validate.ts: "A refused document lists every offending path"), so the
    // user does not fix one batch only to be refused again for the next.
    expectIssues(doc({
      apps: [app('web', exe('/usr/bin/nginx')), app('web', exe('/usr/bin/caddy'))],
      portRules: [portRule({ id: 'ssh', ports: { from: 22, to: 0 } })],
    }), [
      { path: 'apps[1].id', says: 'id "web" is already used by apps[0]' },
      { path: 'portRules[0].ports.to', says: 'ports start at 1' },
    ]);
  });

  it('parsePolicy throws a PolicyValidationError whose message lists every path', () => {
    let thrown: unknown;
    try {
      parsePolicy(broken);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PolicyValidationError);
    const error = thrown as PolicyValidationError;
    expect(error.name).toBe('PolicyValidationError');
    expect(error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(expected.map((e) => e.path)));
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('invalid policy:');
    expect(lines).toHaveLength(error.issues.length + 1);
    for (const issue of error.issues) {
      expect(lines).toContain(`  ${issue.path || '(document)'}: ${issue.message}`);
    }
    expect(error.message).toContain('  (document): unknown field "stelth"');
    expect(error.message).toContain('  portRules[1].remote[0]: "10.0.0.1/8" has host bits set; did you mean 10.0.0.0/8?');
  });
});

describe('parsePolicyText', () => {
  it.each([
    ['a trailing comma', '{"version": 1,}'],
    ['a comment', '// policy\n{"version": 1}'],
    ['an empty file', ''],
    ['single quotes', "{'version': 1}"],
    ['a truncated file', '{"version": 1, "apps": ['],
  ])('reports %s as one issue at the document', (_label, text) => {
    const result = parsePolicyText(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]?.path).toBe('');
    expect(result.issues[0]?.message).toMatch(/^not valid JSON: \S/);
  });

  it('validates what parses', () => {
    const bad = parsePolicyText('{"version": 1, "portRules": [{"id": "x", "action": "allow", "protocol": "tcp", "ports": {"from": 9, "to": 8}, "profiles": ["public"]}]}');
    expect(bad).toEqual({ ok: false, issues: [{ path: 'portRules[0].ports.to', message: '"from" must not be greater than "to"' }] });
    const good = parsePolicyText('{"version": 1}\n');
    expect(good).toEqual({ ok: true, value: defaultPolicy() });
  });
});

describe('formatPath', () => {
  it('writes indexes in brackets and keys with dots', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['version'])).toBe('version');
    expect(formatPath(['portRules', 2, 'ports', 'to'])).toBe('portRules[2].ports.to');
    expect(formatPath(['networks', 0, 'identity'])).toBe('networks[0].identity');
    expect(formatPath([0, 'a'])).toBe('[0].a');
  });
});

// ---------------------------------------------------------------------------------------------

describe('defaults', () => {
  const brief: Policy = {
    version: 1,
    profiles: {
      // The brief's defaults, and those issue 5 added: scan detection off, anti-spoofing on, essentials allowed.
      private: { enabled: true, stealth: true, shieldsUp: false, answerPing: true, defaultInbound: 'block', defaultOutbound: 'allow', notify: true, scanDetection: { enabled: false, ports: 20, withinSeconds: 5, blockSeconds: 600 }, antiSpoofing: true, outboundEssentials: { dns: true, dhcp: true, ntp: true } },
      public: { enabled: true, stealth: true, shieldsUp: false, answerPing: false, defaultInbound: 'block', defaultOutbound: 'allow', notify: true, scanDetection: { enabled: false, ports: 20, withinSeconds: 5, blockSeconds: 600 }, antiSpoofing: true, outboundEssentials: { dns: true, dhcp: true, ntp: true } },
    },
    apps: [],
    portRules: [],
    networks: [],
    interfaces: {},
  };

  it('{version: 1} yields exactly the brief\'s defaults', () => {
    expect(valueOf({ version: 1 })).toStrictEqual(brief);
    expect(defaultPolicy()).toStrictEqual(brief);
  });

  it('an empty profiles object, or empty profiles, yield the same defaults', () => {
    expect(valueOf(doc({ profiles: {} }))).toStrictEqual(brief);
    expect(valueOf(doc({ profiles: { private: {}, public: {} } }))).toStrictEqual(brief);
  });

  it('fills in what a partial profile leaves out, keeping what it sets', () => {
    const policy = valueOf(doc({ profiles: { public: { answerPing: true, stealth: false } } }));
    expect(policy.profiles.public).toStrictEqual({ ...brief.profiles.public, answerPing: true, stealth: false });
    expect(policy.profiles.private).toStrictEqual(brief.profiles.private);
  });

  it('fills in a port rule\'s defaults and leaves optional fields out', () => {
    const rule = valueOf(doc({ portRules: [portRule()] })).portRules[0];
    expect(rule).toStrictEqual({
      id: 'web', enabled: true, action: 'allow', protocol: 'tcp', ports: { from: 8080, to: 8080 },
      direction: 'in', profiles: ['private'], remote: [], alwaysOpen: false,
    });
  });

  it('does not modify the input', () => {
    const input = doc({ portRules: [portRule()], profiles: { public: {} } });
    const before = structuredClone(input);
    valueOf(input);
    expect(input).toStrictEqual(before);
  });

  it('hands out a fresh default policy each time', () => {
    const a = defaultPolicy();
    a.apps.push({ id: 'x', identity: { kind: 'snap', name: 'x' }, action: 'allow', profiles: [] });
    a.profiles.public.stealth = false;
    expect(defaultPolicy()).toStrictEqual(brief);
  });
});

describe('a full, realistic document', () => {
  const realistic = {
    $schema: './policy.schema.json',
    version: 1,
    profiles: {
      private: { answerPing: true, notify: true },
      public: {
        stealth: true, shieldsUp: true, answerPing: false, defaultOutbound: 'block',
        scanDetection: { enabled: true, ports: 10, withinSeconds: 3, blockSeconds: 900 }, outboundEssentials: { dns: true, dhcp: true, ntp: false },
      },
    },
    apps: [
      { id: 'sshd', name: 'OpenSSH server', identity: exe('/usr/sbin/sshd'), action: 'allow', profiles: ['private'] },
      { id: 'syncthing', identity: exe('/usr/bin/syncthing'), action: 'allow', profiles: ['private', 'public'] },
      { id: 'jupyter', identity: script('/usr/bin/python3.12', '/home/ana/.local/bin/jupyter-lab'), action: 'allow', profiles: [] },
      { id: 'steam', identity: { kind: 'flatpak', appId: 'com.valvesoftware.Steam' }, action: 'allow', profiles: ['private'] },
      { id: 'spotify', identity: { kind: 'snap', name: 'spotify' }, action: 'block', profiles: ['public'] },
      { id: 'obsidian', identity: { kind: 'appimage', name: 'Obsidian-1.5.3.AppImage' }, action: 'block', profiles: ['private', 'public'] },
    ],
    portRules: [
      { id: 'kde-connect', action: 'allow', protocol: 'both', ports: { from: 1714, to: 1764 }, profiles: ['private'], remote: ['192.168.1.0/24', 'fd00::/8'], comment: 'KDE Connect' },
      { id: 'mdns', enabled: false, action: 'allow', protocol: 'udp', ports: { from: 5353, to: 5353 }, profiles: ['private'], alwaysOpen: true },
      { id: 'demo', action: 'allow', protocol: 'tcp', ports: { from: 8000, to: 8000 }, profiles: ['public'], expires: '2026-11-21T18:00:00Z' },
      { id: 'no-telnet', action: 'block', protocol: 'tcp', ports: { from: 23, to: 23 }, profiles: ['private', 'public'] },
      {
        id: 'ssh', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['public'],
        knock: { sequence: [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }, { protocol: 'tcp', port: 7003 }], windowSeconds: 10, openSeconds: 30 },
        limit: { rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 1800 },
      },
      { id: 'web-out', direction: 'out', action: 'allow', protocol: 'tcp', ports: { from: 443, to: 443 }, profiles: ['public'] },
      { id: 'no-smtp', direction: 'out', action: 'block', protocol: 'tcp', ports: { from: 25, to: 25 }, profiles: ['private', 'public'], remote: ['0.0.0.0/0', '::/0'] },
    ],
    networks: [
      { name: 'Home Wi-Fi', identity: nm(UUID_A, { ssid: 'Casa', bssid: 'aa:bb:cc:dd:ee:ff' }), profile: 'private', firstSeen: '2025-09-01T10:00:00Z', lastSeen: '2026-05-01T20:15:00+02:00' },
      { name: 'Office', identity: gateway('10.20.0.1', '00:1a:2b:3c:4d:5e'), profile: 'public' },
      { name: 'Lab', identity: gateway('fd12:3456::1'), profile: 'private' },
    ],
    interfaces: { 'wg-home': 'private', wlp2s0: 'public', docker0: 'private' },
  };

  it('is accepted as written, with defaults filled in', () => {
    const policy = valueOf(realistic);
    expect(policy.$schema).toBe('./policy.schema.json');
    expect(policy.profiles.public).toStrictEqual({
      enabled: true, stealth: true, shieldsUp: true, answerPing: false, defaultInbound: 'block', defaultOutbound: 'block', notify: true,
      scanDetection: { enabled: true, ports: 10, withinSeconds: 3, blockSeconds: 900 }, antiSpoofing: true, outboundEssentials: { dns: true, dhcp: true, ntp: false },
    });
    expect(policy.apps.map((a) => a.id)).toEqual(['sshd', 'syncthing', 'jupyter', 'steam', 'spotify', 'obsidian']);
    expect(policy.portRules[0]).toStrictEqual({ ...realistic.portRules[0], enabled: true, direction: 'in', alwaysOpen: false });
    expect(policy.portRules[4]).toStrictEqual({ ...realistic.portRules[4], enabled: true, direction: 'in', remote: [], alwaysOpen: false });
    expect(policy.portRules[6]?.direction).toBe('out');
    expect(policy.portRules[1]?.enabled).toBe(false);
    expect(policy.portRules[2]?.remote).toEqual([]);
    expect(policy.networks).toStrictEqual(realistic.networks.map((n) => ({ ...n, undecided: false })));
    expect(policy.interfaces).toStrictEqual(realistic.interfaces);
  });

  it('round-trips: parse → JSON → parse gives a deep-equal policy', () => {
    const once = parsePolicy(realistic);
    const text = JSON.stringify(once, null, 2);
    const twice = parsePolicyText(text);
    expect(twice).toStrictEqual({ ok: true, value: once });
    expect(JSON.stringify(parsePolicy(JSON.parse(text)), null, 2)).toBe(text);
  });

  it('round-trips the defaults too', () => {
    const once = defaultPolicy();
    expect(parsePolicy(JSON.parse(JSON.stringify(once)))).toStrictEqual(once);
  });
});

describe('identity helpers', () => {
  it('interpreterFamily drops the version from the interpreter\'s name', () => {
    expect(interpreterFamily('/usr/bin/python3.11')).toBe('python');
    expect(interpreterFamily('/usr/bin/python3.12')).toBe('python');
    expect(interpreterFamily('/usr/bin/python3')).toBe('python');
    expect(interpreterFamily('/usr/bin/perl5.36.0')).toBe('perl');
    expect(interpreterFamily('/usr/bin/node')).toBe('node');
    expect(interpreterFamily('/opt/bin/7')).toBe('7');
  });

  it('appKey and sameApp tell apps apart by what identifies them', () => {
    expect(appKey({ kind: 'executable', path: '/usr/bin/x' })).toBe('exe:/usr/bin/x');
    expect(appKey({ kind: 'script', interpreter: '/usr/bin/python3.11', script: '/opt/s.py' })).toBe('script:python:/opt/s.py');
    expect(sameApp({ kind: 'script', interpreter: '/usr/bin/python3.11', script: '/opt/s.py' }, { kind: 'script', interpreter: '/usr/bin/python3.12', script: '/opt/s.py' })).toBe(true);
    expect(sameApp({ kind: 'snap', name: 'x' }, { kind: 'appimage', name: 'x' })).toBe(false);
  });

  it('appDisplayName gives a short name', () => {
    expect(appDisplayName({ kind: 'executable', path: '/usr/sbin/sshd' })).toBe('sshd');
    expect(appDisplayName({ kind: 'script', interpreter: '/usr/bin/python3.12', script: '/opt/app/serve.py' })).toBe('serve.py (python)');
    expect(appDisplayName({ kind: 'flatpak', appId: 'org.mozilla.firefox' })).toBe('org.mozilla.firefox');
    expect(appDisplayName({ kind: 'appimage', name: 'Obsidian.AppImage' })).toBe('Obsidian.AppImage');
  });

  it('networkKey canonicalises gateway addresses', () => {
    expect(networkKey({ kind: 'gateway', address: 'FE80:0::1', mac: '52:54:00:12:34:56' })).toBe('gw:fe80::1@52:54:00:12:34:56');
    expect(networkKey({ kind: 'networkmanager', uuid: UUID_A })).toBe(`nm:${UUID_A}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Entries already validated (a policy edit keeps the old entries and adds or replaces a few)

describe('entries known to be valid', () => {
  const base = (): Policy => parsePolicy(doc({
    apps: [app('app-a', exe('/usr/bin/a'))],
    portRules: Array.from({ length: 50 }, (_, i) => portRule({ id: `r${i}`, ports: { from: 1000 + i, to: 1000 + i } })),
    networks: [network(nm(UUID_A))],
  }));

  it('are frozen, so what was checked cannot change afterwards', () => {
    const policy = base();
    expect(Object.isFrozen(policy.portRules[0])).toBe(true);
    expect(Object.isFrozen(policy.portRules[0]?.ports)).toBe(true);
    expect(Object.isFrozen(policy.apps[0]?.identity)).toBe(true);
  });

  it('a new bad entry beside them is reported at its own index in the whole list', () => {
    const policy = base();
    expectIssues({ ...policy, portRules: [...policy.portRules, portRule({ id: 'new', ports: { from: 9, to: 8 } })] },
      [{ path: 'portRules[50].ports.to', says: '"from" must not be greater than "to"' }]);
  });

  it('a new entry reusing a known entry\'s id is refused', () => {
    const policy = base();
    expectIssues({ ...policy, portRules: [...policy.portRules, portRule({ id: 'r3', ports: { from: 9, to: 9 } })] },
      [{ path: 'portRules[50].id', says: 'id "r3" is already used by portRules[3]' }]);
  });

  it('property: the verdict is the one a document of plain copies gets', () => {
    const fields = fc.record({
      id: fc.constantFrom('r1', 'r7', 'n1', 'n2', 'app-a', ''),
      action: fc.constantFrom('allow', 'block', 'deny'),
      protocol: fc.constantFrom('tcp', 'udp', 'both', 'icmp'),
      ports: fc.record({ from: fc.integer({ min: -1, max: 65536 }), to: fc.integer({ min: -1, max: 65536 }) }),
      profiles: fc.subarray(['private', 'public', 'private'], { minLength: 0 }),
      enabled: fc.boolean(),
    }, { requiredKeys: ['id', 'action', 'protocol', 'ports'] });
    const policy = base();
    fc.assert(fc.property(fc.array(fields, { maxLength: 3 }), fc.nat(49), fc.boolean(), (added, at, drop) => {
      const known = drop ? policy.portRules.filter((_, i) => i !== at) : policy.portRules;
      const mixed = { ...policy, portRules: [...known.slice(0, at), ...added, ...known.slice(at)] };
      expect(validatePolicy(mixed)).toEqual(validatePolicy(structuredClone(mixed)));
    }), { numRuns: 300 });
  });
});
