// The drop log without a kernel: NFLOG netlink messages and IPv4/IPv6 packets built byte by byte
// and parsed back; prefixes (Palisade's and foreign ones) turned into entries or ignored; the
// ring buffer's bound; the reader's batching over a fake packet source; and resolv.conf.
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeBindRequest, NFULNL_MSG_CONFIG, NFULNL_MSG_PACKET, parseDatagram, parsePacketMessage, type NflogPacket } from '../../electron/helper/droplog/nflog';
import { parsePacket } from '../../electron/helper/droplog/packet';
import { namedDrop, pendingDrop } from '../../electron/helper/droplog/entry';
import { RingBuffer } from '../../electron/helper/droplog/ring-buffer';
import { DropLogReader } from '../../electron/helper/droplog/reader';
import type { PacketSource } from '../../electron/helper/droplog/nflog-socket';
import { chooseResolvers, parseResolvConf, readResolvers } from '../../electron/helper/resolvers';
import { DropEntrySchema, type DropEntry } from '../../shared/runtime/droplog';
import { LOG_GROUP } from '../../shared/compiler/layout';

// ---- byte builders (netlink headers are in host order; everything in the packet is big-endian) ----

const LE = endianness() === 'LE';
const u16h = (v: number) => { const b = Buffer.alloc(2); if (LE) b.writeUInt16LE(v); else b.writeUInt16BE(v); return b; };
const u32h = (v: number) => { const b = Buffer.alloc(4); if (LE) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0); return b; };
const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(v); return b; };
const u64 = (v: number) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); return b; };
const pad4 = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);

function nlattr(type: number, value: Buffer): Buffer {
  return pad4(Buffer.concat([u16h(4 + value.length), u16h(type), value]));
}

function nlmsg(type: number, flags: number, seq: number, payload: Buffer): Buffer {
  return pad4(Buffer.concat([u32h(16 + payload.length), u16h(type), u16h(flags), u32h(seq), u32h(0), payload]));
}

/** An NFULNL_MSG_PACKET as nfnetlink_log builds it. */
function packetMessage(opts: { family?: number; prefix?: string; indev?: number; outdev?: number; hook?: number; stamp?: [number, number]; payload?: Buffer }): Buffer {
  const attrs: Buffer[] = [];
  attrs.push(nlattr(1, Buffer.concat([u16(opts.family === 10 ? 0x86dd : 0x0800), Buffer.from([opts.hook ?? 1, 0])]))); // NFULA_PACKET_HDR
  if (opts.stamp) attrs.push(nlattr(3, Buffer.concat([u64(opts.stamp[0]), u64(opts.stamp[1])]))); // NFULA_TIMESTAMP
  if (opts.indev !== undefined) attrs.push(nlattr(4, u32(opts.indev)));
  if (opts.outdev !== undefined) attrs.push(nlattr(5, u32(opts.outdev)));
  if (opts.prefix !== undefined) attrs.push(nlattr(10, Buffer.from(`${opts.prefix}\0`)));
  if (opts.payload) attrs.push(nlattr(9, opts.payload));
  const nfgen = Buffer.concat([Buffer.from([opts.family ?? 2, 0]), u16(LOG_GROUP)]);
  return Buffer.concat([nfgen, ...attrs]);
}

function ipv4(opts: { protocol: number; src: string; dst: string; transport: Buffer; fragmentOffset?: number }): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + opts.transport.length, 2);
  header.writeUInt16BE(opts.fragmentOffset ?? 0x4000, 6); // DF, offset 0
  header[8] = 64;
  header[9] = opts.protocol;
  Buffer.from(opts.src.split('.').map(Number)).copy(header, 12);
  Buffer.from(opts.dst.split('.').map(Number)).copy(header, 16);
  return Buffer.concat([header, opts.transport]);
}

