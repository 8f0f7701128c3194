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

/** What a new inbound packet must be let in for whatever the profile says (ICMPv6 that IPv6 needs, DHCP replies). */
export const ESSENTIALS_CHAIN = 'essentials';

/** Verdict maps `ifname → goto <profile chain>`, one per hook; profile switches only touch these. */
export const INTERFACE_MAPS = {
  input: 'iface_in',
  output: 'iface_out',
  postrouting: 'iface_post',
} as const;

export const profileChains = (p: ProfileName) => ({
  /** Anti-spoofing (reverse-path filter) for new packets from interfaces in this profile. */
  reversePath: `rpfilter_${p}`,
  /** Where a packet with no route back goes: logged, counted, dropped. */
  spoofed: `spoofed_${p}`,
  /** Inbound decisions for interfaces in this profile. */
  input: `in_${p}`,
  /** Traffic no rule allowed: logged, then the final verdict. */
  deny: `deny_${p}`,
  /** The profile's final "no" — scan detection, then drop in stealth, reject otherwise. */
  final: `final_${p}`,
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

/** The NFLOG group dropped packets are logged to (the helper reads it; groups are per network namespace). */
export const LOG_GROUP = 7311;

/** Why a logged packet was dropped. */
export const DROP_KINDS = ['default', 'block', 'blocked-app', 'limit', 'scan', 'shields-up', 'spoof', 'out-default', 'out-block'] as const;
export type DropKind = (typeof DROP_KINDS)[number];

/** The log prefix of a drop: `pal:<profile>:<kind>[:<rule or app id>]` (nft allows 127 characters; ids have at most 64). */
export const dropLogPrefix = (profile: ProfileName, kind: DropKind, id?: string) => `pal:${profile}:${kind}${id ? `:${id}` : ''}`;

/** Reads a log prefix back; undefined for prefixes that are not Palisade's. */
export function parseDropLogPrefix(prefix: string): { profile: ProfileName; kind: DropKind; id?: string } | undefined {
  const m = /^pal:(private|public):([a-z-]+)(?::(.+))?$/.exec(prefix.trim());
  if (!m || !(DROP_KINDS as readonly string[]).includes(m[2] ?? '')) return undefined;
  return { profile: m[1] as ProfileName, kind: m[2] as DropKind, ...(m[3] ? { id: m[3] } : {}) };
}
