// The whole Palisade stack for system tests: the lab's namespaces; a private system bus with the
// shipped bus policy and a real polkitd with the shipped polkit actions; palisaded running inside
// the lab's host namespace on that bus; the palisade CLI as root or as an unprivileged user; and,
// when asked for, a NetworkManager stand-in on the bus.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { Lab } from '../lab/lab';
import { PrivateSystemBus } from '../lab/bus';
import { registerTeardown } from '../lab/cleanup';
import { FirewallClient } from '../../electron/client/firewall-client';
import type { PolicyInput } from '../../shared/policy/schema';
import { startFakeNetworkManager, type FakeNetworkManager } from './fake-networkmanager';
import { TEST_USER, ensureTestUser } from './test-user';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const path = (p: string) => join(ROOT, p);

export interface CliResult { code: number; stdout: string; stderr: string }

export interface StackOptions {
  links?: number;
  /** Start a NetworkManager stand-in on the bus before the helper (which then follows it). */
  networkManager?: boolean;
  /** Let lab services (the NetworkManager stand-in, "Scan me") own names on the bus. */
  labServices?: boolean;
  /** polkit rules files for the lab's polkitd, as an administrator would install them. */
  polkitRules?: string[];
  /** Initial policy file; none means a first start with defaults. */
  policy?: PolicyInput;
  /** Socket poll interval; 'default' runs the helper with its shipped default (benchmarks). */
  pollIntervalMs?: number | 'default';
  /** More palisaded options (e.g. a small drop-log capacity). */
  helperArgs?: string[];
  /** Node options for the helper's process (e.g. --cpu-prof when profiling a benchmark). */
  nodeArgs?: string[];
  /** Run this built palisaded.cjs (test/support/helper-bundle.ts) instead of the source. */
  helperBundle?: string;
}

let cliBundle: Promise<string> | undefined;
/** dbus-next's optional X11 session-bus lookup and fd passing: never used on the system bus. */
const DBUS_NEXT_OPTIONAL = ['x11', 'usocket'];

/** The CLI as one file in a world-readable directory, so an unprivileged user can run it. */
export function bundledCli(): Promise<string> {
  cliBundle ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-cli-'));
    registerTeardown(() => rmSync(dir, { recursive: true, force: true }));
    await chmod(dir, 0o755);
    const outfile = join(dir, 'palisade.cjs');
    await build({ entryPoints: [path('electron/cli/run.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile, logLevel: 'error', external: DBUS_NEXT_OPTIONAL });
    await chmod(outfile, 0o755);
    return outfile;
  })();
  return cliBundle;
}

function collect(child: ChildProcess, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (input !== undefined) child.stdin?.end(input);
  });
}

export class Stack {
  helper: ChildProcess | undefined;
  /** Everything the helper wrote to stderr, across restarts. */
  helperLog = '';
  private readonly unregister: () => void;

