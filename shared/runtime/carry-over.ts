// What a full replacement of the table must not forget, read from the table it replaces: the
// sources its timed sets remember (with the time they have left) and its rules' counters.
// Both are keyed by names that do not depend on rule positions (set names, rule comments), so
// the kernel alone is the record: nothing is kept in the helper, and a restarted helper carries
// over what the previous one left in the kernel.
import { countersByComment, type TableListing } from './hit-counts';
import type { RememberedSource, RuntimeState } from './state';

interface ListedSet { set?: { name?: string; type?: unknown; elem?: unknown[] } }
interface ListedElement { elem?: { val?: unknown; expires?: unknown } }

const FAMILY_OF_TYPE: Record<string, 4 | 6> = { ipv4_addr: 4, ipv6_addr: 6 };

/** Sources in every address set of the listing, by set name; elements without an expiry are not Palisade's to carry. */
export function rememberedSources(listing: TableListing | null): Record<string, RememberedSource[]> {
  const found: Record<string, RememberedSource[]> = {};
  for (const item of listing?.nftables ?? []) {
    const s = (item as ListedSet).set;
    const family = typeof s?.type === 'string' ? FAMILY_OF_TYPE[s.type] : undefined;
    if (!s?.name || !family || !Array.isArray(s.elem)) continue;
    const sources = s.elem.flatMap((e): RememberedSource[] => {
      const el = (e as ListedElement | null)?.elem;
      return typeof el?.val === 'string' && typeof el.expires === 'number' && el.expires > 0
        ? [{ address: el.val, family, expiresInSeconds: el.expires }]
        : [];
    });
    if (sources.length) found[s.name] = sources;
  }
  return found;
}

export function carriedState(listing: TableListing | null): Pick<RuntimeState, 'remembered' | 'counters'> {
  return { remembered: rememberedSources(listing), counters: countersByComment(listing) };
}
