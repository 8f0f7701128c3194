// ListSockets' compact wire form (shared/dbus/socket-wire.ts): whatever the sockets, the client
// decodes exactly the list it used to get from the plain JSON answer (same fields, same order),
// and a malformed document is refused with the client's protocol error, never decoded.
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import dbus from 'dbus-next';
import { FirewallClient, FirewallError } from '../../electron/client/firewall-client';
import { FirewallService, type Handlers } from '../../electron/helper/dbus/service';
import { BUS_NAME, INTERFACE_NAME, METHODS, OBJECT_PATH } from '../../shared/dbus/contract';
import { SOCKET_STATES, SocketListWireSchema, decodeSocketList, encodeSocketList, type SocketListWire } from '../../shared/dbus/socket-wire';
import type { AppIdentity } from '../../shared/policy/schema';
import type { ProcessInfo, SocketEntry } from '../../shared/runtime/sockets';

const { Message, MessageType } = dbus;

/** What a client got before the wire form: the plain JSON list, checked by the result schema. */
const plainAnswer = (list: readonly SocketEntry[]) => METHODS.ListSockets.result.parse(JSON.parse(JSON.stringify(list)));

/** Encoded, sent as JSON, checked and decoded, as between palisaded and a client. */
function overTheWire(list: readonly SocketEntry[]): SocketEntry[] {
  const checked = SocketListWireSchema.safeParse(JSON.parse(JSON.stringify(encodeSocketList(list))));
  if (!checked.success) throw new Error(`the wire form of a valid list was refused: ${checked.error.message}`);
  return decodeSocketList(checked.data);
}

/** A FirewallClient whose bus answers every call with `body` (the constructor is private). */
function clientAnswering(body: string): FirewallClient {
  const bus = { on: () => bus, call: () => Promise.resolve({ body: [body] }), disconnect: () => undefined };
  return new (FirewallClient as unknown as new (b: unknown) => FirewallClient)(bus);
}

const node = (pid: number): ProcessInfo => ({ pid, exe: '/usr/bin/node', cmdline: ['/usr/bin/node', 'holder.cjs'], uid: 1000, user: 'alice' });
const NODE_APP: AppIdentity = { kind: 'executable', path: '/usr/bin/node' };

/** The benchmark's shape: 10,000 sockets, four processes, every socket of a process sharing its objects. */
function tenThousand(): SocketEntry[] {
  const list: SocketEntry[] = [];
  let inode = 50_000;
  for (let h = 0; h < 4; h++) {
    const process = node(4000 + h);
    const six = h % 2 === 1;
    const any = six ? '::' : '0.0.0.0';
    const local = six ? '::1' : '127.0.0.1';
    for (let i = 0; i < 100; i++) list.push({ protocol: 'tcp', family: six ? 6 : 4, state: 'LISTEN', address: any, port: 10_000 + h * 100 + i, remoteAddress: any, remotePort: 0, ...(six ? { v6Only: true } : {}), inode: inode++, uid: 1000, process, app: NODE_APP });
    for (let i = 0; i < 100; i++) list.push({ protocol: 'udp', family: six ? 6 : 4, state: 'UNCONN', address: local, port: 20_000 + h * 100 + i, remoteAddress: any, remotePort: 0, ...(six ? { v6Only: false } : {}), inode: inode++, uid: 1000, process, app: NODE_APP });
    for (let i = 0; i < 2300; i++) list.push({ protocol: 'tcp', family: six ? 6 : 4, state: 'ESTABLISHED', address: local, port: 30_000 + i, remoteAddress: local, remotePort: 40_000 + i, inode: inode++, uid: 1000, process, app: NODE_APP });
  }
  return list;
}

// ---- arbitraries -----------------------------------------------------------------------------

