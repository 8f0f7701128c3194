// Rows of the known-networks table: the networks remembered in the policy, plus networks the
// machine is on now that are not remembered (yet), each with the interfaces it is reached on.
import type { z } from 'zod';
import type { NetworksSchema } from '../../../../shared/dbus/contract';
import type { NetworkIdentity, ProfileName } from '../../../../shared/policy/schema';

type Networks = z.infer<typeof NetworksSchema>;

export interface NetworkRow {
  key: string;
  name: string;
  identity: NetworkIdentity;
  profile: ProfileName;
  /** Remembered in the policy (it can be forgotten). */
  known: boolean;
  undecided: boolean;
  firstSeen: string | undefined;
  lastSeen: string | undefined;
  /** Interfaces the machine reaches it on now. */
  interfaces: string[];
}

export function networkRows(networks: Networks, language: string): NetworkRow[] {
  const via = new Map<string, string[]>();
  for (const a of networks.active) via.set(a.key, [...(via.get(a.key) ?? []), a.interface]);
  const rows: NetworkRow[] = networks.known.map((n) => ({
    key: n.key, name: n.name, identity: n.identity, profile: n.profile, known: true, undecided: n.undecided,
    firstSeen: n.firstSeen, lastSeen: n.lastSeen, interfaces: via.get(n.key) ?? [],
  }));
  const seen = new Set(rows.map((r) => r.key));
  for (const a of networks.active) {
    if (seen.has(a.key)) continue;
    seen.add(a.key);
    rows.push({
      key: a.key, name: a.name, identity: a.identity, profile: a.profile, known: false, undecided: true,
      firstSeen: undefined, lastSeen: undefined, interfaces: via.get(a.key) ?? [],
    });
  }
  // Connected networks first, then by name (a stable order: last-seen times move as you use them).
  const collator = new Intl.Collator(language, { sensitivity: 'base', numeric: true });
  return rows.sort((a, b) => Number(b.interfaces.length > 0) - Number(a.interfaces.length > 0) || collator.compare(a.name, b.name) || a.key.localeCompare(b.key));
}
