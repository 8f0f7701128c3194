// nft's own library, called in the helper's process. Running the nft command costs a process
// start per change, which in a process of the helper's size is most of a rule change's time
// (bench/findings.md); libnftables takes the same JSON and nft syntax and answers with the
// same text, as firewalld uses it. koffi calls it without a compiled binding of our own.
import type * as KoffiModule from 'koffi';
import type { NftOutcome, NftRun, NftRunner } from './nft-runner';

type Koffi = typeof KoffiModule;

/** From <nftables/libnftables.h>. */
const NFT_CTX_DEFAULT = 0;
const NFT_CTX_OUTPUT_JSON = 1 << 4;

interface Bindings {
  ctx: unknown;
  setOutputFlags(ctx: unknown, flags: number): void;
  setDryRun(ctx: unknown, dryRun: boolean): void;
  outputBuffer(ctx: unknown): string | null;
  errorBuffer(ctx: unknown): string | null;
  runCommands: ReturnType<ReturnType<Koffi['load']>['func']>;
}

export class Libnftables implements NftRunner {
  readonly description = 'libnftables, in process';
  /** One context, used by one run at a time: its settings and buffers are per run. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly lib: Bindings) {}

  /**
   * Loads koffi and libnftables.so.1 and makes a context; throws with the reason when it cannot.
   * koffi is imported here, not at the top: its native part fails to load on a platform it has
   * no build for, and the helper must still start then (with the nft command).
   */
  static async open(): Promise<Libnftables> {
    // koffi's module is one CommonJS object whose names Node cannot see from ESM: take it whole.
    const koffi = ((await import('koffi')) as unknown as { default: Koffi }).default;
    const lib = koffi.load('libnftables.so.1');
    const newContext = lib.func('void *nft_ctx_new(uint32_t flags)');
    const bufferOutput = lib.func('int nft_ctx_buffer_output(void *ctx)');
    const bufferError = lib.func('int nft_ctx_buffer_error(void *ctx)');
    const ctx = newContext(NFT_CTX_DEFAULT) as unknown;
    if (!ctx) throw new Error('nft_ctx_new returned no context');
    if (bufferOutput(ctx) !== 0 || bufferError(ctx) !== 0) throw new Error('libnftables could not buffer its output');
    return new Libnftables({
      ctx,
      setOutputFlags: lib.func('void nft_ctx_output_set_flags(void *ctx, unsigned int flags)'),
      setDryRun: lib.func('void nft_ctx_set_dry_run(void *ctx, bool dry)'),
      outputBuffer: lib.func('const char *nft_ctx_get_output_buffer(void *ctx)'),
      errorBuffer: lib.func('const char *nft_ctx_get_error_buffer(void *ctx)'),
      runCommands: lib.func('int nft_run_cmd_from_buffer(void *ctx, const char *buf)'),
    });
  }

  run(run: NftRun): Promise<NftOutcome> {
    const result = this.queue.then(() => this.runNow(run));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runNow({ commands, json, dryRun }: NftRun): Promise<NftOutcome> {
    const { ctx } = this.lib;
    this.lib.setOutputFlags(ctx, json ? NFT_CTX_OUTPUT_JSON : 0);
    this.lib.setDryRun(ctx, dryRun);
    // On a worker thread: a whole table takes the kernel tens of milliseconds, and the helper
    // keeps answering meanwhile.
    const rc = await new Promise<number>((resolve, reject) => {
      this.lib.runCommands.async(ctx, commands, (err: unknown, value: number) => (err ? reject(err as Error) : resolve(value)));
    });
    // Reading a buffer hands it over and empties it for the next run.
    const output = this.lib.outputBuffer(ctx) ?? '';
    const error = this.lib.errorBuffer(ctx) ?? '';
    return { ok: rc === 0, output, error: rc === 0 ? error : error || `libnftables failed (${rc}) without a message` };
  }
}
