// Watches which sockets accept packets from other hosts, and who owns them. Polling the
// kernel's state-filtered socket dump is sub-millisecond even with thousands of connections
// (research/tech.md §5), so the monitor polls it; /proc is walked only when a socket appears
// that no cached process holds, so a steady state costs one set of dumps per poll (read
// synchronously and compared with the last in place, nothing parsed: sock-diag.ts) and one
// liveness check per holding process. Most of what remains at rest is the kernel's own work.
import { EventEmitter } from 'node:events';
import { isListeningEntry, type SocketEntry } from '../../../shared/runtime/sockets';
import { SockDiag, type KernelSocket } from './sock-diag';
import { ProcessAttributor, type AttributedProcess } from './processes';

/** How often listening sockets are listed unless told otherwise (palisaded's --poll-interval). */
export const DEFAULT_POLL_INTERVAL_MS = 250;

export interface SocketMonitorOptions {
  pollIntervalMs?: number;
  procRoot?: string;
  passwdPath?: string;
}

export interface ListeningChange {
  added: SocketEntry[];
  removed: SocketEntry[];
  current: SocketEntry[];
}

export interface SocketMonitorStats {
  /** Listening polls completed. */
  polls: number;
  /** Walks of /proc/*\/fd to find socket holders. */
  procScans: number;
  /** sock_diag dumps read synchronously (polls, normally) and through the package's events (snapshots). */
  syncDumps: number;
  asyncDumps: number;
}

interface SocketMonitorEvents {
  'listening-changed': [ListeningChange];
  error: [Error];
}

/** What makes a listening socket the same socket from one poll to the next. */
function socketKey(s: Pick<SocketEntry, 'protocol' | 'family' | 'address' | 'port' | 'inode'>): string {
  return `${s.protocol}/${s.family}/${s.address}/${s.port}/${s.inode}`;
}

function withProcess(socket: KernelSocket, owner: AttributedProcess | undefined): SocketEntry {
  if (!owner) return socket;
  // Object.assign, not a spread: V8 gives every spread copy a hidden class of its own (~500 bytes).
  return Object.assign({}, socket, owner.app ? { process: owner.process, app: owner.app } : { process: owner.process });
}

function ownerOf(entry: SocketEntry): AttributedProcess | undefined {
  if (!entry.process) return undefined;
  return entry.app ? { process: entry.process, app: entry.app } : { process: entry.process };
}

/** Stable order for lists people and tests read: protocol, port, family, address, inode. */
function compareEntries(a: SocketEntry, b: SocketEntry): number {
  return compareText(a.protocol, b.protocol) || a.port - b.port || a.family - b.family
    || compareText(a.address, b.address) || a.inode - b.inode;
}

/** localeCompare, skipped for the equal strings most comparisons of a big list meet. */
function compareText(a: string, b: string): number {
  return a === b ? 0 : a.localeCompare(b);
}

export class SocketMonitor extends EventEmitter<SocketMonitorEvents> {
  private readonly pollIntervalMs: number;
  private readonly diag = new SockDiag();
  private readonly processes: ProcessAttributor;
  private current = new Map<string, SocketEntry>();
  /** The listening() array `current` was built from: when the kernel hands back the same one, nothing changed. */
  private builtFrom: readonly KernelSocket[] | undefined;
  /** Processes holding sockets in `current`, each checked every poll. */
  private owners = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  /** Bumped by start() and stop(): a poll started before either must not publish its result. */
  private generation = 0;
  private running = false;
  private firstPoll: Promise<void> | undefined;
  private polls = 0;

  constructor(opts: SocketMonitorOptions = {}) {
    super();
    this.pollIntervalMs = opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.processes = new ProcessAttributor({
      ...(opts.procRoot !== undefined ? { procRoot: opts.procRoot } : {}),
      ...(opts.passwdPath !== undefined ? { passwdPath: opts.passwdPath } : {}),
    });
  }

  /** Starts polling; resolves once the first poll is done, so listening() is filled in. */
  start(): Promise<void> {
    if (this.running && this.firstPoll) return this.firstPoll;
    this.running = true;
    const generation = ++this.generation;
    this.firstPoll = this.tick(generation);
    return this.firstPoll;
  }

