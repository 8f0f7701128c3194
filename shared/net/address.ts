// Address helpers over ipaddr.js: parsing, prefix checks and membership, shared by validation,
// the compiler and the exposure predictor so all three read an address the same way.
import ipaddr from 'ipaddr.js';

export type IpFamily = 4 | 6;

export interface Network {
  family: IpFamily;
  /** Network address in canonical text form (host bits zero). */
  address: string;
  prefixLength: number;
}

function familyOf(addr: ipaddr.IPv4 | ipaddr.IPv6): IpFamily {
  return addr.kind() === 'ipv4' ? 4 : 6;
}

/** A plain IPv4 (four-part decimal) or IPv6 address; no zone id (`%eth0`), which nftables cannot match. */
export function isIpAddress(text: string): boolean {
  if (text.includes('%')) return false;
  return ipaddr.isValid(text) && (ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text));
}

export function ipFamily(text: string): IpFamily {
  return familyOf(ipaddr.parse(text));
}

/** Canonical text of an address (`fd00:0::1` → `fd00::1`). */
export function canonicalAddress(text: string): string {
  return ipaddr.parse(text).toString();
}

/**
 * Parses `10.0.0.0/8`, `fd00::/8` or a bare address (a /32 or /128 network).
 * Throws with a reason a person can act on when host bits are set.
 */
export function parseNetwork(text: string): Network {
  if (!text.includes('/')) {
    if (!isIpAddress(text)) throw new Error(`"${text}" is not an IPv4 or IPv6 address`);
    const addr = ipaddr.parse(text);
    const family = familyOf(addr);
    return { family, address: addr.toString(), prefixLength: family === 4 ? 32 : 128 };
  }
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    // ipaddr.js also reads shorthand like `10/8` and prefixes like `/08`; only the plain form is accepted.
    const slash = text.indexOf('/');
    if (!isIpAddress(text.slice(0, slash)) || !/^(0|[1-9]\d{0,2})$/.test(text.slice(slash + 1))) throw new Error('not a network');
    parsed = ipaddr.parseCIDR(text);
  } catch {
    throw new Error(`"${text}" is not a network in CIDR form (like 192.168.1.0/24 or fd00::/8)`);
  }
  const [addr, prefixLength] = parsed;
  const family = familyOf(addr);
  const network = family === 4
    ? ipaddr.IPv4.networkAddressFromCIDR(text)
    : ipaddr.IPv6.networkAddressFromCIDR(text);
  if (network.toString() !== addr.toString()) {
    throw new Error(`"${text}" has host bits set; did you mean ${network.toString()}/${prefixLength}?`);
  }
  return { family, address: network.toString(), prefixLength };
}

export function networkContains(network: Network, address: string): boolean {
  const addr = ipaddr.parse(address);
  if (familyOf(addr) !== network.family) return false;
  return addr.match(ipaddr.parse(network.address), network.prefixLength);
}

export function isLoopbackAddress(address: string): boolean {
  const addr = ipaddr.process(address);
  return addr.range() === 'loopback';
}

export function isUnspecifiedAddress(address: string): boolean {
  return ipaddr.parse(address).range() === 'unspecified';
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; anything else unchanged (canonical). */
export function unmapAddress(address: string): string {
  return ipaddr.process(address).toString();
}
