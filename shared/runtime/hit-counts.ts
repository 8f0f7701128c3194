// Hit counts from the kernel's own counters: every counted rule carries a comment
// `palisade:<kind>:<id>` (shared/compiler/layout.ts), and one policy rule may be several kernel
// rules (one per address family, say), so their packets are added up. Plain allow rules live in
// maps and count on counter objects named the same way (shared/compiler/port-maps.ts).
import type { HitCounts } from './droplog';
import type { RuleCounter } from './state';

/** What `nft -j list table` returns, as far as counters and sets go. */
export interface TableListing { nftables: Record<string, unknown>[] }

interface ListedRule { rule?: { comment?: string; expr?: Record<string, unknown>[] } }
/** A named counter object: a plain allow rule's own counter, named like its rule comment. */
interface ListedCounter { counter?: { name?: string; packets?: number; bytes?: number } }

/** Packets and bytes of every counted rule with a comment, summed by comment. */
export function countersByComment(listing: TableListing | null): Record<string, RuleCounter> {
  const sums: Record<string, RuleCounter> = {};
  for (const item of listing?.nftables ?? []) {
    const named = (item as ListedCounter).counter;
    const r = (item as ListedRule).rule;
    const key = named?.name ?? r?.comment;
    if (!key) continue;
    const counter = named ?? (r?.expr?.find((e) => 'counter' in e)?.counter as Partial<RuleCounter> | undefined);
    if (typeof counter?.packets !== 'number') continue;
    const sum = (sums[key] ??= { packets: 0, bytes: 0 });
    sum.packets += counter.packets;
    sum.bytes += counter.bytes ?? 0;
  }
  return sums;
}

export function hitCountsFromListing(listing: TableListing | null): HitCounts {
  const counts: HitCounts = { port: {}, app: {}, profile: {} };
  for (const [comment, { packets }] of Object.entries(countersByComment(listing))) {
    // Limit bookkeeping rules count under their own names: "ssh-limited", "ssh-over-limit".
    const m = /^palisade:(port|app|profile):(.+)$/.exec(comment);
    if (!m) continue;
    counts[m[1] as 'port' | 'app' | 'profile'][m[2] as string] = packets;
  }
  return counts;
}
