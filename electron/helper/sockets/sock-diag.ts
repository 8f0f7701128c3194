// The kernel's own list of TCP and UDP sockets, over NETLINK_SOCK_DIAG (what `ss` uses).
//
// Hand-written because npm has no sock_diag wrapper: the `netlink` package gives raw netlink
// sockets and message framing, and the inet_diag structures (linux/inet_diag.h) are encoded
// and parsed here. /proc/net/{tcp,udp}{,6} would be simpler but slower, cannot filter by state
// in the kernel, and lose IPV6_V6ONLY and the bound interface (research/tech.md §5).
//
// A netlink socket sees the network namespace of the process that opened it.
import { endianness } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { readdir, readFile } from 'node:fs/promises';
import ipaddr from 'ipaddr.js';
import { Flags, FlagsGet, MessageType, Protocol, RawNetlinkSocket, formatMessage, parseMessages } from 'netlink';
import type { SocketEntry, SocketState } from '../../../shared/runtime/sockets';
import type { TransportProtocol } from '../../../shared/runtime/state';

/** A socket as the kernel reports it, before any process is attributed. */
export type KernelSocket = Omit<SocketEntry, 'process' | 'app'>;

export interface DumpQuery {
  protocol: TransportProtocol;
  family: 4 | 6;
  /** Bitmask of kernel TCP states (1 << state) the kernel should report. */
  states: number;
}

const SOCK_DIAG_BY_FAMILY = 20;
const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const INET_DIAG_SKV6ONLY = 11;
/** sizeof(struct inet_diag_req_v2) and sizeof(struct inet_diag_msg). */
const REQUEST_SIZE = 56;
const MESSAGE_SIZE = 72;

/** Kernel TCP states (include/net/tcp_states.h). UDP reuses two: CLOSE = unconnected, ESTABLISHED = connected. */
const TCP_STATE_NAMES: Readonly<Record<number, SocketState>> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
  7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'SYN_RECV', // 12: TCP_NEW_SYN_RECV
};
const TCP_CLOSE = 7;
const TCP_LISTEN = 10;
const ALL_STATES = 0xffffffff;

/** What accepts packets from other hosts: TCP listeners and unconnected UDP sockets. */
export const LISTENING_QUERIES: readonly DumpQuery[] = [
  { protocol: 'tcp', family: 4, states: 1 << TCP_LISTEN },
  { protocol: 'tcp', family: 6, states: 1 << TCP_LISTEN },
  { protocol: 'udp', family: 4, states: 1 << TCP_CLOSE },
  { protocol: 'udp', family: 6, states: 1 << TCP_CLOSE },
];

export const ALL_QUERIES: readonly DumpQuery[] = LISTENING_QUERIES.map((q) => ({ ...q, states: ALL_STATES }));

/** inet_diag structures are in host byte order, except ports and addresses. */
const LITTLE_ENDIAN = endianness() === 'LE';
const readU32 = (b: Buffer, at: number) => (LITTLE_ENDIAN ? b.readUInt32LE(at) : b.readUInt32BE(at));
const readU16 = (b: Buffer, at: number) => (LITTLE_ENDIAN ? b.readUInt16LE(at) : b.readUInt16BE(at));
const readS32 = (b: Buffer, at: number) => (LITTLE_ENDIAN ? b.readInt32LE(at) : b.readInt32BE(at));
const writeU32 = (b: Buffer, value: number, at: number) => (LITTLE_ENDIAN ? b.writeUInt32LE(value, at) : b.writeUInt32BE(value, at));

/** struct inet_diag_req_v2 for a dump of every socket of one family/protocol in the given states. */
export function encodeDumpRequest(query: DumpQuery): Buffer {
  const req = Buffer.alloc(REQUEST_SIZE);
  req[0] = query.family === 4 ? AF_INET : AF_INET6;
  req[1] = query.protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
  writeU32(req, query.states >>> 0, 4);
  // id.idiag_cookie = INET_DIAG_NOCOOKIE: match any socket.
  writeU32(req, 0xffffffff, 48);
  writeU32(req, 0xffffffff, 52);
  return req;
}

/** A parsed struct inet_diag_msg; the bound interface is still an index. */
export interface DiagMessage extends Omit<KernelSocket, 'boundInterface'> {
  /** idiag_if: SO_BINDTODEVICE interface index, 0 if unbound. */
  ifindex: number;
}

