// The sock_diag structures, encoded and parsed by hand, and the dump reader that lets a poll of
// an unchanged socket table parse nothing: an unchanged dump hands back the previous result
// itself, and a changed one parses only the sockets that are new or differ.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import {
  ALL_QUERIES, LISTENING_QUERIES, TCPDIAG_GETSOCK, SOCK_DIAG_BY_FAMILY, encodeDumpRequest, formatAddress,
  parseDiagMessage, perFamily, withBoundInterface, type KernelSocket,
} from '../../electron/helper/sockets/diag-message';
import { DumpReader, NOTHING_REMEMBERED, wordsOf, type DumpMemory, type InterfaceNaming } from '../../electron/helper/sockets/dump-reader';
import { InterfaceNames, SockDiag, descriptorChannel, type DiagSocket, type SyncChannel } from '../../electron/helper/sockets/sock-diag';

interface Fake {
  family?: 4 | 6;
  state?: number;
  address?: number[];
  port?: number;
  ifindex?: number;
  uid?: number;
  inode: number;
  v6Only?: boolean;
  /** Queue lengths and timers: change by the moment, never part of a socket's facts. */
  rqueue?: number;
}

/** A struct inet_diag_msg (host byte order, as the kernel writes it) with its attributes. */
function message(f: Fake): Buffer {
  const attrs = f.v6Only === undefined ? [] : [attribute(11, Buffer.from([f.v6Only ? 1 : 0]))];
  const mark = attribute(15, Buffer.alloc(4, 7)); // INET_DIAG_MARK: present, ignored
  const body = Buffer.alloc(72);
  const v6 = f.family === 6;
  body[0] = v6 ? 10 : 2;
  body[1] = f.state ?? 10;
  body.writeUInt16BE(f.port ?? 8080, 4);
  Buffer.from(f.address ?? (v6 ? [0xfd, 0, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] : [10, 77, 0, 1])).copy(body, 8);
  body.writeUInt32LE(f.ifindex ?? 0, 40);
  body.writeUInt32LE(0x1234, 44); // cookie
  body.writeUInt32LE(f.rqueue ?? 0, 56);
  body.writeUInt32LE(f.uid ?? 1000, 64);
  body.writeUInt32LE(f.inode, 68);
  return Buffer.concat([body, mark, ...attrs]);
}

function attribute(type: number, value: Buffer): Buffer {
  const length = 4 + value.length;
  const out = Buffer.alloc((length + 3) & ~3);
  out.writeUInt16LE(length, 0);
  out.writeUInt16LE(type, 2);
  value.copy(out, 4);
  return out;
}

/** Feeds messages to a reader the way the socket does: laid out in one datagram, 4-byte aligned. */
function read(reader: DumpReader, fakes: Fake[]): void {
  const payloads = fakes.map(message);
  const data = Buffer.concat(payloads.map((p) => Buffer.concat([Buffer.alloc(16), p])));
  const words = wordsOf(data);
  let at = 0;
  for (const p of payloads) {
    reader.add(data, words, at + 16, at + 16 + p.length);
    at += 16 + p.length;
  }
}

const noNames: InterfaceNaming = { nameOf: () => Promise.resolve(undefined) };

async function dump(fakes: Fake[], previous: DumpMemory = NOTHING_REMEMBERED, names: InterfaceNaming = noNames) {
  const reader = new DumpReader('tcp', previous);
  read(reader, fakes);
  return reader.finish(names);
}

describe('formatAddress', () => {
  it('writes IPv4 dotted and IPv6 as RFC 5952, IPv4-mapped as ss does', () => {
    expect(formatAddress(4, Buffer.from([127, 0, 0, 1]))).toBe('127.0.0.1');
    expect(formatAddress(6, Buffer.alloc(16))).toBe('::');
    expect(formatAddress(6, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))).toBe('::1');
    expect(formatAddress(6, Buffer.from([0xfd, 0, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))).toBe('fd00:77::1');
    expect(formatAddress(6, Buffer.from([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]))).toBe('2001:db8::1:0:0:1');
    expect(formatAddress(6, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]))).toBe('::ffff:192.0.2.1');
  });

  it('agrees with ipaddr.js on every other IPv6 address', () => {
    // Zero groups are common in real addresses: draw groups from a zero-heavy mix.
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
      const bytes = Buffer.alloc(16);
      groups.forEach((g, i) => bytes.writeUInt16BE(g, 2 * i));
      const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
      fc.pre(!mapped);
      expect(formatAddress(6, bytes)).toBe(ipaddr.fromByteArray([...bytes]).toString());
    }), { numRuns: 2000 });
  });
});

