// The drop-log reader against the real kernel, in a lab's pair of namespaces: a tiny ruleset in
// the "host" namespace logs drops to Palisade's NFLOG group with Palisade's prefixes, the reader
// runs there too (under `ip netns exec`: a netlink socket belongs to the namespace of the
// process that opens it, and NFLOG groups are per namespace, so nothing here sees the host's
// logs), and packets come from the "outside" namespace. Waits have deadlines; counts under a
// flood are checked against bounds, never against exact timings.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabLink } from '../lab/lab';
import { waitFor } from '../support/wait';
import { LOG_GROUP } from '../../shared/compiler/layout';
import { canonicalAddress } from '../../shared/net/address';
import type { DropEntry } from '../../shared/runtime/droplog';
import type { DropLogStats } from '../../electron/helper/droplog/reader';

const DRIVER = fileURLToPath(new URL('../support/droplog-driver.ts', import.meta.url));
const FLOOD = 3000;
const SMALL_CAPACITY = 50;

/** The kernel's side, as Palisade compiles it: `limit` then `log prefix … group`, then drop. */
const logged = (prefix: string, limited = true) => `${limited ? 'limit rate 10/second burst 20 packets ' : ''}log prefix "${prefix}" group ${LOG_GROUP}`;
const RULESET = `
table inet droplog_test {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 8080 ${logged('pal:private:block:web')} drop
    tcp dport 8080 drop
    udp dport 9100 log prefix "other:firewall" group ${LOG_GROUP} drop
    udp dport 9001 ${logged('pal:public:default', false)} drop
    meta l4proto { tcp, udp } ${logged('pal:public:default')} drop
    meta l4proto { tcp, udp } drop
  }
  chain output {
    type filter hook output priority 0; policy accept;
    udp dport 7777 ${logged('pal:public:out-default')} drop
  }
}`;

type DriverMessage =
  | { event: 'ready'; stats: DropLogStats }
  | { event: 'entries'; entries: DropEntry[]; size: number }
  | { event: 'log'; message: string }
  | { id: number; result: unknown };

/** The reader running in the lab's host namespace, spoken to over JSON lines. */
class ReaderDriver {
  readonly batches: { entries: DropEntry[]; size: number }[] = [];
  readonly logs: string[] = [];
  readonly startedAt = Date.now();
  private nextId = 1;
  private readonly replies = new Map<number, (result: unknown) => void>();

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => this.receive(JSON.parse(line) as DriverMessage));
  }

  static async start(lab: Lab, capacity: number): Promise<ReaderDriver> {
    const child = lab.spawn('host', [process.execPath, '--import', 'tsx', DRIVER, String(capacity)], { stdin: 'pipe' });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const driver = new ReaderDriver(child);
    const stats = await new Promise<DropLogStats>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`drop-log driver exited (${code}): ${stderr}`)));
      driver.onReady = resolve;
    });
    if (!stats.active) throw new Error(`the reader did not bind the group: ${stats.failure}`);
    return driver;
  }

  private onReady: ((stats: DropLogStats) => void) | undefined;

  get entries(): DropEntry[] {
    return this.batches.flatMap((b) => b.entries);
  }

  private receive(msg: DriverMessage): void {
    if ('id' in msg) {
      this.replies.get(msg.id)?.(msg.result);
      this.replies.delete(msg.id);
    } else if (msg.event === 'ready') this.onReady?.(msg.stats);
    else if (msg.event === 'entries') this.batches.push(msg);
    else this.logs.push(msg.message);
  }

  request<T>(command: 'recent' | 'stats'): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      this.replies.set(id, (result) => resolve(result as T));
      this.child.stdin?.write(`${JSON.stringify({ id, command })}\n`);
    });
  }

  /** Resolves with the first entry `match` accepts; fails after a deadline. */
  async entry(what: string, match: (e: DropEntry) => boolean): Promise<DropEntry> {
    await waitFor(what, () => this.entries.some(match), { timeoutMs: 10_000, intervalMs: 50 });
    return this.entries.find(match) as DropEntry;
  }

  /** Waits until no new entries came for a while (the kernel and the reader both batch). */
  async quiet(ms = 1500): Promise<void> {
    let count = -1;
    let since = Date.now();
    await waitFor('the drop log to go quiet', () => {
      if (this.entries.length !== count) {
        count = this.entries.length;
        since = Date.now();
      }
      return Date.now() - since >= ms;
    }, { timeoutMs: 30_000, intervalMs: 100 });
  }

  /** Closing stdin stops the reader; the driver must then exit by itself. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

/** A TCP connection attempt from the outside namespace (its SYN is dropped: it gives up after 1 s). */
async function tcpAttempt(lab: Lab, sourcePort: number, address: string, port: number): Promise<void> {
  await lab.exec('outside', ['ncat', '-w', '1', '-p', String(sourcePort), address, String(port)], { allowFailure: true });
}

