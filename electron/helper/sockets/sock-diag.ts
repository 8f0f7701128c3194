// The kernel's own list of TCP and UDP sockets, over NETLINK_SOCK_DIAG (what `ss` uses).
//
// The `netlink` package gives a raw netlink socket; the inet_diag structures are in
// diag-message.ts. /proc/net/{tcp,udp}{,6} would be simpler but slower, cannot filter by state
// in the kernel, and lose IPV6_V6ONLY and the bound interface (research/tech.md §5).
//
// A netlink socket sees the network namespace of the process that opened it.
import { getSystemErrorName } from 'node:util';
import { constants, readFileSync, readSync, readdirSync, readlinkSync, writeSync } from 'node:fs';
import { Flags, FlagsGet, Protocol, RawNetlinkSocket, formatMessage } from 'netlink';
import { ALL_QUERIES, LISTENING_QUERIES, LITTLE_ENDIAN, TCPDIAG_GETSOCK, encodeDumpRequest, perFamily, type DumpQuery, type KernelSocket } from './diag-message';
import { DumpReader, NOTHING_REMEMBERED, wordsOf, type DumpMemory, type InterfaceNaming } from './dump-reader';
import { collectRepliesIfDue, replyReceived } from './reply-buffers';

export type { KernelSocket } from './diag-message';

/**
 * Interface index → name from /sys/class/net (`ip netns exec` remounts /sys, so this is the
 * helper's namespace). Names are cached; a cached name is confirmed with one small read, since
 * udev renames new interfaces (eth1 → enx…) just after they appear. The reads are synchronous:
 * sysfs answers from memory, and a poll with a bound socket then costs no trip to the thread pool.
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
  nameOf(index: number): Promise<string | undefined> {
    return Promise.resolve(this.nameOfNow(index));
  }

  private nameOfNow(index: number): string | undefined {
    if (index === 0 || this.gone.has(index)) return undefined;
    const cached = this.names.get(index);
    if (cached !== undefined && this.indexOf(cached) === index) return cached;
    this.names = this.read();
    if (!this.names.has(index)) this.gone.add(index);
    return this.names.get(index);
  }

  private indexOf(name: string): number | undefined {
    let text: string;
    try {
      text = readFileSync(`${this.sysClassNet}/${name}/ifindex`, 'utf8');
    } catch {
      return undefined; // renamed or deleted
    }
    const index = Number(text.trim());
    return Number.isInteger(index) && index > 0 ? index : undefined;
  }

  private read(): Map<number, string> {
    const names = new Map<number, string>();
    let entries: string[];
    try {
      entries = readdirSync(this.sysClassNet);
    } catch {
      return names;
    }
    for (const name of entries) {
      const index = this.indexOf(name);
      if (index !== undefined) names.set(index, name);
    }
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

/**
 * Synchronous I/O on the netlink socket. The kernel produces a dump's next datagram while the
 * previous one is being read, so a whole dump can be read in one go without ever waiting. That
 * spares a poll the package's send and receive callbacks, epoll re-arming and a fresh buffer per
 * datagram, which together cost more CPU than the dumps themselves.
 */
export interface SyncChannel {
  /** Sends one request to the kernel. */
  write(frame: Buffer): void;
  /** Reads the next queued datagram into `into` and returns its length; throws (EAGAIN) if none is queued. */
  read(into: Buffer): number;
}

export interface SockDiagOptions {
  /** How long one dump may take before it is given up (default 5 s). */
  timeoutMs?: number;
  interfaces?: InterfaceNaming;
  /** Opens the NETLINK_SOCK_DIAG socket (default: a RawNetlinkSocket). */
  openSocket?: () => DiagSocket;
  /** Synchronous I/O on an opened socket, if it can have any (default: descriptorChannel). */
  syncChannel?: (socket: DiagSocket) => SyncChannel | undefined;
}

/** One dump being read: the replies of sequence number `seq` until NLMSG_DONE. */
interface DumpInProgress {
  seq: number;
  /** The request's netlink message type, which its replies carry too. */
  type: number;
  reader: DumpReader;
}