describe('parseDiagMessage', () => {
  it('reads the socket, its interface index and IPV6_V6ONLY', () => {
    const parsed = parseDiagMessage(message({ family: 6, address: Array(16).fill(0), port: 53, ifindex: 3, uid: 0, inode: 4242, v6Only: true }), 'udp');
    expect(parsed).toEqual({ protocol: 'udp', family: 6, state: 'ESTABLISHED', address: '::', port: 53, remoteAddress: '::', remotePort: 0, ifindex: 3, uid: 0, inode: 4242, v6Only: true });
    expect(parseDiagMessage(message({ family: 4, state: 7, inode: 1 }), 'udp')).toMatchObject({ state: 'UNCONN', address: '10.77.0.1' });
    expect(parseDiagMessage(message({ family: 4, inode: 1 }), 'tcp')).not.toHaveProperty('v6Only');
  });

  it('reads a message inside a larger buffer, and refuses a short or foreign one', () => {
    const inner = message({ family: 4, port: 22, inode: 9 });
    const outer = Buffer.concat([Buffer.alloc(8, 0xee), inner, Buffer.alloc(8, 0xee)]);
    expect(parseDiagMessage(outer, 'tcp', 8, 8 + inner.length)).toMatchObject({ port: 22, inode: 9, state: 'LISTEN' });
    expect(parseDiagMessage(inner.subarray(0, 71), 'tcp')).toBeUndefined();
    const foreign = Buffer.from(inner);
    foreign[0] = 1; // AF_UNIX
    expect(parseDiagMessage(foreign, 'tcp')).toBeUndefined();
  });
});

describe('dump requests', () => {
  it('asks for TCP of both families with TCPDIAG_GETSOCK, and for UDP one family at a time', () => {
    expect(LISTENING_QUERIES.map((q) => [q.protocol, q.family])).toEqual([['tcp', 'any'], ['udp', 4], ['udp', 6]]);
    const tcp = encodeDumpRequest(LISTENING_QUERIES[0] as (typeof LISTENING_QUERIES)[number]);
    expect(tcp.type).toBe(TCPDIAG_GETSOCK);
    expect(tcp.payload).toHaveLength(60);
    expect(tcp.payload[0]).toBe(0); // AF_UNSPEC
    expect(tcp.payload.readUInt32LE(52)).toBe(1 << 10); // TCP_LISTEN
    expect(tcp.payload.readUInt32LE(44)).toBe(0xffffffff); // INET_DIAG_NOCOOKIE
    const udp6 = encodeDumpRequest(ALL_QUERIES[2] as (typeof ALL_QUERIES)[number]);
    expect(udp6.type).toBe(SOCK_DIAG_BY_FAMILY);
    expect([...udp6.payload.subarray(0, 2)]).toEqual([10, 17]);
    expect(udp6.payload.readUInt32LE(4)).toBe(0xffffffff);
  });

  it('splits the combined TCP dump per family for kernels that refuse it', () => {
    expect(perFamily(LISTENING_QUERIES).map((q) => [q.protocol, q.family])).toEqual([['tcp', 4], ['tcp', 6], ['udp', 4], ['udp', 6]]);
    expect(perFamily(LISTENING_QUERIES).every((q) => encodeDumpRequest(q).type === SOCK_DIAG_BY_FAMILY)).toBe(true);
  });
});

