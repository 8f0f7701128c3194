// (policy, runtime state) → one nftables JSON transaction that replaces `table inet palisade`
// and touches nothing else. The layout implements the scanner truth table of BRIEF.md §2 and
// the protections of the source articles:
//
//   prerouting (after conntrack) ─ established / iifname vmap @iface_pre ─→ pre_<p>: reverse-path
//         filter (spoofing.ts)
//   input ─ lo / established / invalid / ICMPv6 essentials / DHCP replies
//         └ iifname vmap @iface_in ─→ in_<profile>     (unknown interface → in_public; inbound.ts)
//   postrouting ─ oifname vmap @iface_post ─→ post_<p>: with stealth, drop the kernel's own RST
//           and port unreachable for "always open" ports (nothing else can make them)
//   output ─ established / lo ─ oifname vmap @iface_out ─→ out_<p>: outbound (outbound.ts)
//
// Knocking, limits and scan detection remember sources in timed sets (dynamic.ts); a full
// replacement puts back the sources the runtime state says the kernel remembered. Rules with an
// expiry are gated by a set whose element times out then (expiry.ts). Profile switches and app
// openings change only elements.
import { PROFILE_NAMES, type Policy, type PortRule, type ProfileName, type ProfileSettings } from '../policy/schema';
import { InterfaceNameSchema } from '../policy/schema';
import { activePortRules } from '../policy/rules';
import { normalisePortKeys, type AppPortSets, type PortKey, type RuntimeState } from '../runtime/state';
import {
  accept, anonymousSet, bitAnd, counter, ct, drop, goTo, match, meta, nftDocument, payload, prefix, range,
  rawTransportPayload, verdictMap,
  type NftCommand, type NftDocument, type NftExpression,
} from '../nft/json';
import { BASE_CHAINS, INTERFACE_MAPS, TABLE_FAMILY, TABLE_NAME, appPortSets, profileChains, ruleComment } from './layout';
import { chainCmd, rule, table, type RuleEntry } from './matches';
import { sourceSetCommands, sourceSets } from './dynamic';
import { secondsLeft, untilSetCommand, untilSetName } from './expiry';
import { appLimitSet, profileDenyChain, profileFinalChain, profileInputChain, type InboundRules } from './inbound';
import { profileOutputChain } from './outbound';
import { profilePreroutingChain } from './spoofing';
import { portMapCommands, portMapContents, portMapUpdate, profilePortRules, type PortMapContents, type ProfilePortRules } from './port-maps';

/** ICMPv6 that IPv6 cannot work without (RFC 4890); ND and MLD are untracked by conntrack. */
export const ESSENTIAL_ICMPV6_IN = [
  'destination-unreachable', 'packet-too-big', 'time-exceeded', 'parameter-problem',
  'mld-listener-query', 'mld-listener-report', 'mld-listener-done', 'mld2-listener-report',
  'nd-router-solicit', 'nd-router-advert', 'nd-neighbor-solicit', 'nd-neighbor-advert',
  'ind-neighbor-solicit', 'ind-neighbor-advert',
] as const;

/** A kernel-generated port unreachable quotes the offending packet after the 8-byte ICMP header:
 *  the inner IPv4 (20 bytes) or IPv6 (40 bytes) header, then the UDP source and destination port.
 *  The destination port thus starts 30 or 50 bytes, i.e. 240 or 400 bits, into the ICMP message. */
const QUOTED_DPORT_BITS = { ipv4: 240, ipv6: 400 } as const;

/**
 * Anti-spoofing runs just after connection tracking (-200), so that packets of established
 * flows skip the reverse-path lookup: a flow's first packet was checked, and a forged packet
 * that fits a tracked flow's addresses, ports and sequence window is not what this filter is
 * for. Measured in bench/packet-path.ts: a lookup on every packet cost a sixth of the
 * connection rate.
 */
const PREROUTING_PRIORITY = -150;

export class CompileError extends Error {
  override name = 'CompileError';
}

function checkInterfaceName(name: string): string {
  if (!InterfaceNameSchema.safeParse(name).success) throw new CompileError(`invalid interface name "${name}"`);
  return name;
}

function portKeyElements(keys: readonly PortKey[]): NftExpression[] {
  return normalisePortKeys(keys).map((k) => [k.protocol, k.port]).map(([protocol, port]) => ({ concat: [protocol, port] }) as NftExpression);
}