/** A dump read by the package's asynchronous I/O. */
interface PendingDump extends DumpInProgress {
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
 * Socket dumps over one netlink socket, one dump at a time. Polls of listening sockets read
 * their dumps synchronously when the socket allows it (see SyncChannel); complete listings
 * (all()), which can run to many megabytes, are read asynchronously so that other work can
 * run in between. The socket keeps the process alive only while a dump is in flight.
 */
export class SockDiag {
  private socket: DiagSocket | undefined;
  /** Synchronous I/O on `socket`, once looked up (undefined: not yet; null: it has none). */
  private channel: SyncChannel | null | undefined;
  private pending: PendingDump | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  /** Bumped by close(): dumps queued before it are dropped, not run on a new socket. */
  private epoch = 0;
  private readonly timeoutMs: number;
  private readonly interfaces: InterfaceNaming;
  private readonly openSocket: () => DiagSocket;
  private readonly syncChannel: (socket: DiagSocket) => SyncChannel | undefined;
  /** Where synchronous reads land, reused by every one (allocated on first use), and its words. */
  private replies: { data: Buffer; words: Int32Array } | undefined;
  /** Request datagrams for synchronous dumps, each built once; only the sequence number changes. */
  private readonly frames = new Map<DumpQuery, Buffer>();
  /** The last listening() result, dump by dump and as returned. */
  private listeningMemory = new Map<DumpQuery, DumpMemory>();
  private lastListening: readonly KernelSocket[] | undefined;
  /** Set once the kernel refuses TCPDIAG_GETSOCK: TCP is then dumped one family at a time. */
  private tcpPerFamily = false;
  private readonly requests = new Map<DumpQuery, { type: number; payload: Buffer }>();
  private readonly counts = { syncDumps: 0, asyncDumps: 0 };

  constructor(opts: SockDiagOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.interfaces = opts.interfaces ?? new InterfaceNames();
    this.openSocket = opts.openSocket ?? openRawSocket;
    this.syncChannel = opts.syncChannel ?? descriptorChannel;
  }

  /**
   * TCP LISTEN and UDP unconnected sockets, IPv4 and IPv6 (kernel-filtered: cheap with many
   * connections). When nothing about them changed since the last call, the very same array is
   * returned, so a caller can tell "no change" by identity; sockets that did not change keep
   * their objects.
   */
  async listening(): Promise<readonly KernelSocket[]> {
    const results = await this.dumpEach(LISTENING, (query) => this.listeningMemory.get(query), true);
    if (this.lastListening !== undefined && !results.some((r) => r.changed)) return this.lastListening;
    // Remembered only once every dump succeeded: a half-remembered poll would hide its changes from the next.
    this.listeningMemory = new Map(results.map((r) => [r.query, r.memory]));
    this.lastListening = results.flatMap((r) => r.memory.sockets);
    return this.lastListening;
  }

  /** Every TCP and UDP socket, IPv4 and IPv6, in every state; new objects, the caller's to keep. */
  async all(): Promise<KernelSocket[]> {
    const results = await this.dumpEach(ALL, () => undefined, false);
    return results.flatMap((r) => r.memory.sockets);
  }

  async dump(query: DumpQuery): Promise<KernelSocket[]> {
    const reader = new DumpReader(query.protocol, NOTHING_REMEMBERED);
    await this.enqueue([query], [reader], false);
    return (await reader.finish(this.interfaces)).memory.sockets;
  }

  /** Dumps sent so far, read synchronously and through the package's events. */
  dumpCounts(): { syncDumps: number; asyncDumps: number } {
    return { ...this.counts };
  }

  /** Closes the netlink socket; a dump in flight fails. The next dump opens a new one. */
  close(): void {
    this.epoch++;
    this.pending?.reject(new Error('sock_diag socket closed'));
    this.pending = undefined;
    this.discardSocket();
  }

  /** Runs one set of dumps, each read against its memory (if any); `sync`: synchronously if the socket allows. */
  private async dumpEach(queries: QuerySet, memoryOf: (query: DumpQuery) => DumpMemory | undefined, sync: boolean): Promise<{ query: DumpQuery; memory: DumpMemory; changed: boolean }[]> {
    try {
      const list = this.tcpPerFamily ? queries.perFamily : queries.combined;
      const readers = list.map((query) => new DumpReader(query.protocol, memoryOf(query) ?? NOTHING_REMEMBERED));
      await this.enqueue(list, readers, sync);
      return await Promise.all(list.map(async (query, i) => ({ query, ...(await (readers[i] as DumpReader).finish(this.interfaces)) })));
    } catch (err) {
      if (this.tcpPerFamily || !(err instanceof DumpRefused) || err.requestType !== TCPDIAG_GETSOCK) throw err;
      this.tcpPerFamily = true;
      return this.dumpEach(queries, memoryOf, sync);
    }
  }