const text = fc.string({ maxLength: 12 });
const absolutePath = fc.stringMatching(/^(\/[a-z][a-z0-9_-]{0,8}){1,3}$/);
const arbProcess: fc.Arbitrary<ProcessInfo> = fc.record({
  pid: fc.integer({ min: 1, max: 4_194_304 }),
  exe: fc.option(absolutePath, { nil: null }),
  cmdline: fc.array(text, { maxLength: 3 }),
  uid: fc.nat({ max: 2 ** 32 - 1 }),
  user: fc.option(text, { nil: null }),
});
const arbApp: fc.Arbitrary<AppIdentity> = fc.oneof(
  absolutePath.map((path) => ({ kind: 'executable' as const, path })),
  fc.tuple(absolutePath, absolutePath).map(([interpreter, script]) => ({ kind: 'script' as const, interpreter, script })),
  fc.constantFrom('org.example.App', 'com.valvesoftware.Steam').map((appId) => ({ kind: 'flatpak' as const, appId })),
  fc.constantFrom('firefox', 'lxd', 'node-18').map((name) => ({ kind: 'snap' as const, name })),
  fc.constantFrom('Obsidian.AppImage', 'app with spaces').map((name) => ({ kind: 'appimage' as const, name })),
);
const address = fc.oneof(fc.constantFrom('0.0.0.0', '::', '127.0.0.1', '::1', '::ffff:10.0.0.1'), fc.ipV4(), fc.ipV6());

/** A socket, its process and app as indexes into shared pools, and whether it holds the pooled object or an equal copy. */
const arbRow = fc.record({
  protocol: fc.constantFrom('tcp' as const, 'udp' as const),
  family: fc.constantFrom(4 as const, 6 as const),
  state: fc.constantFrom(...SOCKET_STATES),
  address,
  port: fc.integer({ min: 0, max: 65_535 }),
  remoteAddress: address,
  remotePort: fc.integer({ min: 0, max: 65_535 }),
  v6Only: fc.option(fc.boolean(), { nil: undefined }),
  explicitUndefined: fc.boolean(),
  boundInterface: fc.option(fc.constantFrom('eth0', 'lo', 'wlp2s0', 'enx00e04c680001'), { nil: undefined }),
  inode: fc.nat({ max: 2 ** 32 - 1 }),
  uid: fc.nat({ max: 2 ** 32 - 1 }),
  process: fc.option(fc.nat(5), { nil: undefined }),
  app: fc.option(fc.nat(5), { nil: undefined }),
  copies: fc.boolean(),
});

const arbList: fc.Arbitrary<SocketEntry[]> = fc.tuple(fc.array(arbProcess, { minLength: 6, maxLength: 6 }), fc.array(arbApp, { minLength: 6, maxLength: 6 }), fc.array(arbRow, { maxLength: 60 }))
  .map(([processes, apps, rows]) => rows.map((r) => {
    const entry: SocketEntry = {
      protocol: r.protocol, family: r.family, state: r.state, address: r.address, port: r.port,
      remoteAddress: r.remoteAddress, remotePort: r.remotePort, inode: r.inode, uid: r.uid,
    };
    if (r.v6Only !== undefined || r.explicitUndefined) entry.v6Only = r.v6Only;
    if (r.boundInterface !== undefined || r.explicitUndefined) entry.boundInterface = r.boundInterface;
    const p = r.process === undefined ? undefined : processes[r.process];
    const a = r.app === undefined ? undefined : apps[r.app];
    if (p) entry.process = r.copies ? { ...p, cmdline: [...p.cmdline] } : p;
    if (a) entry.app = r.copies ? { ...a } : a;
    return entry;
  }));

// ---- round trip ------------------------------------------------------------------------------