function ipv6(opts: { next: number; src: number[]; dst: number[]; rest: Buffer }): Buffer {
  const header = Buffer.alloc(40);
  header[0] = 0x60;
  header.writeUInt16BE(opts.rest.length, 4);
  header[6] = opts.next;
  header[7] = 64;
  Buffer.from(opts.src).copy(header, 8);
  Buffer.from(opts.dst).copy(header, 24);
  return Buffer.concat([header, opts.rest]);
}

const FD00_2 = [0xfd, 0, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const FD00_1 = [0xfd, 0, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const tcp = (sport: number, dport: number) => Buffer.concat([u16(sport), u16(dport), Buffer.alloc(16)]);
const udp = (sport: number, dport: number) => Buffer.concat([u16(sport), u16(dport), u16(8), u16(0)]);

// ---- netlink messages ----------------------------------------------------------------------

describe('NFLOG messages', () => {
  it('binds the group in one acknowledged config request: command, copy mode and range, flush timeout', () => {
    const frame = Buffer.concat(encodeBindRequest({ group: LOG_GROUP, copyRange: 128, flushTimeout: 10 }, 7));
    const read16 = (at: number) => (LE ? frame.readUInt16LE(at) : frame.readUInt16BE(at));
    const read32 = (at: number) => (LE ? frame.readUInt32LE(at) : frame.readUInt32BE(at));
    expect(read32(0)).toBe(frame.length);
    expect(read16(4)).toBe(NFULNL_MSG_CONFIG);
    expect(read16(4)).toBe(0x0401);
    expect(read16(6)).toBe(0x1 | 0x4); // NLM_F_REQUEST | NLM_F_ACK
    expect(read32(8)).toBe(7);
    // nfgenmsg: AF_UNSPEC, NFNETLINK_V0, group big-endian
    expect([...frame.subarray(16, 18)]).toEqual([0, 0]);
    expect(frame.readUInt16BE(18)).toBe(LOG_GROUP);
    // NFULA_CFG_CMD = BIND
    expect([read16(20), read16(22), frame[24]]).toEqual([5, 1, 1]);
    // NFULA_CFG_MODE: copy_range 128 (BE), NFULNL_COPY_PACKET; 10 bytes, padded to 12
    expect([read16(28), read16(30)]).toEqual([10, 2]);
    expect(frame.readUInt32BE(32)).toBe(128);
    expect(frame[36]).toBe(2);
    // NFULA_CFG_TIMEOUT: 10 (1/100 s, BE)
    expect([read16(40), read16(42)]).toEqual([8, 4]);
    expect(frame.readUInt32BE(44)).toBe(10);
    expect(frame.length).toBe(48);
  });

  it('reads a batch of packets (NLM_F_MULTI, ended by NLMSG_DONE) and acknowledgements', () => {
    const payload = ipv4({ protocol: 6, src: '10.77.0.2', dst: '10.77.0.1', transport: tcp(40001, 8080) });
    const datagram = Buffer.concat([
      nlmsg(NFULNL_MSG_PACKET, 0x2, 0, packetMessage({ prefix: 'pal:private:block:web', indev: 3, payload, stamp: [1_700_000_000, 250_000] })),
      nlmsg(NFULNL_MSG_PACKET, 0x2, 0, packetMessage({ family: 10, prefix: 'pal:public:out-default', outdev: 4, hook: 3 })),
      nlmsg(3, 0x2, 0, u32h(0)), // NLMSG_DONE
      nlmsg(2, 0, 7, Buffer.concat([u32h(0), Buffer.alloc(16)])), // ACK for seq 7
      nlmsg(2, 0, 8, Buffer.concat([u32h(-1 >>> 0), Buffer.alloc(16)])), // EPERM for seq 8
    ]);
    const { packets, acks } = parseDatagram(datagram);
    expect(acks).toEqual([{ seq: 7, errno: 0 }, { seq: 8, errno: 1 }]);
    expect(packets).toHaveLength(2);
    expect(packets[0]).toEqual({
      family: 4, group: LOG_GROUP, prefix: 'pal:private:block:web', hook: 1, inIfindex: 3,
      timestamp: new Date(1_700_000_000_250), payload,
    });
    expect(packets[1]).toEqual({ family: 6, group: LOG_GROUP, prefix: 'pal:public:out-default', hook: 3, outIfindex: 4 });
  });

  it('survives short, truncated and unknown attributes', () => {
    expect(parsePacketMessage(Buffer.alloc(2))).toBeUndefined();
    const good = packetMessage({ prefix: 'pal:public:default', indev: 2 });
    // An attribute claiming more bytes than there are ends the walk without throwing.
    const broken = Buffer.concat([good, u16h(200), u16h(9), Buffer.alloc(4)]);
    expect(parsePacketMessage(broken)).toMatchObject({ prefix: 'pal:public:default', inIfindex: 2 });
    const unknown = Buffer.concat([good, nlattr(0x7ff, Buffer.alloc(3))]);
    expect(parsePacketMessage(unknown)).toMatchObject({ prefix: 'pal:public:default', inIfindex: 2 });
    expect(parsePacketMessage(Buffer.from([7, 0, 0x1c, 0x8f]))).toEqual({ family: undefined, group: LOG_GROUP, prefix: '' });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      parsePacketMessage(Buffer.from(bytes));
      parsePacket(Buffer.from(bytes));
    }));
  });
});