  /** Dumps run one after another: replies are matched by sequence number, one dump at a time. */
  private enqueue(queries: readonly DumpQuery[], readers: readonly DumpReader[], sync: boolean): Promise<void> {
    const epoch = this.epoch;
    const result = this.queue.then(async () => {
      for (const [i, query] of queries.entries()) {
        if (epoch !== this.epoch) throw new Error('sock_diag socket closed');
        const reader = readers[i] as DumpReader;
        const channel = sync ? this.openChannel() : undefined;
        if (channel) {
          this.counts.syncDumps++;
          this.dumpSync(channel, query, reader);
        } else {
          this.counts.asyncDumps++;
          await this.request(query, reader);
        }
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private nextSeq(): number {
    return this.seq = (this.seq % 0x7fffffff) + 1;
  }

  private request(query: DumpQuery, reader: DumpReader): Promise<void> {
    collectRepliesIfDue();
    const socket = this.open();
    const seq = this.nextSeq();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        done(new Error(`sock_diag dump timed out after ${this.timeoutMs} ms`));
        // The kernel may still be in the middle of that dump, and would refuse the next one.
        if (this.socket === socket) this.discardSocket();
      }, this.timeoutMs);
      timer.unref();
      const done = (err: Error | undefined) => {
        clearTimeout(timer);
        if (this.pending?.seq === seq) this.pending = undefined;
        if (this.socket === socket) socket.unref();
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

  /**
   * One dump, sent and read to its end before returning. Nothing else reads the socket
   * meanwhile: the package's own reader only runs from the event loop.
   */
  private dumpSync(channel: SyncChannel, query: DumpQuery, reader: DumpReader): void {
    let frame = this.frames.get(query);
    if (!frame) {
      const { type, payload } = this.encoded(query);
      frame = Buffer.concat(formatMessage({ type, flags: Flags.REQUEST | FlagsGet.DUMP, seq: 0, port: 0, data: payload }));
      this.frames.set(query, frame);
    }
    if (!this.replies) {
      const data = Buffer.alloc(RECEIVE_BUFFER);
      this.replies = { data, words: wordsOf(data) };
    }
    const { data, words } = this.replies;
    const dump: DumpInProgress = { seq: this.nextSeq(), type: this.encoded(query).type, reader };
    // struct nlmsghdr's nlmsg_seq, in host order.
    if (LITTLE_ENDIAN) frame.writeUInt32LE(dump.seq, 8);
    else frame.writeUInt32BE(dump.seq, 8);
    let ended = false;
    try {
      channel.write(frame);
      while (!ended) {
        const length = channel.read(data);
        // A datagram the buffer could not hold would have been cut short without a word.
        if (length >= data.length) throw new Error(`sock_diag reply larger than ${data.length - 1} bytes`);
        ended = walkReplies(data, words, length, dump);
      }
    } catch (err) {
      // A refusal or a failed dump ends cleanly; anything else may leave the kernel mid-dump.
      if (!(err instanceof DumpFailed)) this.discardSocket();
      throw err;
    }
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
      const pending = this.pending;
      if (!pending) return;
      try {
        if (walkReplies(data, wordsOf(data), data.length, pending)) pending.resolve();
      } catch (err) {
        pending.reject(err as Error);
      }
    });
    socket.on('truncatedMessage', () => this.pending?.reject(new Error(`sock_diag reply larger than ${RECEIVE_BUFFER} bytes`)));
    socket.on('error', (err) => {
      this.pending?.reject(err);
      // The package may close the descriptor right after: the synchronous side must not keep using it.
      if (this.socket === socket) this.discardSocket();
    });
    this.socket = socket;
    this.channel = undefined;
    return socket;
  }

  /** The open socket's synchronous I/O, looked up once per socket; undefined if it has none. */
  private openChannel(): SyncChannel | undefined {
    if (this.socket && this.channel !== undefined) return this.channel ?? undefined;
    const socket = this.open();
    this.channel = this.syncChannel(socket) ?? null;
    return this.channel ?? undefined;
  }

  private discardSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.channel = undefined;
    socket?.close();
  }
}

/**
 * Walks the netlink messages of one datagram, data[0, length), in place (a dump brings
 * thousands) and hands the dump's own to its reader. True once the dump has ended; throws if
 * the kernel ended it with an error or refused it.
 */
function walkReplies(data: Buffer, words: Int32Array, length: number, dump: DumpInProgress): boolean {
  for (let at = 0; at + NLMSG_HDRLEN <= length;) {
    // struct nlmsghdr, in words: u32 length; u16 type, u16 flags; u32 seq; u32 port.
    const word = at >>> 2;
    const size = (words[word] as number) >>> 0;
    if (size < NLMSG_HDRLEN || at + size > length) throw new Error('sock_diag reply is malformed');
    const typeAndFlags = words[word + 1] as number;
    const type = LITTLE_ENDIAN ? typeAndFlags & 0xffff : typeAndFlags >>> 16;
    const seq = (words[word + 2] as number) >>> 0;
    const payload = at + NLMSG_HDRLEN;
    const end = at + size;
    at += (size + 3) & ~3;
    if (seq !== dump.seq) continue; // a late reply to a dump that timed out
    if (type === dump.type) {
      dump.reader.add(data, words, payload, end);
      continue;
    }
    if (type === NLMSG_DONE) {
      // NLMSG_DONE carries the dump's final status: 0, or a negative errno.
      const status = end - payload >= 4 ? (words[payload >>> 2] as number) : 0;
      if (status < 0) throw new DumpFailed(-status);
      return true;
    }
    if (type === NLMSG_ERROR) {
      const errno = end - payload >= 4 ? -(words[payload >>> 2] as number) : 0;
      if (errno === 0) continue; // an acknowledgement, not a failure
      // The request itself was refused (an unknown type, an unsupported protocol).
      throw new DumpRefused(errno, dump.type);
    }
  }
  return false;
}

function openRawSocket(): DiagSocket {
  // The typings make the two buffer sizes required; 0 leaves the kernel's defaults.
  return new RawNetlinkSocket(Protocol.SOCK_DIAG, { messagePeeking: false, msgBufferSize: RECEIVE_BUFFER, recvBufferSize: 0, sendBufferSize: 0 });
}

/**
 * Synchronous I/O on a RawNetlinkSocket's own descriptor, which the `netlink` package keeps to
 * itself: found by the socket's port id in /proc/self/net/netlink, then by inode among the
 * process's descriptors. Used only if non-blocking (libuv makes it so), so that a read can never
 * hang the helper. Undefined if any of that fails: the package's asynchronous I/O is then used.
 */
export function descriptorChannel(socket: DiagSocket): SyncChannel | undefined {
  const address = (socket as Partial<Pick<RawNetlinkSocket, 'address'>>).address;
  if (typeof address !== 'function') return undefined;
  try {
    const fd = descriptorOf(Protocol.SOCK_DIAG, address.call(socket).port);
    if (fd === undefined) return undefined;
    return {
      write(frame) {
        if (writeSync(fd, frame) !== frame.length) throw new Error('sock_diag request was cut short');
      },
      read: (into) => readSync(fd, into, 0, into.length, null),
    };
  } catch {
    return undefined;
  }
}

/** The non-blocking descriptor of this process's netlink socket of `protocol` bound to `port`. */
function descriptorOf(protocol: number, port: number): number | undefined {
  // Columns: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode.
  const row = readFileSync('/proc/self/net/netlink', 'utf8').split('\n').map((line) => line.trim().split(/\s+/))
    .find((columns) => Number(columns[1]) === protocol && Number(columns[2]) === port);
  const inode = row?.[9];
  if (inode === undefined) return undefined;
  for (const name of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // closed meanwhile (the directory's own descriptor, for one)
    }
    if (target !== `socket:[${inode}]`) continue;
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${name}`, 'utf8'))?.[1];
    return flags !== undefined && (parseInt(flags, 8) & constants.O_NONBLOCK) !== 0 ? Number(name) : undefined;
  }
  return undefined;
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
