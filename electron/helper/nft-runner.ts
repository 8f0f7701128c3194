// How nft commands reach the kernel. The helper runs them in its own process through
// libnftables (./libnftables.ts); the `nft` command does the same work in a process of its own,
// for tests that drive a lab namespace from outside it and where libnftables cannot be loaded.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What `nft [-c] [-j] COMMANDS` does: `commands` is a JSON document or nft's own syntax. */
export interface NftRun {
  commands: string;
  /** JSON output (and JSON input, which nft accepts whenever it is set). */
  json: boolean;
  /** Check against the kernel without committing (`nft -c`). */
  dryRun: boolean;
}

export interface NftOutcome {
  ok: boolean;
  output: string;
  /** nft's error text, the same in or out of process. */
  error: string;
}

export interface NftRunner {
  /** For the helper's log: which way nft is run. */
  readonly description: string;
  run(run: NftRun): Promise<NftOutcome>;
}

/** Commands up to this size go to nft as its argument (the kernel caps one at 128 KiB). */
const INLINE_COMMAND_BYTES = 64 * 1024;

/** Runs the nft command, one process per run. */
export class NftProcess implements NftRunner {
  readonly description: string;

  /** `command` runs nft, e.g. `['nft']` or `['ip', 'netns', 'exec', 'ns1', 'nft']`. */
  constructor(private readonly command: readonly string[] = ['nft'], private readonly timeoutMs = 30_000) {
    this.description = `the ${command.join(' ')} command`;
  }

  async run({ commands, json, dryRun }: NftRun): Promise<NftOutcome> {
    const flags = [...(dryRun ? ['-c'] : []), ...(json ? ['-j'] : [])];
    if (Buffer.byteLength(commands) <= INLINE_COMMAND_BYTES) return this.spawn([...flags, commands]);
    // nft reads `-f -` by opening /dev/stdin, which fails on the socket pairs Node uses for a
    // child's stdio: a large transaction goes through a private file that lives only for the run.
    const dir = await mkdtemp(join(tmpdir(), 'palisade-nft-'));
    try {
      const path = join(dir, 'transaction');
      await writeFile(path, commands, { mode: 0o600 });
      return await this.spawn([...flags, '-f', path]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private spawn(args: readonly string[]): Promise<NftOutcome> {
    const [file, ...prefix] = this.command;
    if (!file) throw new Error('empty nft command');
    return new Promise((resolve, reject) => {
      const child = spawn(file, [...prefix, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: this.timeoutMs });
      let output = '';
      let error = '';
      child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { error += d.toString(); });
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ ok: code === 0, output, error: code === 0 ? error : error || `nft exited with ${code ?? signal}` }));
      child.stdin.end();
    });
  }
}