// ---- packets -------------------------------------------------------------------------------

describe('IPv4 and IPv6 packets', () => {
  it('reads IPv4 TCP, UDP and ICMP', () => {
    expect(parsePacket(ipv4({ protocol: 6, src: '10.77.0.2', dst: '10.77.0.1', transport: tcp(40001, 22) }))).toEqual({
      family: 4, protocol: 'tcp', source: '10.77.0.2', destination: '10.77.0.1', sourcePort: 40001, destinationPort: 22,
    });
    expect(parsePacket(ipv4({ protocol: 17, src: '192.168.1.9', dst: '192.168.1.1', transport: udp(5353, 53) }))).toMatchObject({
      protocol: 'udp', sourcePort: 5353, destinationPort: 53,
    });
    expect(parsePacket(ipv4({ protocol: 1, src: '10.0.0.2', dst: '10.0.0.1', transport: Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]) }))).toEqual({
      family: 4, protocol: 'icmp', source: '10.0.0.2', destination: '10.0.0.1', icmpType: 8, icmpCode: 0,
    });
  });

  it('reads options, and leaves ports out where the packet does not have them', () => {
    const withOptions = ipv4({ protocol: 6, src: '10.0.0.2', dst: '10.0.0.1', transport: Buffer.concat([Buffer.alloc(4, 1), tcp(1234, 443)]) });
    withOptions[0] = 0x46; // IHL 6: four bytes of options before TCP
    expect(parsePacket(withOptions)).toMatchObject({ sourcePort: 1234, destinationPort: 443 });
    const laterFragment = ipv4({ protocol: 17, src: '10.0.0.2', dst: '10.0.0.1', transport: udp(1, 2), fragmentOffset: 0x0010 });
    expect(parsePacket(laterFragment)).toEqual({ family: 4, protocol: 'udp', source: '10.0.0.2', destination: '10.0.0.1' });
    const cut = ipv4({ protocol: 6, src: '10.0.0.2', dst: '10.0.0.1', transport: Buffer.alloc(2) });
    expect(parsePacket(cut)).toEqual({ family: 4, protocol: 'tcp', source: '10.0.0.2', destination: '10.0.0.1' });
    expect(parsePacket(ipv4({ protocol: 47, src: '10.0.0.2', dst: '10.0.0.1', transport: Buffer.alloc(8) }))?.protocol).toBe('gre');
    expect(parsePacket(ipv4({ protocol: 253, src: '10.0.0.2', dst: '10.0.0.1', transport: Buffer.alloc(8) }))?.protocol).toBe('253');
    expect(parsePacket(Buffer.from([0x45, 0, 0]))).toBeUndefined();
    expect(parsePacket(Buffer.alloc(40))).toBeUndefined(); // version 0
  });

  it('reads IPv6 TCP, UDP and ICMPv6 with RFC 5952 addresses', () => {
    expect(parsePacket(ipv6({ next: 6, src: FD00_2, dst: FD00_1, rest: tcp(40002, 2222) }))).toEqual({
      family: 6, protocol: 'tcp', source: 'fd00:77::2', destination: 'fd00:77::1', sourcePort: 40002, destinationPort: 2222,
    });
    expect(parsePacket(ipv6({ next: 17, src: FD00_2, dst: FD00_1, rest: udp(546, 547) }))).toMatchObject({ protocol: 'udp', sourcePort: 546, destinationPort: 547 });
    expect(parsePacket(ipv6({ next: 58, src: FD00_2, dst: FD00_1, rest: Buffer.from([128, 0, 0, 0]) }))).toMatchObject({ protocol: 'icmpv6', icmpType: 128, icmpCode: 0 });
  });

  it('walks IPv6 extension headers to the transport header, and stops at later fragments', () => {
    const hopByHop = Buffer.concat([Buffer.from([60, 0]), Buffer.alloc(6)]); // → destination options, 8 bytes
    const destOpts = Buffer.concat([Buffer.from([44, 1]), Buffer.alloc(14)]); // → fragment, 16 bytes
    const firstFragment = Buffer.from([17, 0, 0, 1, 0, 0, 0, 9]); // → UDP, offset 0, more fragments
    const packet = ipv6({ next: 0, src: FD00_2, dst: FD00_1, rest: Buffer.concat([hopByHop, destOpts, firstFragment, udp(4000, 9001)]) });
    expect(parsePacket(packet)).toMatchObject({ protocol: 'udp', sourcePort: 4000, destinationPort: 9001 });
    const laterFragment = Buffer.from([17, 0, 0x05, 0x00, 0, 0, 0, 9]); // offset 160
    expect(parsePacket(ipv6({ next: 44, src: FD00_2, dst: FD00_1, rest: Buffer.concat([laterFragment, udp(1, 2)]) }))).toEqual({
      family: 6, protocol: 'udp', source: 'fd00:77::2', destination: 'fd00:77::1',
    });
    // Cut inside the extension headers (the copy range ran out): addresses, no ports.
    expect(parsePacket(ipv6({ next: 0, src: FD00_2, dst: FD00_1, rest: Buffer.alloc(4) }))).toMatchObject({ family: 6, source: 'fd00:77::2' });
    expect(parsePacket(ipv6({ next: 0, src: FD00_2, dst: FD00_1, rest: Buffer.alloc(4) }))?.destinationPort).toBeUndefined();
    expect(parsePacket(Buffer.concat([Buffer.from([0x60]), Buffer.alloc(20)]))).toBeUndefined();
  });
});

