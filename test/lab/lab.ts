// The test lab: a "host" network namespace (where Palisade's table lives and the listeners run)
// and an "outside" namespace (where the scanner runs), joined by veth pairs with IPv4 and IPv6.
// Every lab removes what it made — on destroy(), on process exit, on SIGINT/SIGTERM — and
// labs left by a killed run are reaped by the next one (their owner pid is in the name).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { run, type CommandResult } from './command';
import { registerTeardown } from './cleanup';
import { nmapArgs, parseNmapXml, type ScanReport, type ScanRequest } from './nmap';

const NS_PREFIX = 'plab-';
const LISTENER_SCRIPT = fileURLToPath(new URL('./listener.cjs', import.meta.url));

export interface LabLink {
  index: number;
  /** Interface name in the host namespace (what Palisade maps to a profile). */
  hostIf: string;
  outsideIf: string;
  hostV4: string;
  hostV6: string;
  outsideV4: string;
  outsideV6: string;
}

export interface ListenerSpec {
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
  v6Only?: boolean;
  /** UDP only: answer every datagram (so nmap can see `open`). */
  echo?: boolean;
}

export interface LabListener {
  pid: number;
  specs: readonly ListenerSpec[];
  stop(): Promise<void>;
}

export type LabSide = 'host' | 'outside';

let sequence = 0;

/** A process exists and is not a zombie (a killed process can linger as one until reaped). */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function removeNamespaceSync(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  } catch { /* namespace already gone */ }
  try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* already gone */ }
}

/** Removes namespaces of labs whose owning process no longer exists (a run killed with -9). */
export function reapStaleLabs(): string[] {
  const reaped: string[] = [];
  let listing: string;
  try { listing = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }); } catch { return reaped; }
  for (const line of listing.split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    const owner = /^plab-(\d+)-/.exec(ns)?.[1];
    if (owner && !pidAlive(Number(owner))) {
      removeNamespaceSync(ns);
      reaped.push(ns);
    }
  }
  return reaped;
}

export class Lab {
  readonly hostNs: string;
  readonly outsideNs: string;
  readonly links: LabLink[];
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;
  private readonly unregister = registerTeardown(() => this.destroySync());

  private constructor(readonly id: string, linkCount: number) {
    this.hostNs = `${NS_PREFIX}${id}-host`;
    this.outsideNs = `${NS_PREFIX}${id}-out`;
    this.links = Array.from({ length: linkCount }, (_, i) => ({
      index: i,
      hostIf: `h${i}`,
      outsideIf: `o${i}`,
      hostV4: `10.77.${i}.1`,
      outsideV4: `10.77.${i}.2`,
      hostV6: `fd00:77:${i}::1`,
      outsideV6: `fd00:77:${i}::2`,
    }));
  }

