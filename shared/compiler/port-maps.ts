// Inbound allow rules that say nothing but "this protocol, these ports" — the common case, by
// far — are not one kernel rule each: they are elements of maps per profile, from
// `protocol . port` to the rule's own named counter. A new connection then costs a map lookup
// however many such rules there are, adding or removing one is an element change (no table
// rewrite), and each rule still has its own hit count: the lookup counts on the rule's counter.
//
// Single ports and port ranges live in separate maps. Only a range needs an interval map, and
// the kernel looks a key up in an interval map of concatenations (pipapo) in time that grows
// with its elements: at 1,000 rules that lookup alone cost a tenth of the connection rate
// (bench/findings.md). A map of single ports is a hash, one probe however many rules.
//
// A rule stays a kernel rule of its own when it needs more (remote networks, knocking, limits,
// an expiry) or when its ports overlap a rule placed before it, or any of those other allow
// rules: interval elements may not overlap, and keeping overlaps out keeps the order of
// evaluation irrelevant to the outcome.
import type { PortRule, ProfileName, ProfileSettings } from '../policy/schema';
import { PROFILE_NAMES } from '../policy/schema';
import { accept, concat, meta, payload, range, setRef, type NftCommand, type NftExpression, type NftStatement } from '../nft/json';
import { ruleComment } from './layout';
import { ruleProtocolsOf, table, type RuleEntry } from './matches';

/** Per-profile maps: ports allowed while something listens, and ports always open; each as single ports and as ranges. */
export const portRuleMaps = (p: ProfileName) => ({
  listening: { ports: `${p}_port_allow`, ranges: `${p}_port_allow_ranges` },
  always: { ports: `${p}_port_open`, ranges: `${p}_port_open_ranges` },
});

type MapKind = 'listening' | 'always';
/** What a map holds: single ports (a hash map) or port ranges (an interval map). */
type MapHolds = 'ports' | 'ranges';
const MAP_KINDS: readonly MapKind[] = ['listening', 'always'];
const MAP_HOLDS: readonly MapHolds[] = ['ports', 'ranges'];

/** Which of a kind's two maps a rule's elements go to. */
const heldIn = (r: PortRule): MapHolds => (r.ports.from === r.ports.to ? 'ports' : 'ranges');

/** A rule's counter object is named like its rule comment, so hit counts and carry-over read both alike. */
export const portRuleCounter = (id: string) => ruleComment('port', id);

const MAP_TYPE = ['inet_proto', 'inet_service'];

interface PortKey { protocol: 'tcp' | 'udp'; from: number; to: number }

const keysOf = (r: PortRule): PortKey[] => ruleProtocolsOf(r).map((protocol) => ({ protocol, from: r.ports.from, to: r.ports.to }));

/** Ports taken, per protocol: a thousand rules are sorted in linear time, not by comparing every pair. */
class PortsTaken {
  private readonly taken = { tcp: new Uint8Array(65_536), udp: new Uint8Array(65_536) };

  add(k: PortKey): void {
    this.taken[k.protocol].fill(1, k.from, k.to + 1);
  }

  overlaps(k: PortKey): boolean {
    const ports = this.taken[k.protocol];
    for (let port = k.from; port <= k.to; port++) if (ports[port]) return true;
    return false;
  }
}

const isPlainAllow = ({ rule: r, until }: RuleEntry) => r.action === 'allow' && r.direction === 'in'
  && r.remote.length === 0 && !r.knock && !r.limit && until === undefined;

export interface ProfilePortRules {
  /** Rules in the profile's maps, by map. */
  listening: PortRule[];
  always: PortRule[];
  /** Every other rule in force, still one kernel rule each, in policy order. */
  linear: RuleEntry[];
}

/** Sorts a profile's rules in force into map elements and rules of their own. */
export function splitPortRules(entries: readonly RuleEntry[]): ProfilePortRules {
  const others = new PortsTaken();
  for (const e of entries) {
    if (!isPlainAllow(e) && e.rule.action === 'allow' && e.rule.direction === 'in') for (const k of keysOf(e.rule)) others.add(k);
  }
  const placed = { listening: new PortsTaken(), always: new PortsTaken() };
  const out: ProfilePortRules = { listening: [], always: [], linear: [] };
  for (const entry of entries) {
    const which = entry.rule.alwaysOpen ? 'always' : 'listening';
    const keys = keysOf(entry.rule);
    if (!isPlainAllow(entry) || keys.some((k) => others.overlaps(k) || placed[which].overlaps(k))) {
      out.linear.push(entry);
      continue;
    }
    for (const k of keys) placed[which].add(k);
    out[which].push(entry.rule);
  }
  return out;
}

/**
 * A profile whose inbound chain never reaches the maps (firewall off, shields up) gets empty
 * maps and no counters: its rules would show hit counts nothing could ever raise.
 */
export function profilePortRules(settings: Pick<ProfileSettings, 'enabled' | 'shieldsUp'>, entries: readonly RuleEntry[]): ProfilePortRules {
  return settings.enabled && !settings.shieldsUp ? splitPortRules(entries) : { listening: [], always: [], linear: [...entries] };
}

interface RuleElements {
  elem: readonly NftExpression[];
  /** One short string per element, in the same order: diffs compare these, not JSON. */
  keys: readonly string[];
}