function inputBaseChain(): NftCommand[] {
  const c = BASE_CHAINS.input;
  return [
    chainCmd(c, { hook: 'input', policy: 'drop' }),
    rule(c, [match(meta('iif'), 'lo'), accept()], ruleComment('base', 'loopback')),
    rule(c, [match(ct('state'), ['established', 'related'], 'in'), accept()], ruleComment('base', 'established')),
    rule(c, [match(ct('state'), 'invalid', 'in'), counter(), drop()], ruleComment('base', 'invalid')),
    rule(c, [match(payload('icmpv6', 'type'), anonymousSet([...ESSENTIAL_ICMPV6_IN])), accept()], ruleComment('base', 'icmpv6')),
    rule(c, [match(payload('ip6', 'saddr'), prefix('fe80::', 10)), match(payload('udp', 'sport'), 547), match(payload('udp', 'dport'), 546), accept()], ruleComment('base', 'dhcpv6-client')),
    rule(c, [match(payload('udp', 'sport'), 67), match(payload('udp', 'dport'), 68), accept()], ruleComment('base', 'dhcp-client')),
    rule(c, [verdictMap(meta('iifname'), INTERFACE_MAPS.input)]),
    rule(c, [goTo(profileChains('public').input)], ruleComment('base', 'unknown-interface')),
  ];
}

function preroutingBaseChain(): NftCommand[] {
  const c = BASE_CHAINS.prerouting;
  return [
    chainCmd(c, { hook: 'prerouting', policy: 'accept', prio: PREROUTING_PRIORITY }),
    rule(c, [match(meta('iif'), 'lo'), accept()]),
    rule(c, [match(ct('state'), ['established', 'related'], 'in'), accept()]),
    rule(c, [verdictMap(meta('iifname'), INTERFACE_MAPS.prerouting)]),
    rule(c, [goTo(profileChains('public').prerouting)]),
  ];
}

function postroutingBaseChain(): NftCommand[] {
  const c = BASE_CHAINS.postrouting;
  return [
    chainCmd(c, { hook: 'postrouting', policy: 'accept' }),
    rule(c, [match(meta('oif'), 'lo'), accept()]),
    rule(c, [verdictMap(meta('oifname'), INTERFACE_MAPS.postrouting)]),
    rule(c, [goTo(profileChains('public').postrouting)]),
  ];
}

function outputBaseChain(): NftCommand[] {
  const c = BASE_CHAINS.output;
  return [
    chainCmd(c, { hook: 'output', policy: 'accept' }),
    rule(c, [match(ct('state'), ['established', 'related'], 'in'), accept()]),
    rule(c, [match(meta('oif'), 'lo'), accept()]),
    rule(c, [verdictMap(meta('oifname'), INTERFACE_MAPS.output)]),
    rule(c, [goTo(profileChains('public').output)]),
  ];
}

function profilePostroutingChain(p: ProfileName, s: ProfileSettings, rules: readonly RuleEntry[]): NftCommand[] {
  const c = profileChains(p).postrouting;
  const cmds: NftCommand[] = [chainCmd(c)];
  if (!s.enabled || !s.stealth) return cmds;
  const alwaysOpen = rules.map((e) => e.rule).filter((r) => r.action === 'allow' && r.direction === 'in' && r.alwaysOpen);
  const portsFor = (proto: 'tcp' | 'udp') => alwaysOpen.filter((r) => r.protocol === proto || r.protocol === 'both').map((r) => r.ports);
  const asSet = (ranges: { from: number; to: number }[]) => anonymousSet(ranges.map((r) => (r.from === r.to ? r.from : range(r.from, r.to))));
  const tcp = portsFor('tcp');
  if (tcp.length) {
    // The kernel's RST for a SYN to a closed port: RST|ACK with sequence number 0.
    cmds.push(rule(c, [
      match(bitAnd(payload('tcp', 'flags'), ['rst', 'ack']), ['rst', 'ack']),
      match(payload('tcp', 'sequence'), 0),
      match(payload('tcp', 'sport'), asSet(tcp)),
      counter(), drop(),
    ], ruleComment('profile', `${p}-stealth-rst`)));
  }
  const udp = portsFor('udp');
  if (udp.length) {
    cmds.push(rule(c, [
      match(payload('icmp', 'type'), 'destination-unreachable'), match(payload('icmp', 'code'), 'port-unreachable'),
      match(rawTransportPayload(QUOTED_DPORT_BITS.ipv4, 16), asSet(udp)), counter(), drop(),
    ], ruleComment('profile', `${p}-stealth-unreach`)));
    cmds.push(rule(c, [
      match(payload('icmpv6', 'type'), 'destination-unreachable'), match(payload('icmpv6', 'code'), 'port-unreachable'),
      match(rawTransportPayload(QUOTED_DPORT_BITS.ipv6, 16), asSet(udp)), counter(), drop(),
    ], ruleComment('profile', `${p}-stealth-unreach6`)));
  }
  return cmds;
}