describe('ListSockets on the wire', () => {
  it('decodes to exactly what the plain JSON answer gave, field order included (fast-check)', () => {
    fc.assert(fc.property(arbList, (list) => {
      const decoded = overTheWire(list);
      const plain = plainAnswer(list);
      expect(decoded).toEqual(plain);
      expect(JSON.stringify(decoded)).toBe(JSON.stringify(plain));
      // The decoded list fits the result schema callers are typed against.
      expect(METHODS.ListSockets.result.safeParse(decoded).success).toBe(true);
    }), { numRuns: 300 });
  });

  it('sends each distinct process, app and address once', () => {
    fc.assert(fc.property(arbList, (list) => {
      const wire = encodeSocketList(list);
      const distinct = (values: unknown[]) => new Set(values.map((v) => JSON.stringify(v))).size;
      expect(wire.processes).toHaveLength(distinct(list.flatMap((s) => (s.process ? [s.process] : []))));
      expect(wire.apps).toHaveLength(distinct(list.flatMap((s) => (s.app ? [[s.app.kind, ...Object.values(s.app)]] : []))));
      expect(wire.strings).toHaveLength(new Set(list.flatMap((s) => [s.address, s.remoteAddress, ...(s.boundInterface === undefined ? [] : [s.boundInterface])])).size);
    }));
  });

  it('gives every decoded socket objects of its own (no process or app shared between sockets)', () => {
    const decoded = overTheWire(tenThousand().slice(0, 3));
    const [a, b] = decoded;
    expect(a?.process).toEqual(b?.process);
    expect(a?.process).not.toBe(b?.process);
    expect(a?.process?.cmdline).not.toBe(b?.process?.cmdline);
    expect(a?.app).not.toBe(b?.app);
  });

  it('keeps only the contract\'s process fields', () => {
    const process = { ...node(7), cgroup: '/user.slice' } as ProcessInfo;
    const [socket] = tenThousand();
    const wire = encodeSocketList([{ ...(socket as SocketEntry), process }]);
    expect(Object.keys(wire.processes[0] ?? {})).toEqual(['pid', 'exe', 'cmdline', 'uid', 'user']);
  });

  it('at 10,000 sockets of four processes: a tenth of the plain answer', () => {
    const list = tenThousand();
    const wire = encodeSocketList(list);
    expect(wire.processes).toHaveLength(4);
    expect(wire.apps).toHaveLength(1);
    const wireBytes = JSON.stringify(wire).length;
    const plainBytes = JSON.stringify(list).length;
    expect(wireBytes).toBeLessThan(plainBytes / 8);
    expect(overTheWire(list)).toEqual(plainAnswer(list));
  });

  it('an empty list', () => {
    expect(overTheWire([])).toEqual([]);
  });
});

// ---- malformed documents -----------------------------------------------------------------------

/** A small valid document to break: three sockets, a bound one, v6Only on two. */
function validDoc(): SocketListWire {
  const process = node(42);
  const list: SocketEntry[] = [
    { protocol: 'tcp', family: 4, state: 'LISTEN', address: '0.0.0.0', port: 22, remoteAddress: '0.0.0.0', remotePort: 0, boundInterface: 'eth0', inode: 100, uid: 0, process, app: NODE_APP },
    { protocol: 'tcp', family: 6, state: 'LISTEN', address: '::', port: 22, remoteAddress: '::', remotePort: 0, v6Only: true, inode: 101, uid: 0, process, app: NODE_APP },
    { protocol: 'udp', family: 6, state: 'UNCONN', address: '::1', port: 5353, remoteAddress: '::', remotePort: 0, v6Only: false, inode: 102, uid: 1000 },
  ];
  return JSON.parse(JSON.stringify(encodeSocketList(list))) as SocketListWire;
}

type Doc = Record<string, unknown> & { v6Only: { rows: unknown[]; values: unknown[] }; boundInterface: { rows: unknown[]; values: unknown[] } };