describe('DumpReader', () => {
  const table: Fake[] = [
    { family: 4, port: 22, inode: 101 },
    { family: 6, port: 53, inode: 102, v6Only: false },
    { family: 6, port: 80, inode: 103, v6Only: true },
  ];

  it('parses a first dump in full', async () => {
    const { memory, changed } = await dump(table);
    expect(changed).toBe(true);
    expect(memory.sockets.map((s) => [s.family, s.port, s.inode, s.v6Only])).toEqual([[4, 22, 101, undefined], [6, 53, 102, false], [6, 80, 103, true]]);
    expect(memory.sockets[0]).not.toHaveProperty('v6Only');
  });

  it('hands back the previous memory itself when nothing changed, queue lengths aside', async () => {
    const first = await dump(table);
    const again = await dump(table.map((f) => ({ ...f, rqueue: 5 })), first.memory);
    expect(again.changed).toBe(false);
    expect(again.memory).toBe(first.memory);
  });

  it('parses only what is new or changed, keeping the other sockets as they were', async () => {
    const first = await dump(table);
    const [s22, s53, s80] = first.memory.sockets as [KernelSocket, KernelSocket, KernelSocket];
    const next = await dump([table[0] as Fake, { family: 4, port: 443, inode: 104 }, { ...table[2] as Fake, v6Only: false }, table[1] as Fake], first.memory);
    expect(next.changed).toBe(true);
    expect(next.memory.sockets.map((s) => s.port)).toEqual([22, 443, 80, 53]);
    expect(next.memory.sockets[0]).toBe(s22);
    expect(next.memory.sockets[3]).toBe(s53); // moved in the kernel's order, same socket
    expect(next.memory.sockets[2]).not.toBe(s80);
    expect(next.memory.sockets[2]).toMatchObject({ port: 80, inode: 103, v6Only: false });
  });

  it('notices sockets that are gone, at the end of the dump too', async () => {
    const first = await dump(table);
    const fewer = await dump(table.slice(0, 2), first.memory);
    expect(fewer.changed).toBe(true);
    expect(fewer.memory.sockets.map((s) => s.inode)).toEqual([101, 102]);
    expect(fewer.memory.sockets[1]).toBe(first.memory.sockets[1]);
    const none = await dump([], fewer.memory);
    expect(none).toMatchObject({ changed: true, memory: { count: 0, sockets: [] } });
  });

  it('takes an address or interface changed under the same inode as a different socket', async () => {
    const first = await dump(table);
    const moved = await dump([{ ...table[0] as Fake, address: [0, 0, 0, 0] }, table[1] as Fake, table[2] as Fake], first.memory);
    expect(moved.changed).toBe(true);
    expect(moved.memory.sockets[0]).toMatchObject({ address: '0.0.0.0', inode: 101 });
    const bound = await dump([{ ...table[0] as Fake, ifindex: 2 }, table[1] as Fake, table[2] as Fake], first.memory);
    expect(bound.changed).toBe(true);
  });

  it('names bound interfaces afresh on every dump, so a rename is a change', async () => {
    let name = 'eth1';
    const names: InterfaceNaming = { nameOf: (index) => Promise.resolve(index === 2 ? name : undefined) };
    const fakes: Fake[] = [{ family: 4, port: 22, inode: 101, ifindex: 2 }, { family: 4, port: 25, inode: 102, ifindex: 9 }];
    const first = await dump(fakes, NOTHING_REMEMBERED, names);
    expect(first.memory.sockets[0]?.boundInterface).toBe('eth1');
    expect(first.memory.sockets[1]).not.toHaveProperty('boundInterface'); // index 9 no longer exists
    const same = await dump(fakes, first.memory, names);
    expect(same.changed).toBe(false);
    name = 'enx0011';
    const renamed = await dump(fakes, same.memory, names);
    expect(renamed.changed).toBe(true);
    expect(renamed.memory.sockets[0]?.boundInterface).toBe('enx0011');
    expect(renamed.memory.sockets[1]).toBe(first.memory.sockets[1]);
  });

  it('copies a socket to another interface without touching the original', () => {
    const original = { ...(parseDiagMessage(message({ family: 6, inode: 5, v6Only: true }), 'tcp') as KernelSocket & { ifindex?: number }) };
    delete original.ifindex;
    const bound = withBoundInterface(original, 'wlan0');
    expect(bound).toEqual({ ...original, boundInterface: 'wlan0' });
    expect(withBoundInterface(bound, undefined)).toEqual(original);
    expect(original).not.toHaveProperty('boundInterface');
  });
});

/** A request as the fake kernel sees it, and through which door it came. */
interface Request { type: number; family: number; protocol: number; seq: number; sync: boolean }