function interfaceMapElements(runtime: Pick<RuntimeState, 'interfaces'>, hook: keyof typeof INTERFACE_MAPS): NftExpression[] {
  return Object.entries(runtime.interfaces)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([iface, profile]) => [checkInterfaceName(iface), goTo(profileChains(profile)[hook])]);
}

function interfaceMaps(runtime: RuntimeState): NftCommand[] {
  return (Object.keys(INTERFACE_MAPS) as (keyof typeof INTERFACE_MAPS)[]).map((hook) => {
    const elem = interfaceMapElements(runtime, hook);
    return { add: { map: { ...table, name: INTERFACE_MAPS[hook], type: 'ifname', map: 'verdict', ...(elem.length ? { elem } : {}) } } };
  });
}

const PORT_SET_TYPE = ['inet_proto', 'inet_service'];

function portSet(name: string, keys: readonly PortKey[]): NftCommand {
  const elem = portKeyElements(keys);
  return { add: { set: { ...table, name, type: PORT_SET_TYPE, ...(elem.length ? { elem } : {}) } } };
}

/** Allowed apps with brute-force limits on profile `p`. */
function limitedApps(policy: Policy, p: ProfileName): InboundRules['limitedApps'] {
  return policy.apps.filter((app) => app.action === 'allow' && app.limit && app.profiles.includes(p));
}

function appSets(policy: Policy, p: ProfileName, ports: AppPortSets): NftCommand[] {
  const sets = appPortSets(p);
  return [
    portSet(sets.allow, ports.allow),
    portSet(sets.block, ports.block),
    ...limitedApps(policy, p).map((app) => portSet(appLimitSet(p, app.id), ports.limited[app.id] ?? [])),
  ];
}

/** The whole table, replaced in one transaction (`add` + `delete` + definition: works whether or not it exists). */
export function compileRuleset(policy: Policy, runtime: RuntimeState): NftDocument {
  const cmds: NftCommand[] = [
    { add: { table: { family: TABLE_FAMILY, name: TABLE_NAME } } },
    { delete: { table: { family: TABLE_FAMILY, name: TABLE_NAME } } },
    { add: { table: { family: TABLE_FAMILY, name: TABLE_NAME } } },
  ];
  const timed = new Map<PortRule, number>();
  const entryOf = (r: PortRule): RuleEntry => {
    const left = secondsLeft(r, runtime.now);
    if (left === undefined) return { rule: r };
    timed.set(r, left);
    return { rule: r, until: untilSetName(r.id) };
  };
  const splits = {} as Record<ProfileName, ProfilePortRules>;
  const perProfile = PROFILE_NAMES.flatMap((p) => {
    const s = policy.profiles[p];
    const rules = activePortRules(policy, p, runtime.now).map(entryOf);
    splits[p] = profilePortRules(s, rules);
    const inbound: InboundRules = { rules, split: splits[p], limitedApps: limitedApps(policy, p) };
    return [
      ...profilePreroutingChain(p, s),
      ...profileInputChain(p, s, inbound),
      ...profileDenyChain(p),
      ...profileFinalChain(p, s),
      ...profilePostroutingChain(p, s, rules),
      ...profileOutputChain(p, s, rules, runtime.resolvers ?? []),
    ];
  });
  // Chains first (maps refer to them), then sets and maps, then rules (which refer to both).
  const isChain = (cmd: NftCommand) => 'add' in cmd && 'chain' in cmd.add;
  cmds.push(...perProfile.filter(isChain));
  cmds.push(...interfaceMaps(runtime));
  cmds.push(...portMapCommands(portMapContents(splits)));
  for (const p of PROFILE_NAMES) cmds.push(...appSets(policy, p, runtime.appPorts[p]));
  cmds.push(...sourceSetCommands(sourceSets(policy, runtime.now), runtime.remembered));
  for (const [r, seconds] of timed) cmds.push(untilSetCommand(r, seconds));
  cmds.push(...perProfile.filter((cmd) => !isChain(cmd)));
  // Every packet leaving the machine passes a postrouting hook: registered only when some
  // profile's post_<p> has a rule for it to reach.
  const postChains = new Set(PROFILE_NAMES.map((p) => profileChains(p).postrouting));
  const postroutingNeeded = perProfile.some((cmd) => 'add' in cmd && 'rule' in cmd.add && postChains.has(cmd.add.rule.chain));
  cmds.push(...preroutingBaseChain(), ...inputBaseChain(), ...(postroutingNeeded ? postroutingBaseChain() : []), ...outputBaseChain());
  return nftDocument(carryCounters(cmds, runtime.counters));
}

