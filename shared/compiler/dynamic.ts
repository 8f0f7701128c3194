// Protections that remember sources in the kernel, with nftables sets whose elements time out:
// port knocking, brute-force limits and port-scan detection (the source articles' `recent`
// tricks, in nftables form; research/tech.md §3). No user-space process sits in the packet path.
//
// Set names say what the set means — kind, address family, owner id (ids are valid nft
// identifier characters, and the id comes last, so names are unique) — and so stay the same
// while other rules come and go. A full replacement puts the sources the kernel remembered back
// into the sets of the same name (RuntimeState.remembered), reading nothing but the kernel.
import type { IpFamily } from '../net/address';
import { PROFILE_NAMES, type Knocking, type Policy, type ProfileName, type RateLimit, type ScanDetection } from '../policy/schema';
import { activePortRules } from '../policy/rules';
import type { RememberedSource } from '../runtime/state';
import { concat, ct, match, meta, payload, setRef, type NftCommand, type NftExpression, type NftStatement } from '../nft/json';
import { FAMILIES, ipOf, table } from './matches';

const addressType = (family: IpFamily) => (family === 4 ? 'ipv4_addr' : 'ipv6_addr');

/** A set of source addresses, each forgotten `timeout` seconds after it was added. */
export interface SourceSet {
  name: string;
  family: IpFamily;
  timeout: number;
  /** Membership is a decision to keep across replacements (a knock stage reached, a source blocked); rate meters are not (their state is the limiter's). */
  remembers: boolean;
  /** Keyed by source, protocol and destination port instead of source alone (ports a source touched). */
  perPort?: boolean;
}

/** (nft marks such a set dynamic itself, as `add`/`update` use it; its JSON parser refuses the flag.) */
function sourceSetCommand(s: SourceSet, remembered: readonly RememberedSource[] = []): NftCommand {
  // Only sources of the set's own family: one address of the other family would make nft refuse the whole table.
  const elem: NftExpression[] = remembered
    .filter((r) => r.family === s.family && r.expiresInSeconds > 0)
    .map((r) => ({ elem: { val: r.address, timeout: Math.min(Math.ceil(r.expiresInSeconds), s.timeout) } }));
  const type = s.perPort ? [addressType(s.family), 'inet_proto', 'inet_service'] : addressType(s.family);
  return { add: { set: { ...table, name: s.name, type, flags: ['timeout'], timeout: s.timeout, ...(elem.length ? { elem } : {}) } } };
}

const saddr = (family: IpFamily) => payload(ipOf(family), 'saddr');
export const sourceIn = (set: string, family: IpFamily) => match(saddr(family), setRef(set));
export const addSource = (set: string, family: IpFamily): NftStatement => ({ set: { op: 'add', elem: saddr(family), set: setRef(set) } });

/**
 * nftables limits count per second, minute, hour or day: "count in seconds" becomes the
 * smallest unit with a whole rate, as a token bucket holding `count` (so `count` quick ones
 * pass, the next is over).
 */
export function rateOver(count: number, seconds: number): { rate: number; per: 'second' | 'minute' | 'hour' | 'day'; burst: number } {
  const units = [['second', 1], ['minute', 60], ['hour', 3600], ['day', 86400]] as const;
  for (const [per, unit] of units) {
    const rate = (count * unit) / seconds;
    if (Number.isInteger(rate) && rate >= 1) return { rate, per, burst: count };
  }
  return { rate: Math.max(1, Math.ceil((count * 86400) / seconds)), per: 'day', burst: count };
}

/** `update @meter { ip saddr limit rate over … }`: matches once a source goes over the rate. */
export function overRate(meter: string, family: IpFamily, count: number, seconds: number): NftStatement {
  const { rate, per, burst } = rateOver(count, seconds);
  return { set: { op: 'update', elem: saddr(family), set: setRef(meter), stmt: [{ limit: { rate, per, burst, burst_unit: 'packets', inv: true } }] } };
}

export const newConnection = () => match(ct('state'), 'new', 'in');
export const familyIs = (family: IpFamily) => match(meta('nfproto'), family === 4 ? 'ipv4' : 'ipv6');

// ---- knocking -----------------------------------------------------------------------------

/** FNV-1a (32 bits): a short, stable tag of a knock sequence. Hand-written: four lines, and shared/ stays free of node:crypto. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Knock stage sets of a rule. The sequence's tag is in the name, so a changed sequence starts everyone again. */
export const knockSets = (ruleId: string, k: Knocking) => {
  const tag = fnv1a(k.sequence.map((x) => `${x.port}/${x.protocol}`).join(','));
  const stage = (i: number, family: IpFamily) => `knock${family}_${i}_${tag}_${ruleId}`;
  return { stage, open: (family: IpFamily) => stage(k.sequence.length, family) };
};

/** One set per knock per family: a source is in set i once it has knocked i times in order (the last set: the port is open to it). */
function knockSourceSets(ruleId: string, k: Knocking): SourceSet[] {
  const sets = knockSets(ruleId, k);
  return FAMILIES.flatMap((family) => k.sequence.map((_, i) => ({
    name: sets.stage(i + 1, family),
    family,
    timeout: i + 1 === k.sequence.length ? k.openSeconds : k.windowSeconds,
    remembers: true,
  })));
}

/**
 * Each knock moves its source one stage on — the first from anywhere, the next only from the
 * stage before, within the window. A wrong or late knock simply does not advance. The rules give
 * no verdict, so rules sharing a knock port all see it (knockDrops then drops it). The last
 * stage's rule comes first: a knock that appears twice in a sequence (7001, 7001, 7002) must
 * advance a source that has reached the stage before it, and one packet must never move a
 * source two stages.
 */
