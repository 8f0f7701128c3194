// palisaded as installs run it, for the benchmarks: the esbuild bundle (test/support/helper-bundle.ts)
// started in the lab's host namespace on the stack's private bus, and what /proc says about its
// CPU time and memory.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { HelperBundle } from '../../test/support/helper-bundle';
import type { Stack } from '../../test/support/stack';

/**
 * Replaces the stack's helper with `node BUNDLE` (same policy, bus and namespace); resolves with
 * its pid once it serves. The stack then owns it: stack.stopHelper() and stack.stop() end it.
 * No poll interval means the helper's own default, as installed.
 */
export async function startBundledHelper(stack: Stack, bundle: HelperBundle, pollIntervalMs: number | undefined): Promise<number> {
  await stack.stopHelper('SIGTERM');
  await stack.startHelper({ bundle: bundle.path, pollIntervalMs: pollIntervalMs ?? 'default' });
  const pid = stack.helper?.pid;
  if (pid === undefined) throw new Error('palisaded has no pid');
  return pid;
}

/** Clock ticks per second, the unit of utime and stime in /proc/PID/stat. */
export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of a process (all its threads), in seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export interface Memory {
  /** VmRSS: resident now. */
  rssMiB: number;
  /** VmHWM: the resident peak. */
  hwmMiB: number;
  /** RssAnon: the process's own memory; the rest of VmRSS is mostly the node binary's pages, shared. */
  anonMiB: number;
}

/** From /proc/PID/status, in MiB. */
export async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const mib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rssMiB: mib('VmRSS'), hwmMiB: mib('VmHWM'), anonMiB: mib('RssAnon') };
}