/**
 * Starts each counted rule's counter where the replaced table's rule of the same comment left
 * off. One policy rule can be several kernel rules (one per family, say) while the carried value
 * is their sum: it goes on the first of them, so the sum stays right.
 */
function carryCounters(cmds: NftCommand[], counters: RuntimeState['counters']): NftCommand[] {
  if (!counters) return cmds;
  const left = new Map(Object.entries(counters));
  return cmds.map((cmd) => {
    if ('add' in cmd && 'counter' in cmd.add) {
      // A mapped rule's own counter object: named like the rule comment it stands for.
      const carried = left.get(cmd.add.counter.name);
      if (!carried) return cmd;
      left.delete(cmd.add.counter.name);
      return { add: { counter: { ...cmd.add.counter, packets: carried.packets, bytes: carried.bytes } } };
    }
    if (!('add' in cmd) || !('rule' in cmd.add)) return cmd;
    const r = cmd.add.rule;
    const carried = r.comment === undefined ? undefined : left.get(r.comment);
    // A plain counter statement only: `counter name … map @m` is a lookup, not a count to carry.
    const at = r.expr.findIndex((e) => 'counter' in e && (e.counter === null || typeof (e.counter as { packets?: unknown }).packets === 'number'));
    if (!carried || at < 0 || r.comment === undefined) return cmd;
    left.delete(r.comment);
    const expr = r.expr.map((e, i) => (i === at ? { counter: { packets: carried.packets, bytes: carried.bytes } } : e));
    return { add: { rule: { ...r, expr } } };
  });
}

// ---- element-only transactions -----------------------------------------------------------

/** The plain allow rules' maps for a policy, as compileRuleset would build them now. */
export function portMapsOf(policy: Policy, now: RuntimeState['now']): PortMapContents {
  // Expiring rules are rules of their own (gated by their expiry set), as in compileRuleset.
  const entry = (rule: PortRule): RuleEntry => (secondsLeft(rule, now) === undefined ? { rule } : { rule, until: untilSetName(rule.id) });
  const splits = Object.fromEntries(PROFILE_NAMES.map((p) => [p, profilePortRules(policy.profiles[p], activePortRules(policy, p, now).map(entry))])) as Record<ProfileName, ProfilePortRules>;
  return portMapContents(splits);
}

/** Plain allow rules added or removed: their maps and counters change, nothing else. */
export function compilePortMapsUpdate(before: PortMapContents, after: PortMapContents): NftDocument {
  return nftDocument(portMapUpdate(before, after));
}

/** A profile switch: the interface maps are rewritten in one transaction; no rule changes. */
export function compileInterfaceUpdate(runtime: Pick<RuntimeState, 'interfaces'>): NftDocument {
  const cmds: NftCommand[] = [];
  for (const hook of Object.keys(INTERFACE_MAPS) as (keyof typeof INTERFACE_MAPS)[]) {
    const name = INTERFACE_MAPS[hook];
    cmds.push({ flush: { map: { ...table, name, type: 'ifname', map: 'verdict' } } });
    const elem = interfaceMapElements(runtime, hook);
    if (elem.length) cmds.push({ add: { element: { ...table, name, elem } } });
  }
  return nftDocument(cmds);
}

/**
 * App openings: the per-profile app port sets (and those of rate-limited apps) are rewritten in
 * one transaction; no rule changes. `policy` names the rate-limited apps' sets, as in the table.
 */
export function compileAppPortsUpdate(appPorts: Record<ProfileName, AppPortSets>, policy: Policy): NftDocument {
  const cmds: NftCommand[] = [];
  const rewrite = (name: string, keys: readonly PortKey[]) => {
    cmds.push({ flush: { set: { ...table, name, type: PORT_SET_TYPE } } });
    const elem = portKeyElements(keys);
    if (elem.length) cmds.push({ add: { element: { ...table, name, elem } } });
  };
  for (const p of PROFILE_NAMES) {
    const sets = appPortSets(p);
    rewrite(sets.allow, appPorts[p].allow);
    rewrite(sets.block, appPorts[p].block);
    for (const app of limitedApps(policy, p)) rewrite(appLimitSet(p, app.id), appPorts[p].limited[app.id] ?? []);
  }
  return nftDocument(cmds);
}
