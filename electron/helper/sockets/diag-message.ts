// The inet_diag structures of NETLINK_SOCK_DIAG (linux/inet_diag.h): the dump request, and the
// reply message parsed into a socket. Hand-written because npm has no sock_diag wrapper.
import { endianness } from 'node:os';
import type { SocketEntry, SocketState } from '../../../shared/runtime/sockets';
import type { TransportProtocol } from '../../../shared/runtime/state';

/** A socket as the kernel reports it, before any process is attributed. */
export type KernelSocket = Omit<SocketEntry, 'process' | 'app'>;

export interface DumpQuery {
  protocol: TransportProtocol;
  /** 'any': IPv4 and IPv6 in one dump, with the older TCPDIAG_GETSOCK request (TCP only). */
  family: 4 | 6 | 'any';
  /** Bitmask of kernel TCP states (1 << state) the kernel should report. */
  states: number;
}

export const SOCK_DIAG_BY_FAMILY = 20;
/** The request (and reply) type of linux/inet_diag.h's struct inet_diag_req, for TCP sockets of both families. */
export const TCPDIAG_GETSOCK = 18;
export const AF_INET = 2;
export const AF_INET6 = 10;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const INET_DIAG_SKV6ONLY = 11;
/** sizeof(struct inet_diag_req_v2), sizeof(struct inet_diag_req) and sizeof(struct inet_diag_msg). */
const REQUEST_SIZE = 56;
const COMPAT_REQUEST_SIZE = 60;
export const MESSAGE_SIZE = 72;

/** Kernel TCP states (include/net/tcp_states.h). UDP reuses two: CLOSE = unconnected, ESTABLISHED = connected. */
const TCP_STATE_NAMES: Readonly<Record<number, SocketState>> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
  7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'SYN_RECV', // 12: TCP_NEW_SYN_RECV
};
const TCP_CLOSE = 7;
const TCP_LISTEN = 10;
const ALL_STATES = 0xffffffff;

/**
 * What accepts packets from other hosts: TCP listeners and unconnected UDP sockets. TCP is one
 * dump for both families: every dump walks a whole kernel hash table, and a poll is mostly that.
 */
export const LISTENING_QUERIES: readonly DumpQuery[] = [
  { protocol: 'tcp', family: 'any', states: 1 << TCP_LISTEN },
  { protocol: 'udp', family: 4, states: 1 << TCP_CLOSE },
  { protocol: 'udp', family: 6, states: 1 << TCP_CLOSE },
];

export const ALL_QUERIES: readonly DumpQuery[] = LISTENING_QUERIES.map((q) => ({ ...q, states: ALL_STATES }));

/** The same dumps one family at a time, for a kernel that refuses TCPDIAG_GETSOCK. */
export function perFamily(queries: readonly DumpQuery[]): DumpQuery[] {
  return queries.flatMap((q) => (q.family === 'any' ? [{ ...q, family: 4 as const }, { ...q, family: 6 as const }] : [q]));
}

/** inet_diag structures are in host byte order, except ports and addresses. */
export const LITTLE_ENDIAN = endianness() === 'LE';
const readU32 = (b: Buffer, at: number) => (LITTLE_ENDIAN ? b.readUInt32LE(at) : b.readUInt32BE(at));
const writeU32 = (b: Buffer, value: number, at: number) => (LITTLE_ENDIAN ? b.writeUInt32LE(value, at) : b.writeUInt32BE(value, at));

/**
 * The netlink message type and payload of a dump of every socket of one protocol (and family) in
 * the given states: struct inet_diag_req_v2 (SOCK_DIAG_BY_FAMILY), or for TCP of both families
 * struct inet_diag_req (TCPDIAG_GETSOCK, which the kernel answers for AF_UNSPEC). The replies
 * carry the same type.
 */
export function encodeDumpRequest(query: DumpQuery): { type: number; payload: Buffer } {
  if (query.family === 'any') {
    if (query.protocol !== 'tcp') throw new Error('only TCP can be dumped for both families at once');
    const req = Buffer.alloc(COMPAT_REQUEST_SIZE);
    // idiag_family, src_len, dst_len, ext: 0; id.idiag_cookie = INET_DIAG_NOCOOKIE; then the states.
    writeU32(req, 0xffffffff, 44);
    writeU32(req, 0xffffffff, 48);
    writeU32(req, query.states >>> 0, 52);
    return { type: TCPDIAG_GETSOCK, payload: req };
  }
  const req = Buffer.alloc(REQUEST_SIZE);
  req[0] = query.family === 4 ? AF_INET : AF_INET6;
  req[1] = query.protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
  writeU32(req, query.states >>> 0, 4);
  // id.idiag_cookie = INET_DIAG_NOCOOKIE: match any socket.
  writeU32(req, 0xffffffff, 48);
  writeU32(req, 0xffffffff, 52);
  return { type: SOCK_DIAG_BY_FAMILY, payload: req };
}

