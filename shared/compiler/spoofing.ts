// Anti-spoofing: a reverse-path filter per profile. A new inbound packet whose source address
// this computer could not answer through the interface it came in on is dropped, and counted.
// The profile's inbound chain jumps here first, before the essentials and every rule; packets
// of established flows never get this far (their flow's first packet was checked). Neighbour
// discovery comes from addresses the routing table does not know yet (`::` during duplicate
// address detection), and so do DHCP requests (0.0.0.0): those return unchecked, as in
// firewalld's rpfilter.
//
// It runs in input, not in a prerouting hook as firewalld's does: a hook of its own would cost
// every packet, established ones included (measured in bench/packet-path.ts), and Palisade
// filters nothing but what comes in to this computer and goes out of it.
import type { ProfileName, ProfileSettings } from '../policy/schema';
import { anonymousSet, counter, drop, goTo, match, payload, returnVerdict, type NftCommand, type NftStatement } from '../nft/json';
import { profileChains, ruleComment } from './layout';
import { chainCmd, logDrop, rule } from './matches';

/** `fib saddr . iif oif missing`: no route back to the source through the incoming interface. */
const noRouteBack = (): NftStatement => ({ match: { op: '==', left: { fib: { result: 'oif', flags: ['saddr', 'iif'] } }, right: false } });

/** Whether the profile's inbound chain jumps to its reverse-path filter. */
export const checksSpoofing = (s: ProfileSettings) => s.enabled && s.antiSpoofing;

export function profileReversePathChain(p: ProfileName, s: ProfileSettings): NftCommand[] {
  const { reversePath: c, spoofed } = profileChains(p);
  const cmds: NftCommand[] = [chainCmd(c), chainCmd(spoofed)];
  if (!checksSpoofing(s)) return cmds;
  return [
    ...cmds,
    rule(c, [match(payload('icmpv6', 'type'), anonymousSet(['nd-neighbor-solicit', 'nd-neighbor-advert', 'nd-router-solicit', 'nd-router-advert'])), returnVerdict()], ruleComment('profile', `${p}-spoof-nd`)),
    rule(c, [match(payload('ip', 'saddr'), '0.0.0.0'), match(payload('udp', 'dport'), 67), returnVerdict()], ruleComment('profile', `${p}-spoof-dhcp`)),
    // One route lookup per packet: the log and the counted drop live in a chain of their own.
    rule(c, [noRouteBack(), goTo(spoofed)]),
    rule(spoofed, logDrop(p, 'spoof')),
    rule(spoofed, [counter(), drop()], ruleComment('profile', `${p}-spoofed`)),
  ];
}