/**
 * A rule's elements, kept per rule object. Validated policy entries are frozen, and a rule
 * change meets a thousand rules it has seen before; what is kept is frozen too, as it ends up
 * in many documents.
 */
const elementsByRule = new WeakMap<PortRule, RuleElements>();

function ruleElements(r: PortRule): RuleElements {
  const known = elementsByRule.get(r);
  if (known) return known;
  const keys = keysOf(r);
  const made: RuleElements = Object.freeze({
    elem: Object.freeze(keys.map((k) => Object.freeze([concat(k.protocol, k.from === k.to ? k.from : range(k.from, k.to)), portRuleCounter(r.id)]) as NftExpression)),
    keys: Object.freeze(keys.map((k) => `${k.protocol} ${k.from}-${k.to} ${r.id}`)),
  });
  if (Object.isFrozen(r)) elementsByRule.set(r, made);
  return made;
}

const mapElements = (rules: readonly PortRule[]): NftExpression[] => rules.flatMap((r) => ruleElements(r).elem);
const elementKeys = (rules: readonly PortRule[]): string[] => rules.flatMap((r) => ruleElements(r).keys);

/** `counter name meta l4proto . th dport map @m`: matches (and counts) only packets whose key is in the map. */
export const countedLookup = (mapName: string): NftStatement => ({ counter: { map: { key: concat(meta('l4proto'), payload('th', 'dport')), data: setRef(mapName) } } });

/**
 * The accept rules that consult the maps (the listener check comes first, so only accepted
 * packets count). Single ports before ranges: the common case takes the cheap lookup.
 */
export function portMapRules(p: ProfileName, chain: string, listenerPresent: NftStatement): NftCommand[] {
  const maps = portRuleMaps(p);
  const rule = (expr: NftStatement[], name: string): NftCommand => ({ add: { rule: { ...table, chain, expr, comment: ruleComment('profile', `${p}-${name}`) } } });
  return [
    rule([listenerPresent, countedLookup(maps.listening.ports), accept()], 'port-rules'),
    rule([listenerPresent, countedLookup(maps.listening.ranges), accept()], 'port-ranges'),
    rule([countedLookup(maps.always.ports), accept()], 'port-rules-open'),
    rule([countedLookup(maps.always.ranges), accept()], 'port-ranges-open'),
  ];
}

/** Everything the maps need: one counter object per mapped rule, then the maps of every profile. */
export interface PortMapContents {
  counters: string[];
  maps: { name: string; profile: ProfileName; kind: MapKind; holds: MapHolds; elem: NftExpression[]; keys: string[]; ruleIds: string[] }[];
}

export function portMapContents(split: Record<ProfileName, ProfilePortRules>): PortMapContents {
  const counters = new Set<string>();
  const maps = PROFILE_NAMES.flatMap((p) => {
    const names = portRuleMaps(p);
    for (const r of [...split[p].listening, ...split[p].always]) counters.add(portRuleCounter(r.id));
    return MAP_KINDS.flatMap((kind) => MAP_HOLDS.map((holds) => {
      const rules = split[p][kind].filter((r) => heldIn(r) === holds);
      return { name: names[kind][holds], profile: p, kind, holds, elem: mapElements(rules), keys: elementKeys(rules), ruleIds: rules.map((r) => r.id) };
    }));
  });
  return { counters: [...counters].sort(), maps };
}

/** The counter objects and maps as part of a whole table (counters first: the maps refer to them). */
export function portMapCommands(contents: PortMapContents): NftCommand[] {
  return [
    ...contents.counters.map((name): NftCommand => ({ add: { counter: { ...table, name } } })),
    ...contents.maps.map(({ name, holds, elem }): NftCommand => ({
      add: { map: { ...table, name, type: MAP_TYPE, map: 'counter', ...(holds === 'ranges' ? { flags: ['interval'] } : {}), ...(elem.length ? { elem } : {}) } },
    })),
  ];
}

/**
 * From one set of map contents to another in one transaction, elements only: new counters are
 * added, elements that went are deleted and new ones added (only the difference: rewriting a
 * map of a thousand intervals costs nft far more than a few changes), and counters no longer
 * referred to are deleted last. Counters of rules that stay keep their counts.
 */
export function portMapUpdate(before: PortMapContents, after: PortMapContents): NftCommand[] {
  const kept = new Set(after.counters);
  const changes = after.maps.flatMap(({ name, elem, keys }): NftCommand[] => {
    const old = before.maps.find((m) => m.name === name) ?? { elem: [], keys: [] };
    const oldKeys = new Set(old.keys);
    const newKeys = new Set(keys);
    // A map element is [key, counter name]; deleting names the key alone.
    const gone = old.elem.filter((_, i) => !newKeys.has(old.keys[i] as string)).map((e) => (e as NftExpression[])[0] as NftExpression);
    const added = elem.filter((_, i) => !oldKeys.has(keys[i] as string));
    return [
      ...(gone.length ? [{ delete: { element: { ...table, name, elem: gone } } } as NftCommand] : []),
      ...(added.length ? [{ add: { element: { ...table, name, elem: added } } } as NftCommand] : []),
    ];
  });
  const had = new Set(before.counters);
  return [
    ...after.counters.filter((n) => !had.has(n)).map((name): NftCommand => ({ add: { counter: { ...table, name } } })),
    ...changes,
    ...before.counters.filter((n) => !kept.has(n)).map((name): NftCommand => ({ delete: { counter: { ...table, name } } })),
  ];
}