type Answer = Fake[][] | { errno: number } | { doneErrno: number } | { stopAfter: Fake[][] } | { datagram: Buffer };

/**
 * A stand-in for the kernel's side of NETLINK_SOCK_DIAG: answers each request with what `reply`
 * says — datagrams of messages, an errno to refuse it with, a dump that stops before its end, or
 * one raw datagram — framed as the kernel frames them. Read through the package's events, or
 * synchronously (SyncChannel) when `sync` is set.
 */
class FakeKernel implements DiagSocket, SyncChannel {
  readonly requests: Request[] = [];
  closed = false;
  private readonly listeners = new Map<string, ((arg: never) => void)[]>();
  /** Datagrams waiting for a synchronous read. */
  private readonly queued: Buffer[] = [];

  constructor(private readonly reply: (request: Request) => Answer, readonly sync = false) {}

  on(event: string, listener: (arg: never) => void): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  send(frame: Uint8Array | Uint8Array[], _options: object, callback: (err?: Error) => void): void {
    const datagrams = this.answer(Buffer.concat(Array.isArray(frame) ? frame : [frame]), false);
    setImmediate(() => { for (const d of datagrams) this.emit('message', d); });
    callback();
  }

  write(frame: Buffer): void {
    this.queued.push(...this.answer(Buffer.from(frame), true));
  }

  read(into: Buffer): number {
    const datagram = this.queued.shift();
    if (!datagram) throw Object.assign(new Error('EAGAIN: resource temporarily unavailable, read'), { code: 'EAGAIN' });
    return datagram.copy(into);
  }

  ref(): void {}
  unref(): void {}
  close(): void {
    this.closed = true;
  }

  emit(event: string, arg: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (a: unknown) => void)(arg);
  }

  private answer(bytes: Buffer, sync: boolean): Buffer[] {
    const type = bytes.readUInt16LE(4);
    const request = { type, seq: bytes.readUInt32LE(8), family: bytes[16] as number, protocol: type === TCPDIAG_GETSOCK ? 6 : bytes[17] as number, sync };
    this.requests.push(request);
    const answer = this.reply(request);
    const status = (errno: number) => Buffer.from(new Int32Array([-errno]).buffer);
    if ('errno' in answer) return [frameOf(2, request.seq, status(answer.errno))];
    if ('doneErrno' in answer) return [frameOf(3, request.seq, status(answer.doneErrno))];
    if ('datagram' in answer) return [answer.datagram];
    const stops = 'stopAfter' in answer;
    const datagrams = stops ? answer.stopAfter : answer;
    return datagrams.map((fakes, i) => Buffer.concat([
      ...fakes.map((f) => frameOf(type, request.seq, message(f))),
      ...(i === datagrams.length - 1 && !stops ? [frameOf(3, request.seq, Buffer.alloc(4))] : []),
    ]));
  }
}

/** struct nlmsghdr + payload, padded to 4 bytes. */
function frameOf(type: number, seq: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16 + payload.length, 0);
  header.writeUInt16LE(type, 4);
  header.writeUInt16LE(2, 6); // NLM_F_MULTI
  header.writeUInt32LE(seq, 8);
  return Buffer.concat([header, payload, Buffer.alloc((4 - (payload.length % 4)) % 4)]);
}

/** A SockDiag on a fake kernel, read synchronously or through the package's events. */
function diagOn(kernel: () => FakeKernel, sync: boolean): SockDiag {
  return new SockDiag({ openSocket: kernel, syncChannel: (socket) => (sync ? socket as FakeKernel : undefined), interfaces: noNames });
}

