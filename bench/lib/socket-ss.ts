// What `ss -tuapne` says about each socket, for checking that Palisade lists the same sockets
// held by the same processes: inode → every pid holding it. And what `ss -p` has to read.
import { readdir } from 'node:fs/promises';

/**
 * Open file descriptors of every process on the machine: `ss -p` reads all of their links on
 * every run (/proc is the machine's, whatever the network namespace), so its time depends on them.
 */
export async function machineFds(): Promise<{ processes: number; fds: number }> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const counts = await Promise.all(pids.map((pid) => readdir(`/proc/${pid}/fd`).then((fds) => fds.length, () => 0)));
  return { processes: pids.length, fds: counts.reduce((a, b) => a + b, 0) };
}

export function holdersByInode(ssOutput: string): Map<number, number[]> {
  const holders = new Map<number, number[]>();
  for (const line of ssOutput.split('\n')) {
    const inode = /\bino:(\d+)/.exec(line)?.[1];
    if (inode === undefined) continue;
    const pids = [...line.matchAll(/\bpid=(\d+)/g)].map((m) => Number(m[1]));
    holders.set(Number(inode), pids);
  }
  return holders;
}

export interface ListingComparison {
  palisade: number;
  ss: number;
  /** Inodes one lists and the other does not. */
  onlyPalisade: number;
  onlySs: number;
  /** Sockets both list whose process Palisade names is not one ss names. */
  otherProcess: number;
}

/** Compares Palisade's entries (inode, pid) with `ss -tuapne`'s; inode 0 (no socket file) is skipped. */
export function compareListings(palisade: readonly { inode: number; process?: { pid: number } | undefined }[], ss: Map<number, number[]>): ListingComparison {
  let onlyPalisade = 0;
  let otherProcess = 0;
  const seen = new Set<number>();
  for (const entry of palisade) {
    if (entry.inode === 0) continue;
    seen.add(entry.inode);
    const pids = ss.get(entry.inode);
    if (!pids) onlyPalisade++;
    else if (entry.process === undefined ? pids.length > 0 : !pids.includes(entry.process.pid)) otherProcess++;
  }
  const onlySs = [...ss.keys()].filter((inode) => inode !== 0 && !seen.has(inode)).length;
  return { palisade: palisade.length, ss: ss.size, onlyPalisade, onlySs, otherProcess };
}
