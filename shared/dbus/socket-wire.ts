// The wire form of ListSockets' answer, written by hand rather than derived from the result
// schema because of its size and its validation cost. At 10,000 sockets the plain JSON list was
// 4 MB, most of it the same process (pid, exe, cmdline, user) and app repeated on every socket
// of the four processes holding them, and zod checking 10,000 objects of 13 fields cost the
// client more than the snapshot itself. Here each distinct process, app and address is sent
// once, and the sockets are columns of integers (indexes into those tables, ports, inodes): a
// tenth of the bytes, checked by a few small schemas and one tight loop per column.
//
// Pure: no I/O. The helper encodes what its handler returns just before JSON.stringify; the
// client checks the document against SocketListWireSchema and decodes it into the list a plain
// JSON answer checked by the result schema gave (same fields in the same order, same sockets in
// the same order, fresh objects for each socket).
import { z } from 'zod';
import { AppIdentitySchema, type AppIdentity } from '../policy/schema';
import type { ProcessInfo, SocketEntry, SocketState } from '../runtime/sockets';
import type { WireCodec } from './contract';

export const SOCKET_PROTOCOLS = ['tcp', 'udp'] as const satisfies readonly SocketEntry['protocol'][];
export const SOCKET_STATES = [
  'LISTEN', 'UNCONN', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING',
] as const satisfies readonly SocketState[];

export const ProcessInfoSchema = z.object({
  pid: z.number().int(),
  exe: z.string().nullable(),
  cmdline: z.array(z.string()),
  uid: z.number().int(),
  user: z.string().nullable(),
});

/**
 * A column of whole numbers. The schema only checks that it is an array; its elements (integers,
 * in a range or indexing a table) are checked in one loop per column in the refinement below, as
 * a zod check per element costs several times more at 10,000 rows.
 */
const Column = z.custom<number[]>(Array.isArray, { error: 'expected an array of numbers' });

/** A field only some sockets have: the rows that have it (ascending) and its value on each. */
const sparse = <T extends z.ZodType>(value: T) => z.object({ rows: Column, values: z.array(value) });

/** A value for a message: whatever the document holds ({"toString": 0} included), never a throw. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

const U16 = 0x1_0000;
const U32 = 0x1_0000_0000;

/**
 * ListSockets on the wire. Every column has `count` entries, row i describing socket i. Index
 * columns point into the tables: `strings` (addresses and interface names), `processes`,
 * `apps`; -1 in `process` / `app` means none was found.
 */
export const SocketListWireSchema = z.object({
  count: z.number().int().min(0),
  strings: z.array(z.string()),
  processes: z.array(ProcessInfoSchema),
  apps: z.array(AppIdentitySchema),
  /** Index into SOCKET_PROTOCOLS. */
  protocol: z.array(z.literal([0, 1])),
  family: z.array(z.literal([4, 6])),
  /** Index into SOCKET_STATES. */
  state: Column,
  address: Column,
  port: Column,
  remoteAddress: Column,
  remotePort: Column,
  inode: Column,
  uid: Column,
  process: Column,
  app: Column,
  v6Only: sparse(z.boolean()),
  /** Values index into `strings`. */
  boundInterface: sparse(z.number()),
}).superRefine((doc, ctx) => {
  const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message, input: doc });
  const dense = ['protocol', 'family', 'state', 'address', 'port', 'remoteAddress', 'remotePort', 'inode', 'uid', 'process', 'app'] as const;
  for (const column of dense) {
    if (doc[column].length !== doc.count) return problem([column], `${doc[column].length} entries for ${doc.count} sockets`);
  }
  for (const column of ['v6Only', 'boundInterface'] as const) {
    const { rows, values } = doc[column];
    if (rows.length !== values.length) return problem([column], `${rows.length} rows for ${values.length} values`);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as number;
      if (!Number.isInteger(row) || row < 0 || row >= doc.count || (i > 0 && row <= (rows[i - 1] as number))) {
        return problem([column, 'rows', i], `rows must be ascending socket indexes below ${doc.count}`);
      }
    }
  }
  const strings = doc.strings.length;
  const ranges: [readonly number[], (string | number)[], number, number, string][] = [
    [doc.state, ['state'], 0, SOCKET_STATES.length, 'an index into the socket states'],
    [doc.address, ['address'], 0, strings, 'an index into strings'],
    [doc.remoteAddress, ['remoteAddress'], 0, strings, 'an index into strings'],
    [doc.boundInterface.values, ['boundInterface', 'values'], 0, strings, 'an index into strings'],
    [doc.process, ['process'], -1, doc.processes.length, 'an index into processes, or -1'],
    [doc.app, ['app'], -1, doc.apps.length, 'an index into apps, or -1'],
    [doc.port, ['port'], 0, U16, 'a port'],
    [doc.remotePort, ['remotePort'], 0, U16, 'a port'],
    [doc.inode, ['inode'], 0, U32, 'an inode number'],
    [doc.uid, ['uid'], 0, U32, 'a uid'],
  ];
  for (const [column, path, low, end, what] of ranges) {
    for (let i = 0; i < column.length; i++) {
      const v = column[i] as number;
      if (!Number.isInteger(v) || v < low || v >= end) return problem([...path, i], `${shown(v)} is not ${what} (${low}…${end - 1})`);
    }
  }
});
export type SocketListWire = z.output<typeof SocketListWireSchema>;

