// What a logged packet was: addresses, protocol and ports (or ICMP type) from the start of its
// IPv4 or IPv6 header, which is all NFLOG copies (the copy range). Anything cut short yields
// what could be read, never an exception: the bytes come from the network.
import ipaddr from 'ipaddr.js';

export interface PacketSummary {
  family: 4 | 6;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, … or the protocol number for ones without a name here. */
  protocol: string;
  source: string;
  destination: string;
  sourcePort?: number;
  destinationPort?: number;
  icmpType?: number;
  icmpCode?: number;
}

const PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'icmpv6', 132: 'sctp', 136: 'udplite',
};
/** Protocols whose header starts with a 16-bit source and destination port. */
const WITH_PORTS = new Set([6, 17, 33, 132, 136]);
const WITH_ICMP_TYPE = new Set([1, 58]);

/** IPv6 extension headers walked to reach the transport header (RFC 8200 §4). */
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;
const IPV6_DEST_OPTS = 60;
/** A packet with more extension headers than this is read without its transport header. */
const MAX_EXTENSION_HEADERS = 8;

export function parsePacket(payload: Buffer): PacketSummary | undefined {
  const version = (payload[0] ?? 0) >> 4;
  if (version === 4) return parseIpv4(payload);
  if (version === 6) return parseIpv6(payload);
  return undefined;
}

function parseIpv4(p: Buffer): PacketSummary | undefined {
  const headerLength = ((p[0] ?? 0) & 0x0f) * 4;
  if (p.length < 20 || headerLength < 20) return undefined;
  const protocol = p[9] ?? 0;
  const summary: PacketSummary = {
    family: 4,
    protocol: protocolName(protocol),
    source: `${p[12]}.${p[13]}.${p[14]}.${p[15]}`,
    destination: `${p[16]}.${p[17]}.${p[18]}.${p[19]}`,
  };
  // Only the first fragment carries the transport header.
  const fragmentOffset = p.readUInt16BE(6) & 0x1fff;
  return fragmentOffset === 0 ? withTransport(summary, protocol, p.subarray(headerLength)) : summary;
}

function parseIpv6(p: Buffer): PacketSummary | undefined {
  if (p.length < 40) return undefined;
  let next = p[6] ?? 0;
  let at = 40;
  let transport: Buffer | undefined;
  for (let hops = 0; ; hops++) {
    if (![IPV6_HOP_BY_HOP, IPV6_ROUTING, IPV6_FRAGMENT, IPV6_AH, IPV6_DEST_OPTS].includes(next)) {
      transport = p.subarray(at);
      break;
    }
    if (hops === MAX_EXTENSION_HEADERS || at + 8 > p.length) break;
    const following = p[at] ?? 0;
    if (next === IPV6_FRAGMENT) {
      if ((p.readUInt16BE(at + 2) & 0xfff8) !== 0) { next = following; break; } // not the first fragment
      at += 8;
    } else {
      at += next === IPV6_AH ? ((p[at + 1] ?? 0) + 2) * 4 : ((p[at + 1] ?? 0) + 1) * 8;
    }
    next = following;
  }
  const summary: PacketSummary = {
    family: 6,
    protocol: protocolName(next),
    source: ipaddr.fromByteArray([...p.subarray(8, 24)]).toString(),
    destination: ipaddr.fromByteArray([...p.subarray(24, 40)]).toString(),
  };
  return transport ? withTransport(summary, next, transport) : summary;
}

function withTransport(summary: PacketSummary, protocol: number, header: Buffer): PacketSummary {
  if (WITH_PORTS.has(protocol) && header.length >= 4) {
    return { ...summary, sourcePort: header.readUInt16BE(0), destinationPort: header.readUInt16BE(2) };
  }
  if (WITH_ICMP_TYPE.has(protocol) && header.length >= 2) {
    return { ...summary, icmpType: header[0] ?? 0, icmpCode: header[1] ?? 0 };
  }
  return summary;
}

function protocolName(protocol: number): string {
  return PROTOCOL_NAMES[protocol] ?? String(protocol);
}