/** A parsed struct inet_diag_msg; the bound interface is still an index. */
export interface DiagMessage extends Omit<KernelSocket, 'boundInterface'> {
  /** idiag_if: SO_BINDTODEVICE interface index, 0 if unbound. */
  ifindex: number;
}

/**
 * Parses one dump reply payload: inet_diag_msg followed by attributes, in data[at, end) (the
 * whole buffer by default).
 */
export function parseDiagMessage(data: Buffer, protocol: TransportProtocol, at = 0, end = data.length): DiagMessage | undefined {
  const socket = parseKernelSocket(data, protocol, at, end);
  return socket && Object.assign(socket, { ifindex: readU32(data, at + 40) });
}

/** parseDiagMessage without the interface index: the socket as reported, its interface not yet named. */
export function parseKernelSocket(data: Buffer, protocol: TransportProtocol, at = 0, end = data.length): KernelSocket | undefined {
  if (end - at < MESSAGE_SIZE) return undefined;
  const family = data[at] === AF_INET ? 4 : data[at] === AF_INET6 ? 6 : undefined;
  if (family === undefined) return undefined;
  const kernelState = data[at + 1] ?? 0;
  const socket: KernelSocket = {
    protocol,
    family,
    state: stateName(protocol, kernelState),
    address: formatAddressAt(family, data, at + 8),
    port: data.readUInt16BE(at + 4),
    remoteAddress: formatAddressAt(family, data, at + 24),
    remotePort: data.readUInt16BE(at + 6),
    uid: readU32(data, at + 64),
    inode: readU32(data, at + 68),
  };
  // The kernel adds INET_DIAG_SKV6ONLY to AF_INET6 sockets in LISTEN or CLOSE: a `::` socket
  // without it set also accepts IPv4 (as ::ffff:a.b.c.d).
  const v6Only = family === 6 ? readV6OnlyAttribute(data, at, end) : undefined;
  if (v6Only !== undefined) socket.v6Only = v6Only;
  return socket;
}

/**
 * A copy of the socket bound to the named interface (or to none). Built field by field: V8 gives
 * each spread copy of such an object a hidden class of its own, hundreds of bytes apiece.
 */
export function withBoundInterface(s: KernelSocket, name: string | undefined): KernelSocket {
  const socket: KernelSocket = {
    protocol: s.protocol, family: s.family, state: s.state, address: s.address, port: s.port,
    remoteAddress: s.remoteAddress, remotePort: s.remotePort, uid: s.uid, inode: s.inode,
  };
  if (s.v6Only !== undefined) socket.v6Only = s.v6Only;
  if (name !== undefined) socket.boundInterface = name;
  return socket;
}

function stateName(protocol: TransportProtocol, state: number): SocketState {
  if (protocol === 'udp') return state === TCP_CLOSE ? 'UNCONN' : 'ESTABLISHED';
  return TCP_STATE_NAMES[state] ?? 'CLOSE';
}

export function readV6OnlyAttribute(data: Buffer, at: number, end: number): boolean | undefined {
  for (let attr = at + MESSAGE_SIZE; attr + 4 <= end;) {
    const length = hostU16(data, attr);
    const type = hostU16(data, attr + 2) & 0x3fff; // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (length < 4) break;
    if (type === INET_DIAG_SKV6ONLY && length >= 5 && attr + 4 < end) return data[attr + 4] !== 0;
    attr += (length + 3) & ~3;
  }
  return undefined;
}

/** A host-order u16 the caller knows is in bounds: read byte by byte, it runs for every message of every dump. */
function hostU16(b: Buffer, at: number): number {
  const first = b[at] as number;
  const second = b[at + 1] as number;
  return LITTLE_ENDIAN ? first | (second << 8) : (first << 8) | second;
}

/** Dotted IPv4; RFC 5952 IPv6, with IPv4-mapped addresses as `::ffff:a.b.c.d` (as `ss` prints them). */
export function formatAddress(family: 4 | 6, bytes: Buffer): string {
  if (bytes.length < (family === 4 ? 4 : 16)) throw new RangeError(`an IPv${family} address needs ${family === 4 ? 4 : 16} bytes`);
  return formatAddressAt(family, bytes, 0);
}

/** The eight groups of the IPv6 address being formatted (one at a time: formatting is synchronous). */
const groups = new Uint16Array(8);

/** formatAddress of the address at data[at]: written out by hand, since it runs for every socket of every dump. */
function formatAddressAt(family: 4 | 6, data: Buffer, at: number): string {
  if (family === 4) return `${data[at]}.${data[at + 1]}.${data[at + 2]}.${data[at + 3]}`;
  for (let i = 0; i < 8; i++) groups[i] = data.readUInt16BE(at + 2 * i);
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `::ffff:${data[at + 12]}.${data[at + 13]}.${data[at + 14]}.${data[at + 15]}`;
  }
  // RFC 5952 §4.2: the longest run of two or more zero groups becomes "::", the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i += bestLength - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLength) text += ':';
    text += (groups[i] as number).toString(16);
  }
  return text;
}