// ---- prefixes and entries ------------------------------------------------------------------

describe('drop entries from logged packets', () => {
  const at = new Date('2030-01-02T03:04:05.000Z');
  const v4tcp = ipv4({ protocol: 6, src: '10.77.0.2', dst: '10.77.0.1', transport: tcp(40001, 8080) });
  const packet = (prefix: string, extra: Partial<NflogPacket> = {}): NflogPacket => ({ family: 4, group: LOG_GROUP, prefix, inIfindex: 3, payload: v4tcp, ...extra });

  it('reads the profile, what decided and the rule from Palisade prefixes', () => {
    expect(pendingDrop(packet('pal:private:block:web'), at)).toEqual({
      time: at.toISOString(), ifindex: 3, direction: 'in', profile: 'private', kind: 'block', ruleId: 'web',
      family: 4, protocol: 'tcp', source: '10.77.0.2', sourcePort: 40001, destination: '10.77.0.1', destinationPort: 8080,
    });
    expect(pendingDrop(packet('pal:public:default'), at)).toMatchObject({ profile: 'public', kind: 'default' });
    expect(pendingDrop(packet('pal:public:default'), at)).not.toHaveProperty('ruleId');
    expect(pendingDrop(packet('pal:public:limit:ssh-1'), at)).toMatchObject({ kind: 'limit', ruleId: 'ssh-1' });
    expect(pendingDrop(packet('pal:public:spoof'), at)).toMatchObject({ kind: 'spoof', direction: 'in' });
    // Outbound drops name the interface the packet was to leave by.
    const outgoing: NflogPacket = { family: 4, group: LOG_GROUP, prefix: 'pal:public:out-default', hook: 3, outIfindex: 5, payload: v4tcp };
    expect(pendingDrop(outgoing, at)).toMatchObject({ kind: 'out-default', direction: 'out', ifindex: 5 });
    expect(pendingDrop(packet('pal:private:out-block:r2', { outIfindex: 5 }), at)).toMatchObject({ direction: 'out', ifindex: 5, ruleId: 'r2' });
  });

  it('ignores foreign prefixes and packets it cannot read', () => {
    for (const prefix of ['', 'other:firewall', 'pal:', 'pal:home:default', 'pal:public:nonsense', 'PAL:public:default', 'xpal:public:default']) {
      expect(pendingDrop(packet(prefix), at), prefix).toBeUndefined();
    }
    expect(pendingDrop(packet('pal:public:default', { payload: Buffer.alloc(3) }), at)).toBeUndefined();
    expect(pendingDrop({ family: 4, group: LOG_GROUP, prefix: 'pal:public:default', inIfindex: 3 }, at)).toBeUndefined();
  });

  it('uses the kernel timestamp only when it is wall-clock time', () => {
    const stamped = new Date(at.getTime() - 1500);
    expect(pendingDrop(packet('pal:public:default', { timestamp: stamped }), at)?.time).toBe(stamped.toISOString());
    // A monotonic departure time (seconds since boot) would read as 1970.
    expect(pendingDrop(packet('pal:public:default', { timestamp: new Date(12_345_000) }), at)?.time).toBe(at.toISOString());
  });

  it('names the interface, or says which index it was', () => {
    const drop = pendingDrop(packet('pal:public:default'), at);
    if (!drop) throw new Error('no entry');
    expect(DropEntrySchema.parse(namedDrop(drop, 'eth0'))).toEqual({ ...namedDrop(drop, 'eth0'), interface: 'eth0' });
    expect(namedDrop(drop, 'eth0')).not.toHaveProperty('ifindex');
    expect(namedDrop(drop, undefined).interface).toBe('if3');
  });
});