  /** Builds the namespaces and links. Addresses may repeat across labs: each lab is its own world. */
  static async create(opts: { links?: number } = {}): Promise<Lab> {
    reapStaleLabs();
    const lab = new Lab(`${process.pid}-${++sequence}`, opts.links ?? 2);
    try {
      await lab.build();
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  private async build(): Promise<void> {
    const { hostNs: h, outsideNs: o } = this;
    await run(['ip', 'netns', 'add', h]);
    await run(['ip', 'netns', 'add', o]);
    for (const ns of [h, o]) await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    for (const l of this.links) {
      await run(['ip', '-n', h, 'link', 'add', l.hostIf, 'type', 'veth', 'peer', 'name', l.outsideIf, 'netns', o]);
      await run(['ip', '-n', h, 'addr', 'add', `${l.hostV4}/24`, 'dev', l.hostIf]);
      await run(['ip', '-n', o, 'addr', 'add', `${l.outsideV4}/24`, 'dev', l.outsideIf]);
      // nodad: the addresses are usable at once instead of after duplicate address detection.
      await run(['ip', '-n', h, 'addr', 'add', `${l.hostV6}/64`, 'dev', l.hostIf, 'nodad']);
      await run(['ip', '-n', o, 'addr', 'add', `${l.outsideV6}/64`, 'dev', l.outsideIf, 'nodad']);
      await run(['ip', '-n', h, 'link', 'set', l.hostIf, 'up']);
      await run(['ip', '-n', o, 'link', 'set', l.outsideIf, 'up']);
    }
    // The kernel rate-limits ICMP errors per peer; a scan would then read some closed UDP ports
    // as open|filtered. Lifted in the lab's own namespace only, so every probe gets its answer.
    await this.exec('host', ['sysctl', '-q', '-w', 'net.ipv4.icmp_ratemask=0', 'net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0']);
  }

  private nsOf(side: LabSide): string {
    return side === 'host' ? this.hostNs : this.outsideNs;
  }

  /** argv prefix that runs a command inside one of the lab's namespaces. */
  inNamespace(side: LabSide, argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.nsOf(side), ...argv];
  }

  exec(side: LabSide, argv: readonly string[], opts: { input?: string; allowFailure?: boolean; timeoutMs?: number } = {}): Promise<CommandResult> {
    return run(this.inNamespace(side, argv), opts);
  }

  /** Starts a long-running process in a namespace; it is killed when the lab goes. */
  spawn(side: LabSide, argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; stdin?: 'ignore' | 'pipe' } = {}): ChildProcess {
    const full = this.inNamespace(side, argv);
    const child = spawn(full[0] as string, full.slice(1), { stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'], ...(opts.env ? { env: opts.env } : {}) });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Starts one process in the host namespace holding the given sockets; resolves once all are bound. */
  async listen(specs: readonly ListenerSpec[], program: readonly string[] = [process.execPath, LISTENER_SCRIPT]): Promise<LabListener> {
    const child = this.spawn('host', [...program, JSON.stringify(specs)]);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const firstLine = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      rl.once('line', (line) => { rl.close(); resolve(line); });
      child.once('exit', (code) => reject(new Error(`listener exited (${code}) before binding: ${stderr.trim()}`)));
    });
    const status = JSON.parse(firstLine) as { ready: boolean; pid?: number; error?: string };
    if (!status.ready) throw new Error(`listener failed to bind ${JSON.stringify(specs)}: ${status.error}`);
    return {
      pid: status.pid ?? child.pid ?? -1,
      specs,
      stop: () => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
    };
  }

  /** nmap from the outside namespace. */
  async scan(req: ScanRequest): Promise<ScanReport> {
    const { stdout } = await this.exec('outside', nmapArgs(req), { timeoutMs: 300_000 });
    return parseNmapXml(stdout, req);
  }

  /** One echo request from outside; true if answered. */
  async ping(target: string): Promise<boolean> {
    const family = target.includes(':') ? '-6' : '-4';
    const res = await this.exec('outside', ['ping', family, '-n', '-c', '2', '-i', '0.2', '-W', '1', target], { allowFailure: true });
    return res.code === 0;
  }

  /** Forgets tracked connections in the host, so an earlier scenario's flows cannot pass as "established". */
  async flushConntrack(): Promise<void> {
    await this.exec('host', ['conntrack', '-F'], { allowFailure: true });
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    const exits = [...this.children].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    }));
    await Promise.all(exits);
    this.destroySync();
  }

  /** Synchronous teardown, usable from an exit handler. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children) {
      try { c.kill('SIGKILL'); } catch { /* gone */ }
    }
    removeNamespaceSync(this.hostNs);
    removeNamespaceSync(this.outsideNs);
    this.unregister();
  }
}

/** Runs `body` with a fresh lab and always removes it afterwards. */
export async function withLab<T>(body: (lab: Lab) => Promise<T>, opts: { links?: number } = {}): Promise<T> {
  const lab = await Lab.create(opts);
  try {
    return await body(lab);
  } finally {
    await lab.destroy();
  }
}
