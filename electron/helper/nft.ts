// The nftables adapter: the only code that changes or reads Palisade's table. Every change is
// checked first (nft's dry run) and then applied as one JSON transaction; nft's own error text
// reaches the caller, and a document that fails the check is never applied.
import type { NftDocument } from '../../shared/nft/json';
import { TABLE_FAMILY, TABLE_NAME } from '../../shared/compiler/layout';
import { Libnftables } from './libnftables';
import { NftProcess, type NftOutcome, type NftRunner } from './nft-runner';

export class NftError extends Error {
  constructor(readonly operation: 'check' | 'apply' | 'list' | 'remove', readonly nftMessage: string) {
    super(`nft ${operation} failed: ${nftMessage.trim()}`);
    this.name = 'NftError';
  }
}

export interface NftAdapterOptions {
  /** How nft runs; the default is the nft command. */
  runner?: NftRunner;
  /** Shorthand for an NftProcess runner: e.g. `['ip', 'netns', 'exec', 'ns1', 'nft']`. */
  command?: readonly string[];
}

/**
 * The helper's way to nftables: libnftables in its own process, or the nft command when the
 * library cannot be loaded (told to `log`, with the reason).
 */
export async function openNftRunner(log: (message: string) => void): Promise<NftRunner> {
  try {
    return await Libnftables.open();
  } catch (err) {
    log(`palisaded: libnftables could not be loaded (${(err as Error).message}); running the nft command instead`);
    return new NftProcess();
  }
}

/** A listing as `nft -j list` returns it: metainfo, then one object per table/chain/set/map/rule. */
export type NftListing = { nftables: Record<string, unknown>[] };

export class NftAdapter {
  private readonly runner: NftRunner;

  constructor(opts: NftAdapterOptions = {}) {
    this.runner = opts.runner ?? new NftProcess(opts.command);
  }

  get description(): string {
    return this.runner.description;
  }

  private json(doc: NftDocument, dryRun = false): Promise<NftOutcome> {
    return this.runner.run({ commands: JSON.stringify(doc), json: true, dryRun });
  }

  /** Asks the kernel whether the transaction would be accepted, without committing it. */
  async check(doc: NftDocument): Promise<void> {
    const res = await this.json(doc, true);
    if (!res.ok) throw new NftError('check', res.error);
  }

  private async commit(doc: NftDocument): Promise<void> {
    const res = await this.json(doc);
    if (!res.ok) throw new NftError('apply', res.error);
  }

  /** Checks, then commits the transaction atomically. */
  async apply(doc: NftDocument): Promise<void> {
    await this.check(doc);
    await this.commit(doc);
  }

  /**
   * Commits an element-only transaction without the separate check: adding or removing set
   * and map elements cannot leave a half-applied table (nft sends one batch, the kernel takes
   * all of it or none), and the check would double the time of every profile switch, app
   * opening and plain rule change.
   */
  async applyElements(doc: NftDocument): Promise<void> {
    await this.commit(doc);
  }

  /** Palisade's table as the kernel holds it, or null when there is none. */
  async readTable(): Promise<NftListing | null> {
    const output = await this.listTable(true);
    return output === null ? null : (JSON.parse(output) as NftListing);
  }

  /** The table in nft's text syntax, for people to read (`palisade ruleset`). */
  readTableText(): Promise<string | null> {
    return this.listTable(false);
  }

  private async listTable(json: boolean): Promise<string | null> {
    const res = await this.runner.run({ commands: `list table ${TABLE_FAMILY} ${TABLE_NAME}`, json, dryRun: false });
    if (res.ok) return res.output;
    if (/No such file or directory/.test(res.error)) return null;
    throw new NftError('list', res.error);
  }

  /** Removes Palisade's table, if present; nothing else. */
  async removeTable(): Promise<void> {
    const table = { family: TABLE_FAMILY, name: TABLE_NAME };
    const res = await this.json({ nftables: [{ add: { table } }, { delete: { table } }] });
    if (!res.ok) throw new NftError('remove', res.error);
  }
}
