// Outbound chains of one profile. Replies to connections made to this computer are established
// and pass before any of this (base chain). Block rules first; then, with the default outbound
// action "allow", everything else; with "block", the essentials a desktop needs (each can be
// switched off), the allow rules, and a logged rejection for the rest, so programs fail at once
// instead of waiting for a timeout.
import type { ProfileName, ProfileSettings } from '../policy/schema';
import { ipFamily } from '../net/address';
import { accept, anonymousSet, counter, match, payload, rejectWith, type NftCommand } from '../nft/json';
import { profileChains, ruleComment } from './layout';
import { FAMILIES, chainCmd, entrySelectors, ipOf, l4protoIs, logDrop, oneOrSet, rule, type RuleEntry } from './matches';

/** ICMPv6 this computer must be able to send for IPv6 to work at all. */
const ESSENTIAL_ICMPV6_OUT = [
  'mld-listener-report', 'mld-listener-done', 'mld2-listener-report',
  'nd-router-solicit', 'nd-neighbor-solicit', 'nd-neighbor-advert',
] as const;

export function profileOutputChain(p: ProfileName, s: ProfileSettings, rules: readonly RuleEntry[], resolvers: readonly string[]): NftCommand[] {
  const c = profileChains(p).output;
  const cmds: NftCommand[] = [chainCmd(c)];
  if (!s.enabled) return [...cmds, rule(c, [accept()])];
  const out = rules.filter((e) => e.rule.direction === 'out');
  for (const entry of out.filter((e) => e.rule.action === 'block')) {
    const r = entry.rule;
    for (const sel of entrySelectors(entry)) {
      cmds.push(rule(c, [...sel.match, ...logDrop(p, 'out-block', r.id)]));
      cmds.push(rule(c, [...sel.match, counter(), rejectWith('icmpx', 'admin-prohibited')], ruleComment('port', r.id)));
    }
  }
  if (s.defaultOutbound === 'allow') return [...cmds, rule(c, [accept()])];

  cmds.push(rule(c, [match(payload('icmpv6', 'type'), anonymousSet([...ESSENTIAL_ICMPV6_OUT])), accept()], ruleComment('profile', `${p}-out-icmpv6`)));
  const e = s.outboundEssentials;
  if (e.dhcp) cmds.push(rule(c, [match(payload('udp', 'dport'), anonymousSet([67, 547])), counter(), accept()], ruleComment('profile', `${p}-out-dhcp`)));
  if (e.ntp) cmds.push(rule(c, [match(payload('udp', 'dport'), 123), counter(), accept()], ruleComment('profile', `${p}-out-ntp`)));
  if (e.dns) {
    // DNS only to the resolvers the system uses (a local stub's own upstream queries included).
    for (const family of FAMILIES) {
      const servers = resolvers.filter((r) => ipFamily(r) === family);
      if (!servers.length) continue;
      cmds.push(rule(c, [l4protoIs(['udp', 'tcp']), match(payload('th', 'dport'), 53), match(payload(ipOf(family), 'daddr'), oneOrSet(servers)), counter(), accept()], ruleComment('profile', `${p}-out-dns`)));
    }
  }
  for (const entry of out.filter((e) => e.rule.action === 'allow')) {
    for (const sel of entrySelectors(entry)) cmds.push(rule(c, [...sel.match, counter(), accept()], ruleComment('port', entry.rule.id)));
  }
  cmds.push(rule(c, logDrop(p, 'out-default')));
  cmds.push(rule(c, [counter(), rejectWith('icmpx', 'admin-prohibited')], ruleComment('profile', `${p}-default-block-out`)));
  return cmds;
}
