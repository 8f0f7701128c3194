// Names of everything Palisade owns in the kernel. One table; nothing outside it is touched.
import type { ProfileName } from '../policy/schema';
import type { NftFamily } from '../nft/json';

export const TABLE_FAMILY: NftFamily = 'inet';
export const TABLE_NAME = 'palisade';

/** Base chains: one per hook Palisade filters on. */
export const BASE_CHAINS = {
  input: 'input',
  output: 'output',
  postrouting: 'postrouting',
} as const;

/** Verdict maps `ifname → goto <profile chain>`, one per hook; profile switches only touch these. */
export const INTERFACE_MAPS = {
  input: 'iface_in',
  output: 'iface_out',
  postrouting: 'iface_post',
} as const;

export const profileChains = (p: ProfileName) => ({
  /** Inbound decisions for interfaces in this profile. */
  input: `in_${p}`,
  /** The profile's final "no" — drop in stealth, reject otherwise. */
  deny: `deny_${p}`,
  /** Outbound default for this profile. */
  output: `out_${p}`,
  /** Stealth for "always open" ports: suppresses the kernel's own RST / port unreachable. */
  postrouting: `post_${p}`,
});

/** Per-profile `l4proto . port` sets of listening allowed / blocked apps; openings only touch these. */
export const appPortSets = (p: ProfileName) => ({
  allow: `${p}_app_allow`,
  block: `${p}_app_block`,
});

/** Rule comments tie kernel rules back to policy entries (for hit counts and `palisade ruleset`). */
export const ruleComment = (kind: 'port' | 'app' | 'base' | 'profile', id: string) => `palisade:${kind}:${id}`;
