// A child process spoken to in JSON lines (the prober, the app): send a command, await the
// answer that matches it.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export class LineProcess {
  private readonly waiters: { match: (o: Record<string, unknown>) => boolean; resolve: (o: Record<string, unknown>) => void }[] = [];
  private stderr = '';

  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      const index = this.waiters.findIndex((w) => w.match(message));
      if (index >= 0) this.waiters.splice(index, 1)[0]?.resolve(message);
    });
    child.stderr?.on('data', (d: Buffer) => { this.stderr += d.toString(); });
  }

  /** Wraps a child started with stdin and stdout pipes; resolves once it says it is ready. */
  static async start(child: ChildProcess): Promise<LineProcess> {
    const p = new LineProcess(child);
    await Promise.race([
      p.next((m) => m.ready === true),
      new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`exited (${code}) before ready: ${p.stderr}`)))),
    ]);
    return p;
  }

  next(match: (message: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms${this.stderr ? `: ${this.stderr}` : ''}`)), timeoutMs);
      this.waiters.push({ match, resolve: (m) => { clearTimeout(timer); resolve(m); } });
    });
  }

  send(command: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Nanoseconds (as JSON strings) → milliseconds between two process.hrtime readings. */
export const msBetween = (from: string | bigint, to: string | bigint): number => Number(BigInt(to) - BigInt(from)) / 1e6;