const MALFORMED: { what: string; breaks: (doc: Doc) => unknown; says: RegExp }[] = [
  { what: 'a column one entry short', breaks: (d) => { (d.port as number[]).pop(); }, says: /port: 2 entries for 3 sockets/ },
  { what: 'a count that does not match the columns', breaks: (d) => { d.count = 4; }, says: /entries for 4 sockets/ },
  { what: 'a missing column', breaks: (d) => { delete d.inode; }, says: /inode: expected an array of numbers/ },
  { what: 'a column that is not an array', breaks: (d) => { d.uid = '0,0,1000'; }, says: /uid: expected an array of numbers/ },
  { what: 'a missing table', breaks: (d) => { delete d.strings; }, says: /strings: .*expected array/ },
  { what: 'protocol 2', breaks: (d) => { (d.protocol as number[])[0] = 2; }, says: /protocol\.0: / },
  { what: 'family 5', breaks: (d) => { (d.family as number[])[1] = 5; }, says: /family\.1: / },
  { what: 'a state past the list', breaks: (d) => { (d.state as number[])[2] = SOCKET_STATES.length; }, says: /state\.2: 12 is not an index into the socket states/ },
  { what: 'a state by name', breaks: (d) => { (d.state as unknown[])[0] = 'LISTEN'; }, says: /state\.0: "LISTEN" is not an index/ },
  { what: 'a fractional state', breaks: (d) => { (d.state as number[])[0] = 0.5; }, says: /state\.0: / },
  { what: 'an address index out of range', breaks: (d) => { (d.address as number[])[0] = (d.strings as string[]).length; }, says: /address\.0: \d+ is not an index into strings/ },
  { what: 'a negative remote address index', breaks: (d) => { (d.remoteAddress as number[])[1] = -1; }, says: /remoteAddress\.1: -1 is not an index into strings/ },
  { what: 'a process index out of range', breaks: (d) => { (d.process as number[])[0] = 1; }, says: /process\.0: 1 is not an index into processes/ },
  { what: 'a process index below -1', breaks: (d) => { (d.process as number[])[2] = -2; }, says: /process\.2: -2 is not an index into processes/ },
  { what: 'an app index out of range', breaks: (d) => { (d.app as number[])[1] = 3; }, says: /app\.1: 3 is not an index into apps/ },
  { what: 'port 70000', breaks: (d) => { (d.port as number[])[0] = 70_000; }, says: /port\.0: 70000 is not a port/ },
  { what: 'an object where a number goes', breaks: (d) => { (d.inode as unknown[])[1] = JSON.parse('{"toString":0}'); }, says: /inode\.1: an object is not an inode number/ },
  { what: 'a null remote port', breaks: (d) => { (d.remotePort as unknown[])[0] = null; }, says: /remotePort\.0: null is not a port/ },
  { what: 'an inode of 2^32', breaks: (d) => { (d.inode as number[])[0] = 2 ** 32; }, says: /inode\.0: / },
  { what: 'a fractional uid', breaks: (d) => { (d.uid as number[])[2] = 1.5; }, says: /uid\.2: 1\.5 is not a uid/ },
  { what: 'v6Only rows out of order', breaks: (d) => { d.v6Only.rows.reverse(); }, says: /v6Only\.rows\.1: rows must be ascending/ },
  { what: 'a v6Only row past the sockets', breaks: (d) => { d.v6Only.rows[1] = 3; }, says: /v6Only\.rows\.1: rows must be ascending socket indexes below 3/ },
  { what: 'more v6Only rows than values', breaks: (d) => { d.v6Only.values.pop(); }, says: /v6Only: 2 rows for 1 values/ },
  { what: 'a v6Only value that is not a boolean', breaks: (d) => { d.v6Only.values[0] = 1; }, says: /v6Only\.values\.0: .*expected boolean/ },
  { what: 'v6Only null', breaks: (d) => { d.v6Only = null as never; }, says: /v6Only: .*expected object/ },
  { what: 'a bound interface out of the strings', breaks: (d) => { d.boundInterface.values[0] = 99; }, says: /boundInterface\.values\.0: 99 is not an index into strings/ },
  { what: 'a process with a pid as a string', breaks: (d) => { (d.processes as { pid: unknown }[])[0] = { ...node(42), pid: '42' }; }, says: /processes\.0\.pid: .*expected number/ },
  { what: 'an app with a relative path', breaks: (d) => { (d.apps as unknown[])[0] = { kind: 'executable', path: 'bin/node' }; }, says: /apps\.0\.path: / },
  { what: 'a string that is a number', breaks: (d) => { (d.strings as unknown[])[0] = 4; }, says: /strings\.0: .*expected string/ },
  { what: 'a negative count', breaks: (d) => { d.count = -1; }, says: /count: / },
  { what: 'the plain list (an older helper)', breaks: () => plainAnswer([]), says: /expected object, received array/ },
  { what: 'null', breaks: () => null, says: /expected object, received null/ },
];