export function knockStatements(ruleId: string, k: Knocking): NftStatement[][] {
  const sets = knockSets(ruleId, k);
  const stages = k.sequence.map((knock, i) => ({ knock, i })).reverse();
  return FAMILIES.flatMap((family) => stages.map(({ knock, i }) => [
    match(meta('l4proto'), knock.protocol),
    match(payload('th', 'dport'), knock.port),
    familyIs(family),
    ...(i === 0 ? [] : [sourceIn(sets.stage(i, family), family)]),
    addSource(sets.stage(i + 1, family), family),
  ]));
}

/**
 * Every knock packet is dropped, whether it moved its source on or not: with stealth off a
 * knock answered "closed" to strangers would show a scanner which ports are knocks, and which
 * one it just passed. One rule per distinct (protocol, port).
 */
export function knockDrops(knockings: readonly Knocking[]): NftStatement[][] {
  const distinct = new Map<string, { protocol: 'tcp' | 'udp'; port: number }>();
  for (const k of knockings) for (const x of k.sequence) distinct.set(`${x.protocol}/${x.port}`, x);
  return [...distinct.values()].map((x) => [match(meta('l4proto'), x.protocol), match(payload('th', 'dport'), x.port), { counter: null }, { drop: null }]);
}

// ---- limits -------------------------------------------------------------------------------

/** Whose limit: a port rule's or an app's (ids are unique across both, the kind keeps names apart anyway). */
export interface LimitOwner { kind: 'port' | 'app'; id: string }

export const limitSets = (owner: LimitOwner) => ({
  meter: (rate: number, family: IpFamily) => `meter${family}_${rate}_${owner.kind}_${owner.id}`,
  blocked: (family: IpFamily) => `limited${family}_${owner.kind}_${owner.id}`,
});

function limitSourceSets(owner: LimitOwner, limit: RateLimit): SourceSet[] {
  const sets = limitSets(owner);
  return FAMILIES.flatMap((family) => [
    ...limit.rates.map((r, i) => ({ name: sets.meter(i, family), family, timeout: r.seconds, remembers: false })),
    { name: sets.blocked(family), family, timeout: limit.blockSeconds, remembers: true },
  ]);
}

// ---- scan detection -----------------------------------------------------------------------

export const scanSets = (p: ProfileName) => ({
  /** (source, protocol, port) a source touched lately: a port counts once, retransmissions do not. */
  touched: (family: IpFamily) => `scan_ports${family}_${p}`,
  meter: (family: IpFamily) => `scan_meter${family}_${p}`,
  scanners: (family: IpFamily) => `scanners${family}_${p}`,
});

const sourcePort = (family: IpFamily) => concat(saddr(family), meta('l4proto'), payload('th', 'dport'));

/**
 * The rule that catches a scanner, for the final chain (reached only by packets no rule let
 * through, i.e. aimed at ports closed to their source): a new (source, protocol, port) is noted
 * and takes a token from the source's bucket of ports − 1, so the `ports`-th distinct closed
 * port within the time puts the source among the scanners.
 */
export function scanCatch(p: ProfileName, d: ScanDetection, family: IpFamily): NftStatement[] {
  const sets = scanSets(p);
  return [
    match(sourcePort(family), setRef(sets.touched(family)), '!='),
    { set: { op: 'add', elem: sourcePort(family), set: setRef(sets.touched(family)) } },
    overRate(sets.meter(family), family, d.ports - 1, d.withinSeconds),
    addSource(sets.scanners(family), family),
  ];
}

function scanSourceSets(p: ProfileName, d: ScanDetection): SourceSet[] {
  const sets = scanSets(p);
  return FAMILIES.flatMap((family) => [
    { name: sets.touched(family), family, timeout: d.withinSeconds, remembers: false, perPort: true },
    { name: sets.meter(family), family, timeout: d.withinSeconds, remembers: false },
    { name: sets.scanners(family), family, timeout: d.blockSeconds, remembers: true },
  ]);
}

// ---- all of them --------------------------------------------------------------------------

/** Every source set a policy needs at time `now`, in the order the table defines them. */
export function sourceSets(policy: Policy, now: string | undefined): SourceSet[] {
  const sets: SourceSet[] = [];
  const inForce = new Set(PROFILE_NAMES.flatMap((p) => activePortRules(policy, p, now)));
  for (const r of policy.portRules) {
    if (!inForce.has(r) || r.action !== 'allow' || r.direction !== 'in') continue;
    if (r.knock) sets.push(...knockSourceSets(r.id, r.knock));
    if (r.limit) sets.push(...limitSourceSets({ kind: 'port', id: r.id }, r.limit));
  }
  for (const app of policy.apps) {
    if (app.action === 'allow' && app.limit && app.profiles.length) sets.push(...limitSourceSets({ kind: 'app', id: app.id }, app.limit));
  }
  for (const p of PROFILE_NAMES) {
    const s = policy.profiles[p];
    if (s.enabled && s.scanDetection.enabled) sets.push(...scanSourceSets(p, s.scanDetection));
  }
  return sets;
}

/** The sets, with the sources the kernel remembered in sets of the same name put back (never for longer than the set's own timeout). */
export function sourceSetCommands(sets: readonly SourceSet[], remembered: Readonly<Record<string, readonly RememberedSource[]>> = {}): NftCommand[] {
  return sets.map((s) => sourceSetCommand(s, s.remembers ? remembered[s.name] : undefined));
}
