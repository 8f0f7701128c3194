// The nftables adapter: the only code that runs `nft`. Every change is checked with `nft -c`
// first and then applied as one JSON transaction; nft's own error text reaches the caller, and
// a document that fails the check is never applied.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NftDocument } from '../../shared/nft/json';
import { TABLE_FAMILY, TABLE_NAME } from '../../shared/compiler/layout';

/** Documents up to this size go to nft as its argument (the kernel caps one at 128 KiB). */
const INLINE_DOCUMENT_BYTES = 64 * 1024;

export class NftError extends Error {
  constructor(readonly operation: 'check' | 'apply' | 'list' | 'remove', readonly nftMessage: string, readonly exitCode: number | null) {
    super(`nft ${operation} failed: ${nftMessage.trim() || `exit code ${exitCode}`}`);
    this.name = 'NftError';
  }
}

export interface NftAdapterOptions {
  /** The command that runs nft, e.g. `['nft']` or `['ip', 'netns', 'exec', 'ns1', 'nft']`. */
  command?: readonly string[];
  timeoutMs?: number;
}

/** A listing as `nft -j list` returns it: metainfo, then one object per table/chain/set/map/rule. */
export type NftListing = { nftables: Record<string, unknown>[] };

export class NftAdapter {
  private readonly command: readonly string[];
  private readonly timeoutMs: number;

  constructor(opts: NftAdapterOptions = {}) {
    this.command = opts.command ?? ['nft'];
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /**
   * nft reads `-f -` by opening /dev/stdin, which fails on the socket pairs Node uses for a
   * child's stdio, and one argument is capped at 128 KiB; so a large transaction goes through a
   * private file that lives only for the call. A small one (an element change) is passed as
   * nft's argument: no file to create and remove on the way of every rule change.
   */
  private async withDocument<T>(doc: NftDocument, body: (input: readonly string[]) => Promise<T>): Promise<T> {
    const text = JSON.stringify(doc);
    if (Buffer.byteLength(text) <= INLINE_DOCUMENT_BYTES) return body([text]);
    const dir = await mkdtemp(join(tmpdir(), 'palisade-nft-'));
    try {
      const path = join(dir, 'transaction.json');
      await writeFile(path, text, { mode: 0o600 });
      return await body(['-f', path]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const [file, ...prefix] = this.command;
    if (!file) throw new Error('empty nft command');
    return new Promise((resolve, reject) => {
      const child = spawn(file, [...prefix, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: this.timeoutMs });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end();
    });
  }

  /** Asks the kernel whether the transaction would be accepted, without committing it. */
  async check(doc: NftDocument): Promise<void> {
    await this.withDocument(doc, (input) => this.checkDocument(input));
  }

  private async checkDocument(input: readonly string[]): Promise<void> {
    const res = await this.run(['-c', '-j', ...input]);
    if (res.code !== 0) throw new NftError('check', res.stderr, res.code);
  }

  private async commitDocument(input: readonly string[]): Promise<void> {
    const res = await this.run(['-j', ...input]);
    if (res.code !== 0) throw new NftError('apply', res.stderr, res.code);
  }

  /** Checks, then commits the transaction atomically. */
  async apply(doc: NftDocument): Promise<void> {
    await this.withDocument(doc, async (input) => {
      await this.checkDocument(input);
      await this.commitDocument(input);
    });
  }

  /**
   * Commits an element-only transaction without the separate check: adding or removing set
   * and map elements cannot leave a half-applied table (nft sends one batch, the kernel takes
   * all of it or none), and the check would double the time of every profile switch, app
   * opening and plain rule change.
   */
  async applyElements(doc: NftDocument): Promise<void> {
    await this.withDocument(doc, (input) => this.commitDocument(input));
  }

  /** Palisade's table as the kernel holds it, or null when there is none. */
  async readTable(): Promise<NftListing | null> {
    const res = await this.run(['-j', 'list', 'table', TABLE_FAMILY, TABLE_NAME]);
    if (res.code !== 0) {
      if (/No such file or directory/.test(res.stderr)) return null;
      throw new NftError('list', res.stderr, res.code);
    }
    return JSON.parse(res.stdout) as NftListing;
  }

  /** The table in nft's text syntax, for people to read (`palisade ruleset`). */
  async readTableText(): Promise<string | null> {
    const res = await this.run(['list', 'table', TABLE_FAMILY, TABLE_NAME]);
    if (res.code !== 0) {
      if (/No such file or directory/.test(res.stderr)) return null;
      throw new NftError('list', res.stderr, res.code);
    }
    return res.stdout;
  }

  /** Removes Palisade's table, if present; nothing else. */
  async removeTable(): Promise<void> {
    const table = { family: TABLE_FAMILY, name: TABLE_NAME };
    await this.withDocument({ nftables: [{ add: { table } }, { delete: { table } }] }, async (input) => {
      const res = await this.run(['-j', ...input]);
      if (res.code !== 0) throw new NftError('remove', res.stderr, res.code);
    });
  }
}
