// Building blocks of Palisade's rules: table-scoped commands, port and address matches, the
// socket lookup, rate-limited logging.
import type { PortRule, ProfileName } from '../policy/schema';
import { parseNetwork, type IpFamily } from '../net/address';
import {
  anonymousSet, concat, match, meta, payload, prefix, range, setRef, socket,
  type NftCommand, type NftExpression, type NftStatement,
} from '../nft/json';
import { LOG_GROUP, TABLE_FAMILY, TABLE_NAME, dropLogPrefix, type DropKind } from './layout';

export const table = { family: TABLE_FAMILY, table: TABLE_NAME } as const;

export function rule(chain: string, expr: NftStatement[], comment?: string): NftCommand {
  return { add: { rule: { ...table, chain, expr, ...(comment ? { comment } : {}) } } };
}

export function chainCmd(name: string, base?: { hook: 'prerouting' | 'input' | 'output' | 'postrouting'; policy: 'accept' | 'drop'; prio?: number }): NftCommand {
  return { add: { chain: { ...table, name, ...(base ? { type: 'filter' as const, hook: base.hook, prio: base.prio ?? 0, policy: base.policy } : {}) } } };
}

/** A single value, or an anonymous set when there are several. */
export const oneOrSet = (items: readonly NftExpression[]): NftExpression => (items.length === 1 && items[0] !== undefined ? items[0] : anonymousSet([...items]));

export const l4protoIs = (protocols: readonly ('tcp' | 'udp')[]) => match(meta('l4proto'), oneOrSet(protocols));

export const portsMatch = (field: 'dport' | 'sport', from: number, to: number, protocol = 'th') =>
  match(payload(protocol, field), from === to ? from : range(from, to));

export const ruleProtocolsOf = (r: Pick<PortRule, 'protocol'>): ('tcp' | 'udp')[] => (r.protocol === 'both' ? ['tcp', 'udp'] : [r.protocol]);

/** The address family's payload protocol: `ip` or `ip6`. */
export const ipOf = (family: IpFamily) => (family === 4 ? 'ip' : 'ip6');
export const FAMILIES: readonly IpFamily[] = [4, 6];

/** `ip saddr …` / `ip6 daddr …` for the networks of one family, or undefined when there are none. */
export function networksMatch(networks: readonly string[], family: IpFamily, field: 'saddr' | 'daddr'): NftStatement | undefined {
  const nets = networks.map(parseNetwork).filter((n) => n.family === family);
  if (!nets.length) return undefined;
  const elems = nets.map((n) => (n.prefixLength === (family === 4 ? 32 : 128) ? n.address : prefix(n.address, n.prefixLength)));
  return match(payload(ipOf(family), field), oneOrSet(elems));
}

/**
 * Match prefixes of a port rule, one per address family it applies to: with remote networks,
 * one per family that has any; without, one per family when `perFamily` (rules that use
 * per-family sets), else a single family-less one. Overlapping networks and ranges go to nft as
 * they are: it merges the members of anonymous interval sets itself (checked by
 * test/kernel/compile-check.test.ts, which generates overlaps).
 */
export function portRuleSelectors(r: PortRule, opts: { perFamily?: boolean } = {}): { family: IpFamily | undefined; match: NftStatement[] }[] {
  const field = r.direction === 'out' ? 'daddr' : 'saddr';
  const base = [l4protoIs(ruleProtocolsOf(r)), portsMatch('dport', r.ports.from, r.ports.to)];
  if (r.remote.length === 0) {
    if (!opts.perFamily) return [{ family: undefined, match: base }];
    return FAMILIES.map((family) => ({ family, match: [...base, match(meta('nfproto'), family === 4 ? 'ipv4' : 'ipv6')] }));
  }
  return FAMILIES.flatMap((family) => {
    const nets = networksMatch(r.remote, family, field);
    return nets ? [{ family, match: [...base, nets] }] : [];
  });
}

/** `meta l4proto . th dport @set`: the packet's (protocol, destination port) is in a port-key set. */
export const protoPortIn = (setName: string) => match(concat(meta('l4proto'), payload('th', 'dport')), setRef(setName));

/** A port rule in force and, when it expires, its expiry set. */
export interface RuleEntry { rule: PortRule; until?: string }

/** portRuleSelectors, plus the expiry set's match for a rule that expires. */
export function entrySelectors(e: RuleEntry, opts: { perFamily?: boolean } = {}): { family: IpFamily | undefined; match: NftStatement[] }[] {
  const untilMatch = e.until ? [protoPortIn(e.until)] : [];
  return portRuleSelectors(e.rule, opts).map((sel) => ({ ...sel, match: [...sel.match, ...untilMatch] }));
}

/** True only if a socket would receive the packet now (nft_socket: a normal, non-transparent socket). */
export const listenerPresent = () => match(socket('transparent'), 0);

/** Logs a drop to the helper's NFLOG group, at most 10 a second (bursts of 20) so a flood costs nothing. */
export function logDrop(profile: ProfileName, kind: DropKind, id?: string): NftStatement[] {
  return [
    { limit: { rate: 10, per: 'second', burst: 20, burst_unit: 'packets' } },
    { log: { prefix: dropLogPrefix(profile, kind, id), group: LOG_GROUP } },
  ];
}
