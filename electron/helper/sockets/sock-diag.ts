// The kernel's own list of TCP and UDP sockets, over NETLINK_SOCK_DIAG (what `ss` uses).
//
// The `netlink` package gives a raw netlink socket; the inet_diag structures are in
// diag-message.ts. /proc/net/{tcp,udp}{,6} would be simpler but slower, cannot filter by state
// in the kernel, and lose IPV6_V6ONLY and the bound interface (research/tech.md §5).
//
// A netlink socket sees the network namespace of the process that opened it.
import { getSystemErrorName } from 'node:util';
import { readdir, readFile } from 'node:fs/promises';
import { Flags, FlagsGet, Protocol, RawNetlinkSocket, formatMessage } from 'netlink';
import { ALL_QUERIES, LISTENING_QUERIES, LITTLE_ENDIAN, TCPDIAG_GETSOCK, encodeDumpRequest, perFamily, type DumpQuery, type KernelSocket } from './diag-message';
import { DumpReader, NOTHING_REMEMBERED, wordsOf, type DumpMemory, type InterfaceNaming } from './dump-reader';
import { collectRepliesIfDue, replyReceived } from './reply-buffers';

export type { KernelSocket } from './diag-message';

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

/** What SockDiag uses of a netlink socket: RawNetlinkSocket, or a stand-in in tests. */
export interface DiagSocket {
  on(event: 'message', listener: (datagram: Buffer) => void): unknown;
  on(event: 'truncatedMessage', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  send(frame: Uint8Array | Uint8Array[], options: object, callback: (err?: Error) => void): void;
  ref(): void;
  unref(): void;
  close(): void;
}

export interface SockDiagOptions {
  /** How long one dump may take before it is given up (default 5 s). */
  timeoutMs?: number;
  interfaces?: InterfaceNaming;
  /** Opens the NETLINK_SOCK_DIAG socket (default: a RawNetlinkSocket). */
  openSocket?: () => DiagSocket;
}

/** One pending dump: the replies of sequence number `seq` until NLMSG_DONE. */
interface PendingDump {
  seq: number;
  /** The request's netlink message type, which its replies carry too. */
  type: number;
  reader: DumpReader;
  resolve(): void;
  reject(err: Error): void;
}

const NLMSG_HDRLEN = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
/**
 * Room for one datagram of a dump. The kernel fills dump datagrams up to the size the reader
 * asks for, at most 32 KiB less its own overhead: one large read replaces eight page-sized ones.
 */
const RECEIVE_BUFFER = 32 * 1024;

/**
 * Socket dumps over one netlink socket, one dump at a time. The socket keeps the process alive
 * only while a dump is in flight.
 */
export class SockDiag {
  private socket: DiagSocket | undefined;
  private pending: PendingDump | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  /** Bumped by close(): dumps queued before it are dropped, not run on a new socket. */
  private epoch = 0;
  private readonly timeoutMs: number;
  private readonly interfaces: InterfaceNaming;
  private readonly openSocket: () => DiagSocket;
  /** The last listening() result, dump by dump and as returned. */
  private listeningMemory = new Map<DumpQuery, DumpMemory>();
  private lastListening: readonly KernelSocket[] | undefined;
  /** Set once the kernel refuses TCPDIAG_GETSOCK: TCP is then dumped one family at a time. */
  private tcpPerFamily = false;
  private readonly requests = new Map<DumpQuery, { type: number; payload: Buffer }>();

  constructor(opts: SockDiagOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.interfaces = opts.interfaces ?? new InterfaceNames();
    this.openSocket = opts.openSocket ?? openRawSocket;
  }

  /**
   * TCP LISTEN and UDP unconnected sockets, IPv4 and IPv6 (kernel-filtered: cheap with many
   * connections). When nothing about them changed since the last call, the very same array is
   * returned, so a caller can tell "no change" by identity; sockets that did not change keep
   * their objects.
   */
  async listening(): Promise<readonly KernelSocket[]> {
    const results = await this.dumpEach(LISTENING, (query) => this.listeningMemory.get(query));
    if (this.lastListening !== undefined && !results.some((r) => r.changed)) return this.lastListening;
    // Remembered only once every dump succeeded: a half-remembered poll would hide its changes from the next.
    this.listeningMemory = new Map(results.map((r) => [r.query, r.memory]));
    this.lastListening = results.flatMap((r) => r.memory.sockets);
    return this.lastListening;
  }

  /** Every TCP and UDP socket, IPv4 and IPv6, in every state; new objects, the caller's to keep. */
  async all(): Promise<KernelSocket[]> {
    const results = await this.dumpEach(ALL, () => undefined);
    return results.flatMap((r) => r.memory.sockets);
  }

  async dump(query: DumpQuery): Promise<KernelSocket[]> {
    const reader = new DumpReader(query.protocol, NOTHING_REMEMBERED);
    await this.enqueue(query, reader);
    return (await reader.finish(this.interfaces)).memory.sockets;
  }

  /** Closes the netlink socket; a dump in flight fails. The next dump opens a new one. */
  close(): void {
    this.epoch++;
    this.pending?.reject(new Error('sock_diag socket closed'));
    this.pending = undefined;
    this.socket?.close();
    this.socket = undefined;
  }