// ---- ring buffer ---------------------------------------------------------------------------

describe('RingBuffer', () => {
  it('keeps the newest items, oldest first, never more than its capacity', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer(), { maxLength: 100 }), fc.integer({ min: -5, max: 40 }), (capacity, items, limit) => {
      const ring = new RingBuffer<number>(capacity);
      for (const item of items) {
        ring.push(item);
        expect(ring.size).toBeLessThanOrEqual(capacity);
      }
      const kept = items.slice(-capacity);
      expect(ring.newest()).toEqual(kept);
      expect(ring.newest(limit)).toEqual(limit > 0 ? kept.slice(-limit) : []);
      expect(ring.drain()).toEqual(kept);
      expect(ring.size).toBe(0);
      expect(ring.newest()).toEqual([]);
    }));
  });

  it('refuses a capacity that is not a positive whole number', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) expect(() => new RingBuffer(capacity)).toThrow(RangeError);
  });
});

// ---- the reader ----------------------------------------------------------------------------

class FakeSource extends EventEmitter implements PacketSource {
  opened = 0;
  closed = 0;
  constructor(private readonly failure?: Error) {
    super();
  }
  async open(): Promise<void> {
    this.opened++;
    if (this.failure) throw this.failure;
  }
  close(): void {
    this.closed++;
  }
}