/** Numbers the distinct values it is given, in order of first appearance. */
class Table<T> {
  readonly values: T[] = [];
  private readonly byKey = new Map<unknown, number>();

  indexOf(value: T, key: unknown = value): number {
    let index = this.byKey.get(key);
    if (index === undefined) {
      index = this.values.push(value) - 1;
      this.byKey.set(key, index);
    }
    return index;
  }
}

/**
 * Distinct objects, numbered: the same object (the monitor hands every socket of a process the
 * same one) is found by identity; an equal but distinct one through a cheap key and a comparison.
 */
class ObjectTable<T extends object> {
  readonly values: T[] = [];
  private readonly byObject = new Map<T, number>();
  private readonly byKey = new Map<string | number, number[]>();

  constructor(private readonly key: (value: T) => string | number, private readonly same: (a: T, b: T) => boolean, private readonly copy: (value: T) => T) {}

  indexOf(value: T): number {
    let index = this.byObject.get(value);
    if (index !== undefined) return index;
    const key = this.key(value);
    let bucket = this.byKey.get(key);
    if (!bucket) this.byKey.set(key, (bucket = []));
    index = bucket.find((i) => this.same(this.values[i] as T, value));
    if (index === undefined) {
      index = this.values.push(this.copy(value)) - 1;
      bucket.push(index);
    }
    this.byObject.set(value, index);
    return index;
  }
}

const PROTOCOL_INDEX = new Map<string, 0 | 1>(SOCKET_PROTOCOLS.map((p, i) => [p, i as 0 | 1]));
const STATE_INDEX = new Map<string, number>(SOCKET_STATES.map((s, i) => [s, i]));

/** Only the contract's fields, in its order (whatever else the helper's objects carry stays home). */
const copyProcess = (p: ProcessInfo): ProcessInfo => ({ pid: p.pid, exe: p.exe, cmdline: p.cmdline.slice(), uid: p.uid, user: p.user });
const sameProcess = (a: ProcessInfo, b: ProcessInfo): boolean => a.pid === b.pid && a.exe === b.exe && a.uid === b.uid && a.user === b.user
  && a.cmdline.length === b.cmdline.length && a.cmdline.every((arg, i) => arg === b.cmdline[i]);