  private constructor(
    readonly lab: Lab,
    readonly bus: PrivateSystemBus,
    readonly dir: string,
    readonly networkManager: FakeNetworkManager | undefined,
    private readonly pollIntervalMs: number | 'default',
    private readonly helperArgs: readonly string[],
    private readonly nodeArgs: readonly string[],
  ) {
    this.unregister = registerTeardown(() => {
      if (this.helper && this.helper.exitCode === null) this.helper.kill('SIGKILL');
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  get policyPath(): string {
    return join(this.dir, 'policy.json');
  }

  static async start(opts: StackOptions = {}): Promise<Stack> {
    ensureTestUser();
    const lab = await Lab.create({ links: opts.links ?? 2 });
    let bus: PrivateSystemBus | undefined;
    try {
      bus = await PrivateSystemBus.start({ includes: [path('build/linux/org.palisade.Firewall1.conf')], allowAnyOwner: opts.networkManager === true || opts.labServices === true });
      await bus.startPolkit({ actions: [path('build/linux/org.palisade.firewall.policy')], ...(opts.polkitRules ? { rules: opts.polkitRules } : {}) });
      const nm = opts.networkManager ? await startFakeNetworkManager(bus.address) : undefined;
      const dir = await mkdtemp(join(tmpdir(), 'palisade-stack-'));
      const stack = new Stack(lab, bus, dir, nm, opts.pollIntervalMs ?? 100, opts.helperArgs ?? [], opts.nodeArgs ?? []);
      if (opts.policy) await writeFile(stack.policyPath, JSON.stringify(opts.policy, null, 2));
      await stack.startHelper(opts.helperBundle ? { bundle: opts.helperBundle } : {});
      return stack;
    } catch (err) {
      await bus?.stop();
      await lab.destroy();
      throw err;
    }
  }

  /**
   * Starts palisaded in the lab's host namespace, from the source or from a built `bundle`
   * (test/support/helper-bundle.ts); resolves once it serves on the bus.
   */
  async startHelper(opts: { bundle?: string; pollIntervalMs?: number | 'default' } = {}): Promise<void> {
    const interval = opts.pollIntervalMs ?? this.pollIntervalMs;
    const poll = interval === 'default' ? [] : ['--poll-interval', String(interval)];
    const program = opts.bundle ? [opts.bundle] : ['--import', 'tsx', path('electron/helper/run.ts')];
    const argv = [process.execPath, ...this.nodeArgs, ...program, '--policy', this.policyPath, ...poll, ...this.helperArgs];
    // The helper's temporary files (nft transactions) stay inside the stack, even if it is killed.
    const tmp = join(this.dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    const child = this.lab.spawn('host', argv, { env: this.bus.env({ TMPDIR: tmp }) });
    this.helper = child;
    await new Promise<void>((resolve, reject) => {
      const rl = createInterface({ input: child.stderr as NodeJS.ReadableStream });
      rl.on('line', (line) => {
        this.helperLog += `${line}\n`;
        if (line.includes('serving org.palisade.Firewall1')) resolve();
      });
      child.once('exit', (code, signal) => reject(new Error(`palisaded exited (${code ?? signal}) before serving:\n${this.helperLog}`)));
    });
  }

  /** Stops the helper the way systemd does (SIGTERM), or kills it (SIGKILL). */
  async stopHelper(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.helper;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
    this.helper = undefined;
  }

  /** Runs the palisade CLI: as root from the source, or as the unprivileged test user from a bundle. */
  async cli(args: string[], opts: { asUser?: boolean; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
    const env = { ...this.bus.env(), ...opts.env };
    delete env.SSH_CONNECTION;
    Object.assign(env, opts.env);
    const argv = opts.asUser
      ? ['runuser', '-u', TEST_USER, '--', process.execPath, await bundledCli(), ...args]
      : [process.execPath, path('bin/palisade.mjs'), ...args];
    const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    return collect(child, opts.input);
  }

  /** A D-Bus client of the helper, as root. */
  client(): Promise<FirewallClient> {
    return FirewallClient.connect({ busAddress: this.bus.address });
  }

  /** nft in the lab's host namespace (where the helper's table lives). */
  async nft(args: string[]): Promise<string> {
    return (await this.lab.exec('host', ['nft', ...args])).stdout;
  }

  /** The helper's table as text, without counters, so two listings compare on rules alone. */
  async ruleset(): Promise<string> {
    const text = await this.lab.exec('host', ['nft', 'list', 'table', 'inet', 'palisade'], { allowFailure: true });
    // Counter statements in rules, and the counter objects of plain allow rules.
    return text.stdout.replace(/ counter packets \d+ bytes \d+/g, ' counter').replace(/packets \d+ bytes \d+/g, 'packets bytes');
  }

  async policyFile(): Promise<unknown> {
    return JSON.parse(await readFile(this.policyPath, 'utf8'));
  }

  async stop(): Promise<void> {
    await this.stopHelper('SIGKILL');
    await this.networkManager?.stop();
    await this.bus.stop();
    await this.lab.destroy();
    this.unregister();
  }
}
