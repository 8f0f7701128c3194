// Anti-spoofing: a reverse-path filter per profile. A packet whose source address this
// computer could not answer through the interface it came in on is dropped, and counted, in
// prerouting (packets of established flows skip it: see ruleset.ts). Neighbour discovery comes
// from addresses the routing table does not know yet (`::` during duplicate address detection),
// and so do DHCP requests (0.0.0.0): those pass, as in firewalld's rpfilter.
import type { ProfileName, ProfileSettings } from '../policy/schema';
import { accept, anonymousSet, counter, drop, goTo, match, payload, type NftCommand, type NftStatement } from '../nft/json';
import { profileChains, ruleComment } from './layout';
import { chainCmd, logDrop, rule } from './matches';

/** `fib saddr . iif oif missing`: no route back to the source through the incoming interface. */
const noRouteBack = (): NftStatement => ({ match: { op: '==', left: { fib: { result: 'oif', flags: ['saddr', 'iif'] } }, right: false } });

export function profilePreroutingChain(p: ProfileName, s: ProfileSettings): NftCommand[] {
  const { prerouting: c, spoofed } = profileChains(p);
  const cmds: NftCommand[] = [chainCmd(c), chainCmd(spoofed)];
  if (!s.enabled || !s.antiSpoofing) return cmds;
  return [
    ...cmds,
    rule(c, [match(payload('icmpv6', 'type'), anonymousSet(['nd-neighbor-solicit', 'nd-neighbor-advert', 'nd-router-solicit', 'nd-router-advert'])), accept()], ruleComment('profile', `${p}-spoof-nd`)),
    rule(c, [match(payload('ip', 'saddr'), '0.0.0.0'), match(payload('udp', 'dport'), 67), accept()], ruleComment('profile', `${p}-spoof-dhcp`)),
    // One route lookup per packet: the log and the counted drop live in a chain of their own.
    rule(c, [noRouteBack(), goTo(spoofed)]),
    rule(spoofed, logDrop(p, 'spoof')),
    rule(spoofed, [counter(), drop()], ruleComment('profile', `${p}-spoofed`)),
  ];
}