function logged(n: number, dport = 9000, prefix = 'pal:public:default'): NflogPacket[] {
  return Array.from({ length: n }, (_, i) => ({
    family: 4 as const, group: LOG_GROUP, prefix, inIfindex: 2,
    payload: ipv4({ protocol: 17, src: '10.77.0.2', dst: '10.77.0.1', transport: udp(10_000 + i, dport) }),
  }));
}

describe('DropLogReader', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  function reader(opts: { capacity?: number; source?: FakeSource } = {}) {
    const source = opts.source ?? new FakeSource();
    const lookups: number[] = [];
    const logs: string[] = [];
    const r = new DropLogReader({
      ...(opts.capacity ? { capacity: opts.capacity } : {}),
      source,
      interfaces: { nameOf: async (i) => { lookups.push(i); return i === 2 ? 'h0' : undefined; } },
      log: (m) => logs.push(m),
    });
    const batches: DropEntry[][] = [];
    r.on('entries', (e: DropEntry[]) => batches.push(e));
    return { r, source, lookups, logs, batches };
  }

  it('announces entries in batches, at most one per flush interval, and keeps them for recent()', async () => {
    const { r, source, lookups, batches } = reader();
    await r.start();
    expect(source.opened).toBe(1);
    for (let i = 0; i < 10; i++) {
      source.emit('packets', logged(3));
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(30);
    expect(lookups).toEqual([2]); // once per batch, not once per entry
    for (const e of batches[0] ?? []) expect(DropEntrySchema.parse(e)).toEqual(e);
    expect(batches[0]?.[0]).toMatchObject({ interface: 'h0', protocol: 'udp', destinationPort: 9000, sourcePort: 10_000 });

    // Over 2 s of steady traffic: at most one announcement per 250 ms.
    for (let t = 0; t < 2000; t += 10) {
      source.emit('packets', logged(1));
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(250);
    expect(batches.length).toBeLessThanOrEqual(1 + 2000 / 250 + 1);
    expect(batches.flat()).toHaveLength(30 + 200);
    expect(r.recent(5)).toEqual(batches.flat().slice(-5));
    expect(r.stats()).toMatchObject({ active: true, logged: 230, ignored: 0 });
    await r.stop();
    expect(source.closed).toBe(1);
  });

  it('never holds more than its capacity, pending or kept', async () => {
    const { r, source, batches } = reader({ capacity: 50 });
    await r.start();
    source.emit('packets', logged(5000));
    await vi.advanceTimersByTimeAsync(250);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(50);
    // The newest 50 of the 5000.
    expect(batches[0]?.[0]?.sourcePort).toBe(10_000 + 4950);
    source.emit('packets', logged(30, 9001));
    await vi.advanceTimersByTimeAsync(250);
    const recent = r.recent(1000);
    expect(recent).toHaveLength(50);
    expect(recent.slice(-30).every((e) => e.destinationPort === 9001)).toBe(true);
    expect(recent.slice(0, 20).every((e) => e.destinationPort === 9000)).toBe(true);
    expect(r.recent(3)).toEqual(recent.slice(-3));
    await r.stop();
  });

  it('counts and leaves out other tables\' prefixes', async () => {
    const { r, source, batches } = reader();
    await r.start();
    source.emit('packets', [...logged(2, 1, 'other:firewall'), ...logged(1, 2), ...logged(1, 3, 'pal:nowhere:default')]);
    await vi.advanceTimersByTimeAsync(250);
    expect(batches.flat().map((e) => e.destinationPort)).toEqual([2]);
    expect(r.stats()).toMatchObject({ logged: 1, ignored: 3 });
    await r.stop();
  });

  it('announces what is pending when stopped, and nothing after', async () => {
    const { r, source, batches } = reader();
    await r.start();
    source.emit('packets', logged(4));
    await r.stop();
    expect(batches.flat()).toHaveLength(4);
    source.emit('packets', logged(4));
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches.flat()).toHaveLength(4);
    expect(r.stats().active).toBe(false);
  });

  it('runs without a drop log when the group cannot be bound, saying why', async () => {
    const { r, logs } = reader({ source: new FakeSource(new Error('NFLOG group 7311: bind refused (EPERM: another program reads this group)')) });
    await expect(r.start()).resolves.toBeUndefined();
    expect(r.stats()).toMatchObject({ active: false, failure: expect.stringContaining('EPERM') });
    expect(logs.join('\n')).toContain('no drop log');
    expect(r.recent(10)).toEqual([]);
    await r.stop();
  });

  it('reports receive-buffer overruns, but not on every one', async () => {
    const { r, source, logs } = reader();
    await r.start();
    for (let i = 0; i < 5; i++) source.emit('overrun');
    source.emit('error', new Error('recvmsg failed'));
    expect(r.stats().overruns).toBe(5);
    expect(logs.filter((l) => l.includes('dropped log messages'))).toHaveLength(1);
    expect(logs.some((l) => l.includes('recvmsg failed'))).toBe(true);
    await r.stop();
  });
});

