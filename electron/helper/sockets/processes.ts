// Which process holds a socket, and which app that process is. The kernel's socket dump gives
// inodes; only /proc/PID/fd links ("socket:[INODE]") say who holds them, and walking every fd
// of every process is the expensive part (research/tech.md §5: ~80 ms for 10k fds), so the walk
// happens only when a dump names an inode the cache cannot place.
import { constants, existsSync, readdirSync, readlinkSync } from 'node:fs';
import { open, readFile, readlink, stat } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AppIdentity } from '../../../shared/policy/schema';
import type { ProcessInfo } from '../../../shared/runtime/sockets';
import { deriveAppIdentity } from '../../../shared/runtime/app-identity';

export interface AttributedProcess {
  process: ProcessInfo;
  app?: AppIdentity;
}

export interface ProcessAttributorOptions {
  /** Where procfs is mounted; tests point this at a fake tree. */
  procRoot?: string;
  /** The user database for uid → name. */
  passwdPath?: string;
}

/** Largest .flatpak-info read; the real file is a few hundred bytes. */
const FLATPAK_INFO_LIMIT = 64 * 1024;
/** Longest stretch the fd walk holds the event loop before letting other work run. */
const WALK_SLICE_MS = 5;

export class ProcessAttributor {
  private readonly procRoot: string;
  private readonly users: UserNames;
  /** inode → pid of the process holding it, as of the last walk (minus holders that exited). */
  private holders = new Map<number, number>();
  /** Inodes a walk found no holder for (kernel-owned, or held where we cannot see): not worth another walk. */
  private readonly orphans = new Set<number>();
  private scanCount = 0;
  /** The newest process the last full walk saw: anything above it started since. */
  private highestWalkedPid = 0;

  constructor(opts: ProcessAttributorOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.users = new UserNames(opts.passwdPath ?? '/etc/passwd');
  }

  /** How many times /proc/*\/fd has been walked. */
  get scans(): number {
    return this.scanCount;
  }

  /**
   * The process (and app) holding each inode that has one. Walks /proc only when an inode is
   * neither cached nor known to be an orphan; inode 0 (TIME_WAIT, request sockets) has no holder.
   */
  async attribute(inodes: Iterable<number>): Promise<Map<number, AttributedProcess>> {
    const wanted = [...new Set(inodes)].filter((inode) => inode !== 0);
    this.dropExitedHolders();
    const unplaced = wanted.filter((inode) => !this.holders.has(inode) && !this.orphans.has(inode));
    if (unplaced.length && !this.placeInLikelyHolders(unplaced)) {
      this.holders = await this.walkFdTables();
      for (const inode of this.orphans) if (this.holders.has(inode)) this.orphans.delete(inode);
      for (const inode of wanted) if (!this.holders.has(inode)) this.orphans.add(inode);
    }
    const pids = new Set<number>();
    for (const inode of wanted) {
      const pid = this.holders.get(inode);
      if (pid !== undefined) pids.add(pid);
    }
    const processes = new Map<number, AttributedProcess>();
    await Promise.all([...pids].map(async (pid) => {
      const found = await this.readProcess(pid);
      if (found) processes.set(pid, found);
    }));
    const result = new Map<number, AttributedProcess>();
    for (const inode of wanted) {
      const pid = this.holders.get(inode);
      const found = pid === undefined ? undefined : processes.get(pid);
      if (found) result.set(inode, found);
    }
    return result;
  }

  /** Whether a process still exists (a zombie counts until it is reaped). */
  isAlive(pid: number): boolean {
    return existsSync(`${this.procRoot}/${pid}`);
  }

  /** Sockets that are gone: their inodes leave the caches. */
  forget(inodes: Iterable<number>): void {
    for (const inode of inodes) {
      this.holders.delete(inode);
      this.orphans.delete(inode);
    }
  }

  /** A complete socket list is known: everything not on it is gone. */
  retainOnly(inodes: ReadonlySet<number>): void {
    for (const inode of this.holders.keys()) if (!inodes.has(inode)) this.holders.delete(inode);
    for (const inode of this.orphans) if (!inodes.has(inode)) this.orphans.delete(inode);
  }

  private dropExitedHolders(): void {
    const alive = new Map<number, boolean>();
    for (const [inode, pid] of this.holders) {
      let isAlive = alive.get(pid);
      if (isAlive === undefined) {
        isAlive = this.isAlive(pid);
        alive.set(pid, isAlive);
      }
      if (!isAlive) this.holders.delete(inode);
    }
  }

  /**
   * A new socket is nearly always held by a process that already holds sockets (a server
   * opening another port) or by one started since the last walk (a program just launched):
   * their fd tables are read first, and the walk of every process is spared when they hold
   * every new inode. That keeps an app's listen() → its port opening quick on a machine with
   * thousands of fds. (A socket a new child shares with its older parent is then credited to
   * the child; the full walk would credit the parent.)
   */
  private placeInLikelyHolders(inodes: readonly number[]): boolean {
    if (this.scanCount === 0) return false; // before the first walk every process is "new"
    const known = new Set(this.holders.values());
    const candidates = readdirSync(this.procRoot).filter((name) => /^\d+$/.test(name)).map(Number)
      .filter((pid) => known.has(pid) || pid > this.highestWalkedPid);
    const wanted = new Set(inodes);
    const found = new Map<number, number>();
    for (const pid of candidates.sort((a, b) => a - b)) {
      for (const inode of this.socketInodesOf(pid)) {
        if (!wanted.has(inode)) continue;
        const holder = found.get(inode);
        if (holder === undefined || preferHolder(pid, holder)) found.set(inode, pid);
      }
    }
    if (found.size < wanted.size) return false;
    for (const [inode, pid] of found) this.holders.set(inode, pid);
    return true;
  }

