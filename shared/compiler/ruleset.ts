// (policy, runtime state) → one nftables JSON transaction that replaces `table inet palisade`
// and touches nothing else. The layout implements the scanner truth table of BRIEF.md §2:
//
//   input ─ lo / established / invalid / ICMPv6 essentials / DHCP replies
//         └ iifname vmap @iface_in ─→ in_<profile>     (unknown interface → in_public)
//   in_<p>: firewall off → accept · shields up → drop · ping · blocked apps · block rules
//           · "always open" rules · allow rules with `socket transparent 0` · allowed-app set
//           with the same lookup · goto deny_<p>
//   deny_<p>: stealth → drop · otherwise TCP reset / ICMP port unreachable / protocol unreachable
//   postrouting ─ oifname vmap @iface_post ─→ post_<p>: with stealth, drop the kernel's own RST
//           and port unreachable for "always open" ports (nothing else can make them)
//   output ─ established / lo ─ oifname vmap @iface_out ─→ out_<p>: default outbound
import { PROFILE_NAMES, type Policy, type PortRule, type ProfileName, type ProfileSettings } from '../policy/schema';
import { InterfaceNameSchema } from '../policy/schema';
import { parseNetwork } from '../net/address';
import { activePortRules } from '../policy/rules';
import { normalisePortKeys, type AppPortSets, type PortKey, type RuntimeState } from '../runtime/state';
import {
  accept, anonymousSet, bitAnd, concat, counter, ct, drop, goTo, match, meta, nftDocument, payload, prefix, range,
  rawTransportPayload, rejectWith, setRef, socket, verdictMap,
  type NftCommand, type NftDocument, type NftExpression, type NftStatement,
} from '../nft/json';
import { BASE_CHAINS, INTERFACE_MAPS, TABLE_FAMILY, TABLE_NAME, appPortSets, profileChains, ruleComment } from './layout';

const table = { family: TABLE_FAMILY, table: TABLE_NAME } as const;

/** ICMPv6 that IPv6 cannot work without (RFC 4890); ND and MLD are untracked by conntrack. */
export const ESSENTIAL_ICMPV6_IN = [
  'destination-unreachable', 'packet-too-big', 'time-exceeded', 'parameter-problem',
  'mld-listener-query', 'mld-listener-report', 'mld-listener-done', 'mld2-listener-report',
  'nd-router-solicit', 'nd-router-advert', 'nd-neighbor-solicit', 'nd-neighbor-advert',
  'ind-neighbor-solicit', 'ind-neighbor-advert',
] as const;

const ESSENTIAL_ICMPV6_OUT = [
  'mld-listener-report', 'mld-listener-done', 'mld2-listener-report',
  'nd-router-solicit', 'nd-neighbor-solicit', 'nd-neighbor-advert',
] as const;

/** A kernel-generated port unreachable quotes the offending packet after the 8-byte ICMP header:
 *  the inner IPv4 (20 bytes) or IPv6 (40 bytes) header, then the UDP source and destination port.
 *  The destination port thus starts 30 or 50 bytes, i.e. 240 or 400 bits, into the ICMP message. */
const QUOTED_DPORT_BITS = { ipv4: 240, ipv6: 400 } as const;

export class CompileError extends Error {
  override name = 'CompileError';
}

function rule(chain: string, expr: NftStatement[], comment?: string): NftCommand {
  return { add: { rule: { ...table, chain, expr, ...(comment ? { comment } : {}) } } };
}

function chainCmd(name: string, base?: { hook: 'input' | 'output' | 'postrouting'; policy: 'accept' | 'drop' }): NftCommand {
  return { add: { chain: { ...table, name, ...(base ? { type: 'filter' as const, hook: base.hook, prio: 0, policy: base.policy } : {}) } } };
}

function checkInterfaceName(name: string): string {
  if (!InterfaceNameSchema.safeParse(name).success) throw new CompileError(`invalid interface name "${name}"`);
  return name;
}

function portKeyElements(keys: readonly PortKey[]): NftExpression[] {
  return normalisePortKeys(keys).map((k) => concat(k.protocol, k.port));
}

/** A single value, or an anonymous set when there are several. */
const oneOrSet = (items: readonly NftExpression[]): NftExpression => (items.length === 1 && items[0] !== undefined ? items[0] : anonymousSet([...items]));

const l4protoIs = (protocols: readonly ('tcp' | 'udp')[]) => match(meta('l4proto'), oneOrSet(protocols));

const portsMatch = (field: 'dport' | 'sport', from: number, to: number, protocol = 'th') =>
  match(payload(protocol, field), from === to ? from : range(from, to));