  /** Stops polling and releases the netlink socket. Nothing here keeps the process alive afterwards. */
  stop(): void {
    this.running = false;
    this.generation++;
    this.firstPoll = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.diag.close();
  }

  /** Listening sockets (TCP LISTEN, UDP unconnected) as of the last poll, with their processes. */
  listening(): SocketEntry[] {
    return [...this.current.values()];
  }

  /** Every TCP and UDP socket now, connections included, with their processes. */
  async snapshot(): Promise<SocketEntry[]> {
    const sockets: SocketEntry[] = await this.diag.all();
    const inodes = new Set(sockets.map((s) => s.inode));
    const owners = await this.processes.attribute(inodes);
    // A complete list: whatever is not on it is gone, so the caches can let it go.
    this.processes.retainOnly(inodes);
    // The dump's objects are new and ours: completed in place, not copied (thousands of them).
    for (const socket of sockets) {
      const owner = owners.get(socket.inode);
      if (!owner) continue;
      socket.process = owner.process;
      if (owner.app) socket.app = owner.app;
    }
    return sockets.sort(compareEntries);
  }

  stats(): SocketMonitorStats {
    return { polls: this.polls, procScans: this.processes.scans, ...this.diag.dumpCounts() };
  }

  private async tick(generation: number): Promise<void> {
    try {
      await this.poll(generation);
    } catch (err) {
      // One failed poll (a dump that timed out, /proc racing an exit) must not end monitoring.
      if (generation === this.generation && this.listenerCount('error') > 0) this.emit('error', err as Error);
    }
    if (generation !== this.generation || !this.running) return;
    // One timer per start(), re-armed: a poll at rest allocates as little as it can.
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => void this.tick(generation), this.pollIntervalMs);
    this.timer.unref();
  }

  private async poll(generation: number): Promise<void> {
    const listed = await this.diag.listening();
    // At rest (the same sockets, their holders alive) a poll costs the dump and nothing else.
    if (listed === this.builtFrom && this.ownersAlive()) {
      if (generation === this.generation) this.polls++;
      return;
    }
    const sockets = listed.filter(isListeningEntry);
    const next = new Map<string, SocketEntry>();
    const unattributed: KernelSocket[] = [];
    const alive = new Map<number, boolean>(); // one check per process, however many sockets it holds
    const isAlive = (pid: number): boolean => {
      if (!alive.has(pid)) alive.set(pid, this.processes.isAlive(pid));
      return alive.get(pid) === true;
    };
    for (const socket of sockets) {
      const key = socketKey(socket);
      const known = this.current.get(key);
      // A known socket keeps its process, unless that process has exited while the socket
      // lives on in another one (a socket-activated service, a daemon that forked and left).
      // The kernel's facts are taken fresh: SO_BINDTODEVICE can change after listen().
      if (known && (!known.process || isAlive(known.process.pid))) next.set(key, withProcess(socket, ownerOf(known)));
      else unattributed.push(socket);
    }
    if (unattributed.length > 0) {
      const owners = await this.processes.attribute(unattributed.map((s) => s.inode));
      for (const socket of unattributed) next.set(socketKey(socket), withProcess(socket, owners.get(socket.inode)));
    }
    if (generation !== this.generation) return;
    this.polls++;
    const added = [...next].filter(([key]) => !this.current.has(key)).map(([, entry]) => entry);
    const removed = [...this.current].filter(([key]) => !next.has(key)).map(([, entry]) => entry);
    this.current = new Map([...next].sort(([, a], [, b]) => compareEntries(a, b)));
    this.builtFrom = listed;
    this.owners = new Set([...next.values()].flatMap((e) => (e.process ? [e.process.pid] : [])));
    this.processes.forget(removed.map((e) => e.inode));
    if (added.length > 0 || removed.length > 0) {
      this.emit('listening-changed', { added: added.sort(compareEntries), removed: removed.sort(compareEntries), current: this.listening() });
    }
  }

  /** A holder that exited may have left its socket to another process: that needs the full poll. */
  private ownersAlive(): boolean {
    for (const pid of this.owners) if (!this.processes.isAlive(pid)) return false;
    return true;
  }
}