describe('a malformed wire document', () => {
  it('the valid one it is broken from passes', () => {
    expect(SocketListWireSchema.safeParse(validDoc()).success).toBe(true);
  });

  it.each(MALFORMED)('is refused: $what', ({ breaks, says }) => {
    const doc = validDoc() as unknown as Doc;
    const replaced = breaks(doc);
    const sent = replaced === undefined ? doc : replaced;
    const checked = SocketListWireSchema.safeParse(sent);
    expect(checked.success).toBe(false);
    const issues = checked.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    expect(issues).toMatch(says);
  });

  it('whatever replaces a field, the check answers and never throws (fast-check)', () => {
    const paths = (value: unknown, at: string[] = []): string[][] => (value && typeof value === 'object'
      ? [at, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))]
      : [at]);
    const all = paths(validDoc()).filter((p) => p.length > 0);
    fc.assert(fc.property(fc.constantFrom(...all), fc.anything(), (path, value) => {
      const doc = validDoc() as unknown as Record<string, unknown>;
      let parent = doc;
      for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
      parent[path.at(-1) as string] = value;
      const checked = SocketListWireSchema.safeParse(doc);
      // Whatever it says, a document it accepts decodes into sockets the result schema accepts.
      if (checked.success) expect(METHODS.ListSockets.result.safeParse(decodeSocketList(checked.data)).success).toBe(true);
    }), { numRuns: 5000 });
  });

  it.each(MALFORMED)('makes the client fail with its protocol error: $what', async ({ breaks }) => {
    const doc = validDoc() as unknown as Doc;
    const replaced = breaks(doc);
    const client = clientAnswering(JSON.stringify(replaced === undefined ? doc : replaced));
    const error = await client.call('ListSockets', { listening: false }).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(FirewallError);
    expect((error as FirewallError).code).toBe('protocol');
    expect((error as FirewallError).message).toMatch(/^ListSockets: unexpected answer from the helper \(.+\); are the app and the helper the same version\?$/);
  });
});

// ---- helper to client --------------------------------------------------------------------------

describe('palisaded to FirewallClient', () => {
  it('the service sends the wire form and the client hands callers the socket list', async () => {
    const list = tenThousand();
    let route: ((msg: InstanceType<typeof Message>) => boolean) | undefined;
    const sent: InstanceType<typeof Message>[] = [];
    const bus = {
      addMethodHandler: (handler: typeof route) => { route = handler; },
      requestName: () => Promise.resolve(dbus.RequestNameReply.PRIMARY_OWNER),
      send: (msg: InstanceType<typeof Message>) => { sent.push(msg); },
    };
    const service = new FirewallService({
      bus: bus as never,
      authorizer: { check: () => Promise.resolve({ authorized: true, challenge: false }) },
      handlers: { ListSockets: () => Promise.resolve(list) } as unknown as Handlers,
      properties: () => ({ Version: '0', Revision: 0 }),
      log: () => undefined,
    });
    await service.start();
    route?.(new Message({
      type: MessageType.METHOD_CALL, serial: 7, sender: ':1.42', destination: BUS_NAME, path: OBJECT_PATH,
      interface: INTERFACE_NAME, member: 'ListSockets', signature: 's', body: [JSON.stringify({ listening: false })],
    }));
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    const [reply] = sent;
    expect(reply?.type).toBe(MessageType.METHOD_RETURN);
    const body = String(reply?.body[0]);
    expect(JSON.parse(body)).toMatchObject({ count: 10_000, processes: [node(4000), node(4001), node(4002), node(4003)] });
    const received = await clientAnswering(body).call('ListSockets', { listening: false });
    expect(received).toEqual(plainAnswer(list));
  });

  it('methods without a codec still answer plain JSON', () => {
    const codecs = Object.entries(METHODS).filter(([, spec]) => spec.wire).map(([name]) => name);
    expect(codecs).toEqual(['ListSockets']);
  });
});