/**
 * Match prefixes of a port rule: one list per address family it is limited to (or one for any).
 * Overlapping networks and ranges go to nft as they are: it merges the members of anonymous
 * interval sets itself (checked by test/kernel/compile-check.test.ts, which generates overlaps).
 */
function portRuleSelectors(r: PortRule): NftStatement[][] {
  const base = [l4protoIs(r.protocol === 'both' ? ['tcp', 'udp'] : [r.protocol]), portsMatch('dport', r.ports.from, r.ports.to)];
  if (r.remote.length === 0) return [base];
  const selectors: NftStatement[][] = [];
  for (const [family, proto] of [[4, 'ip'], [6, 'ip6']] as const) {
    const nets = r.remote.map(parseNetwork).filter((n) => n.family === family);
    if (nets.length === 0) continue;
    const elems = nets.map((n) => (n.prefixLength === (family === 4 ? 32 : 128) ? n.address : prefix(n.address, n.prefixLength)));
    selectors.push([...base, match(payload(proto, 'saddr'), oneOrSet(elems))]);
  }
  return selectors;
}

const appSetMatch = (setName: string) => match(concat(meta('l4proto'), payload('th', 'dport')), setRef(setName));
/** True only if a socket would receive the packet now (nft_socket: a normal, non-transparent socket). */
const listenerPresent = () => match(socket('transparent'), 0);

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

function profileInputChain(p: ProfileName, s: ProfileSettings, rules: PortRule[]): NftCommand[] {
  const names = profileChains(p);
  const sets = appPortSets(p);
  const c = names.input;
  const cmds: NftCommand[] = [chainCmd(c)];
  if (!s.enabled) return [...cmds, rule(c, [counter(), accept()], ruleComment('profile', `${p}-off`))];
  if (s.shieldsUp) return [...cmds, rule(c, [counter(), drop()], ruleComment('profile', `${p}-shields-up`))];
  if (s.answerPing) {
    cmds.push(rule(c, [match(payload('icmp', 'type'), 'echo-request'), accept()], ruleComment('profile', `${p}-ping`)));
    cmds.push(rule(c, [match(payload('icmpv6', 'type'), 'echo-request'), accept()], ruleComment('profile', `${p}-ping6`)));
  }
  // Block before allow: every block, app or port, is decided before any allow is looked at.
  cmds.push(rule(c, [appSetMatch(sets.block), counter(), goTo(names.deny)], ruleComment('app', `${p}-blocked-apps`)));
  for (const r of rules.filter((x) => x.action === 'block')) {
    for (const sel of portRuleSelectors(r)) cmds.push(rule(c, [...sel, counter(), goTo(names.deny)], ruleComment('port', r.id)));
  }
  for (const r of rules.filter((x) => x.action === 'allow')) {
    const gate = r.alwaysOpen ? [] : [listenerPresent()];
    for (const sel of portRuleSelectors(r)) cmds.push(rule(c, [...sel, ...gate, counter(), accept()], ruleComment('port', r.id)));
  }
  cmds.push(rule(c, [appSetMatch(sets.allow), listenerPresent(), counter(), accept()], ruleComment('app', `${p}-allowed-apps`)));
  if (s.defaultInbound === 'allow') cmds.push(rule(c, [accept()], ruleComment('profile', `${p}-default-allow`)));
  else cmds.push(rule(c, [goTo(names.deny)], ruleComment('profile', `${p}-default-block`)));
  return cmds;
}

function profileDenyChain(p: ProfileName, s: ProfileSettings): NftCommand[] {
  const c = profileChains(p).deny;
  if (s.stealth) return [chainCmd(c), rule(c, [drop()], ruleComment('profile', `${p}-stealth`))];
  return [
    chainCmd(c),
    rule(c, [l4protoIs(['tcp']), rejectWith('tcp reset')]),
    rule(c, [l4protoIs(['udp']), rejectWith('icmpx', 'port-unreachable')]),
    // An unanswered ping is a silent one, stealth or not.
    rule(c, [match(meta('l4proto'), anonymousSet(['icmp', 'ipv6-icmp'])), drop()]),
    rule(c, [match(meta('nfproto'), 'ipv4'), rejectWith('icmp', 'prot-unreachable')]),
    // ICMPv6 has no "protocol unreachable" a firewall may send; ip6tables' usual choice.
    rule(c, [rejectWith('icmpv6', 'admin-prohibited')]),
  ];
}