/** Parses one SOCK_DIAG_BY_FAMILY reply payload: inet_diag_msg followed by attributes. */
export function parseDiagMessage(data: Buffer, protocol: TransportProtocol): DiagMessage | undefined {
  if (data.length < MESSAGE_SIZE) return undefined;
  const family = data[0] === AF_INET ? 4 : data[0] === AF_INET6 ? 6 : undefined;
  if (family === undefined) return undefined;
  const kernelState = data[1] ?? 0;
  const message: DiagMessage = {
    protocol,
    family,
    state: stateName(protocol, kernelState),
    address: formatAddress(family, data.subarray(8, 24)),
    port: data.readUInt16BE(4),
    remoteAddress: formatAddress(family, data.subarray(24, 40)),
    remotePort: data.readUInt16BE(6),
    ifindex: readU32(data, 40),
    uid: readU32(data, 64),
    inode: readU32(data, 68),
  };
  // The kernel adds INET_DIAG_SKV6ONLY to AF_INET6 sockets in LISTEN or CLOSE: a `::` socket
  // without it set also accepts IPv4 (as ::ffff:a.b.c.d).
  const v6Only = family === 6 ? readV6OnlyAttribute(data) : undefined;
  if (v6Only !== undefined) message.v6Only = v6Only;
  return message;
}

function stateName(protocol: TransportProtocol, state: number): SocketState {
  if (protocol === 'udp') return state === TCP_CLOSE ? 'UNCONN' : 'ESTABLISHED';
  return TCP_STATE_NAMES[state] ?? 'CLOSE';
}

function readV6OnlyAttribute(data: Buffer): boolean | undefined {
  for (let at = MESSAGE_SIZE; at + 4 <= data.length;) {
    const length = readU16(data, at);
    const type = readU16(data, at + 2) & 0x3fff; // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (length < 4) break;
    if (type === INET_DIAG_SKV6ONLY && length >= 5) return data[at + 4] !== 0;
    at += (length + 3) & ~3;
  }
  return undefined;
}

