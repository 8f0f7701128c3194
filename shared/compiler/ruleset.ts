// (policy, runtime state) → one nftables JSON transaction that replaces `table inet palisade`
// and touches nothing else. The layout implements the scanner truth table of BRIEF.md §2 and
// the protections of the source articles:
//
//   input ─ lo / established / invalid ─ iifname vmap @iface_in ─→ in_<profile>  (unknown
//         interface → in_public; inbound.ts), which first jumps to rpfilter_<p> (anti-spoofing,
//         spoofing.ts) and to the essentials (ICMPv6 IPv6 needs, DHCP replies)
//   postrouting ─ oifname vmap @iface_post ─→ post_<p>: with stealth, drop the kernel's own RST
//           and port unreachable for "always open" ports (nothing else can make them)
//   output ─ established / lo ─ oifname vmap @iface_out ─→ out_<p>: outbound (outbound.ts)
//
// Every hook costs every packet that passes it, established ones included: postrouting and
// output are registered only while some profile has a rule for them to reach, and nothing runs
// in prerouting (bench/findings.md has the measurements).
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
import { BASE_CHAINS, ESSENTIALS_CHAIN, INTERFACE_MAPS, TABLE_FAMILY, TABLE_NAME, appPortSets, profileChains, ruleComment } from './layout';
import { chainCmd, rule, table, type RuleEntry } from './matches';
import { sourceSetCommands, sourceSets } from './dynamic';
import { secondsLeft, untilSetCommand, untilSetName } from './expiry';
import { appLimitSet, profileDenyChain, profileFinalChain, profileInputChain, type InboundRules } from './inbound';
import { profileOutputChain } from './outbound';
import { profileReversePathChain } from './spoofing';
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
    rule(c, [verdictMap(meta('iifname'), INTERFACE_MAPS.input)]),
    rule(c, [goTo(profileChains('public').input)], ruleComment('base', 'unknown-interface')),
  ];
}

/** Jumped to by every enabled profile after its anti-spoofing: what is not accepted here returns. */
function essentialsChain(): NftCommand[] {
  const c = ESSENTIALS_CHAIN;
  return [
    chainCmd(c),
    rule(c, [match(payload('icmpv6', 'type'), anonymousSet([...ESSENTIAL_ICMPV6_IN])), accept()], ruleComment('base', 'icmpv6')),
    rule(c, [match(payload('ip6', 'saddr'), prefix('fe80::', 10)), match(payload('udp', 'sport'), 547), match(payload('udp', 'dport'), 546), accept()], ruleComment('base', 'dhcpv6-client')),
    rule(c, [match(payload('udp', 'sport'), 67), match(payload('udp', 'dport'), 68), accept()], ruleComment('base', 'dhcp-client')),
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

/**
 * Every packet leaving the machine passes the output and postrouting hooks, each costing it a
 * little: a hook is registered only when some profile's chain for it does more than accept.
 * (The chains and their interface maps always exist, so profile switches stay element changes.)
 */
function hookNeeded(perProfile: readonly NftCommand[], hook: 'output' | 'postrouting'): boolean {
  const chains = new Set(PROFILE_NAMES.map((p) => profileChains(p)[hook]));
  const acceptsOnly = (expr: readonly unknown[]) => expr.length === 1 && JSON.stringify(expr[0]) === JSON.stringify(accept());
  return perProfile.some((cmd) => 'add' in cmd && 'rule' in cmd.add && chains.has(cmd.add.rule.chain) && !acceptsOnly(cmd.add.rule.expr));
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
      ...profileReversePathChain(p, s),
      ...profileInputChain(p, s, inbound),
      ...profileDenyChain(p),
      ...profileFinalChain(p, s),
      ...profilePostroutingChain(p, s, rules),
      ...profileOutputChain(p, s, rules, runtime.resolvers ?? []),
    ];
  });
  // Chains first (maps refer to them), then sets and maps, then rules (which refer to both).
  const isChain = (cmd: NftCommand) => 'add' in cmd && 'chain' in cmd.add;
  const essentials = essentialsChain();
  cmds.push(...essentials.filter(isChain), ...perProfile.filter(isChain));
  cmds.push(...interfaceMaps(runtime));
  cmds.push(...portMapCommands(portMapContents(splits)));
  for (const p of PROFILE_NAMES) cmds.push(...appSets(policy, p, runtime.appPorts[p]));
  cmds.push(...sourceSetCommands(sourceSets(policy, runtime.now), runtime.remembered));
  for (const [r, seconds] of timed) cmds.push(untilSetCommand(r, seconds));
  cmds.push(...essentials.filter((cmd) => !isChain(cmd)), ...perProfile.filter((cmd) => !isChain(cmd)));
  cmds.push(...inputBaseChain(), ...(hookNeeded(perProfile, 'postrouting') ? postroutingBaseChain() : []), ...(hookNeeded(perProfile, 'output') ? outputBaseChain() : []));
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
