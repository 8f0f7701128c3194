// palisaded as installs run it, for the benchmarks: the esbuild bundle (`scripts/build.mjs
// helper`, built into a temporary directory so dist/ stays untouched) started in the lab's host
// namespace on the stack's private bus, and what /proc says about its CPU time and memory.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { registerTeardown } from '../../test/lab/cleanup';
import type { Stack } from '../../test/support/stack';
import { run } from '../../test/lab/command';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface HelperBundle {
  /** dist/palisaded.cjs of a fresh build. */
  path: string;
  dispose(): Promise<void>;
}

export async function buildHelperBundle(): Promise<HelperBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-bench-helper-'));
  const unregister = registerTeardown(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await run([process.execPath, join(ROOT, 'scripts/build.mjs'), '--out', dir, 'helper']);
  } catch (err) {
    unregister();
    throw err;
  }
  return { path: join(dir, 'palisaded.cjs'), dispose: async () => { unregister(); await rm(dir, { recursive: true, force: true }); } };
}

/**
 * Replaces the stack's helper with `node BUNDLE` (same policy, bus and namespace); resolves with
 * its pid once it serves. The stack then owns it: stack.stopHelper() and stack.stop() end it.
 */
export async function startBundledHelper(stack: Stack, bundle: HelperBundle, pollIntervalMs: number | undefined): Promise<number> {
  await stack.stopHelper('SIGTERM');
  const tmp = join(stack.dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  // No --poll-interval: the helper's own default, as installed.
  const poll = pollIntervalMs === undefined ? [] : ['--poll-interval', String(pollIntervalMs)];
  const argv = [process.execPath, bundle.path, '--policy', stack.policyPath, ...poll];
  const child = stack.lab.spawn('host', argv, { env: stack.bus.env({ TMPDIR: tmp }) });
  stack.helper = child;
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: child.stderr as NodeJS.ReadableStream });
    rl.on('line', (line) => {
      log += `${line}\n`;
      if (line.includes('serving org.palisade.Firewall1')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`palisaded exited (${code ?? signal}) before serving:\n${log}`)));
  });
  if (child.pid === undefined) throw new Error('palisaded has no pid');
  return child.pid;
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