  /**
   * inode → holder for every socket fd of every process (what `ss -p` does). Synchronous calls
   * are several times faster than promise-based ones for thousands of tiny readlinks, so each
   * process is read in one go and the event loop gets a turn every few milliseconds.
   */
  private async walkFdTables(): Promise<Map<number, number>> {
    this.scanCount++;
    const pids = readdirSync(this.procRoot).filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
    this.highestWalkedPid = pids.at(-1) ?? 0;
    const found = new Map<number, number>();
    let sliceStart = performance.now();
    for (const pid of pids) {
      for (const inode of this.socketInodesOf(pid)) {
        const holder = found.get(inode);
        if (holder === undefined || preferHolder(pid, holder)) found.set(inode, pid);
      }
      if (performance.now() - sliceStart > WALK_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    return found;
  }

  private socketInodesOf(pid: number): number[] {
    const dir = `${this.procRoot}/${pid}/fd`;
    let fds: string[];
    try {
      fds = readdirSync(dir);
    } catch {
      return []; // exited, or not ours to read
    }
    const inodes: number[] = [];
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`${dir}/${fd}`);
      } catch {
        continue; // closed meanwhile
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode !== undefined) inodes.push(Number(inode));
    }
    return inodes;
  }

  /** What identifies the process and its app; undefined if it exited meanwhile. */
  private async readProcess(pid: number): Promise<AttributedProcess | undefined> {
    const dir = `${this.procRoot}/${pid}`;
    const status = await readFile(`${dir}/status`, 'utf8').catch(() => undefined);
    if (status === undefined) return undefined;
    const [exe, cmdline, cwd, environ, cgroup, flatpakInfo] = await Promise.all([
      readlink(`${dir}/exe`).catch(() => null),
      readFile(`${dir}/cmdline`).then(splitNul, () => []),
      readlink(`${dir}/cwd`).catch(() => undefined),
      readFile(`${dir}/environ`).then(splitNul, () => []),
      readFile(`${dir}/cgroup`, 'utf8').catch(() => undefined),
      readSandboxFile(`${dir}/root/.flatpak-info`),
    ]);
    const uid = effectiveUid(status);
    const process: ProcessInfo = { pid, exe, cmdline, uid, user: await this.users.name(uid) };
    // Only APPIMAGE is taken from the environment; nothing else of it is kept.
    const appImage = environ.find((entry) => entry.startsWith('APPIMAGE='))?.slice('APPIMAGE='.length);
    const app = deriveAppIdentity({ exe, cmdline, cwd, cgroup: cgroup && unifiedCgroupPath(cgroup), flatpakInfo, appImage });
    return app ? { process, app } : { process };
  }
}

/**
 * A socket shared by several processes is credited to the lowest pid (usually the parent that
 * opened it), except that init holding a socket-activated listener yields to the service it
 * started.
 */
function preferHolder(candidate: number, current: number): boolean {
  if (current === 1) return candidate !== 1;
  return candidate !== 1 && candidate < current;
}

function splitNul(data: Buffer): string[] {
  const parts = data.toString('utf8').split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** The effective uid, as `ps` shows it; -1 if the status has no Uid line. */
function effectiveUid(status: string): number {
  const ids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  return ids?.[2] === undefined ? -1 : Number(ids[2]);
}

/** The cgroup v2 path (`0::/...`), or the whole text on a v1-only system. */
function unifiedCgroupPath(text: string): string {
  return /^0::(.*)$/m.exec(text)?.[1] ?? text;
}

/**
 * Reads a small regular file inside another process's root. That root is the process's own
 * filesystem, so the file may be a FIFO (a read would block forever), a device, or a symlink
 * that resolves against the helper's root: only a regular file, not followed, bounded, is read.
 */
async function readSandboxFile(path: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const buffer = Buffer.alloc(FLATPAK_INFO_LIMIT);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/** uid → login name from the passwd file, re-read only when a uid is unknown and the file changed. */
class UserNames {
  private names = new Map<number, string>();
  /** mtime and size of the file as last read: a cheap "has it changed". */
  private loadedVersion = '';

  constructor(private readonly passwdPath: string) {}

  async name(uid: number): Promise<string | null> {
    const known = this.names.get(uid);
    if (known !== undefined) return known;
    await this.reloadIfChanged();
    return this.names.get(uid) ?? null;
  }

  private async reloadIfChanged(): Promise<void> {
    try {
      const { mtimeMs, size } = await stat(this.passwdPath);
      const version = `${mtimeMs}/${size}`;
      if (version === this.loadedVersion) return;
      const text = await readFile(this.passwdPath, 'utf8');
      const names = new Map<number, string>();
      for (const line of text.split('\n')) {
        const [name, , uid] = line.split(':');
        if (name && uid && /^\d+$/.test(uid) && !names.has(Number(uid))) names.set(Number(uid), name);
      }
      this.names = names;
      this.loadedVersion = version;
    } catch {
      // No readable passwd file: names stay unknown.
    }
  }
}