  /** Runs one set of dumps, each read against its memory (if any). */
  private async dumpEach(queries: QuerySet, memoryOf: (query: DumpQuery) => DumpMemory | undefined): Promise<{ query: DumpQuery; memory: DumpMemory; changed: boolean }[]> {
    try {
      return await Promise.all((this.tcpPerFamily ? queries.perFamily : queries.combined).map(async (query) => {
        const reader = new DumpReader(query.protocol, memoryOf(query) ?? NOTHING_REMEMBERED);
        await this.enqueue(query, reader);
        return { query, ...(await reader.finish(this.interfaces)) };
      }));
    } catch (err) {
      if (this.tcpPerFamily || !(err instanceof DumpRefused) || err.requestType !== TCPDIAG_GETSOCK) throw err;
      this.tcpPerFamily = true;
      return this.dumpEach(queries, memoryOf);
    }
  }

  /** Dumps run one after another: replies are matched by sequence number, one dump at a time. */
  private enqueue(query: DumpQuery, reader: DumpReader): Promise<void> {
    const epoch = this.epoch;
    const result = this.queue.then(() => {
      if (epoch !== this.epoch) throw new Error('sock_diag socket closed');
      return this.request(query, reader);
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private request(query: DumpQuery, reader: DumpReader): Promise<void> {
    collectRepliesIfDue();
    const socket = this.open();
    const seq = this.seq = (this.seq % 0x7fffffff) + 1;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`sock_diag dump timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
      const done = (err: Error | undefined) => {
        clearTimeout(timer);
        if (this.pending?.seq === seq) this.pending = undefined;
        socket.unref();
        if (err) reject(err);
        else resolve();
      };
      const { type, payload } = this.encoded(query);
      this.pending = { seq, type, reader, resolve: () => done(undefined), reject: (e) => done(e) };
      socket.ref();
      const frame = formatMessage({ type, flags: Flags.REQUEST | FlagsGet.DUMP, seq, port: 0, data: payload });
      socket.send(frame, {}, (err) => { if (err) done(err); });
    });
  }

  /** Requests never change: each is encoded once. */
  private encoded(query: DumpQuery): { type: number; payload: Buffer } {
    let request = this.requests.get(query);
    if (!request) this.requests.set(query, request = encodeDumpRequest(query));
    return request;
  }

  private open(): DiagSocket {
    if (this.socket) return this.socket;
    const socket = this.openSocket();
    socket.unref();
    socket.on('message', (data) => {
      replyReceived(RECEIVE_BUFFER); // what the package allocated, whatever the kernel filled
      this.receive(data);
    });
    socket.on('truncatedMessage', () => this.pending?.reject(new Error(`sock_diag reply larger than ${RECEIVE_BUFFER} bytes`)));
    socket.on('error', (err) => this.pending?.reject(err));
    this.socket = socket;
    return socket;
  }

  /** Walks the netlink messages of one datagram in place: a dump brings thousands. */
  private receive(datagram: Buffer): void {
    const pending = this.pending;
    if (!pending) return;
    const words = wordsOf(datagram);
    for (let at = 0; at + NLMSG_HDRLEN <= datagram.length;) {
      // struct nlmsghdr, in words: u32 length; u16 type, u16 flags; u32 seq; u32 port.
      const word = at >>> 2;
      const length = (words[word] as number) >>> 0;
      if (length < NLMSG_HDRLEN || at + length > datagram.length) {
        pending.reject(new Error('sock_diag reply is malformed'));
        return;
      }
      const typeAndFlags = words[word + 1] as number;
      const type = LITTLE_ENDIAN ? typeAndFlags & 0xffff : typeAndFlags >>> 16;
      const seq = (words[word + 2] as number) >>> 0;
      const payload = at + NLMSG_HDRLEN;
      const end = at + length;
      at += (length + 3) & ~3;
      if (seq !== pending.seq) continue; // a late reply to a dump that timed out
      if (type === pending.type) {
        pending.reader.add(datagram, words, payload, end);
        continue;
      }
      if (type === NLMSG_DONE) {
        // NLMSG_DONE carries the dump's final status: 0, or a negative errno.
        const status = end - payload >= 4 ? (words[payload >>> 2] as number) : 0;
        if (status < 0) pending.reject(new DumpFailed(-status));
        else pending.resolve();
        return;
      }
      if (type === NLMSG_ERROR) {
        const errno = end - payload >= 4 ? -(words[payload >>> 2] as number) : 0;
        if (errno === 0) continue; // an acknowledgement, not a failure
        // The request itself was refused (an unknown type, an unsupported protocol).
        pending.reject(new DumpRefused(errno, pending.type));
        return;
      }
    }
  }
}

function openRawSocket(): DiagSocket {
  // The typings make the two buffer sizes required; 0 leaves the kernel's defaults.
  return new RawNetlinkSocket(Protocol.SOCK_DIAG, { messagePeeking: false, msgBufferSize: RECEIVE_BUFFER, recvBufferSize: 0, sendBufferSize: 0 });
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`; // not an errno Node knows
  }
}

/** The kernel ended a dump with an error. */
class DumpFailed extends Error {
  constructor(readonly errno: number) {
    super(`sock_diag dump failed: ${errnoName(errno)}`);
  }
}

/** The kernel refused a dump request outright. */
class DumpRefused extends DumpFailed {
  constructor(errno: number, readonly requestType: number) {
    super(errno);
  }
}

/** A set of dumps: TCP for both families in one, or (on a kernel without TCPDIAG_GETSOCK) one per family. */
interface QuerySet {
  combined: readonly DumpQuery[];
  perFamily: readonly DumpQuery[];
}

const LISTENING: QuerySet = { combined: LISTENING_QUERIES, perFamily: perFamily(LISTENING_QUERIES) };
const ALL: QuerySet = { combined: ALL_QUERIES, perFamily: perFamily(ALL_QUERIES) };
