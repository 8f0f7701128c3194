// fast-check generators for valid policies and runtime states, covering every field and
// identity kind, including the awkward corners (overlapping ranges and networks, bare
// addresses, expired rules, empty lists).
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { PROFILE_NAMES, type PolicyInput, type ProfileName } from '../../shared/policy/schema';
import type { RuntimeState, PortKey } from '../../shared/runtime/state';
import { appKey, networkKey } from '../../shared/policy/identity';

export const profileName = fc.constantFrom<ProfileName>(...PROFILE_NAMES);
export const profileList = fc.subarray([...PROFILE_NAMES]);
const nonEmptyProfileList = fc.subarray([...PROFILE_NAMES], { minLength: 1 });

export const port = fc.integer({ min: 1, max: 65535 });
export const portRange = fc.tuple(port, port).map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) }));
/** Mostly small ranges in a narrow band, so that rules overlap often. */
const clusteredRange = fc.tuple(fc.integer({ min: 8000, max: 8100 }), fc.integer({ min: 0, max: 30 })).map(([from, len]) => ({ from, to: from + len }));

const pathSegment = fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9_.+-]{0,12}$/).filter((s) => s !== '.' && s !== '..');
export const absolutePath = fc.array(pathSegment, { minLength: 1, maxLength: 4 }).map((segs) => `/${segs.join('/')}`);

export const appIdentity = fc.oneof(
  absolutePath.map((path) => ({ kind: 'executable' as const, path })),
  fc.tuple(fc.constantFrom('/usr/bin/python3', '/usr/bin/python3.12', '/usr/bin/node', '/usr/bin/perl'), absolutePath)
    .map(([interpreter, script]) => ({ kind: 'script' as const, interpreter, script })),
  fc.array(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,8}$/), { minLength: 3, maxLength: 4 })
    .map((parts) => ({ kind: 'flatpak' as const, appId: parts.join('.') })),
  fc.stringMatching(/^[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,5})?$/).map((name) => ({ kind: 'snap' as const, name })),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,20}$/).map((name) => ({ kind: 'appimage' as const, name })),
);

const ipv4Network = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.boolean()).map(([addr, len, bare]) => {
  const net = ipaddr.IPv4.networkAddressFromCIDR(`${addr}/${len}`).toString();
  return len === 32 && bare ? net : `${net}/${len}`;
});
const ipv6Network = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([addr, len]) => {
  const net = ipaddr.IPv6.networkAddressFromCIDR(`${addr}/${len}`).toString();
  return len === 128 ? net : `${net}/${len}`;
});
/** Networks drawn from a few families of nearby prefixes, so containment and duplicates happen. */
const nearbyNetwork = fc.constantFrom('10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '192.168.0.0/24', '192.168.0.0/16', 'fd00::/8', 'fd00:1::/32', 'fd00:1::5', '::/0', '0.0.0.0/0');
export const remoteNetwork = fc.oneof(ipv4Network, ipv6Network, nearbyNetwork);

const isoTime = fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2030-01-01T00:00:00Z') }).map((ms) => new Date(ms).toISOString());

const seconds = (max: number) => fc.integer({ min: 1, max });

const profileSettings = fc.record({
  enabled: fc.boolean(),
  stealth: fc.boolean(),
  shieldsUp: fc.boolean(),
  answerPing: fc.boolean(),
  defaultInbound: fc.constantFrom('block', 'allow'),
  defaultOutbound: fc.constantFrom('allow', 'block'),
  notify: fc.boolean(),
  scanDetection: fc.record({ enabled: fc.boolean(), ports: fc.integer({ min: 2, max: 10_000 }), withinSeconds: seconds(3600), blockSeconds: seconds(7 * 86400) }),
  antiSpoofing: fc.boolean(),
  outboundEssentials: fc.record({ dns: fc.boolean(), dhcp: fc.boolean(), ntp: fc.boolean() }),
}, { requiredKeys: [] });

const knocking = fc.record({
  sequence: fc.array(fc.record({ protocol: fc.constantFrom('tcp' as const, 'udp' as const), port }), { minLength: 1, maxLength: 8 }),
  windowSeconds: seconds(3600),
  openSeconds: seconds(86400),
});

/** Rates that nftables must express in its own units (per second … per day), awkward ones included. */
const rateLimit = fc.record({
  rates: fc.array(fc.record({ count: fc.integer({ min: 1, max: 100_000 }), seconds: seconds(86400) }), { minLength: 1, maxLength: 4 }),
  blockSeconds: seconds(7 * 86400),
});

const portRuleBody = fc.record({
  enabled: fc.boolean(),
  direction: fc.constantFrom('in', 'out'),
  action: fc.constantFrom('allow', 'block'),
  protocol: fc.constantFrom('tcp', 'udp', 'both'),
  ports: fc.oneof(portRange, clusteredRange),
  profiles: nonEmptyProfileList,
  remote: fc.array(remoteNetwork, { maxLength: 5 }),
  alwaysOpen: fc.boolean(),
  expires: isoTime,
  comment: fc.string({ maxLength: 40 }),
  knock: knocking,
  limit: rateLimit,
}, { requiredKeys: ['action', 'protocol', 'ports', 'profiles'] }).map((r) => {
  // Always-open, knocking and limits belong to inbound allow rules only, and no knock is on a port the rule opens.
  if (r.action === 'allow' && r.direction !== 'out') {
    const opens = (k: { protocol: string; port: number }) => (r.protocol === 'both' || r.protocol === k.protocol) && k.port >= r.ports.from && k.port <= r.ports.to;
    if (!r.knock?.sequence.some(opens)) return r;
    const { knock, ...rest } = r;
    return rest;
  }
  const { knock, limit, ...rest } = r;
  return { ...rest, alwaysOpen: false };
});

const appBody = fc.record({
  name: fc.string({ maxLength: 30 }),
  identity: appIdentity,
  action: fc.constantFrom('allow', 'block'),
  profiles: profileList,
  limit: rateLimit,
}, { requiredKeys: ['identity', 'action', 'profiles'] }).map((a) => {
  if (a.action === 'allow') return a;
  const { limit, ...rest } = a;
  return rest;
});

export const interfaceName = fc.stringMatching(/^[a-z][a-z0-9_.+-]{0,14}$/);

const mac = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }).map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':'));
const network = fc.record({
  name: fc.string({ minLength: 1, maxLength: 20 }),
  profile: profileName,
  identity: fc.oneof(
    fc.record({ kind: fc.constant('networkmanager' as const), uuid: fc.uuid({ version: 4 }), ssid: fc.string({ maxLength: 32 }).filter((s) => s.length <= 32), bssid: mac }, { requiredKeys: ['kind', 'uuid'] }),
    fc.record({ kind: fc.constant('gateway' as const), address: fc.oneof(fc.ipV4(), fc.ipV6()), mac }),
  ),
});

