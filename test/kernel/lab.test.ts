// The lab must leave nothing behind: not after destroy(), not when a test throws, not when the
// run is interrupted (SIGINT/SIGTERM), and a run killed with -9 is cleaned up by the next one.
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Lab, reapStaleLabs, withLab } from '../lab/lab';

const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
const holdLab = fileURLToPath(new URL('../support/hold-lab.ts', import.meta.url));

/** Starts a process holding a lab; resolves with the lab's namespace names once it is built. */
async function startHolder() {
  // `node --import tsx`, not the tsx CLI: the CLI runs the script in a child process, and the
  // signals here must reach the process that owns the lab.
  const child = spawn(process.execPath, ['--import', 'tsx', holdLab], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, ns: JSON.parse(line) as { host: string; outside: string } };
}

describe('the lab cleans up', () => {
  it('destroy() removes both namespaces and the listener process', async () => {
    const lab = await Lab.create({ links: 2 });
    const listener = await lab.listen([{ protocol: 'udp', address: '::', port: 5000 }]);
    expect(namespaces()).toEqual(expect.arrayContaining([lab.hostNs, lab.outsideNs]));
    await lab.destroy();
    expect(namespaces()).not.toContain(lab.hostNs);
    expect(namespaces()).not.toContain(lab.outsideNs);
    expect(() => process.kill(listener.pid, 0)).toThrow();
  });

  it('withLab removes the lab when the body throws', async () => {
    let made = '';
    await expect(withLab(async (lab) => { made = lab.hostNs; throw new Error('test failed'); })).rejects.toThrow('test failed');
    expect(made).not.toBe('');
    expect(namespaces()).not.toContain(made);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('an interrupted run (%s) removes its lab', async (signal) => {
    const { child, exited, ns } = await startHolder();
    expect(namespaces()).toContain(ns.host);
    child.kill(signal);
    await exited;
    expect(namespaces()).not.toContain(ns.host);
    expect(namespaces()).not.toContain(ns.outside);
  });

  it('a run killed with -9 leaves its lab to the next run, which reaps it', async () => {
    const { child, exited, ns } = await startHolder();
    child.kill('SIGKILL');
    await exited;
    // The listener keeps the namespace alive until the reaper kills it.
    expect(namespaces()).toContain(ns.host);
    const reaped = reapStaleLabs();
    expect(reaped).toEqual(expect.arrayContaining([ns.host, ns.outside]));
    expect(namespaces()).not.toContain(ns.host);
    expect(namespaces()).not.toContain(ns.outside);
  });
});