/** App identities are flat objects of strings. */
const appText = (a: AppIdentity): string => Object.values(a).join('\0');
const sameApp = (a: AppIdentity, b: AppIdentity): boolean => {
  const keys = Object.keys(a) as (keyof AppIdentity)[];
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

export function encodeSocketList(list: readonly SocketEntry[]): SocketListWire {
  const count = list.length;
  const strings = new Table<string>();
  const processes = new ObjectTable<ProcessInfo>((p) => p.pid, sameProcess, copyProcess);
  const apps = new ObjectTable<AppIdentity>(appText, sameApp, (a) => a);
  const doc: SocketListWire = {
    count, strings: strings.values, processes: processes.values, apps: apps.values,
    protocol: new Array<0 | 1>(count), family: new Array<4 | 6>(count), state: new Array<number>(count),
    address: new Array<number>(count), port: new Array<number>(count), remoteAddress: new Array<number>(count), remotePort: new Array<number>(count),
    inode: new Array<number>(count), uid: new Array<number>(count), process: new Array<number>(count), app: new Array<number>(count),
    v6Only: { rows: [], values: [] }, boundInterface: { rows: [], values: [] },
  };
  for (let i = 0; i < count; i++) {
    const s = list[i] as SocketEntry;
    const protocol = PROTOCOL_INDEX.get(s.protocol);
    const state = STATE_INDEX.get(s.state);
    if (protocol === undefined || state === undefined) throw new Error(`socket ${i}: unknown protocol or state ${s.protocol}/${s.state}`);
    doc.protocol[i] = protocol;
    doc.family[i] = s.family;
    doc.state[i] = state;
    doc.address[i] = strings.indexOf(s.address);
    doc.port[i] = s.port;
    doc.remoteAddress[i] = strings.indexOf(s.remoteAddress);
    doc.remotePort[i] = s.remotePort;
    doc.inode[i] = s.inode;
    doc.uid[i] = s.uid;
    doc.process[i] = s.process ? processes.indexOf(s.process) : -1;
    doc.app[i] = s.app ? apps.indexOf(s.app) : -1;
    if (s.v6Only !== undefined) {
      doc.v6Only.rows.push(i);
      doc.v6Only.values.push(s.v6Only);
    }
    if (s.boundInterface !== undefined) {
      doc.boundInterface.rows.push(i);
      doc.boundInterface.values.push(strings.indexOf(s.boundInterface));
    }
  }
  return doc;
}

/** The list back from a document SocketListWireSchema accepted (indexes are not checked again). */
export function decodeSocketList(doc: SocketListWire): SocketEntry[] {
  const { strings, processes, apps } = doc;
  const list = new Array<SocketEntry>(doc.count);
  const v6 = doc.v6Only;
  const bound = doc.boundInterface;
  let nextV6 = 0;
  let nextBound = 0;
  for (let i = 0; i < doc.count; i++) {
    // Fields in the order the result schema lists them, as a zod parse of the plain list gave.
    const s: SocketEntry = {
      protocol: SOCKET_PROTOCOLS[doc.protocol[i] as number] as SocketEntry['protocol'],
      family: doc.family[i] as 4 | 6,
      state: SOCKET_STATES[doc.state[i] as number] as SocketState,
      address: strings[doc.address[i] as number] as string,
      port: doc.port[i] as number,
      remoteAddress: strings[doc.remoteAddress[i] as number] as string,
      remotePort: doc.remotePort[i] as number,
    } as SocketEntry;
    if (v6.rows[nextV6] === i) s.v6Only = v6.values[nextV6++] as boolean;
    if (bound.rows[nextBound] === i) s.boundInterface = strings[bound.values[nextBound++] as number] as string;
    s.inode = doc.inode[i] as number;
    s.uid = doc.uid[i] as number;
    const p = doc.process[i] as number;
    if (p >= 0) s.process = copyProcess(processes[p] as ProcessInfo);
    const a = doc.app[i] as number;
    if (a >= 0) s.app = { ...(apps[a] as AppIdentity) };
    list[i] = s;
  }
  return list;
}

export const socketListCodec: WireCodec<SocketEntry[], SocketListWire> = {
  schema: SocketListWireSchema,
  encode: encodeSocketList,
  decode: decodeSocketList,
};