/** One UDP datagram from the outside namespace. */
async function udpDatagram(lab: Lab, sourcePort: number, address: string, port: number): Promise<void> {
  await lab.exec('outside', ['ncat', '-u', '--send-only', '-p', String(sourcePort), address, String(port)], { input: 'x' });
}

/**
 * `count` UDP datagrams as fast as Node sends them, from the outside namespace. (nping's raw
 * IPv6 sockets fail here now and then — "Network is unreachable", "Invalid argument" — so
 * plain sockets it is.)
 */
const FLOOD_SCRIPT = `
const [address, port, count] = process.argv.slice(1);
const socket = require('node:dgram').createSocket(address.includes(':') ? 'udp6' : 'udp4');
let left = Number(count);
for (let i = 0; i < Number(count); i++) socket.send('x', Number(port), address, () => { if (--left === 0) socket.close(); });
`;
async function udpFlood(lab: Lab, address: string, port: number, count: number): Promise<void> {
  await lab.exec('outside', [process.execPath, '-e', FLOOD_SCRIPT, address, String(port), String(count)], { timeoutMs: 60_000 });
}

describe('DropLogReader in a network namespace', () => {
  let lab: Lab;
  let link: LabLink;
  let driver: ReaderDriver | undefined;

  beforeAll(async () => {
    lab = await Lab.create({ links: 1 });
    link = lab.links[0] as LabLink;
    await lab.exec('host', ['nft', '-f', '-'], { input: RULESET });
    // Pings pass the ruleset: once they are answered, both families reach the host.
    for (const address of [link.hostV4, link.hostV6]) await waitFor(`${address} to answer pings`, () => lab.ping(address));
  });

  // One reader at a time: the kernel gives the group to one socket per namespace.
  afterEach(async () => {
    await driver?.stop();
    driver = undefined;
  });

  afterAll(async () => {
    await driver?.stop();
    await lab?.destroy();
  });

  it('reports each drop with interface, direction, profile, what decided, family, protocol, addresses and ports', async () => {
    driver = await ReaderDriver.start(lab, 1000);
    const before = Date.now();
    await tcpAttempt(lab, 40001, link.hostV4, 8080);
    await tcpAttempt(lab, 40002, link.hostV6, 2222);
    await udpDatagram(lab, 40003, link.hostV4, 5353);
    await udpDatagram(lab, 40004, link.hostV6, 8080);
    await udpDatagram(lab, 40005, link.hostV4, 9100);
    // Outbound: the host namespace's own datagram, dropped by the output chain (the sender sees EPERM).
    await lab.exec('host', ['ncat', '-u', '-p', '40006', '--send-only', link.outsideV4, '7777'], { input: 'x', allowFailure: true });

    const bySourcePort = (port: number) => (e: DropEntry) => e.sourcePort === port;
    expect(await driver.entry('TCP over IPv4 to 8080', bySourcePort(40001))).toEqual({
      time: expect.any(String), interface: link.hostIf, direction: 'in', profile: 'private', kind: 'block', ruleId: 'web',
      family: 4, protocol: 'tcp', source: link.outsideV4, sourcePort: 40001, destination: link.hostV4, destinationPort: 8080,
    });
    expect(await driver.entry('TCP over IPv6 to 2222', bySourcePort(40002))).toEqual({
      time: expect.any(String), interface: link.hostIf, direction: 'in', profile: 'public', kind: 'default',
      family: 6, protocol: 'tcp', source: canonicalAddress(link.outsideV6), sourcePort: 40002, destination: canonicalAddress(link.hostV6), destinationPort: 2222,
    });
    expect(await driver.entry('UDP over IPv4 to 5353', bySourcePort(40003))).toMatchObject({
      interface: link.hostIf, direction: 'in', profile: 'public', kind: 'default', family: 4, protocol: 'udp', destinationPort: 5353,
    });
    // UDP to 8080 is not the TCP block rule's: the default decided.
    expect(await driver.entry('UDP over IPv6 to 8080', bySourcePort(40004))).toMatchObject({
      interface: link.hostIf, direction: 'in', profile: 'public', kind: 'default', family: 6, protocol: 'udp', source: canonicalAddress(link.outsideV6), destination: canonicalAddress(link.hostV6), destinationPort: 8080,
    });
    expect(await driver.entry('the outbound datagram to 7777', bySourcePort(40006))).toMatchObject({
      interface: link.hostIf, direction: 'out', profile: 'public', kind: 'out-default', family: 4, protocol: 'udp',
      source: link.hostV4, destination: link.outsideV4, destinationPort: 7777,
    });
    for (const e of driver.entries) {
      const at = Date.parse(e.time);
      expect(at).toBeGreaterThanOrEqual(before - 1000);
      expect(at).toBeLessThanOrEqual(Date.now() + 1000);
    }

    // Another table's log prefix in the same group is counted and left out.
    await waitFor('the foreign prefix to be seen', async () => (await driver?.request<DropLogStats>('stats'))?.ignored === 1);
    expect(driver.entries.some(bySourcePort(40005))).toBe(false);
    expect(await driver.request<DropEntry[]>('recent')).toEqual(driver.entries);
    expect(await driver.stop()).toBe(0);
  });

  it('under a flood, the kernel limit keeps logged drops near the rate', async () => {
    driver = await ReaderDriver.start(lab, SMALL_CAPACITY);
    // 3000 datagrams in a moment; the rule logs 20 at once, then 10 a second.
    await udpFlood(lab, link.hostV4, 9000, FLOOD);
    await driver.quiet();
    const flood = driver.entries.filter((e) => e.destinationPort === 9000);
    expect(flood.length).toBeGreaterThan(0);
    // Without the limit every packet would be logged; with it, a small fraction.
    expect(flood.length).toBeLessThan(FLOOD / 3);
    expect(driver.batches.every((b) => b.size <= SMALL_CAPACITY)).toBe(true);
    expect(await driver.stop()).toBe(0);
  });

  it('under an unlimited flood, the buffer never grows past its capacity and announcements stay batched', async () => {
    driver = await ReaderDriver.start(lab, SMALL_CAPACITY);
    await udpFlood(lab, link.hostV4, 9001, FLOOD);
    await udpFlood(lab, link.hostV6, 9001, FLOOD);
    await driver.quiet();
    const stats = await driver.request<DropLogStats>('stats');
    const elapsedMs = Date.now() - driver.startedAt;

    // Far more came in than the buffer holds …
    expect(stats.logged).toBeGreaterThan(SMALL_CAPACITY * 10);
    // … yet it never held more than its capacity, nor did one announcement carry more.
    expect(driver.batches.length).toBeGreaterThan(0);
    for (const b of driver.batches) {
      expect(b.size).toBeLessThanOrEqual(SMALL_CAPACITY);
      expect(b.entries.length).toBeLessThanOrEqual(SMALL_CAPACITY);
    }
    const recent = await driver.request<DropEntry[]>('recent');
    expect(recent).toHaveLength(SMALL_CAPACITY);
    // The newest are kept, oldest first: the last IPv6 packets of the second flood.
    expect(recent.filter((e) => e.family !== 6 || e.destinationPort !== 9001), JSON.stringify(stats)).toEqual([]);
    expect(recent.map((e) => Date.parse(e.time))).toEqual(recent.map((e) => Date.parse(e.time)).sort((a, b) => a - b));
    // One announcement per 250 ms flush interval at most, however many packets.
    expect(driver.batches.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 250) + 1);
    expect(await driver.stop()).toBe(0);
  });
});