describe.each([['through the package\'s events', false], ['synchronously', true]])('SockDiag, reading %s', (_how, sync) => {
  const tcp: Fake[] = [{ family: 4, port: 22, inode: 1 }, { family: 6, port: 22, inode: 2, v6Only: true }];
  const udp4: Fake[] = [{ family: 4, state: 7, port: 53, inode: 3 }];
  const udp6: Fake[] = [{ family: 6, state: 7, port: 5353, inode: 4, v6Only: false }];
  const answers = (r: Request): Fake[][] => (r.protocol === 6 ? (r.family === 0 ? [tcp.slice(0, 1), tcp.slice(1)] : [tcp.filter((f) => (f.family === 6) === (r.family === 10))])
    : [r.family === 2 ? udp4 : udp6]);

  it('lists TCP of both families in one dump and UDP per family, and hands back the same list while nothing changes', async () => {
    const kernel = new FakeKernel(answers, sync);
    const diag = diagOn(() => kernel, sync);
    const first = await diag.listening();
    expect(first.map((s) => `${s.protocol}/${s.family}/${s.port}/${s.state}`)).toEqual(['tcp/4/22/LISTEN', 'tcp/6/22/LISTEN', 'udp/4/53/UNCONN', 'udp/6/5353/UNCONN']);
    expect(kernel.requests.map((r) => [r.type, r.family, r.sync])).toEqual([[TCPDIAG_GETSOCK, 0, sync], [SOCK_DIAG_BY_FAMILY, 2, sync], [SOCK_DIAG_BY_FAMILY, 10, sync]]);
    expect(await diag.listening()).toBe(first);
    udp4.push({ family: 4, state: 7, port: 123, inode: 5 });
    const next = await diag.listening();
    expect(next).not.toBe(first);
    expect(next.map((s) => s.port)).toEqual([22, 22, 53, 123, 5353]);
    expect(next[0]).toBe(first[0]);
    udp4.pop();
  });

  it('falls back to one TCP dump per family, for good, on a kernel that refuses TCPDIAG_GETSOCK', async () => {
    const kernel = new FakeKernel((r) => (r.type === TCPDIAG_GETSOCK ? { errno: 22 } : answers(r)), sync);
    const diag = diagOn(() => kernel, sync);
    expect((await diag.listening()).map((s) => `${s.protocol}/${s.family}/${s.port}`)).toEqual(['tcp/4/22', 'tcp/6/22', 'udp/4/53', 'udp/6/5353']);
    expect((await diag.all()).length).toBe(4);
    const types = kernel.requests.map((r) => r.type);
    expect(types.filter((t) => t === TCPDIAG_GETSOCK)).toHaveLength(1);
    expect(types.slice(types.lastIndexOf(TCPDIAG_GETSOCK) + 1).length).toBeGreaterThanOrEqual(8);
    expect(kernel.closed).toBe(false); // a refusal leaves the socket usable
  });

  it('reports a dump the kernel ends with an error, and any other refusal, as failures', async () => {
    const refused = diagOn(() => new FakeKernel((r) => (r.protocol === 17 ? { errno: 13 } : answers(r)), sync), sync);
    await expect(refused.listening()).rejects.toThrow('sock_diag dump failed: EACCES');
    const ended = diagOn(() => new FakeKernel((r) => (r.protocol === 17 ? { doneErrno: 16 } : answers(r)), sync), sync);
    await expect(ended.listening()).rejects.toThrow('sock_diag dump failed: EBUSY');
    await expect(ended.all()).rejects.toThrow('sock_diag dump failed: EBUSY');
  });

  it('remembers a poll only once all of its dumps succeeded, so the next one still sees the change', async () => {
    let udpFails = false;
    const diag = diagOn(() => new FakeKernel((r) => (r.protocol === 17 && udpFails ? { errno: 16 } : answers(r)), sync), sync);
    const before = await diag.listening();
    tcp.push({ family: 4, port: 80, inode: 6 });
    udpFails = true;
    await expect(diag.listening()).rejects.toThrow('EBUSY');
    udpFails = false;
    const after = await diag.listening();
    tcp.pop();
    expect(after).not.toBe(before);
    expect(after.map((s) => s.port)).toContain(80);
  });

  it('skips late replies to an earlier dump', async () => {
    const kernel = new FakeKernel((r) => (r.protocol === 6 ? { datagram: Buffer.concat([frameOf(TCPDIAG_GETSOCK, r.seq + 1000, message({ port: 99, inode: 9 })), ...answers(r).map((fakes) => Buffer.concat(fakes.map((f) => frameOf(TCPDIAG_GETSOCK, r.seq, message(f))))), frameOf(3, r.seq, Buffer.alloc(4))]) } : answers(r)), sync);
    const ports = (await diagOn(() => kernel, sync).listening()).map((s) => s.port);
    expect(ports).toEqual([22, 22, 53, 5353]);
  });
});