/** Dotted IPv4; RFC 5952 IPv6, with IPv4-mapped addresses as `::ffff:a.b.c.d` (as `ss` prints them). */
export function formatAddress(family: 4 | 6, bytes: Buffer): string {
  if (family === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const isMapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  return ipaddr.fromByteArray([...bytes.subarray(0, 16)]).toString();
}

/**
 * Interface index → name from /sys/class/net (`ip netns exec` remounts /sys, so this is the
 * helper's namespace). Names are cached; a cached name is confirmed with one small read, since
 * udev renames new interfaces (eth1 → enx…) just after they appear.
 */
export class InterfaceNames {
  private names = new Map<number, string>();
  /** Indexes of interfaces deleted while a socket stayed bound to them (the kernel never reuses one meanwhile). */
  private readonly gone = new Set<number>();

  constructor(private readonly sysClassNet = '/sys/class/net') {}

  /**
   * The interface's name; undefined for 0 (not bound) and for a deleted interface. A socket
   * bound to a deleted interface receives nothing, so calling it unbound overstates, never
   * understates, what is exposed.
   */
  async nameOf(index: number): Promise<string | undefined> {
    if (index === 0 || this.gone.has(index)) return undefined;
    const cached = this.names.get(index);
    if (cached !== undefined && (await this.indexOf(cached)) === index) return cached;
    this.names = await this.read();
    if (!this.names.has(index)) this.gone.add(index);
    return this.names.get(index);
  }

  private async indexOf(name: string): Promise<number | undefined> {
    const text = await readFile(`${this.sysClassNet}/${name}/ifindex`, 'utf8').catch(() => '');
    const index = Number(text.trim());
    return text && Number.isInteger(index) && index > 0 ? index : undefined;
  }

  private async read(): Promise<Map<number, string>> {
    const names = new Map<number, string>();
    const entries = await readdir(this.sysClassNet).catch(() => []);
    await Promise.all(entries.map(async (name) => {
      const index = await this.indexOf(name);
      if (index !== undefined) names.set(index, name);
    }));
    return names;
  }
}

export interface SockDiagOptions {
  /** How long one dump may take before it is given up (default 5 s). */
  timeoutMs?: number;
  interfaces?: InterfaceNames;
}

/** One pending dump: the replies of sequence number `seq` until NLMSG_DONE. */
interface PendingDump {
  seq: number;
  protocol: TransportProtocol;
  messages: DiagMessage[];
  resolve(messages: DiagMessage[]): void;
  reject(err: Error): void;
}

/**
 * Socket dumps over one netlink socket, one dump at a time. The socket keeps the process alive
 * only while a dump is in flight.
 */
export class SockDiag {
  private socket: RawNetlinkSocket | undefined;
  private pending: PendingDump | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  /** Bumped by close(): dumps queued before it are dropped, not run on a new socket. */
  private epoch = 0;
  private readonly timeoutMs: number;
  private readonly interfaces: InterfaceNames;

  constructor(opts: SockDiagOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.interfaces = opts.interfaces ?? new InterfaceNames();
  }

  /** TCP LISTEN and UDP unconnected sockets, IPv4 and IPv6 (kernel-filtered: cheap with many connections). */
  listening(): Promise<KernelSocket[]> {
    return this.dumpAll(LISTENING_QUERIES);
  }

  /** Every TCP and UDP socket, IPv4 and IPv6, in every state. */
  all(): Promise<KernelSocket[]> {
    return this.dumpAll(ALL_QUERIES);
  }

  async dump(query: DumpQuery): Promise<KernelSocket[]> {
    const messages = await this.enqueue(query);
    // Few sockets are bound to a device: look up each index once, not once per socket.
    const names = new Map<number, string | undefined>();
    for (const { ifindex } of messages) {
      if (ifindex !== 0 && !names.has(ifindex)) names.set(ifindex, await this.interfaces.nameOf(ifindex));
    }
    return messages.map(({ ifindex, ...socket }) => {
      const name = names.get(ifindex);
      return name === undefined ? socket : { ...socket, boundInterface: name };
    });
  }

  /** Closes the netlink socket; a dump in flight fails. The next dump opens a new one. */
  close(): void {
    this.epoch++;
    this.pending?.reject(new Error('sock_diag socket closed'));
    this.pending = undefined;
    this.socket?.close();
    this.socket = undefined;
  }

  private async dumpAll(queries: readonly DumpQuery[]): Promise<KernelSocket[]> {
    const results = await Promise.all(queries.map((q) => this.dump(q)));
    return results.flat();
  }

  /** Dumps run one after another: replies are matched by sequence number, one dump at a time. */
  private enqueue(query: DumpQuery): Promise<DiagMessage[]> {
    const epoch = this.epoch;
    const result = this.queue.then(() => {
      if (epoch !== this.epoch) throw new Error('sock_diag socket closed');
      return this.request(query);
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private request(query: DumpQuery): Promise<DiagMessage[]> {
    const socket = this.open();
    const seq = this.seq = (this.seq % 0x7fffffff) + 1;
    return new Promise<DiagMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`sock_diag dump timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
      const done = (err: Error | undefined, messages?: DiagMessage[]) => {
        clearTimeout(timer);
        if (this.pending?.seq === seq) this.pending = undefined;
        socket.unref();
        if (err) reject(err);
        else resolve(messages ?? []);
      };
      this.pending = { seq, protocol: query.protocol, messages: [], resolve: (m) => done(undefined, m), reject: (e) => done(e) };
      socket.ref();
      const frame = formatMessage({
        type: SOCK_DIAG_BY_FAMILY,
        flags: Flags.REQUEST | FlagsGet.DUMP,
        seq,
        port: 0,
        data: encodeDumpRequest(query),
      });
      socket.send(frame, {}, (err) => { if (err) done(err); });
    });
  }

  private open(): RawNetlinkSocket {
    if (this.socket) return this.socket;
    const socket = new RawNetlinkSocket(Protocol.SOCK_DIAG);
    socket.unref();
    socket.on('message', (data) => this.receive(data));
    socket.on('error', (err) => this.pending?.reject(err));
    this.socket = socket;
    return socket;
  }

  private receive(datagram: Buffer): void {
    const pending = this.pending;
    if (!pending) return;
    let messages;
    try {
      messages = parseMessages(datagram);
    } catch (err) {
      pending.reject(err as Error);
      return;
    }
    for (const message of messages) {
      if (message.seq !== pending.seq) continue; // a late reply to a dump that timed out
      if (message.type === MessageType.DONE) {
        // NLMSG_DONE carries the dump's final status: 0, or a negative errno.
        const status = message.data.length >= 4 ? readS32(message.data, 0) : 0;
        if (status < 0) pending.reject(errnoError(-status));
        else pending.resolve(pending.messages);
        return;
      }
      if (message.type === MessageType.ERROR) {
        const errno = message.data.length >= 4 ? -readS32(message.data, 0) : 0;
        if (errno === 0) continue; // an acknowledgement, not a failure
        pending.reject(errnoError(errno));
        return;
      }
      if (message.type !== SOCK_DIAG_BY_FAMILY) continue;
      const parsed = parseDiagMessage(message.data, pending.protocol);
      if (parsed) pending.messages.push(parsed);
    }
  }
}

function errnoError(errno: number): Error {
  let name = `errno ${errno}`;
  try {
    name = getSystemErrorName(-errno);
  } catch {
    // not an errno Node knows
  }
  return new Error(`sock_diag dump failed: ${name}`);
}
