// BRIEF.md §2, transcribed on its own: what a scanner must see. Deliberately independent of
// shared/ — the scanner suite checks the kernel and the predictor against this, not against
// each other.
export type Seen = 'open' | 'closed' | 'filtered' | 'open|filtered';

export interface ProfileFacts {
  enabled: boolean;
  stealth: boolean;
  shieldsUp: boolean;
  answerPing: boolean;
}

/**
 * | firewall off                          | open if listening, else closed | open|filtered if listening, else closed |
 * | shields up                            | filtered                       | open|filtered                           |
 * | allowed and listening                 | open                           | open|filtered (a silent app)            |
 * | allowed, nothing listening, stealth   | filtered                       | open|filtered                           |
 * | allowed, nothing listening, no stealth| closed                         | closed                                  |
 * | not allowed, stealth                  | filtered                       | open|filtered                           |
 * | not allowed, no stealth               | closed (RST)                   | closed (port unreachable)               |
 * A blocked port is a not-allowed port: it must not stand out from the closed ports around it.
 */
export function expectedPortState(p: ProfileFacts, allowed: boolean, listening: boolean, protocol: 'tcp' | 'udp'): Seen {
  const openState: Seen = protocol === 'tcp' ? 'open' : 'open|filtered';
  const silent: Seen = protocol === 'tcp' ? 'filtered' : 'open|filtered';
  if (!p.enabled) return listening ? openState : 'closed';
  if (p.shieldsUp) return silent;
  if (allowed && listening) return openState;
  return p.stealth ? silent : 'closed';
}

/** Ping is answered only if the profile answers ping and shields are down (or the firewall is off). */
export function expectedPing(p: ProfileFacts): boolean {
  return !p.enabled || (p.answerPing && !p.shieldsUp);
}

/**
 * The protections add one row: a knock port — a (protocol, port) of a knock sequence — drops
 * every packet, stealth or not, knocked or not, so a scan learns nothing from it. Only the
 * firewall being off shows it (then it is a port like any other); shields up hide it anyway.
 * The port a knock rule guards is a not-allowed port until the scanner knocks, an allowed one
 * after (expectedPortState either way).
 */
export function expectedKnockPortState(p: ProfileFacts, listening: boolean, protocol: 'tcp' | 'udp'): Seen {
  if (!p.enabled) return listening ? (protocol === 'tcp' ? 'open' : 'open|filtered') : 'closed';
  return protocol === 'tcp' ? 'filtered' : 'open|filtered';
}