describe('SockDiag, reading synchronously', () => {
  const answers = (r: Request): Fake[][] => [[{ family: r.family === 10 ? 6 : 4, state: r.protocol === 6 ? 10 : 7, port: r.protocol === 6 ? 22 : 53, inode: r.protocol * 100 + r.family }]];

  it('reads listening dumps synchronously and complete listings through the package\'s events', async () => {
    const kernel = new FakeKernel(answers, true);
    const diag = diagOn(() => kernel, true);
    expect(await diag.listening()).toHaveLength(3);
    expect(await diag.all()).toHaveLength(3);
    expect(kernel.requests.map((r) => r.sync)).toEqual([true, true, true, false, false, false]);
  });

  it('gives up a socket whose dump stops before its end, and opens a new one for the next poll', async () => {
    let stop = true;
    const kernels: FakeKernel[] = [];
    const diag = diagOn(() => {
      kernels.push(new FakeKernel((r) => (stop && r.protocol === 17 ? { stopAfter: answers(r) } : answers(r)), true));
      return kernels.at(-1) as FakeKernel;
    }, true);
    await expect(diag.listening()).rejects.toThrow('EAGAIN');
    expect(kernels.map((k) => k.closed)).toEqual([true]);
    stop = false;
    expect(await diag.listening()).toHaveLength(3);
    expect(kernels.map((k) => k.closed)).toEqual([true, false]);
  });

  it('refuses a reply that fills the whole buffer, as it may have been cut short', async () => {
    const kernel = new FakeKernel(() => ({ datagram: Buffer.alloc(64 * 1024, 0) }), true);
    await expect(diagOn(() => kernel, true).listening()).rejects.toThrow('sock_diag reply larger than');
    expect(kernel.closed).toBe(true);
  });

  it('refuses a malformed reply', async () => {
    const kernel = new FakeKernel((r) => ({ datagram: frameOf(TCPDIAG_GETSOCK, r.seq, Buffer.alloc(4)).subarray(0, 18) }), true);
    await expect(diagOn(() => kernel, true).listening()).rejects.toThrow('malformed');
  });

  it('looks for a socket\'s synchronous channel once, and reads through the package\'s events if it has none', async () => {
    const kernel = new FakeKernel(answers);
    let lookups = 0;
    const diag = new SockDiag({ openSocket: () => kernel, syncChannel: () => { lookups++; return undefined; }, interfaces: noNames });
    await diag.listening();
    await diag.listening();
    expect(lookups).toBe(1);
    expect(kernel.requests.map((r) => r.sync)).toEqual([false, false, false, false, false, false]);
  });

  it('finds no descriptor for a socket without a netlink port, or with one this process does not have', () => {
    expect(descriptorChannel(new FakeKernel(answers))).toBeUndefined();
    expect(descriptorChannel(Object.assign(new FakeKernel(answers), { address: () => ({ port: 0xfffffff0, groups: 0 }) }))).toBeUndefined();
  });
});

describe('InterfaceNames', () => {
  it('names an index from /sys/class/net, follows a rename, and forgets a deleted interface', async () => {
    const sys = mkdtempSync(join(tmpdir(), 'palisade-sys-class-net-'));
    const add = (name: string, index: number) => {
      mkdirSync(join(sys, name));
      writeFileSync(join(sys, name, 'ifindex'), `${index}\n`);
    };
    try {
      add('lo', 1);
      add('eth1', 3);
      const names = new InterfaceNames(sys);
      expect(await names.nameOf(0)).toBeUndefined();
      expect(await names.nameOf(3)).toBe('eth1');
      renameSync(join(sys, 'eth1'), join(sys, 'enx0011'));
      expect(await names.nameOf(3)).toBe('enx0011');
      rmSync(join(sys, 'enx0011'), { recursive: true });
      expect(await names.nameOf(3)).toBeUndefined();
      add('eth2', 3); // never happens (indexes are not reused while a socket is bound), and stays unnamed
      expect(await names.nameOf(3)).toBeUndefined();
      expect(await names.nameOf(1)).toBe('lo');
      expect(await new InterfaceNames(join(sys, 'missing')).nameOf(1)).toBeUndefined();
    } finally {
      rmSync(sys, { recursive: true, force: true });
    }
  });
});