function profilePostroutingChain(p: ProfileName, s: ProfileSettings, rules: PortRule[]): NftCommand[] {
  const c = profileChains(p).postrouting;
  const cmds: NftCommand[] = [chainCmd(c)];
  if (!s.enabled || !s.stealth) return cmds;
  const alwaysOpen = rules.filter((r) => r.action === 'allow' && r.alwaysOpen);
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

function profileOutputChain(p: ProfileName, s: ProfileSettings): NftCommand[] {
  const c = profileChains(p).output;
  if (!s.enabled || s.defaultOutbound === 'allow') return [chainCmd(c), rule(c, [accept()])];
  return [
    chainCmd(c),
    rule(c, [match(payload('icmpv6', 'type'), anonymousSet([...ESSENTIAL_ICMPV6_OUT])), accept()], ruleComment('profile', `${p}-out-icmpv6`)),
    rule(c, [match(payload('udp', 'dport'), anonymousSet([67, 547])), accept()], ruleComment('profile', `${p}-out-dhcp`)),
    rule(c, [counter(), rejectWith('icmpx', 'admin-prohibited')], ruleComment('profile', `${p}-default-block-out`)),
  ];
}

function interfaceMapElements(runtime: RuntimeState, hook: keyof typeof INTERFACE_MAPS): NftExpression[] {
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

function appSets(p: ProfileName, ports: AppPortSets): NftCommand[] {
  const sets = appPortSets(p);
  return (['allow', 'block'] as const).map((kind) => {
    const elem = portKeyElements(ports[kind]);
    return { add: { set: { ...table, name: sets[kind], type: ['inet_proto', 'inet_service'], ...(elem.length ? { elem } : {}) } } };
  });
}

/** The whole table, replaced in one transaction (`add` + `delete` + definition: works whether or not it exists). */
export function compileRuleset(policy: Policy, runtime: RuntimeState): NftDocument {
  const cmds: NftCommand[] = [
    { add: { table: { family: TABLE_FAMILY, name: TABLE_NAME } } },
    { delete: { table: { family: TABLE_FAMILY, name: TABLE_NAME } } },
    { add: { table: { family: TABLE_FAMILY, name: TABLE_NAME } } },
  ];
  // Chains first (maps refer to them), then sets and maps, then rules (which refer to both).
  const perProfile = PROFILE_NAMES.map((p) => {
    const settings = policy.profiles[p];
    const rules = activePortRules(policy, p, runtime.now);
    return {
      p,
      input: profileInputChain(p, settings, rules),
      deny: profileDenyChain(p, settings),
      post: profilePostroutingChain(p, settings, rules),
      out: profileOutputChain(p, settings),
    };
  });
  const all = perProfile.flatMap((x) => [...x.input, ...x.deny, ...x.post, ...x.out]);
  const isChain = (cmd: NftCommand) => 'add' in cmd && 'chain' in cmd.add;
  cmds.push(...all.filter(isChain));
  cmds.push(...interfaceMaps(runtime));
  for (const p of PROFILE_NAMES) cmds.push(...appSets(p, runtime.appPorts[p]));
  cmds.push(...all.filter((cmd) => !isChain(cmd)));
  cmds.push(...inputBaseChain());
  cmds.push(...postroutingBaseChain(), ...outputBaseChain());
  return nftDocument(cmds);
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

// ---- element-only transactions -----------------------------------------------------------

/** A profile switch: the interface maps are rewritten in one transaction; no rule changes. */
export function compileInterfaceUpdate(runtime: Pick<RuntimeState, 'interfaces'>): NftDocument {
  const cmds: NftCommand[] = [];
  for (const hook of Object.keys(INTERFACE_MAPS) as (keyof typeof INTERFACE_MAPS)[]) {
    const name = INTERFACE_MAPS[hook];
    cmds.push({ flush: { map: { ...table, name, type: 'ifname', map: 'verdict' } } });
    const elem = interfaceMapElements(runtime as RuntimeState, hook);
    if (elem.length) cmds.push({ add: { element: { ...table, name, elem } } });
  }
  return nftDocument(cmds);
}

/** App openings: the per-profile app port sets are rewritten in one transaction; no rule changes. */
export function compileAppPortsUpdate(appPorts: Record<ProfileName, AppPortSets>): NftDocument {
  const cmds: NftCommand[] = [];
  for (const p of PROFILE_NAMES) {
    const sets = appPortSets(p);
    for (const kind of ['allow', 'block'] as const) {
      cmds.push({ flush: { set: { ...table, name: sets[kind], type: ['inet_proto', 'inet_service'] } } });
      const elem = portKeyElements(appPorts[p][kind]);
      if (elem.length) cmds.push({ add: { element: { ...table, name: sets[kind], elem } } });
    }
  }
  return nftDocument(cmds);
}
