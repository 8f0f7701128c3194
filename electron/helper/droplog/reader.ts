// The drop log: packets the kernel logged to Palisade's NFLOG group (already rate-limited there
// by each logging rule), turned into entries, kept in a ring buffer of fixed size and announced
// in batches — at most one 'entries' event (DropEntry[]) per flush interval, however fast
// packets come. Nothing here can stop the helper: if the group cannot be bound, the firewall
// runs without a drop log and says why.
import { EventEmitter } from 'node:events';
import { LOG_GROUP } from '../../../shared/compiler/layout';
import type { DropEntry } from '../../../shared/runtime/droplog';
import type { DropLogPort } from '../firewall';
import { InterfaceNames } from '../sockets/sock-diag';
import { namedDrop, pendingDrop, type PendingDrop } from './entry';
import type { NflogPacket } from './nflog';
import { NflogSocket, type PacketSource } from './nflog-socket';
import { RingBuffer } from './ring-buffer';

export const DEFAULT_CAPACITY = 1000;
const DEFAULT_FLUSH_INTERVAL_MS = 250;
/** Bytes copied per packet: an IPv6 header, a few extension headers and the transport header. */
const COPY_RANGE = 128;
/** The kernel sends what it holds after at most 0.1 s (in 1/100 s; its default is a whole second). */
const KERNEL_FLUSH_TIMEOUT = 10;
/** Receive-buffer overruns are reported at most this often. */
const OVERRUN_REPORT_INTERVAL_MS = 60_000;

export interface DropLogReaderOptions {
  /** Entries kept (default 1000); older ones are forgotten. */
  capacity?: number;
  /** How often new entries are announced (default 250 ms). */
  flushIntervalMs?: number;
  group?: number;
  /** Where packets come from (default: the NFLOG socket of this process's network namespace). */
  source?: PacketSource;
  interfaces?: { nameOf(index: number): Promise<string | undefined> };
  now?: () => Date;
  log?: (message: string) => void;
}

export interface DropLogStats {
  /** The group is bound and packets are being read. */
  active: boolean;
  /** Why the group could not be bound, if it could not. */
  failure?: string;
  /** Palisade's logged packets seen since start. */
  logged: number;
  /** Logged packets that were not Palisade's (another table's prefix) or could not be read. */
  ignored: number;
  /** Times the kernel dropped log messages because the socket's buffer was full. */
  overruns: number;
}

export class DropLogReader extends EventEmitter implements DropLogPort {
  private readonly ring: RingBuffer<DropEntry>;
  /** Entries not yet announced; bounded too, since a stalled flush must not grow memory. */
  private readonly pending: RingBuffer<PendingDrop>;
  private readonly flushIntervalMs: number;
  private readonly interfaces: { nameOf(index: number): Promise<string | undefined> };
  private readonly log: (message: string) => void;
  private source: PacketSource | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private counts: DropLogStats = { active: false, logged: 0, ignored: 0, overruns: 0 };
  private lastOverrunReport = -Infinity;

  constructor(private readonly opts: DropLogReaderOptions = {}) {
    super();
    const capacity = opts.capacity ?? DEFAULT_CAPACITY;
    this.ring = new RingBuffer(capacity);
    this.pending = new RingBuffer(capacity);
    this.flushIntervalMs = opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.interfaces = opts.interfaces ?? new InterfaceNames();
    this.log = opts.log ?? ((message) => console.error(message));
  }

  get capacity(): number {
    return this.ring.capacity;
  }

  /** Binds the group; on failure logs why and carries on without a drop log. */
  async start(): Promise<void> {
    if (this.source) return;
    const group = this.opts.group ?? LOG_GROUP;
    const source = this.opts.source ?? new NflogSocket({ group, copyRange: COPY_RANGE, flushTimeout: KERNEL_FLUSH_TIMEOUT });
    source.on('packets', (packets: NflogPacket[]) => this.take(packets));
    source.on('overrun', () => this.overrun());
    source.on('error', (err: Error) => this.log(`palisaded: drop log: ${err.message}`));
    try {
      await source.open();
    } catch (err) {
      source.removeAllListeners();
      const failure = (err as Error).message ?? String(err);
      this.counts = { ...this.counts, active: false, failure };
      this.log(`palisaded: no drop log: ${failure}`);
      return;
    }
    this.source = source;
    this.counts = { ...this.counts, active: true };
    delete this.counts.failure;
  }

  /** Unbinds the group and announces what was still pending. */
  async stop(): Promise<void> {
    const source = this.source;
    this.source = undefined;
    if (source) {
      source.close();
      source.removeAllListeners();
    }
    this.counts = { ...this.counts, active: false };
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  recent(limit: number): DropEntry[] {
    return this.ring.newest(limit);
  }

  stats(): DropLogStats {
    return { ...this.counts };
  }

  /** Announces pending entries now (also what the flush timer does). */
  flush(): Promise<void> {
    this.flushing = this.flushing
      .then(() => this.flushPending())
      .catch((err: unknown) => this.log(`palisaded: drop log: ${(err as Error).message ?? String(err)}`));
    return this.flushing;
  }

  private take(packets: NflogPacket[]): void {
    const receivedAt = this.opts.now?.() ?? new Date();
    for (const packet of packets) {
      const drop = pendingDrop(packet, receivedAt);
      if (drop) {
        this.pending.push(drop);
        this.counts.logged++;
      } else {
        this.counts.ignored++;
      }
    }
    if (this.pending.size && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.flushIntervalMs);
    }
  }

  private async flushPending(): Promise<void> {
    const batch = this.pending.drain();
    if (!batch.length) return;
    // Each interface looked up once per batch: a flood usually comes in on one.
    const names = new Map<number, string | undefined>();
    for (const { ifindex } of batch) {
      if (names.has(ifindex)) continue;
      names.set(ifindex, ifindex === 0 ? undefined : await this.interfaces.nameOf(ifindex).catch(() => undefined));
    }
    const entries = batch.map((drop) => namedDrop(drop, names.get(drop.ifindex)));
    for (const entry of entries) this.ring.push(entry);
    this.emit('entries', entries);
  }

  private overrun(): void {
    this.counts.overruns++;
    const now = Date.now();
    if (now - this.lastOverrunReport < OVERRUN_REPORT_INTERVAL_MS) return;
    this.lastOverrunReport = now;
    this.log(`palisaded: drop log: the kernel dropped log messages (receive buffer full; ${this.counts.overruns} time(s) so far)`);
  }
}
