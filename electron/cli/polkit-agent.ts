// A text authentication agent for changes made from a terminal, as systemctl does: pkttyagent
// asks for the administrator password on the terminal when polkit wants one.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Starts pkttyagent for this process; resolves once it is registered (or at once if unavailable). */
export async function startTtyAgent(): Promise<ChildProcess | undefined> {
  let agent: ChildProcess;
  try {
    agent = spawn('pkttyagent', ['--process', String(process.pid), '--notify-fd', '3', '--fallback'], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
  } catch {
    return undefined;
  }
  const ready = await new Promise<boolean>((resolve) => {
    agent.once('error', () => resolve(false));
    agent.once('exit', () => resolve(false));
    // pkttyagent closes the notify fd once it is registered with polkit.
    const notify = agent.stdio[3] as Readable | null;
    notify?.once('close', () => resolve(true));
    notify?.resume();
  });
  return ready ? agent : undefined;
}
