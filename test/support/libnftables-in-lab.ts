// The helper's libnftables runner, working in a lab namespace: a driver process inside it runs
// each request (test/support/libnftables-driver.ts), so the adapter can be tested through the
// same runner the helper uses, against the lab's kernel table and not the host's.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NftOutcome, NftRun, NftRunner } from '../../electron/helper/nft-runner';
import type { Lab } from '../lab/lab';

const DRIVER = fileURLToPath(new URL('./libnftables-driver.ts', import.meta.url));

type Reply = { id: number; outcome?: NftOutcome; error?: string };

export class LibnftablesInLab implements NftRunner {
  readonly description = 'libnftables, in a driver process in the lab';
  private nextId = 0;
  private readonly replies = new Map<number, (reply: Reply) => void>();
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    child.stderr?.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    child.once('exit', (code) => {
      for (const answer of this.replies.values()) answer({ id: -1, error: `the libnftables driver exited (${code}): ${this.stderr}` });
      this.replies.clear();
    });
  }

  static async start(lab: Lab): Promise<LibnftablesInLab> {
    const child = lab.spawn('host', [process.execPath, '--import', 'tsx', DRIVER], { stdin: 'pipe' });
    const runner = new LibnftablesInLab(child);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the libnftables driver exited (${code}) before it was ready: ${runner.stderr}`)));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        const reply = JSON.parse(line) as Reply | { ready: true };
        if ('ready' in reply) return resolve();
        runner.replies.get(reply.id)?.(reply);
        runner.replies.delete(reply.id);
      });
    });
    return runner;
  }

  run(run: NftRun): Promise<NftOutcome> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.replies.set(id, (reply) => (reply.outcome ? resolve(reply.outcome) : reject(new Error(reply.error))));
      this.child.stdin?.write(`${JSON.stringify({ id, run })}\n`);
    });
  }

  /** Closing stdin ends the driver. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.end();
    await exited;
  }
}