/** A valid policy document (as a file would hold it; defaults may be missing). */
export const policyInput: fc.Arbitrary<PolicyInput> = fc.record({
  profiles: fc.record({ private: profileSettings, public: profileSettings }, { requiredKeys: [] }),
  apps: fc.uniqueArray(appBody, { maxLength: 6, selector: (a) => appKey(a.identity) }),
  portRules: fc.array(portRuleBody, { maxLength: 12 }),
  networks: fc.uniqueArray(network, { maxLength: 4, selector: (n) => networkKey(n.identity) }),
  interfaces: fc.dictionary(interfaceName, profileName, { maxKeys: 4 }),
}, { requiredKeys: [] }).map((doc) => ({
  version: 1 as const,
  ...doc,
  // Ids are unique across apps and rules.
  ...(doc.apps ? { apps: doc.apps.map((a, i) => ({ id: `app-${i}`, ...a })) } : {}),
  ...(doc.portRules ? { portRules: doc.portRules.map((r, i) => ({ id: `rule-${i}`, ...r })) } : {}),
})) as fc.Arbitrary<PolicyInput>;

const portKey: fc.Arbitrary<PortKey> = fc.record({ protocol: fc.constantFrom('tcp' as const, 'udp' as const), port });
/** Rate-limited apps' ports are keyed by app id; ids of apps not in the policy are ignored by the compiler. */
const appPortSets = fc.record({
  allow: fc.array(portKey, { maxLength: 8 }),
  block: fc.array(portKey, { maxLength: 4 }),
  limited: fc.dictionary(fc.constantFrom('app-0', 'app-1', 'app-2', 'app-9'), fc.array(portKey, { maxLength: 3 }), { maxKeys: 3 }),
});

export const runtimeState: fc.Arbitrary<RuntimeState> = fc.record({
  interfaces: fc.dictionary(interfaceName, profileName, { maxKeys: 5 }),
  appPorts: fc.record({ private: appPortSets, public: appPortSets }),
  now: isoTime,
  resolvers: fc.array(fc.oneof(fc.ipV4(), fc.ipV6().map((a) => ipaddr.parse(a).toString())), { maxLength: 3 }),
}, { requiredKeys: ['interfaces', 'appPorts'] });