// ---- resolvers -----------------------------------------------------------------------------

describe('DNS resolvers', () => {
  it('reads nameserver lines: canonical, without zone ids, once each, nothing else', () => {
    const text = [
      '# Generated by NetworkManager',
      'search example.org',
      'nameserver 192.168.1.1',
      '  nameserver   2001:db8:0::53   # trailing comment',
      'nameserver fe80::1%wlan0',
      'nameserver 192.168.1.1',
      ';nameserver 8.8.8.8',
      '#nameserver 8.8.4.4',
      'nameserver not-an-address',
      'nameserver 10.1',
      'nameserver',
      'options edns0 trust-ad',
    ].join('\n');
    expect(parseResolvConf(text)).toEqual(['192.168.1.1', '2001:db8::53', 'fe80::1']);
    expect(parseResolvConf('')).toEqual([]);
  });

  it('follows systemd-resolved\'s stub to its upstreams, and keeps loopback only when it is all there is', () => {
    expect(chooseResolvers(['127.0.0.53'], ['192.168.1.1', 'fd00::1'])).toEqual(['192.168.1.1', 'fd00::1']);
    expect(chooseResolvers(['127.0.0.53', '127.0.0.54'], ['9.9.9.9'])).toEqual(['9.9.9.9']);
    // resolved without upstreams, or its file unreadable: the stub is all there is.
    expect(chooseResolvers(['127.0.0.53'], [])).toEqual(['127.0.0.53']);
    expect(chooseResolvers(['127.0.0.53'], undefined)).toEqual(['127.0.0.53']);
    // Not only the stub: the system file is what is used; loopback dropped beside real servers.
    expect(chooseResolvers(['127.0.0.53', '10.0.0.1'], ['9.9.9.9'])).toEqual(['10.0.0.1']);
    expect(chooseResolvers(['127.0.0.1', '::1'], ['9.9.9.9'])).toEqual(['127.0.0.1', '::1']);
    expect(chooseResolvers(['1.1.1.1'], undefined)).toEqual(['1.1.1.1']);
    expect(chooseResolvers([], ['9.9.9.9'])).toEqual([]);
  });

  it('reads the files as they are now; missing files count as empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-resolv-'));
    try {
      const resolvConf = join(dir, 'resolv.conf');
      const resolvedUpstreamConf = join(dir, 'upstream.conf');
      expect(readResolvers({ resolvConf, resolvedUpstreamConf })).toEqual([]);
      await writeFile(resolvConf, 'nameserver 127.0.0.53\noptions edns0\n');
      expect(readResolvers({ resolvConf, resolvedUpstreamConf })).toEqual(['127.0.0.53']);
      await writeFile(resolvedUpstreamConf, 'nameserver 192.168.7.1\nnameserver fd00:7::1\n');
      expect(readResolvers({ resolvConf, resolvedUpstreamConf })).toEqual(['192.168.7.1', 'fd00:7::1']);
      await writeFile(resolvConf, 'nameserver 10.9.9.9\n');
      expect(readResolvers({ resolvConf, resolvedUpstreamConf })).toEqual(['10.9.9.9']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
