// The socket monitor against the real kernel, inside a lab namespace: new listeners are reported
// with the address, family and dual-stack facts the exposure predictor relies on, and with the
// process and app that own them; connections show up in snapshots but never as listeners; and a
// steady state does not walk /proc again. Waits have generous deadlines; nothing here is timed.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type ListenerSpec } from '../lab/lab';
import { isListeningEntry, type SocketEntry } from '../../shared/runtime/sockets';
import { canonicalAddress } from '../../shared/net/address';
import type { ListeningChange, SocketMonitorStats } from '../../electron/helper/sockets/monitor';

const DRIVER = fileURLToPath(new URL('../support/socket-monitor-driver.ts', import.meta.url));
const LISTENER = fileURLToPath(new URL('../lab/listener.cjs', import.meta.url));
/** What /proc/PID/exe says for a node we start: the resolved binary. */
const NODE_EXE = realpathSync(process.execPath);
const DEADLINE_MS = 5000;

type DriverMessage =
  | { event: 'ready'; listening: SocketEntry[] }
  | ({ event: 'listening-changed' } & ListeningChange)
  | { event: 'error'; message: string }
  | { id: number; result?: unknown; error?: string };

/** The monitor running in the lab's host namespace, spoken to over JSON lines. */
class MonitorDriver {
  /** Listening sockets as of the latest event. */
  current: SocketEntry[] = [];
  readonly changes: ListeningChange[] = [];
  readonly errors: string[] = [];
  private nextId = 1;
  private readonly replies = new Map<number, (msg: { result?: unknown; error?: string }) => void>();
  private readonly onEvent = new Set<() => void>();
  private stderr = '';

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    createInterface({ input: child.stdout }).on('line', (line) => this.receive(JSON.parse(line) as DriverMessage));
  }

  static async start(lab: Lab, procRoot?: string): Promise<MonitorDriver> {
    const argv = lab.inNamespace('host', [process.execPath, '--import', 'tsx', DRIVER, '50', ...(procRoot ? [procRoot] : [])]);
    const driver = new MonitorDriver(spawn(argv[0] as string, argv.slice(1), { stdio: 'pipe', cwd: process.cwd() }));
    const ready = new Promise<void>((resolve, reject) => {
      driver.child.once('exit', (code) => reject(new Error(`monitor driver exited (${code}): ${driver.stderr}`)));
      driver.onEvent.add(function first() {
        driver.onEvent.delete(first);
        resolve();
      });
    });
    await ready;
    return driver;
  }

  private receive(msg: DriverMessage): void {
    if ('id' in msg) {
      this.replies.get(msg.id)?.(msg);
      this.replies.delete(msg.id);
      return;
    }
    if (msg.event === 'ready') this.current = msg.listening;
    if (msg.event === 'listening-changed') {
      this.changes.push(msg);
      this.current = msg.current;
    }
    if (msg.event === 'error') this.errors.push(msg.message);
    for (const listener of [...this.onEvent]) listener();
  }

  request<T>(command: 'listening' | 'snapshot' | 'stats'): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.replies.set(id, (msg) => (msg.error !== undefined ? reject(new Error(msg.error)) : resolve(msg.result as T)));
      this.child.stdin.write(`${JSON.stringify({ id, command })}\n`);
    });
  }

  /** Resolves once the reported listening sockets satisfy `done`; fails after a deadline. */
  waitForListening(what: string, done: (current: SocketEntry[]) => boolean, timeoutMs = DEADLINE_MS): Promise<SocketEntry[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.current)) return;
        clearTimeout(timer);
        this.onEvent.delete(check);
        resolve(this.current);
      };
      const timer = setTimeout(() => {
        this.onEvent.delete(check);
        reject(new Error(`no listening-changed event showed ${what} within ${timeoutMs} ms; last: ${JSON.stringify(this.current)}`));
      }, timeoutMs);
      this.onEvent.add(check);
      check();
    });
  }

  /** Closing stdin stops the monitor; the driver must then exit by itself. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), DEADLINE_MS);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sameSocket = (spec: Pick<ListenerSpec, 'protocol' | 'port'>) => (e: SocketEntry) => e.protocol === spec.protocol && e.port === spec.port;

describe('SocketMonitor in a network namespace', () => {
  let lab: Lab;
  let driver: MonitorDriver;

  beforeAll(async () => {
    lab = await Lab.create({ links: 1 });
    driver = await MonitorDriver.start(lab);
  });

  afterAll(async () => {
    await driver?.stop();
    await lab?.destroy();
  });

  it('starts with what the fresh namespace has: nothing', () => {
    expect(driver.current).toEqual([]);
  });

  it('reports new listeners with address, family, dual-stack facts, process and app; and their removal', async () => {
    const { hostV4, hostV6 } = lab.links[0] as (typeof lab.links)[number];
    const expected: (ListenerSpec & { family: 4 | 6; reported: string; v6OnlyReported: boolean | undefined })[] = [
      { protocol: 'tcp', address: '0.0.0.0', port: 7001, family: 4, reported: '0.0.0.0', v6OnlyReported: undefined },
      { protocol: 'tcp', address: '::', port: 7002, family: 6, reported: '::', v6OnlyReported: false },
      { protocol: 'tcp', address: '::', port: 7003, v6Only: true, family: 6, reported: '::', v6OnlyReported: true },
      { protocol: 'tcp', address: hostV4, port: 7004, family: 4, reported: hostV4, v6OnlyReported: undefined },
      // Binding a specific IPv6 address sets IPV6_V6ONLY in the kernel (inet6_bind): it cannot take IPv4.
      { protocol: 'tcp', address: hostV6, port: 7005, family: 6, reported: canonicalAddress(hostV6), v6OnlyReported: true },
      { protocol: 'tcp', address: '127.0.0.1', port: 7006, family: 4, reported: '127.0.0.1', v6OnlyReported: undefined },
      { protocol: 'udp', address: '0.0.0.0', port: 7007, family: 4, reported: '0.0.0.0', v6OnlyReported: undefined },
      { protocol: 'udp', address: '::', port: 7008, family: 6, reported: '::', v6OnlyReported: false },
      { protocol: 'udp', address: '::', port: 7009, v6Only: true, family: 6, reported: '::', v6OnlyReported: true },
    ];
    const specs: ListenerSpec[] = expected.map(({ protocol, address, port, v6Only }) => ({ protocol, address, port, ...(v6Only ? { v6Only } : {}) }));
    const changesBefore = driver.changes.length;
    const listener = await lab.listen(specs);

    const current = await driver.waitForListening('all new sockets', (cur) => expected.every((s) => cur.some(sameSocket(s))));
    for (const spec of expected) {
      const entries = current.filter(sameSocket(spec));
      expect(entries, `${spec.protocol} ${spec.address}:${spec.port}`).toHaveLength(1);
      const entry = entries[0] as SocketEntry;
      expect(entry).toMatchObject({
        protocol: spec.protocol,
        family: spec.family,
        address: spec.reported,
        port: spec.port,
        state: spec.protocol === 'tcp' ? 'LISTEN' : 'UNCONN',
        remoteAddress: spec.family === 4 ? '0.0.0.0' : '::',
        remotePort: 0,
        uid: 0,
        process: { pid: listener.pid, exe: NODE_EXE, cmdline: [process.execPath, LISTENER, JSON.stringify(specs)], uid: 0, user: 'root' },
        app: { kind: 'script', interpreter: NODE_EXE, script: LISTENER },
      });
      expect(entry.v6Only, `v6Only of ${spec.address}:${spec.port}`).toBe(spec.v6OnlyReported);
      expect(entry.inode).toBeGreaterThan(0);
      expect(entry.boundInterface).toBeUndefined();
    }
    // They arrived as events ("added"), not only in the current list.
    const added = driver.changes.slice(changesBefore).flatMap((c) => c.added);
    for (const spec of expected) expect(added.some(sameSocket(spec)), `added ${spec.protocol}/${spec.port}`).toBe(true);

    const changesBeforeStop = driver.changes.length;
    await listener.stop();
    await driver.waitForListening('the sockets gone', (cur) => !expected.some((s) => cur.some(sameSocket(s))));
    const removed = driver.changes.slice(changesBeforeStop).flatMap((c) => c.removed);
    for (const spec of expected) expect(removed.some(sameSocket(spec)), `removed ${spec.protocol}/${spec.port}`).toBe(true);
  });

  it('reports SO_BINDTODEVICE as the bound interface, and a plain program as its executable', async () => {
    const child = lab.spawn('host', ['socat', '-u', 'UDP4-RECV:7300,so-bindtodevice=h0', 'OPEN:/dev/null']);
    try {
      const current = await driver.waitForListening('the socat socket', (cur) => cur.some((e) => e.port === 7300));
      const entry = current.find((e) => e.port === 7300);
      expect(entry).toMatchObject({ protocol: 'udp', family: 4, address: '0.0.0.0', state: 'UNCONN', boundInterface: 'h0' });
      expect(entry?.process?.pid).toBe(child.pid);
      expect(entry?.app).toEqual({ kind: 'executable', path: realpathSync('/usr/bin/socat') });
    } finally {
      child.kill('SIGKILL');
    }
    await driver.waitForListening('the socat socket gone', (cur) => !cur.some((e) => e.port === 7300));
  });

  describe('with established connections', () => {
    let holder: ReturnType<Lab['spawn']>;
    let ports: { c4: number; c6: number; udp: number };

    beforeAll(async () => {
      const { hostV4, hostV6 } = lab.links[0] as (typeof lab.links)[number];
      // One process: a dual-stack listener on 7100, an IPv4 and an IPv6 client connected to it,
      // and a connected UDP socket. The accepted IPv4 connection lands on the AF_INET6 listener.
      const program = `
        const net = require('node:net'), dgram = require('node:dgram');
        const held = [];
        const server = net.createServer((c) => held.push(c)).listen({ host: '::', port: 7100 }, async () => {
          const connect = (host) => new Promise((r) => { const s = net.connect(7100, host, () => r(s)); held.push(s); });
          const c4 = await connect(${JSON.stringify(hostV4)});
          const c6 = await connect(${JSON.stringify(hostV6)});
          const udp = dgram.createSocket('udp4');
          await new Promise((r) => udp.connect(7101, ${JSON.stringify(hostV4)}, r));
          held.push(server, udp);
          console.log(JSON.stringify({ c4: c4.localPort, c6: c6.localPort, udp: udp.address().port }));
        });
        setInterval(() => {}, 1 << 30);`;
      holder = lab.spawn('host', [process.execPath, '-e', program]);
      ports = JSON.parse(await new Promise<string>((resolve, reject) => {
        createInterface({ input: holder.stdout as NodeJS.ReadableStream }).once('line', resolve);
        holder.once('exit', (code) => reject(new Error(`connection holder exited (${code})`)));
      })) as typeof ports;
      await driver.waitForListening('the 7100 listener', (cur) => cur.some((e) => e.port === 7100));
    });

    afterAll(() => {
      holder?.kill('SIGKILL');
    });

    it('snapshot() shows the connections with their state and peer, attributed to their process', async () => {
      const { hostV4, hostV6 } = lab.links[0] as (typeof lab.links)[number];
      const snapshot = await driver.request<SocketEntry[]>('snapshot');
      const mine = snapshot.filter((e) => e.process?.pid === holder.pid);
      const connection = (protocol: 'tcp' | 'udp', port: number, remotePort: number) =>
        mine.find((e) => e.protocol === protocol && e.port === port && e.remotePort === remotePort);

      expect(connection('tcp', 7100, 0)).toMatchObject({ family: 6, address: '::', state: 'LISTEN', v6Only: false });
      // IPv4 client → dual-stack listener: the client socket is AF_INET, the accepted one AF_INET6 with mapped addresses.
      expect(connection('tcp', ports.c4, 7100)).toMatchObject({ family: 4, state: 'ESTABLISHED', address: hostV4, remoteAddress: hostV4 });
      expect(connection('tcp', 7100, ports.c4)).toMatchObject({ family: 6, state: 'ESTABLISHED', address: `::ffff:${hostV4}`, remoteAddress: `::ffff:${hostV4}` });
      expect(connection('tcp', ports.c6, 7100)).toMatchObject({ family: 6, state: 'ESTABLISHED', address: canonicalAddress(hostV6), remoteAddress: canonicalAddress(hostV6) });
      expect(connection('tcp', 7100, ports.c6)).toMatchObject({ family: 6, state: 'ESTABLISHED', address: canonicalAddress(hostV6), remoteAddress: canonicalAddress(hostV6) });
      expect(connection('udp', ports.udp, 7101)).toMatchObject({ family: 4, state: 'ESTABLISHED', address: hostV4, remoteAddress: hostV4 });
      for (const entry of mine) {
        expect(entry.process).toMatchObject({ exe: NODE_EXE, uid: 0, user: 'root' });
        // `node -e` has no script file: the app is node itself.
        expect(entry.app).toEqual({ kind: 'executable', path: NODE_EXE });
      }
    });

    it('connections are never listening sockets', async () => {
      const listening = await driver.request<SocketEntry[]>('listening');
      expect(listening.some((e) => e.port === 7100 && e.state === 'LISTEN')).toBe(true);
      expect(listening.every(isListeningEntry)).toBe(true);
      expect(listening.some((e) => e.port === ports.c4 || e.port === ports.c6 || e.port === ports.udp || e.remotePort !== 0)).toBe(false);
      const everAdded = driver.changes.flatMap((c) => c.added);
      expect(everAdded.some((e) => e.protocol === 'tcp' && e.state !== 'LISTEN')).toBe(false);
      expect(everAdded.every(isListeningEntry)).toBe(true);
    });

    it('steady state: polls go on without walking /proc again; a new program\'s listener gets its process', async () => {
      const before = await driver.request<SocketMonitorStats>('stats');
      const after = await until('ten more polls', async () => {
        const stats = await driver.request<SocketMonitorStats>('stats');
        return stats.polls >= before.polls + 10 ? stats : undefined;
      });
      expect(after.procScans).toBe(before.procScans);
      // Polls read their dumps synchronously (sock-diag.ts, SyncChannel), never through the package's events.
      expect(after.syncDumps).toBeGreaterThanOrEqual(before.syncDumps + 30);
      expect(after.asyncDumps).toBe(before.asyncDumps);

      // A new program's socket is attributed (its fd table is read first, processes.ts).
      const listener = await lab.listen([{ protocol: 'tcp', address: '0.0.0.0', port: 7400 }]);
      try {
        const current = await driver.waitForListening('the 7400 listener', (cur) => cur.some((e) => e.port === 7400 && e.process !== undefined));
        expect(current.find((e) => e.port === 7400)?.process?.pid).toBe(listener.pid);
      } finally {
        await listener.stop();
      }
    });
  });

  it('no poll failed', () => {
    expect(driver.errors).toEqual([]);
  });

  it('a failing poll does not end monitoring: the error is reported and polling goes on', async () => {
    // With no /proc to read, attributing a new socket fails on every poll until it is gone.
    const broken = await MonitorDriver.start(lab, '/nonexistent-proc');
    try {
      const listener = await lab.listen([{ protocol: 'tcp', address: '0.0.0.0', port: 7500 }]);
      await until('two failed polls', async () => (broken.errors.length >= 2 ? true : undefined));
      const whileFailing = await broken.request<SocketMonitorStats>('stats');
      await listener.stop();
      await until('polls succeeding again', async () => {
        const stats = await broken.request<SocketMonitorStats>('stats');
        return stats.polls > whileFailing.polls ? stats : undefined;
      });
    } finally {
      expect(await broken.stop()).toBe(0);
    }
  });

  it('closing the driver stops the monitor and the process exits on its own', async () => {
    expect(await driver.stop()).toBe(0);
  });
});
