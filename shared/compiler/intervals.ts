// nftables refuses anonymous interval sets whose members overlap ("conflicting intervals"),
// so port ranges and networks are merged before they go into a set.
import { networkContains, parseNetwork, type IpFamily, type Network } from '../net/address';
import type { PortRange } from '../policy/schema';

/** Merges overlapping and adjacent ranges; output is sorted. */
export function mergePortRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const merged: PortRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else merged.push({ from: r.from, to: r.to });
  }
  return merged;
}

/** Parses networks of one family and drops those contained in another; output is sorted. */
export function minimalNetworks(texts: readonly string[], family: IpFamily): Network[] {
  const nets = texts.map(parseNetwork).filter((n) => n.family === family);
  // Wider networks first, so a later, narrower one can be checked against those already kept.
  nets.sort((a, b) => a.prefixLength - b.prefixLength || a.address.localeCompare(b.address));
  const kept: Network[] = [];
  for (const net of nets) {
    if (!kept.some((k) => k.prefixLength <= net.prefixLength && networkContains(k, net.address))) kept.push(net);
  }
  return kept;
}
