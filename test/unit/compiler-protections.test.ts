// The protections of issue 5 in the compiled ruleset: port knocking, brute-force limits, port-scan
// detection, outbound rules, anti-spoofing, rules with an expiry, sources remembered across a
// replacement, carried counters, the drop log's prefixes and hit-count keys.
//
// Two kinds of check: the generated JSON, with the expected expressions written out as literal
// JSON (not with the builders of shared/nft/json.ts, so a wrong builder cannot make its own test
// pass); and a small interpreter of that JSON (`Kernel` below), which runs packets through the
// profile chains with timed sets and token buckets as the kernel does, to show that the rules
// together do what the protection promises (a knock in order opens, a late one does not, the
// fourth connection in ten seconds is blocked). The interpreter refuses every statement it does
// not know, so it cannot pass a rule it does not understand.
import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { compileAppPortsUpdate, compileRuleset } from '../../shared/compiler/ruleset';
import { rateOver, sourceSets } from '../../shared/compiler/dynamic';
import { secondsLeft } from '../../shared/compiler/expiry';
import { DROP_KINDS, dropLogPrefix, parseDropLogPrefix } from '../../shared/compiler/layout';
import { parsePolicy } from '../../shared/policy/validate';
import type { Knocking, Policy, PolicyInput, ProfileName } from '../../shared/policy/schema';
import { emptyAppPorts, type RememberedSource, type RuntimeState } from '../../shared/runtime/state';
import { hitCountsFromListing, type TableListing } from '../../shared/runtime/hit-counts';
import type { NftChain, NftDocument, NftRule, NftSet } from '../../shared/nft/json';

// ---------------------------------------------------------------------------------------------
// Builders

type PortRuleInput = NonNullable<PolicyInput['portRules']>[number];
type AppRuleInput = NonNullable<PolicyInput['apps']>[number];
type ProfileInput = NonNullable<NonNullable<PolicyInput['profiles']>['private']>;

function policyOf(fields: { profiles?: Partial<Record<ProfileName, ProfileInput>>; portRules?: PortRuleInput[]; apps?: AppRuleInput[] } = {}): Policy {
  return parsePolicy({ version: 1, ...fields });
}

const bothProfiles = (s: ProfileInput): Partial<Record<ProfileName, ProfileInput>> => ({ private: s, public: s });

function portRule(id: string, fields: Partial<PortRuleInput> = {}): PortRuleInput {
  return { id, action: 'allow', protocol: 'tcp', ports: { from: 8000, to: 8000 }, profiles: ['private', 'public'], ...fields };
}

function runtimeOf(fields: Partial<RuntimeState> = {}): RuntimeState {
  return { interfaces: {}, appPorts: emptyAppPorts(), ...fields };
}

const compile = (policy: Policy = policyOf(), runtime: RuntimeState = runtimeOf()) => compileRuleset(policy, runtime);

const KNOCK = { sequence: [{ protocol: 'tcp' as const, port: 7001 }, { protocol: 'udp' as const, port: 7002 }, { protocol: 'tcp' as const, port: 7003 }], windowSeconds: 10, openSeconds: 30 };
/** The source article's SSH example: 3 in 10 seconds and 4 in 30 minutes, then blocked for 30 minutes. */
const SSH_LIMIT = { rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 1800 };

// ---------------------------------------------------------------------------------------------
// Reading a document

function rulesOf(doc: NftDocument): NftRule[] {
  return doc.nftables.flatMap((cmd) => ('add' in cmd && 'rule' in cmd.add ? [cmd.add.rule] : []));
}
const chainRules = (doc: NftDocument, chain: string): NftRule[] => rulesOf(doc).filter((r) => r.chain === chain);
const rulesWithComment = (doc: NftDocument, chain: string, comment: string): NftRule[] => chainRules(doc, chain).filter((r) => r.comment === comment);
function indexOfComment(doc: NftDocument, chain: string, comment: string): number {
  const i = chainRules(doc, chain).findIndex((r) => r.comment === comment);
  if (i < 0) throw new Error(`no rule "${comment}" in ${chain}`);
  return i;
}
function lastIndexOfComment(doc: NftDocument, chain: string, comment: string): number {
  const rules = chainRules(doc, chain);
  for (let i = rules.length - 1; i >= 0; i--) if (rules[i]?.comment === comment) return i;
  throw new Error(`no rule "${comment}" in ${chain}`);
}
function chainDef(doc: NftDocument, name: string): NftChain {
  for (const cmd of doc.nftables) if ('add' in cmd && 'chain' in cmd.add && cmd.add.chain.name === name) return cmd.add.chain;
  throw new Error(`no chain "${name}" in the document`);
}
function setsOf(doc: NftDocument): NftSet[] {
  return doc.nftables.flatMap((cmd) => ('add' in cmd && 'set' in cmd.add ? [cmd.add.set] : []));
}
const setNames = (doc: NftDocument) => setsOf(doc).map((s) => s.name);
function setDef(doc: NftDocument, name: string): NftSet {
  const found = setsOf(doc).find((s) => s.name === name);
  if (!found) throw new Error(`no set "${name}" in the document (sets: ${setNames(doc).join(', ')})`);
  return found;
}
/** The elements of a port map (shared/compiler/port-maps.ts): `[{concat: [protocol, port or range]}, counter name]`. */
function portMapElems(doc: NftDocument, name: string): unknown[] {
  for (const cmd of doc.nftables) if ('add' in cmd && 'map' in cmd.add && cmd.add.map.name === name) return cmd.add.map.elem ?? [];
  throw new Error(`no map "${name}" in the document`);
}
/** The counter names a port map's elements lead to. */
const mappedCounters = (doc: NftDocument, name: string) => portMapElems(doc, name).map((e) => (e as [unknown, string])[1]);
const hasStatement = (rule: NftRule, stmt: unknown) => rule.expr.some((s) => JSON.stringify(s) === JSON.stringify(stmt));
/** Every value of `key` anywhere inside a JSON value. */
function collect(value: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) for (const v of value) collect(v, key, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) out.push(v);
      collect(v, key, out);
    }
  }
  return out;
}

// Literal JSON of the statements the tests look for.
const ACCEPT = { accept: null };
const DROP = { drop: null };
const COUNTER = { counter: null };
const gotoChain = (target: string) => ({ goto: { target } });
const SOCKET_GATE = { match: { op: '==', left: { socket: { key: 'transparent' } }, right: 0 } };
const META_L4PROTO = { meta: { key: 'l4proto' } };
const TH_DPORT = { payload: { protocol: 'th', field: 'dport' } };
const CT_NEW = { match: { op: 'in', left: { ct: { key: 'state' } }, right: 'new' } };
const PROTO_PORT = { concat: [META_L4PROTO, TH_DPORT] };
const saddr = (family: 4 | 6) => ({ payload: { protocol: family === 4 ? 'ip' : 'ip6', field: 'saddr' } });
const daddr = (family: 4 | 6) => ({ payload: { protocol: family === 4 ? 'ip' : 'ip6', field: 'daddr' } });
const nfproto = (family: 4 | 6) => ({ match: { op: '==', left: { meta: { key: 'nfproto' } }, right: family === 4 ? 'ipv4' : 'ipv6' } });
const eq = (left: unknown, right: unknown) => ({ match: { op: '==', left, right } });
const inSet = (family: 4 | 6, set: string) => eq(saddr(family), `@${set}`);
const addTo = (family: 4 | 6, set: string) => ({ set: { op: 'add', elem: saddr(family), set: `@${set}` } });
const logged = (prefix: string) => [
  { limit: { rate: 10, per: 'second', burst: 20, burst_unit: 'packets' } },
  { log: { prefix, group: 7311 } },
];
const FAMILIES = [4, 6] as const;
const PROFILES: ProfileName[] = ['private', 'public'];

/** The knock sequence's tag, read from the names of the stage sets of rule `id` (all must agree). */
function knockTag(doc: NftDocument, id: string): string {
  const tags = new Set(setNames(doc).flatMap((n) => {
    const m = new RegExp(`^knock[46]_\\d+_([0-9a-f]{8})_${id.replace(/[.]/g, '\\.')}$`).exec(n);
    return m?.[1] ? [m[1]] : [];
  }));
  if (tags.size !== 1) throw new Error(`expected one knock tag for ${id}, found ${[...tags].join(', ') || 'none'}`);
  return [...tags][0] as string;
}

// ---------------------------------------------------------------------------------------------
// A small interpreter of the compiled JSON: enough of nftables to run new connections through
// in_<p> (and the chains it jumps to: anti-spoofing, the essentials) → deny_<p> → final_<p>, with
// the reverse-path lookup (a packet says whether its source has a route back), timed sets, per-element token buckets, the socket lookup
// and the port maps' counted lookups (`counter name <key> map @m`: no element for the key → the
// rule stops there; an element → its named counter counts the packet and the rule goes on).

interface Packet {
  family: 4 | 6; saddr: string; proto: 'tcp' | 'udp' | 'icmp' | 'ipv6-icmp'; sport?: number; dport?: number; icmpType?: string;
  /** The routing table has no way back to the source through the incoming interface. */
  noRouteBack?: boolean;
}
type Verdict = 'accept' | 'drop' | 'reject' | 'policy';
interface Bucket { tokens: number; last: number }
interface Element { expires: number; bucket?: Bucket }

const UNIT_SECONDS = { second: 1, minute: 60, hour: 3600, day: 86400 } as const;

class Kernel {
  /** Current time, in seconds. */
  now = 0;
  readonly sets = new Map<string, Map<string, Element>>();
  private readonly defs = new Map<string, NftSet>();
  /** (protocol, port) keys with a listening socket. */
  listening = new Set<string>();
  /** The chains each packet went through, last packet only. */
  trace: string[] = [];
  /** Interval maps from a key to a named counter object: (key, counter name) pairs, by map. */
  private readonly counterMaps = new Map<string, { key: unknown; counter: string }[]>();
  /** Packets counted on each named counter object. */
  private readonly counterObjects = new Map<string, number>();

  constructor(private readonly doc: NftDocument) {
    for (const cmd of doc.nftables) {
      if (!('add' in cmd)) continue;
      if ('counter' in cmd.add) this.counterObjects.set(cmd.add.counter.name, cmd.add.counter.packets ?? 0);
      if ('map' in cmd.add && cmd.add.map.map === 'counter') {
        const map = cmd.add.map;
        const elems = (map.elem ?? []).map((e) => {
          const [key, counter] = e as [unknown, unknown];
          if (typeof counter !== 'string' || !this.counterObjects.has(counter)) throw new Error(`map ${map.name} refers to ${String(counter)}, no counter defined before it`);
          return { key, counter };
        });
        this.counterMaps.set(map.name, elems);
      }
    }
    for (const s of setsOf(doc)) {
      this.defs.set(s.name, s);
      const elems = new Map<string, Element>();
      for (const e of s.elem ?? []) {
        const el = (e as { elem?: { val: unknown; timeout?: number } }).elem;
        elems.set(JSON.stringify(el ? el.val : e), { expires: el?.timeout !== undefined ? el.timeout : Infinity });
      }
      this.sets.set(s.name, elems);
    }
  }

  /** Addresses in a set now (expired ones forgotten). */
  members(set: string): string[] {
    const s = this.sets.get(set);
    if (!s) throw new Error(`no set ${set}`);
    return [...s.entries()].filter(([, e]) => e.expires > this.now).map(([k]) => JSON.parse(k) as string);
  }

  /** Packets counted on a named counter object so far. */
  counted(name: string): number {
    const n = this.counterObjects.get(name);
    if (n === undefined) throw new Error(`no counter ${name}`);
    return n;
  }

  /** A new connection (or packet) arriving on a profile's interface: the verdict of in_<p>. */
  send(profile: ProfileName, p: Packet): Verdict {
    this.trace = [];
    const v = this.runChain(`in_${profile}`, p);
    return v === 'return' ? 'policy' : v;
  }

  /** A chain's verdict; 'return' when it ends (or returns) without one: the jump that called it goes on. */
  private runChain(chain: string, p: Packet): Verdict | 'return' {
    this.trace.push(chain);
    chainDef(this.doc, chain);
    for (const r of chainRules(this.doc, chain)) {
      const v = this.runRule(r, p);
      if (v === 'next') continue;
      // goto: the target's end is this chain's end; jump: the target's end comes back here.
      if (typeof v === 'object' && 'goto' in v) return this.runChain(v.goto, p);
      if (typeof v === 'object') {
        const called = this.runChain(v.jump, p);
        if (called === 'return') continue;
        return called;
      }
      return v;
    }
    return 'return';
  }

  private runRule(r: NftRule, p: Packet): Verdict | 'return' | 'next' | { goto: string } | { jump: string } {
    for (const stmt of r.expr) {
      const [kind, body] = Object.entries(stmt)[0] as [string, Record<string, unknown>];
      switch (kind) {
        case 'match': if (!this.matches(body as { op: string; left: unknown; right: unknown }, p)) return 'next'; break;
        case 'counter': if (body !== null && !this.countStatement(body, p)) return 'next'; break;
        case 'log': break;
        case 'limit': if ((body as { inv?: boolean }).inv) throw new Error('rate-over limit outside a set update'); break; // the log limit: assume it has room
        case 'set': if (!this.setStatement(body as { op: string; elem: unknown; set: string; stmt?: Record<string, unknown>[] }, p)) return 'next'; break;
        case 'accept': return 'accept';
        case 'drop': return 'drop';
        case 'reject': return 'reject';
        case 'goto': return { goto: (body as { target: string }).target };
        case 'jump': return { jump: (body as { target: string }).target };
        case 'return': return 'return';
        default: throw new Error(`the test interpreter does not know ${JSON.stringify(stmt)}`);
      }
    }
    return 'next';
  }

  /** The value of an expression for this packet, or undefined when the packet has no such field (no match). */
  private value(left: unknown, p: Packet): unknown {
    if (left !== null && typeof left === 'object' && 'concat' in left) {
      const parts = (left as { concat: unknown[] }).concat.map((part) => this.value(part, p));
      return parts.includes(undefined) ? undefined : parts;
    }
    const key = JSON.stringify(left);
    const l4 = p.proto === 'tcp' || p.proto === 'udp';
    switch (key) {
      case JSON.stringify(META_L4PROTO): return p.proto;
      case JSON.stringify({ meta: { key: 'nfproto' } }): return p.family === 4 ? 'ipv4' : 'ipv6';
      case JSON.stringify(TH_DPORT): return l4 ? p.dport : undefined;
      case JSON.stringify({ payload: { protocol: 'tcp', field: 'dport' } }): return p.proto === 'tcp' ? p.dport : undefined;
      case JSON.stringify({ payload: { protocol: 'udp', field: 'dport' } }): return p.proto === 'udp' ? p.dport : undefined;
      case JSON.stringify({ payload: { protocol: 'udp', field: 'sport' } }): return p.proto === 'udp' ? p.sport : undefined;
      case JSON.stringify({ fib: { result: 'oif', flags: ['saddr', 'iif'] } }): return p.noRouteBack ? false : 'eth0';
      case JSON.stringify(saddr(4)): return p.family === 4 ? p.saddr : undefined;
      case JSON.stringify(saddr(6)): return p.family === 6 ? p.saddr : undefined;
      case JSON.stringify({ payload: { protocol: 'icmp', field: 'type' } }): return p.proto === 'icmp' ? p.icmpType : undefined;
      case JSON.stringify({ payload: { protocol: 'icmpv6', field: 'type' } }): return p.proto === 'ipv6-icmp' ? p.icmpType : undefined;
      case JSON.stringify({ ct: { key: 'state' } }): return 'new';
      case JSON.stringify({ socket: { key: 'transparent' } }): return l4 && this.listening.has(`${p.proto}/${p.dport}`) ? 0 : undefined;
      case JSON.stringify(PROTO_PORT): return l4 ? [p.proto, p.dport] : undefined;
      default: throw new Error(`the test interpreter does not know the expression ${key}`);
    }
  }

  private matches(m: { op: string; left: unknown; right: unknown }, p: Packet): boolean {
    const v = this.value(m.left, p);
    if (v === undefined) return false;
    if (m.op === '!=') return !this.contains(m.right, v);
    if (m.op !== '==' && m.op !== 'in') throw new Error(`unknown op ${m.op}`);
    return this.contains(m.right, v);
  }

  /** Whether `right` (a value, anonymous set, range or named set) holds `v`. */
  private contains(right: unknown, v: unknown): boolean {
    if (typeof right === 'string' && right.startsWith('@')) return this.inNamedSet(right.slice(1), v);
    if (Array.isArray(right)) return right.includes(v);
    if (right !== null && typeof right === 'object') {
      if ('set' in right) return (right as { set: unknown[] }).set.some((item) => this.contains(item, v));
      if ('range' in right) {
        const [from, to] = (right as { range: [number, number] }).range;
        return typeof v === 'number' && v >= from && v <= to;
      }
      if ('prefix' in right) {
        const { addr, len } = (right as { prefix: { addr: string; len: number } }).prefix;
        const family = addr.includes(':') ? 'ipv6' : 'ipv4';
        const net = new BlockList();
        net.addSubnet(addr, len, family);
        return typeof v === 'string' && v.includes(':') === (family === 'ipv6') && net.check(v, family);
      }
      if ('concat' in right && Array.isArray(v)) {
        const parts = (right as { concat: unknown[] }).concat;
        return parts.length === v.length && parts.every((part, i) => this.contains(part, v[i]));
      }
      throw new Error(`the test interpreter does not know the value ${JSON.stringify(right)}`);
    }
    return right === v;
  }

  private inNamedSet(name: string, v: unknown): boolean {
    const set = this.sets.get(name);
    if (!set) throw new Error(`no set ${name}`);
    for (const [key, e] of set) {
      if (e.expires <= this.now) continue;
      // Elements the rules added themselves are stored as plain arrays (no ranges): compare them whole.
      const stored: unknown = JSON.parse(key);
      if (Array.isArray(stored) && Array.isArray(v) ? key === JSON.stringify(v) : this.contains(stored, v)) return true;
    }
    return false;
  }

  /**
   * A counter statement with a body: an anonymous counter with a start value counts nothing here;
   * `counter name <key> map @m` looks the key up in the interval map — false (the rule stops) when
   * no element holds it, else the element's counter object counts the packet.
   */
  private countStatement(body: Record<string, unknown>, p: Packet): boolean {
    if (typeof body.packets === 'number' && typeof body.bytes === 'number' && Object.keys(body).length === 2) return true;
    const lookup = body.map as { key: unknown; data: unknown } | undefined;
    if (!lookup || Object.keys(body).length !== 1 || typeof lookup.data !== 'string' || !lookup.data.startsWith('@')) {
      throw new Error(`the test interpreter does not know the counter ${JSON.stringify(body)}`);
    }
    const map = this.counterMaps.get(lookup.data.slice(1));
    if (!map) throw new Error(`no counter map ${lookup.data}`);
    const key = this.value(lookup.key, p);
    if (key === undefined) return false;
    const found = map.filter((e) => this.contains(e.key, key));
    // Interval elements never overlap (the kernel refuses them), so a key finds one element at most.
    if (found.length > 1) throw new Error(`${lookup.data} has overlapping elements for ${JSON.stringify(key)}`);
    const hit = found[0];
    if (!hit) return false;
    this.counterObjects.set(hit.counter, this.counted(hit.counter) + 1);
    return true;
  }

  /** `add @set { key }` / `update @set { key limit rate over … }`: false when the rule stops here. */
  private setStatement(s: { op: string; elem: unknown; set: string; stmt?: Record<string, unknown>[] }, p: Packet): boolean {
    const name = s.set.slice(1);
    const set = this.sets.get(name);
    const def = this.defs.get(name);
    if (!set || !def) throw new Error(`no set ${name}`);
    const key = this.value(s.elem, p);
    if (key === undefined) return false;
    const k = JSON.stringify(key);
    let el = set.get(k);
    if (el && el.expires <= this.now) { set.delete(k); el = undefined; }
    const timeout = def.timeout ?? Infinity;
    if (s.op === 'add') {
      if (!el) set.set(k, { expires: this.now + timeout });
      if (s.stmt) throw new Error('add with a statement');
      return true;
    }
    if (s.op !== 'update') throw new Error(`unknown set op ${s.op}`);
    if (!el) { el = { expires: 0 }; set.set(k, el); }
    el.expires = this.now + timeout;
    for (const st of s.stmt ?? []) {
      const lim = st.limit as { rate: number; per: keyof typeof UNIT_SECONDS; burst: number; inv?: boolean } | undefined;
      if (!lim) throw new Error(`unknown set statement ${JSON.stringify(st)}`);
      // nft_limit: a bucket of `burst` packets' worth of time, each packet costs unit/rate.
      const cost = UNIT_SECONDS[lim.per] / lim.rate;
      const max = cost * lim.burst;
      el.bucket ??= { tokens: max, last: this.now };
      const tokens = Math.min(max, el.bucket.tokens + (this.now - el.bucket.last));
      el.bucket.last = this.now;
      const over = tokens - cost < -1e-9;
      el.bucket.tokens = over ? tokens : tokens - cost;
      if (over !== Boolean(lim.inv)) return false;
    }
    return true;
  }
}

const tcp = (saddrText: string, dport: number): Packet => ({ family: saddrText.includes(':') ? 6 : 4, saddr: saddrText, proto: 'tcp', dport });
const udp = (saddrText: string, dport: number): Packet => ({ family: saddrText.includes(':') ? 6 : 4, saddr: saddrText, proto: 'udp', dport });

// =============================================================================================

describe('the interpreter (a sanity check of the test tool itself)', () => {
  it('runs a plain policy as the truth table says: listened allowed port accepted, others dropped silently', () => {
    const k = new Kernel(compile(policyOf({ portRules: [portRule('web')] })));
    expect(k.send('public', tcp('192.0.2.1', 8000))).toBe('drop');
    expect(k.trace).toEqual(['in_public', 'rpfilter_public', 'essentials', 'deny_public', 'final_public']);
    k.listening.add('tcp/8000');
    expect(k.send('public', tcp('192.0.2.1', 8000))).toBe('accept');
    expect(k.send('public', udp('192.0.2.1', 8000))).toBe('drop');
  });

  it('refuses statements it does not know', () => {
    const doc = compile();
    // First in in_public (the interpreter reads a chain's rules in document order).
    doc.nftables.splice(4, 0, { add: { rule: { family: 'inet', table: 'palisade', chain: 'in_public', expr: [{ queue: { num: 1 } }] } } });
    expect(() => new Kernel(doc).send('public', tcp('192.0.2.1', 1))).toThrow(/does not know/);
    // Nor a counter it cannot place: a counter object by name alone.
    const byName = compile();
    byName.nftables.splice(4, 0, { add: { rule: { family: 'inet', table: 'palisade', chain: 'in_public', expr: [{ counter: 'palisade:port:x' }, ACCEPT] } } });
    expect(() => new Kernel(byName).send('public', tcp('192.0.2.1', 1))).toThrow(/does not know/);
  });

  it('a port map looks the (protocol, port) key up: no element, no match; an element, its counter counts', () => {
    const k = new Kernel(compile(policyOf({ profiles: bothProfiles({ stealth: false }), portRules: [portRule('web', { ports: { from: 8000, to: 8010 } })] })));
    k.listening.add('tcp/8003');
    k.listening.add('udp/8003');
    k.listening.add('tcp/8011');
    expect(k.send('public', tcp('192.0.2.1', 8003))).toBe('accept');
    expect(k.counted('palisade:port:web')).toBe(1);
    // Listened, but no element for the protocol or the port: on to the default.
    expect(k.send('public', udp('192.0.2.1', 8003))).toBe('reject');
    expect(k.send('public', tcp('192.0.2.1', 8011))).toBe('reject');
    expect(k.counted('palisade:port:web')).toBe(1);
  });
});

// =============================================================================================

describe('port knocking', () => {
  const knockPolicy = (knock = KNOCK, extra: PortRuleInput[] = []) => policyOf({
    portRules: [portRule('web', { ports: { from: 8080, to: 8080 }, knock }), ...extra],
  });

  it('one stage set per knock and family: the window between knocks, then the open time', () => {
    const doc = compile(knockPolicy());
    const tag = knockTag(doc, 'web');
    for (const family of FAMILIES) {
      const type = family === 4 ? 'ipv4_addr' : 'ipv6_addr';
      expect(setDef(doc, `knock${family}_1_${tag}_web`)).toMatchObject({ type, flags: ['timeout'], timeout: 10 });
      expect(setDef(doc, `knock${family}_2_${tag}_web`)).toMatchObject({ type, flags: ['timeout'], timeout: 10 });
      expect(setDef(doc, `knock${family}_3_${tag}_web`)).toMatchObject({ type, flags: ['timeout'], timeout: 30 });
    }
    expect(setNames(doc).filter((n) => n.startsWith('knock'))).toHaveLength(6);
    // Stage sets start empty (nothing remembered).
    for (const s of setsOf(doc).filter((x) => x.name.startsWith('knock'))) expect(s.elem).toBeUndefined();
  });

  it('each knock advances its source only from the stage before (last stage first), then every knock is dropped', () => {
    const doc = compile(knockPolicy());
    const tag = knockTag(doc, 'web');
    for (const p of PROFILES) {
      const knocks = rulesWithComment(doc, `in_${p}`, 'palisade:port:web-knock');
      const stage = (family: 4 | 6, i: number) => `knock${family}_${i}_${tag}_web`;
      const expected = FAMILIES.flatMap((f) => [
        [eq(META_L4PROTO, 'tcp'), eq(TH_DPORT, 7003), nfproto(f), inSet(f, stage(f, 2)), addTo(f, stage(f, 3))],
        [eq(META_L4PROTO, 'udp'), eq(TH_DPORT, 7002), nfproto(f), inSet(f, stage(f, 1)), addTo(f, stage(f, 2))],
        [eq(META_L4PROTO, 'tcp'), eq(TH_DPORT, 7001), nfproto(f), addTo(f, stage(f, 1))],
      ]);
      expect(knocks.map((r) => r.expr)).toEqual(expected);
      // Right after them, every knock port is dropped, whoever sends to it: stealth or not, a knock is never answered.
      const drops = rulesWithComment(doc, `in_${p}`, `palisade:profile:${p}-knocks`);
      expect(drops.map((r) => r.expr)).toEqual([
        [eq(META_L4PROTO, 'tcp'), eq(TH_DPORT, 7001), COUNTER, DROP],
        [eq(META_L4PROTO, 'udp'), eq(TH_DPORT, 7002), COUNTER, DROP],
        [eq(META_L4PROTO, 'tcp'), eq(TH_DPORT, 7003), COUNTER, DROP],
      ]);
      expect(indexOfComment(doc, `in_${p}`, `palisade:profile:${p}-knocks`)).toBe(lastIndexOfComment(doc, `in_${p}`, 'palisade:port:web-knock') + 1);
      // Never accepted, never counted as an allow.
      for (const r of [...knocks, ...drops]) expect(hasStatement(r, ACCEPT)).toBe(false);
    }
  });

  it('two rules sharing a knock port both see it: the drops come after every rule\'s stages, once per port', () => {
    const other: Knocking = { sequence: [{ protocol: 'tcp', port: 7001 }, { protocol: 'tcp', port: 9009 }], windowSeconds: 5, openSeconds: 30 };
    const doc = compile(policyOf({
      profiles: bothProfiles({ stealth: false }),
      portRules: [portRule('web', { ports: { from: 8080, to: 8080 }, knock: KNOCK }), portRule('ssh', { ports: { from: 22, to: 22 }, knock: other })],
    }));
    const k = new Kernel(doc);
    k.listening.add('tcp/8080');
    k.listening.add('tcp/22');
    for (const x of other.sequence) expect(k.send('public', { family: 4, saddr: '192.0.2.7', proto: x.protocol, dport: x.port })).toBe('drop');
    expect(k.send('public', tcp('192.0.2.7', 22))).toBe('accept');
    expect(k.members(`knock4_1_${knockTag(doc, 'web')}_web`)).toEqual(['192.0.2.7']);
    expect(rulesWithComment(doc, 'in_public', 'palisade:profile:public-knocks')).toHaveLength(4);
    // A stranger's lone second knock is not answered "closed" (stealth is off): it is dropped.
    expect(k.send('public', { family: 4, saddr: '192.0.2.99', proto: 'udp', dport: 7002 })).toBe('drop');
  });

  it('knock rules come before blocked apps, block rules and every allow rule', () => {
    const doc = compile(policyOf({
      profiles: bothProfiles({ answerPing: true }),
      portRules: [
        portRule('first-allow', { ports: { from: 7001, to: 7001 }, alwaysOpen: true }),
        portRule('blocker', { action: 'block', protocol: 'both', ports: { from: 7000, to: 7010 } }),
        portRule('web', { ports: { from: 8080, to: 8080 }, knock: KNOCK }),
      ],
    }));
    for (const p of PROFILES) {
      const chain = `in_${p}`;
      const lastKnock = lastIndexOfComment(doc, chain, 'palisade:port:web-knock');
      expect(indexOfComment(doc, chain, 'palisade:port:web-knock')).toBe(indexOfComment(doc, chain, `palisade:profile:${p}-ping6`) + 1);
      // first-allow is a plain rule: an element of the always-open map, looked up by the map's rule.
      expect(mappedCounters(doc, `${p}_port_open`)).toEqual(['palisade:port:first-allow']);
      expect(rulesWithComment(doc, chain, 'palisade:port:first-allow')).toEqual([]);
      for (const later of [
        `palisade:app:${p}-blocked-apps`, 'palisade:port:blocker', 'palisade:port:web',
        `palisade:profile:${p}-port-rules`, `palisade:profile:${p}-port-rules-open`, `palisade:app:${p}-allowed-apps`,
      ]) {
        expect(indexOfComment(doc, chain, later), later).toBeGreaterThan(lastKnock);
      }
    }
    // And the knocks really win: a knock on a port another rule allows or blocks is still a knock.
    const k = new Kernel(doc);
    k.listening.add('tcp/7001');
    expect(k.send('public', tcp('192.0.2.9', 7001))).toBe('drop');
    expect(k.members(`knock4_1_${knockTag(doc, 'web')}_web`)).toEqual(['192.0.2.9']);
    expect(k.counted('palisade:port:first-allow')).toBe(0);
  });

  it('the allow rule is per family and requires membership of that family\'s open set', () => {
    const doc = compile(knockPolicy());
    const tag = knockTag(doc, 'web');
    for (const p of PROFILES) {
      const allows = rulesWithComment(doc, `in_${p}`, 'palisade:port:web');
      expect(allows.map((r) => r.expr)).toEqual(FAMILIES.map((f) => [
        eq(META_L4PROTO, 'tcp'), eq(TH_DPORT, 8080), nfproto(f), inSet(f, `knock${f}_3_${tag}_web`), SOCKET_GATE, COUNTER, ACCEPT,
      ]));
    }
  });

  it('with remote networks of one family, only that family\'s allow rule (and still the open set)', () => {
    const doc = compile(policyOf({ portRules: [portRule('web', { ports: { from: 8080, to: 8080 }, knock: KNOCK, remote: ['198.51.100.0/24'] })] }));
    const tag = knockTag(doc, 'web');
    const allows = rulesWithComment(doc, 'in_public', 'palisade:port:web');
    expect(allows.map((r) => r.expr)).toEqual([[
      eq(META_L4PROTO, 'tcp'), eq(TH_DPORT, 8080), eq(saddr(4), { prefix: { addr: '198.51.100.0', len: 24 } }),
      inSet(4, `knock4_3_${tag}_web`), SOCKET_GATE, COUNTER, ACCEPT,
    ]]);
  });

  it('a changed sequence gives different set names; other changes keep them', () => {
    const tagOf = (knock: typeof KNOCK) => knockTag(compile(knockPolicy(knock)), 'web');
    const base = tagOf(KNOCK);
    expect(tagOf({ ...KNOCK, sequence: [...KNOCK.sequence].reverse() })).not.toBe(base);
    expect(tagOf({ ...KNOCK, sequence: KNOCK.sequence.map((x, i) => (i === 1 ? { ...x, protocol: 'tcp' as const } : x)) })).not.toBe(base);
    expect(tagOf({ ...KNOCK, sequence: KNOCK.sequence.slice(0, 2) })).not.toBe(base);
    expect(tagOf({ ...KNOCK, windowSeconds: 99, openSeconds: 999 })).toBe(base);
    // The same sequence on another rule: other sets (the rule id is part of the name).
    const two = compile(knockPolicy(KNOCK, [portRule('api', { ports: { from: 9090, to: 9090 }, knock: KNOCK })]));
    expect(knockTag(two, 'api')).toBe(base);
    expect(setNames(two)).toContain(`knock4_1_${base}_api`);
    expect(setNames(two)).toContain(`knock4_1_${base}_web`);
  });

  it('a knock rule on one profile knocks only there', () => {
    const doc = compile(policyOf({ portRules: [portRule('web', { profiles: ['private'], knock: KNOCK })] }));
    expect(rulesWithComment(doc, 'in_private', 'palisade:port:web-knock')).toHaveLength(6);
    expect(JSON.stringify(chainRules(doc, 'in_public'))).not.toContain('knock');
  });

  it('no knock sets or rules for a disabled or expired rule', () => {
    const doc = compile(policyOf({
      portRules: [portRule('off', { enabled: false, knock: KNOCK }), portRule('old', { knock: KNOCK, expires: '2026-01-01T00:00:00Z' })],
    }), runtimeOf({ now: '2026-06-01T00:00:00Z' }));
    expect(JSON.stringify(doc)).not.toContain('knock');
  });

  describe('run through the interpreter', () => {
    const setup = (knock = KNOCK) => {
      const k = new Kernel(compile(knockPolicy(knock)));
      k.listening.add('tcp/8080');
      return k;
    };

    it('the right sequence opens the port for that source only, for the open time', () => {
      const k = setup();
      expect(k.send('public', tcp('192.0.2.1', 8080))).toBe('drop');
      for (const [proto, port] of [['tcp', 7001], ['udp', 7002], ['tcp', 7003]] as const) {
        k.now += 5;
        expect(k.send('public', proto === 'tcp' ? tcp('192.0.2.1', port) : udp('192.0.2.1', port))).toBe('drop');
      }
      expect(k.send('public', tcp('192.0.2.1', 8080))).toBe('accept');
      expect(k.send('public', tcp('192.0.2.2', 8080))).toBe('drop');
      expect(k.send('public', tcp('2001:db8::1', 8080))).toBe('drop');
      k.now += 29;
      expect(k.send('public', tcp('192.0.2.1', 8080))).toBe('accept');
      k.now += 2;
      expect(k.send('public', tcp('192.0.2.1', 8080))).toBe('drop');
    });

    it('works the same over IPv6', () => {
      const k = setup();
      k.send('public', tcp('2001:db8::7', 7001));
      k.send('public', udp('2001:db8::7', 7002));
      k.send('public', tcp('2001:db8::7', 7003));
      expect(k.send('public', tcp('2001:db8::7', 8080))).toBe('accept');
      expect(k.send('public', tcp('192.0.2.7', 8080))).toBe('drop');
    });

    it('a wrong order, a wrong protocol or a late knock does not open it', () => {
      const wrongOrder = setup();
      for (const pkt of [tcp('192.0.2.1', 7003), udp('192.0.2.1', 7002), tcp('192.0.2.1', 7001)]) wrongOrder.send('public', pkt);
      expect(wrongOrder.send('public', tcp('192.0.2.1', 8080))).toBe('drop');

      const wrongProtocol = setup();
      for (const pkt of [tcp('192.0.2.1', 7001), tcp('192.0.2.1', 7002), tcp('192.0.2.1', 7003)]) wrongProtocol.send('public', pkt);
      expect(wrongProtocol.send('public', tcp('192.0.2.1', 8080))).toBe('drop');

      const late = setup();
      late.send('public', tcp('192.0.2.1', 7001));
      late.now += 11;
      late.send('public', udp('192.0.2.1', 7002));
      late.send('public', tcp('192.0.2.1', 7003));
      expect(late.send('public', tcp('192.0.2.1', 8080))).toBe('drop');
    });

    it('a sequence that repeats a knock (7001, 7001, 7002) can be completed', () => {
      const k = setup({ ...KNOCK, sequence: [{ protocol: 'tcp', port: 7001 }, { protocol: 'tcp', port: 7001 }, { protocol: 'tcp', port: 7002 }] });
      k.send('public', tcp('192.0.2.1', 7001));
      k.send('public', tcp('192.0.2.1', 7002));
      expect(k.send('public', tcp('192.0.2.1', 8080))).toBe('drop');
      for (const port of [7001, 7001, 7002]) k.send('public', tcp('192.0.2.3', port));
      expect(k.send('public', tcp('192.0.2.3', 8080))).toBe('accept');
    });
  });
});

// =============================================================================================

describe('rateOver: "count in seconds" as an nftables rate and burst', () => {
  it.each([
    [3, 10, { rate: 18, per: 'minute', burst: 3 }],
    [4, 1800, { rate: 8, per: 'hour', burst: 4 }],
    [10, 1, { rate: 10, per: 'second', burst: 10 }],
    [5, 5, { rate: 1, per: 'second', burst: 5 }],
    [20, 5, { rate: 4, per: 'second', burst: 20 }],
    [1, 60, { rate: 1, per: 'minute', burst: 1 }],
    [1, 86400, { rate: 1, per: 'day', burst: 1 }],
    [2, 86400, { rate: 2, per: 'day', burst: 2 }],
    [1, 7200, { rate: 12, per: 'day', burst: 1 }],
    [100_000, 1, { rate: 100_000, per: 'second', burst: 100_000 }],
  ] as const)('%i in %is → %o', (count, seconds, expected) => {
    expect(rateOver(count, seconds)).toEqual(expected);
  });

  it.each([[7, 13], [5, 7], [1, 86399], [3, 65537], [99_999, 86_399]])('awkward %i in %is: a whole rate per day, rounded up, never below 1', (count, seconds) => {
    const r = rateOver(count, seconds);
    expect(r.per).toBe('day');
    expect(Number.isInteger(r.rate)).toBe(true);
    expect(r.rate).toBe(Math.max(1, Math.ceil((count * 86400) / seconds)));
    expect(r.burst).toBe(count);
    // Never slower than asked: the daily rate covers the requested one.
    expect(r.rate / 86400).toBeGreaterThanOrEqual(count / seconds);
  });

  it('always picks the smallest unit with a whole rate ≥ 1, and the bucket holds `count`', () => {
    for (let count = 1; count <= 12; count++) {
      for (const seconds of [1, 2, 3, 7, 10, 30, 45, 60, 90, 600, 1800, 3600, 5400, 43200, 86400]) {
        const r = rateOver(count, seconds);
        const unit = { second: 1, minute: 60, hour: 3600, day: 86400 }[r.per];
        expect(r.burst).toBe(count);
        expect(r.rate).toBeGreaterThanOrEqual(1);
        if (Number.isInteger((count * unit) / seconds)) expect(r.rate).toBe((count * unit) / seconds);
        for (const smaller of [1, 60, 3600].filter((u) => u < unit)) {
          const x = (count * smaller) / seconds;
          expect(Number.isInteger(x) && x >= 1, `${count}/${seconds}s in units of ${smaller}s`).toBe(false);
        }
      }
    }
  });
});

describe('brute-force limits', () => {
  const sshPolicy = (fields: Partial<PortRuleInput> = {}) => policyOf({ portRules: [portRule('ssh', { ports: { from: 22, to: 22 }, limit: SSH_LIMIT, ...fields })] });

  it('one meter per rate and family (timeout: the period), and a blocked set per family (timeout: blockSeconds)', () => {
    const doc = compile(sshPolicy());
    for (const f of FAMILIES) {
      const type = f === 4 ? 'ipv4_addr' : 'ipv6_addr';
      expect(setDef(doc, `meter${f}_0_port_ssh`)).toMatchObject({ type, flags: ['timeout'], timeout: 10 });
      expect(setDef(doc, `meter${f}_1_port_ssh`)).toMatchObject({ type, flags: ['timeout'], timeout: 1800 });
      expect(setDef(doc, `limited${f}_port_ssh`)).toMatchObject({ type, flags: ['timeout'], timeout: 1800 });
    }
    expect(setNames(doc).filter((n) => /^(meter|limited)/.test(n))).toHaveLength(6);
  });

  it('a new connection over a rate blocks its source; then blocked sources, that connection first, are logged (kind limit) and sent to final_<p>', () => {
    const doc = compile(sshPolicy({ profiles: ['public'] }));
    const sel = [eq(META_L4PROTO, 'tcp'), eq(TH_DPORT, 22)];
    const rules = chainRules(doc, 'in_public');
    const at = indexOfComment(doc, 'in_public', 'palisade:port:ssh-over-limit');
    const expected = FAMILIES.flatMap((f) => [
      { comment: 'palisade:port:ssh-over-limit', expr: [...sel, nfproto(f), CT_NEW,
        { set: { op: 'update', elem: saddr(f), set: `@meter${f}_0_port_ssh`, stmt: [{ limit: { rate: 18, per: 'minute', burst: 3, burst_unit: 'packets', inv: true } }] } },
        addTo(f, `limited${f}_port_ssh`), COUNTER] },
      { comment: 'palisade:port:ssh-over-limit', expr: [...sel, nfproto(f), CT_NEW,
        { set: { op: 'update', elem: saddr(f), set: `@meter${f}_1_port_ssh`, stmt: [{ limit: { rate: 8, per: 'hour', burst: 4, burst_unit: 'packets', inv: true } }] } },
        addTo(f, `limited${f}_port_ssh`), COUNTER] },
      { comment: undefined, expr: [...sel, nfproto(f), inSet(f, `limited${f}_port_ssh`), ...logged('pal:public:limit:ssh')] },
      { comment: 'palisade:port:ssh-limited', expr: [...sel, nfproto(f), inSet(f, `limited${f}_port_ssh`), COUNTER, gotoChain('final_public')] },
    ]);
    expect(rules.slice(at, at + 8).map((r) => ({ comment: r.comment, expr: r.expr }))).toEqual(expected);
    // Then the accept.
    expect(rules[at + 8]?.comment).toBe('palisade:port:ssh');
    expect(rules[at + 8]?.expr).toEqual([...sel, SOCKET_GATE, COUNTER, ACCEPT]);
    expect(JSON.stringify(chainRules(doc, 'in_private'))).not.toContain('ssh');
  });

  it('limits precede the accept, and come after every block', () => {
    const doc = compile(policyOf({ portRules: [portRule('ssh', { ports: { from: 22, to: 22 }, limit: SSH_LIMIT }), portRule('no-telnet', { action: 'block', ports: { from: 23, to: 23 } })] }));
    for (const p of PROFILES) {
      const chain = `in_${p}`;
      const accept = indexOfComment(doc, chain, 'palisade:port:ssh');
      expect(lastIndexOfComment(doc, chain, 'palisade:port:ssh-over-limit')).toBeLessThan(accept);
      expect(lastIndexOfComment(doc, chain, 'palisade:port:ssh-limited')).toBeLessThan(accept);
      expect(indexOfComment(doc, chain, 'palisade:port:ssh-limited')).toBeGreaterThan(lastIndexOfComment(doc, chain, 'palisade:port:no-telnet'));
    }
  });

  it('a limited rule with remote networks is limited per family of those networks only', () => {
    const doc = compile(sshPolicy({ remote: ['2001:db8::/32'] }));
    const limited = rulesWithComment(doc, 'in_public', 'palisade:port:ssh-limited');
    expect(limited).toHaveLength(1);
    expect(hasStatement(limited[0] as NftRule, inSet(6, 'limited6_port_ssh'))).toBe(true);
    expect(hasStatement(limited[0] as NftRule, eq(saddr(6), { prefix: { addr: '2001:db8::', len: 32 } }))).toBe(true);
  });

  it('app limits use the app\'s own app_ports_<p>_<id> set, after port allows and before the allowed-app set', () => {
    const appPorts = emptyAppPorts();
    appPorts.private.limited = { sshd: [{ protocol: 'tcp', port: 2222 }, { protocol: 'tcp', port: 22 }] };
    const policy = policyOf({
      portRules: [portRule('web')],
      apps: [{ id: 'sshd', identity: { kind: 'executable', path: '/usr/sbin/sshd' }, action: 'allow', profiles: ['private'], limit: { rates: [{ count: 3, seconds: 10 }], blockSeconds: 600 } }],
    });
    const doc = compile(policy, runtimeOf({ appPorts }));
    expect(setDef(doc, 'app_ports_private_sshd')).toMatchObject({ type: ['inet_proto', 'inet_service'], elem: [{ concat: ['tcp', 22] }, { concat: ['tcp', 2222] }] });
    expect(setNames(doc)).not.toContain('app_ports_public_sshd');
    for (const f of FAMILIES) {
      expect(setDef(doc, `meter${f}_0_app_sshd`)).toMatchObject({ timeout: 10 });
      expect(setDef(doc, `limited${f}_app_sshd`)).toMatchObject({ timeout: 600 });
    }
    const sel = eq(PROTO_PORT, '@app_ports_private_sshd');
    const limited = rulesWithComment(doc, 'in_private', 'palisade:app:sshd-limited');
    expect(limited.map((r) => r.expr)).toEqual(FAMILIES.map((f) => [sel, nfproto(f), inSet(f, `limited${f}_app_sshd`), COUNTER, gotoChain('final_private')]));
    const over = rulesWithComment(doc, 'in_private', 'palisade:app:sshd-over-limit');
    expect(over.map((r) => r.expr)).toEqual(FAMILIES.map((f) => [sel, nfproto(f), CT_NEW,
      { set: { op: 'update', elem: saddr(f), set: `@meter${f}_0_app_sshd`, stmt: [{ limit: { rate: 18, per: 'minute', burst: 3, burst_unit: 'packets', inv: true } }] } },
      addTo(f, `limited${f}_app_sshd`), COUNTER]));
    const rules = chainRules(doc, 'in_private');
    const logIdx = rules.findIndex((r) => JSON.stringify(r.expr).includes('pal:private:limit:sshd'));
    expect(rules[logIdx + 1]?.comment).toBe('palisade:app:sshd-limited');
    expect(rulesWithComment(doc, 'in_private', 'palisade:app:sshd').map((r) => r.expr)).toEqual([[sel, SOCKET_GATE, COUNTER, ACCEPT]]);
    const chain = 'in_private';
    // web is a plain rule: its port is in the profile's map, looked up by the map's rules.
    expect(mappedCounters(doc, 'private_port_allow')).toEqual(['palisade:port:web']);
    expect(indexOfComment(doc, chain, 'palisade:app:sshd-over-limit')).toBeGreaterThan(indexOfComment(doc, chain, 'palisade:profile:private-port-rules'));
    expect(indexOfComment(doc, chain, 'palisade:app:sshd-over-limit')).toBeGreaterThan(indexOfComment(doc, chain, 'palisade:profile:private-port-rules-open'));
    expect(indexOfComment(doc, chain, 'palisade:app:sshd')).toBeGreaterThan(lastIndexOfComment(doc, chain, 'palisade:app:sshd-limited'));
    expect(indexOfComment(doc, chain, 'palisade:app:private-allowed-apps')).toBeGreaterThan(indexOfComment(doc, chain, 'palisade:app:sshd'));
    expect(JSON.stringify(chainRules(doc, 'in_public'))).not.toContain('sshd');
  });

  it('an app limit needs an allowed app on the profile: none for blocked or unchecked apps', () => {
    const doc = compile(policyOf({ apps: [{ id: 'idle', identity: { kind: 'executable', path: '/usr/bin/idle' }, action: 'allow', profiles: [], limit: SSH_LIMIT }] }));
    expect(JSON.stringify(doc)).not.toContain('idle');
  });

  it('compileAppPortsUpdate also rewrites the sets of rate-limited apps, as the full compile defines them', () => {
    const policy = policyOf({ apps: [{ id: 'sshd', identity: { kind: 'executable', path: '/usr/sbin/sshd' }, action: 'allow', profiles: ['private', 'public'], limit: SSH_LIMIT }] });
    const appPorts = emptyAppPorts();
    appPorts.public.limited = { sshd: [{ protocol: 'tcp', port: 22 }], other: [{ protocol: 'tcp', port: 1 }] };
    const update = compileAppPortsUpdate(appPorts, policy);
    const flushed = update.nftables.flatMap((c) => ('flush' in c && 'set' in c.flush ? [c.flush.set.name] : []));
    expect(flushed.sort()).toEqual(['app_ports_private_sshd', 'app_ports_public_sshd', 'private_app_allow', 'private_app_block', 'public_app_allow', 'public_app_block']);
    const added = update.nftables.flatMap((c) => ('add' in c && 'element' in c.add ? [[c.add.element.name, c.add.element.elem] as const] : []));
    expect(added).toEqual([['app_ports_public_sshd', [{ concat: ['tcp', 22] }]]]);
    expect(setDef(compile(policy, runtimeOf({ appPorts })), 'app_ports_public_sshd').elem).toEqual([{ concat: ['tcp', 22] }]);
  });

  describe('run through the interpreter', () => {
    it('the fourth connection within 10 s blocks the source for blockSeconds; others are unaffected', () => {
      const k = new Kernel(compile(sshPolicy()));
      k.listening.add('tcp/22');
      for (let i = 0; i < 3; i++) {
        expect(k.send('public', tcp('192.0.2.66', 22))).toBe('accept');
        k.now += 0.5;
      }
      expect(k.send('public', tcp('192.0.2.66', 22))).toBe('drop');
      expect(k.members('limited4_port_ssh')).toEqual(['192.0.2.66']);
      expect(k.send('public', tcp('192.0.2.7', 22))).toBe('accept');
      expect(k.send('public', tcp('2001:db8::66', 22))).toBe('accept');
      k.now += 1799;
      expect(k.send('public', tcp('192.0.2.66', 22))).toBe('drop');
      k.now += 2;
      expect(k.send('public', tcp('192.0.2.66', 22))).toBe('accept');
    });

    it('the slower rate catches a patient source: the fifth in 30 minutes', () => {
      const k = new Kernel(compile(sshPolicy()));
      k.listening.add('tcp/22');
      for (let i = 0; i < 4; i++) {
        expect(k.send('public', tcp('192.0.2.66', 22)), `connection ${i + 1}`).toBe('accept');
        k.now += 60;
      }
      expect(k.send('public', tcp('192.0.2.66', 22))).toBe('drop');
    });
  });
});

// =============================================================================================

describe('port-scan detection', () => {
  const SCAN = { enabled: true, ports: 20, withinSeconds: 5, blockSeconds: 600 };
  const scanPolicy = (extra: ProfileInput = {}) => policyOf({
    profiles: { public: { scanDetection: SCAN, answerPing: true, ...extra } },
    portRules: [portRule('web', { alwaysOpen: true }), portRule('web-knocked', { ports: { from: 8080, to: 8080 }, knock: KNOCK })],
  });

  it('sets per family for the profile that has it: a meter (the period) and the scanners (block time)', () => {
    const doc = compile(scanPolicy());
    for (const f of FAMILIES) {
      expect(setDef(doc, `scan_meter${f}_public`)).toMatchObject({ type: f === 4 ? 'ipv4_addr' : 'ipv6_addr', flags: ['timeout'], timeout: 5 });
      expect(setDef(doc, `scanners${f}_public`)).toMatchObject({ type: f === 4 ? 'ipv4_addr' : 'ipv6_addr', flags: ['timeout'], timeout: 600 });
    }
    expect(setNames(doc).filter((n) => n.includes('private') && n.includes('scan'))).toEqual([]);
  });

  it('caught scanners are dropped first in in_<p> after anti-spoofing and the essentials: before ping, knocks and allowed (even always-open) ports', () => {
    const doc = compile(scanPolicy());
    const rules = chainRules(doc, 'in_public');
    expect(rules.slice(0, 2).map((r) => r.expr)).toEqual([[{ jump: { target: 'rpfilter_public' } }], [{ jump: { target: 'essentials' } }]]);
    expect(rules.slice(2, 4).map((r) => ({ comment: r.comment, expr: r.expr }))).toEqual(FAMILIES.map((f) => ({
      comment: 'palisade:profile:public-scan-blocked', expr: [inSet(f, `scanners${f}_public`), COUNTER, DROP],
    })));
    expect(indexOfComment(doc, 'in_public', 'palisade:profile:public-ping')).toBe(4);
    expect(JSON.stringify(chainRules(doc, 'in_private'))).not.toContain('scan');
  });

  it('with shields up the scanners still come first', () => {
    const doc = compile(scanPolicy({ shieldsUp: true }));
    expect(chainRules(doc, 'in_public').map((r) => r.comment)).toEqual([
      undefined, undefined, 'palisade:profile:public-scan-blocked', 'palisade:profile:public-scan-blocked', undefined, 'palisade:profile:public-shields-up',
    ]);
  });

  it('final_<p> feeds the meter with new TCP/UDP connections only, before the verdict', () => {
    for (const stealth of [true, false]) {
      const doc = compile(scanPolicy({ stealth }));
      const rules = chainRules(doc, 'final_public');
      expect(rules.slice(0, 2).map((r) => ({ comment: r.comment, expr: r.expr }))).toEqual(FAMILIES.map((f) => ({
        comment: 'palisade:profile:public-scan-detected',
        expr: [
          eq(META_L4PROTO, { set: ['tcp', 'udp'] }), nfproto(f), CT_NEW,
          // A (protocol, port) counts once per source: retransmissions and retries do not make a scan.
          { match: { op: '!=', left: { concat: [saddr(f), META_L4PROTO, TH_DPORT] }, right: `@scan_ports${f}_public` } },
          { set: { op: 'add', elem: { concat: [saddr(f), META_L4PROTO, TH_DPORT] }, set: `@scan_ports${f}_public` } },
          // The 20th distinct port within 5 s is over: a bucket of 19.
          { set: { op: 'update', elem: saddr(f), set: `@scan_meter${f}_public`, stmt: [{ limit: { rate: 228, per: 'minute', burst: 19, burst_unit: 'packets', inv: true } }] } },
          addTo(f, `scanners${f}_public`),
          COUNTER,
          ...logged('pal:public:scan'),
        ],
      })));
      // The verdict is unchanged after it.
      expect(rules.length).toBe(stealth ? 3 : 7);
      expect(JSON.stringify(chainRules(doc, 'final_private'))).not.toContain('scan');
    }
  });

  it('off → no scan sets and no scan rules anywhere', () => {
    const doc = compile(policyOf({ profiles: bothProfiles({ scanDetection: { ...SCAN, enabled: false } }) }));
    expect(JSON.stringify(doc)).not.toMatch(/scan/);
  });

  it('with the firewall off on the profile, nothing refers to scan sets (they are not defined then)', () => {
    const doc = compile(policyOf({ profiles: { public: { enabled: false, scanDetection: SCAN } } }));
    expect(setNames(doc).filter((n) => n.includes('scan'))).toEqual([]);
    expect(JSON.stringify(doc)).not.toMatch(/scan/);
  });

  it('run through the interpreter: a sweep gets the source dropped entirely, allowed ports included, until it is forgotten', () => {
    const k = new Kernel(compile(scanPolicy()));
    k.listening.add('tcp/8000');
    expect(k.send('public', tcp('203.0.113.5', 8000))).toBe('accept');
    // Retrying one closed port is not a scan.
    for (let i = 0; i < 50; i++) expect(k.send('public', tcp('203.0.113.5', 1))).toBe('drop');
    for (let port = 2; port <= 19; port++) expect(k.send('public', tcp('203.0.113.5', port))).toBe('drop');
    expect(k.members('scanners4_public')).toEqual([]);
    // The 20th distinct closed port within the time.
    k.send('public', udp('203.0.113.5', 20));
    expect(k.members('scanners4_public')).toEqual(['203.0.113.5']);
    expect(k.send('public', tcp('203.0.113.5', 8000))).toBe('drop');
    expect(k.trace).toEqual(['in_public', 'rpfilter_public', 'essentials']);
    // Pings and other sources are not scans.
    for (let i = 0; i < 50; i++) k.send('public', { family: 4, saddr: '203.0.113.6', proto: 'icmp', icmpType: 'echo-request' });
    expect(k.send('public', tcp('203.0.113.6', 8000))).toBe('accept');
    expect(k.send('public', tcp('2001:db8::5', 8000))).toBe('accept');
    k.now += 601;
    expect(k.send('public', tcp('203.0.113.5', 8000))).toBe('accept');
  });
});

// =============================================================================================

describe('outbound rules', () => {
  const outPolicy = (settings: ProfileInput, rules: PortRuleInput[]) => policyOf({ profiles: bothProfiles(settings), portRules: rules });
  const outRules = [
    portRule('no-smtp', { direction: 'out', action: 'block', ports: { from: 25, to: 25 }, remote: ['10.0.0.0/8', '2001:db8::/32'] }),
    portRule('https', { direction: 'out', protocol: 'both', ports: { from: 443, to: 443 } }),
    portRule('inbound', { ports: { from: 8000, to: 8000 } }),
  ];

  it('"out" rules are only in out_<p>, matching the remote network as daddr; inbound rules never there', () => {
    const doc = compile(outPolicy({ defaultOutbound: 'block' }, outRules));
    for (const p of PROFILES) {
      const inbound = JSON.stringify(chainRules(doc, `in_${p}`));
      expect(inbound).not.toContain('no-smtp');
      expect(inbound).not.toContain('https');
      const blocks = rulesWithComment(doc, `out_${p}`, 'palisade:port:no-smtp');
      expect(blocks.map((r) => r.expr)).toEqual([
        [eq(META_L4PROTO, 'tcp'), eq(TH_DPORT, 25), eq(daddr(4), { prefix: { addr: '10.0.0.0', len: 8 } }), COUNTER, { reject: { type: 'icmpx', expr: 'admin-prohibited' } }],
        [eq(META_L4PROTO, 'tcp'), eq(TH_DPORT, 25), eq(daddr(6), { prefix: { addr: '2001:db8::', len: 32 } }), COUNTER, { reject: { type: 'icmpx', expr: 'admin-prohibited' } }],
      ]);
      // Each is logged right before, with the same match.
      const rules = chainRules(doc, `out_${p}`);
      expect(rules[0]?.expr).toEqual([...(blocks[0]?.expr.slice(0, 3) ?? []), ...logged(`pal:${p}:out-block:no-smtp`)]);
      expect(JSON.stringify(rules)).not.toContain('saddr');
      expect(rulesWithComment(doc, `out_${p}`, 'palisade:port:https').map((r) => r.expr)).toEqual([
        [eq(META_L4PROTO, { set: ['tcp', 'udp'] }), eq(TH_DPORT, 443), COUNTER, ACCEPT],
      ]);
      expect(JSON.stringify(rules)).not.toContain('palisade:port:inbound');
      expect(JSON.stringify(rules)).not.toContain('socket');
    }
  });

  it('block rules come first, then the essentials, the allow rules, and the logged reject', () => {
    const doc = compile(outPolicy({ defaultOutbound: 'block' }, outRules), runtimeOf({ resolvers: ['192.0.2.53'] }));
    expect(chainRules(doc, 'out_public').map((r) => r.comment)).toEqual([
      undefined, 'palisade:port:no-smtp', undefined, 'palisade:port:no-smtp',
      'palisade:profile:public-out-icmpv6', 'palisade:profile:public-out-dhcp', 'palisade:profile:public-out-ntp', 'palisade:profile:public-out-dns',
      'palisade:port:https',
      undefined, 'palisade:profile:public-default-block-out',
    ]);
  });

  it('default allow: block rules, then accept — no essentials, no reject', () => {
    const doc = compile(outPolicy({ defaultOutbound: 'allow' }, outRules), runtimeOf({ resolvers: ['192.0.2.53'] }));
    const rules = chainRules(doc, 'out_public');
    expect(rules.map((r) => r.comment)).toEqual([undefined, 'palisade:port:no-smtp', undefined, 'palisade:port:no-smtp', undefined]);
    expect(rules[rules.length - 1]?.expr).toEqual([ACCEPT]);
    expect(JSON.stringify(rules)).not.toContain('out-default');
  });

  it.each(['dns', 'dhcp', 'ntp'] as const)('switching off the %s essential removes exactly its rule', (which) => {
    const resolvers = ['192.0.2.53', '2001:db8::53'];
    const all = chainRules(compile(outPolicy({ defaultOutbound: 'block' }, []), runtimeOf({ resolvers })), 'out_private');
    const without = chainRules(compile(outPolicy({ defaultOutbound: 'block', outboundEssentials: { dns: true, dhcp: true, ntp: true, [which]: false } }, []), runtimeOf({ resolvers })), 'out_private');
    const mine = `palisade:profile:private-out-${which}`;
    expect(all.filter((r) => r.comment === mine).length).toBe(which === 'dns' ? 2 : 1);
    expect(without).toEqual(all.filter((r) => r.comment !== mine));
  });

  it('DNS goes only to the configured resolvers of each family; none configured → no DNS rule', () => {
    const v4only = compile(outPolicy({ defaultOutbound: 'block' }, []), runtimeOf({ resolvers: ['192.0.2.53'] }));
    const dns = rulesWithComment(v4only, 'out_public', 'palisade:profile:public-out-dns');
    expect(dns.map((r) => r.expr)).toEqual([[eq(META_L4PROTO, { set: ['udp', 'tcp'] }), eq(TH_DPORT, 53), eq(daddr(4), '192.0.2.53'), COUNTER, ACCEPT]]);
    const none = compile(outPolicy({ defaultOutbound: 'block' }, []), runtimeOf({ resolvers: [] }));
    expect(rulesWithComment(none, 'out_public', 'palisade:profile:public-out-dns')).toEqual([]);
  });

  it('an outbound allow rule for a remote network accepts only to that network', () => {
    const doc = compile(outPolicy({ defaultOutbound: 'block' }, [portRule('lan', { direction: 'out', protocol: 'udp', ports: { from: 5000, to: 5010 }, remote: ['192.168.0.0/16'] })]));
    expect(rulesWithComment(doc, 'out_private', 'palisade:port:lan').map((r) => r.expr)).toEqual([
      [eq(META_L4PROTO, 'udp'), eq(TH_DPORT, { range: [5000, 5010] }), eq(daddr(4), { prefix: { addr: '192.168.0.0', len: 16 } }), COUNTER, ACCEPT],
    ]);
  });

  it('established replies pass in the output base chain before any profile rule', () => {
    const doc = compile(outPolicy({ defaultOutbound: 'block' }, []));
    expect(chainRules(doc, 'output')[0]?.expr).toEqual([{ match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } }, ACCEPT]);
  });
});

// =============================================================================================

describe('anti-spoofing', () => {
  const FIB_MISSING = { match: { op: '==', left: { fib: { result: 'oif', flags: ['saddr', 'iif'] } }, right: false } };

  it('rpfilter_<p>: neighbour discovery and DHCP requests return unchecked, then a logged, counted drop of sources with no route back', () => {
    const doc = compile();
    for (const p of PROFILES) {
      expect(chainDef(doc, `rpfilter_${p}`).hook).toBeUndefined();
      expect(chainRules(doc, `rpfilter_${p}`).map((r) => ({ comment: r.comment, expr: r.expr }))).toEqual([
        { comment: `palisade:profile:${p}-spoof-nd`, expr: [eq({ payload: { protocol: 'icmpv6', field: 'type' } }, { set: ['nd-neighbor-solicit', 'nd-neighbor-advert', 'nd-router-solicit', 'nd-router-advert'] }), { return: null }] },
        { comment: `palisade:profile:${p}-spoof-dhcp`, expr: [eq(saddr(4), '0.0.0.0'), eq({ payload: { protocol: 'udp', field: 'dport' } }, 67), { return: null }] },
        { comment: undefined, expr: [FIB_MISSING, gotoChain(`spoofed_${p}`)] },
      ]);
      // One route lookup per new packet; the log and the counted drop follow in their own chain.
      expect(chainRules(doc, `spoofed_${p}`).map((r) => ({ comment: r.comment, expr: r.expr }))).toEqual([
        { comment: undefined, expr: logged(`pal:${p}:spoof`) },
        { comment: `palisade:profile:${p}-spoofed`, expr: [COUNTER, DROP] },
      ]);
      // The profile's inbound chain jumps there first, then to the essentials.
      expect(chainRules(doc, `in_${p}`).slice(0, 2).map((r) => r.expr)).toEqual([[{ jump: { target: `rpfilter_${p}` } }], [{ jump: { target: 'essentials' } }]]);
    }
  });

  it('off (or the firewall off) → the chain exists, is empty and nothing jumps to it', () => {
    const doc = compile(policyOf({ profiles: { private: { antiSpoofing: false }, public: { enabled: false } } }));
    for (const p of PROFILES) {
      expect(chainRules(doc, `rpfilter_${p}`)).toEqual([]);
      expect(chainRules(doc, `spoofed_${p}`)).toEqual([]);
    }
    expect(JSON.stringify(doc)).not.toContain('fib');
    expect(JSON.stringify(doc)).not.toContain('"target":"rpfilter_');
  });

  it('no prerouting hook: packets of established flows never meet the check', () => {
    const doc = compile(policyOf(), runtimeOf({ interfaces: { eth0: 'private' } }));
    const hooks = doc.nftables.flatMap((c) => ('add' in c && 'chain' in c.add && c.add.chain.hook ? [c.add.chain.hook] : []));
    expect(hooks).not.toContain('prerouting');
    expect(JSON.stringify(doc)).not.toContain('iface_pre');
    expect(chainRules(doc, 'input').slice(0, 3).map((r) => r.comment)).toEqual(['palisade:base:loopback', 'palisade:base:established', 'palisade:base:invalid']);
  });

  describe('run through the interpreter', () => {
    const spoofed = (p: Packet): Packet => ({ ...p, noRouteBack: true });
    const allowed = () => {
      const k = new Kernel(compile(policyOf({ portRules: [portRule('web'), portRule('dhcp-server', { protocol: 'udp', ports: { from: 67, to: 67 } })] })));
      k.listening.add('tcp/8000');
      k.listening.add('udp/67');
      return k;
    };

    it('a new connection from a source with no route back is dropped, even to an allowed, listened port', () => {
      const k = allowed();
      expect(k.send('public', tcp('192.0.2.1', 8000))).toBe('accept');
      expect(k.send('public', spoofed(tcp('192.0.2.1', 8000)))).toBe('drop');
      expect(k.trace).toEqual(['in_public', 'rpfilter_public', 'spoofed_public']);
      expect(k.send('public', spoofed(tcp('2001:db8::1', 8000)))).toBe('drop');
    });

    it('checked before the essentials: a forged ICMPv6 error is dropped, a genuine one accepted', () => {
      const k = allowed();
      const tooBig: Packet = { family: 6, saddr: '2001:db8::1', proto: 'ipv6-icmp', icmpType: 'packet-too-big' };
      expect(k.send('public', tooBig)).toBe('accept');
      expect(k.send('public', spoofed(tooBig))).toBe('drop');
    });

    it('neighbour discovery and DHCP requests are not checked', () => {
      const k = allowed();
      expect(k.send('public', spoofed({ family: 6, saddr: '::', proto: 'ipv6-icmp', icmpType: 'nd-neighbor-solicit' }))).toBe('accept');
      expect(k.send('public', spoofed(udp('0.0.0.0', 67)))).toBe('accept');
      expect(k.trace).not.toContain('spoofed_public');
    });

    it('with anti-spoofing off the same packets decide by the rules alone', () => {
      const k = new Kernel(compile(policyOf({ profiles: bothProfiles({ antiSpoofing: false }), portRules: [portRule('web')] })));
      k.listening.add('tcp/8000');
      expect(k.send('public', spoofed(tcp('192.0.2.1', 8000)))).toBe('accept');
      expect(k.trace).toEqual(['in_public', 'essentials']);
    });
  });
});

// =============================================================================================

describe('rules with an expiry', () => {
  const NOW = '2026-03-01T12:00:00Z';

  it('secondsLeft: whole seconds, rounded up, at least 1; undefined without an expiry or a clock', () => {
    expect(secondsLeft({ expires: '2026-03-01T13:00:00Z' }, NOW)).toBe(3600);
    expect(secondsLeft({ expires: '2026-03-01T12:00:00.200Z' }, NOW)).toBe(1);
    expect(secondsLeft({ expires: '2026-03-01T12:00:10.001Z' }, NOW)).toBe(11);
    expect(secondsLeft({ expires: '2026-03-01T14:00:00+02:00' }, NOW)).toBe(1);
    expect(secondsLeft({}, NOW)).toBeUndefined();
    expect(secondsLeft({ expires: '2026-03-01T13:00:00Z' }, undefined)).toBeUndefined();
  });

  it('a rule that expires is gated by until_<id>, whose elements (both protocols for "both") time out then', () => {
    const doc = compile(policyOf({ portRules: [portRule('tmp', { protocol: 'both', ports: { from: 9000, to: 9001 }, expires: '2026-03-01T13:00:00.500Z' })] }), runtimeOf({ now: NOW }));
    expect(setDef(doc, 'until_tmp')).toEqual({
      family: 'inet', table: 'palisade', name: 'until_tmp', type: ['inet_proto', 'inet_service'], flags: ['interval', 'timeout'],
      elem: [
        { elem: { val: { concat: ['tcp', { range: [9000, 9001] }] }, timeout: 3601 } },
        { elem: { val: { concat: ['udp', { range: [9000, 9001] }] }, timeout: 3601 } },
      ],
    });
    for (const p of PROFILES) {
      expect(rulesWithComment(doc, `in_${p}`, 'palisade:port:tmp').map((r) => r.expr)).toEqual([[
        eq(META_L4PROTO, { set: ['tcp', 'udp'] }), eq(TH_DPORT, { range: [9000, 9001] }), eq(PROTO_PORT, '@until_tmp'), SOCKET_GATE, COUNTER, ACCEPT,
      ]]);
    }
  });

  it('a single port and protocol: one element; block and outbound rules are gated too', () => {
    const doc = compile(policyOf({
      portRules: [
        portRule('tmp-block', { action: 'block', ports: { from: 22, to: 22 }, expires: '2026-03-01T12:01:00Z' }),
        portRule('tmp-out', { direction: 'out', protocol: 'udp', ports: { from: 53, to: 53 }, expires: '2026-03-01T12:00:30Z' }),
      ],
    }), runtimeOf({ now: NOW }));
    expect(setDef(doc, 'until_tmp-block').elem).toEqual([{ elem: { val: { concat: ['tcp', 22] }, timeout: 60 } }]);
    expect(setDef(doc, 'until_tmp-out').elem).toEqual([{ elem: { val: { concat: ['udp', 53] }, timeout: 30 } }]);
    const blocks = chainRules(doc, 'in_public').filter((r) => JSON.stringify(r.expr).includes('@until_tmp-block'));
    expect(blocks).toHaveLength(2); // the log and the counted verdict
    expect(hasStatement(blocks[1] as NftRule, gotoChain('final_public'))).toBe(true);
    expect(rulesWithComment(doc, 'out_public', 'palisade:port:tmp-out')).toEqual([]); // default outbound allow: allow rules are moot
    const blocked = compile(policyOf({
      profiles: bothProfiles({ defaultOutbound: 'block' }),
      portRules: [portRule('tmp-out', { direction: 'out', protocol: 'udp', ports: { from: 53, to: 53 }, expires: '2026-03-01T12:00:30Z' })],
    }), runtimeOf({ now: NOW }));
    expect(rulesWithComment(blocked, 'out_public', 'palisade:port:tmp-out').map((r) => r.expr)).toEqual([
      [eq(META_L4PROTO, 'udp'), eq(TH_DPORT, 53), eq(PROTO_PORT, '@until_tmp-out'), COUNTER, ACCEPT],
    ]);
  });

  it('an expiring knock or limited rule keeps its protections and adds the gate', () => {
    const doc = compile(policyOf({ portRules: [portRule('web', { knock: KNOCK, limit: SSH_LIMIT, expires: '2026-03-02T12:00:00Z' })] }), runtimeOf({ now: NOW }));
    expect(setDef(doc, 'until_web').elem).toEqual([{ elem: { val: { concat: ['tcp', 8000] }, timeout: 86400 } }]);
    const accepts = rulesWithComment(doc, 'in_public', 'palisade:port:web');
    expect(accepts).toHaveLength(2);
    for (const r of accepts) expect(hasStatement(r, eq(PROTO_PORT, '@until_web'))).toBe(true);
    expect(setNames(doc).filter((n) => n.startsWith('knock') || n.startsWith('limited'))).toHaveLength(8);
  });

  it('expired rules are absent, with their sets', () => {
    const doc = compile(policyOf({ portRules: [portRule('gone', { knock: KNOCK, limit: SSH_LIMIT, expires: NOW })] }), runtimeOf({ now: NOW }));
    expect(JSON.stringify(doc)).not.toContain('gone');
  });

  it('without a clock no until set is made and the rule is not gated', () => {
    const doc = compile(policyOf({ portRules: [portRule('tmp', { expires: '2026-03-01T13:00:00Z' })] }));
    expect(setNames(doc).filter((n) => n.startsWith('until_'))).toEqual([]);
    // Nothing left to gate it on: it is a plain rule, an element of the listening map like any other.
    for (const p of PROFILES) {
      expect(rulesWithComment(doc, `in_${p}`, 'palisade:port:tmp')).toEqual([]);
      expect(portMapElems(doc, `${p}_port_allow`)).toEqual([[{ concat: ['tcp', 8000] }, 'palisade:port:tmp']]);
    }
    const k = new Kernel(doc);
    k.listening.add('tcp/8000');
    k.now = 10 * 86400;
    expect(k.send('public', tcp('192.0.2.1', 8000))).toBe('accept');
    expect(k.counted('palisade:port:tmp')).toBe(1);
  });

  it('run through the interpreter: accepted until the element times out, then dropped', () => {
    const k = new Kernel(compile(policyOf({ portRules: [portRule('tmp', { expires: '2026-03-01T12:00:10Z' })] }), runtimeOf({ now: NOW })));
    k.listening.add('tcp/8000');
    expect(k.send('private', tcp('192.0.2.1', 8000))).toBe('accept');
    k.now = 9.9;
    expect(k.send('private', tcp('192.0.2.1', 8000))).toBe('accept');
    k.now = 10;
    expect(k.send('private', tcp('192.0.2.1', 8000))).toBe('drop');
  });
});

// =============================================================================================

describe('plain allow rules in the port maps, run through the interpreter', () => {
  const mapPolicy = () => policyOf({
    profiles: bothProfiles({ stealth: false }),
    portRules: [
      portRule('web', { ports: { from: 8000, to: 8010 } }),
      portRule('mdns', { protocol: 'udp', ports: { from: 5353, to: 5353 }, alwaysOpen: true }),
      portRule('no-8005', { action: 'block', ports: { from: 8005, to: 8005 } }),
      portRule('lan', { ports: { from: 9000, to: 9000 }, remote: ['10.1.2.3'] }),
    ],
  });

  it('a mapped port is accepted only while something listens, and counted only when accepted', () => {
    const doc = compile(mapPolicy());
    // A range: the interval map (single ports are in a hash map of their own).
    expect(mappedCounters(doc, 'public_port_allow_ranges')).toEqual(['palisade:port:web']);
    expect(mappedCounters(doc, 'public_port_open')).toEqual(['palisade:port:mdns']);
    const k = new Kernel(doc);
    expect(k.send('public', tcp('192.0.2.1', 8003))).toBe('reject');
    expect(k.counted('palisade:port:web')).toBe(0);
    k.listening.add('tcp/8003');
    expect(k.send('public', tcp('192.0.2.1', 8003))).toBe('accept');
    expect(k.counted('palisade:port:web')).toBe(1);
    // One counter for the rule, whichever profile's map found it.
    expect(k.send('private', tcp('192.0.2.1', 8003))).toBe('accept');
    expect(k.counted('palisade:port:web')).toBe(2);
  });

  it('an always-open mapped port needs no listener; a port next to it is closed', () => {
    const k = new Kernel(compile(mapPolicy()));
    expect(k.send('public', udp('192.0.2.1', 5353))).toBe('accept');
    expect(k.counted('palisade:port:mdns')).toBe(1);
    expect(k.send('public', udp('192.0.2.1', 5354))).toBe('reject');
    expect(k.send('public', tcp('192.0.2.1', 5353))).toBe('reject');
    expect(k.counted('palisade:port:mdns')).toBe(1);
  });

  it('a block inside a mapped range still wins, and rules of their own still decide their ports', () => {
    const k = new Kernel(compile(mapPolicy()));
    k.listening.add('tcp/8005');
    k.listening.add('tcp/9000');
    expect(k.send('public', tcp('192.0.2.1', 8005))).toBe('reject');
    expect(k.trace).toEqual(['in_public', 'rpfilter_public', 'essentials', 'final_public']);
    expect(k.counted('palisade:port:web')).toBe(0);
    expect(k.send('public', tcp('10.1.2.3', 9000))).toBe('accept');
    expect(k.send('public', tcp('192.0.2.1', 9000))).toBe('reject');
  });

  it('counter objects start from the carried values', () => {
    const k = new Kernel(compile(mapPolicy(), runtimeOf({ counters: { 'palisade:port:web': { packets: 40, bytes: 4000 } } })));
    k.listening.add('tcp/8010');
    expect(k.counted('palisade:port:web')).toBe(40);
    expect(k.send('private', tcp('192.0.2.1', 8010))).toBe('accept');
    expect(k.counted('palisade:port:web')).toBe(41);
    expect(k.counted('palisade:port:mdns')).toBe(0);
  });
});

// =============================================================================================

describe('remembered sources', () => {
  const policy = policyOf({
    profiles: { public: { scanDetection: { enabled: true, ports: 10, withinSeconds: 5, blockSeconds: 600 } } },
    portRules: [portRule('ssh', { ports: { from: 22, to: 22 }, limit: SSH_LIMIT, knock: KNOCK })],
  });
  const src = (address: string, expiresInSeconds: number, family: 4 | 6 = address.includes(':') ? 6 : 4): RememberedSource => ({ address, family, expiresInSeconds });
  const elemsOf = (doc: NftDocument, name: string) => setDef(doc, name).elem;

  it('sourceSets lists the sets, which remember decisions but not meters', () => {
    const sets = sourceSets(policy, undefined);
    const tag = knockTag(compile(policy), 'ssh');
    expect(sets.filter((s) => s.remembers).map((s) => s.name).sort()).toEqual([
      `knock4_1_${tag}_ssh`, `knock4_2_${tag}_ssh`, `knock4_3_${tag}_ssh`, `knock6_1_${tag}_ssh`, `knock6_2_${tag}_ssh`, `knock6_3_${tag}_ssh`,
      'limited4_port_ssh', 'limited6_port_ssh', 'scanners4_public', 'scanners6_public',
    ].sort());
    expect(sets.filter((s) => !s.remembers).map((s) => s.name).sort()).toEqual([
      'meter4_0_port_ssh', 'meter4_1_port_ssh', 'meter6_0_port_ssh', 'meter6_1_port_ssh', 'scan_meter4_public', 'scan_meter6_public', 'scan_ports4_public', 'scan_ports6_public',
    ]);
    // And the document defines exactly these source sets, in this order; the scan's touched ports are keyed by (source, protocol, port).
    const isSourceSet = (s: { type: unknown }) => JSON.stringify(s.type).includes('_addr');
    expect(setsOf(compile(policy)).filter(isSourceSet).map((s) => s.name)).toEqual(sets.map((s) => s.name));
    for (const s of sets) {
      const address = s.family === 4 ? 'ipv4_addr' : 'ipv6_addr';
      expect(setDef(compile(policy), s.name)).toMatchObject({ timeout: s.timeout, type: s.perPort ? [address, 'inet_proto', 'inet_service'] : address });
    }
  });

  it('are put back into remembering sets of their family, capped at the set timeout, expired ones dropped', () => {
    const tag = knockTag(compile(policy), 'ssh');
    const remembered: Record<string, RememberedSource[]> = {
      limited4_port_ssh: [src('192.0.2.1', 100), src('192.0.2.2', 5000), src('192.0.2.3', 0), src('192.0.2.4', 12.3), src('2001:db8::9', 50)],
      limited6_port_ssh: [src('2001:db8::1', 60), src('192.0.2.8', 60)],
      [`knock4_3_${tag}_ssh`]: [src('198.51.100.1', 25)],
      [`knock4_1_${tag}_ssh`]: [src('198.51.100.2', 99)],
      scanners6_public: [src('2001:db8::5', 599.2)],
      meter4_0_port_ssh: [src('192.0.2.1', 5)],
      scan_meter4_public: [src('192.0.2.1', 5)],
      limited4_port_gone: [src('192.0.2.1', 5)],
    };
    const doc = compile(policy, runtimeOf({ remembered }));
    expect(elemsOf(doc, 'limited4_port_ssh')).toEqual([
      { elem: { val: '192.0.2.1', timeout: 100 } },
      { elem: { val: '192.0.2.2', timeout: 1800 } },
      { elem: { val: '192.0.2.4', timeout: 13 } },
    ]);
    expect(elemsOf(doc, 'limited6_port_ssh')).toEqual([{ elem: { val: '2001:db8::1', timeout: 60 } }]);
    expect(elemsOf(doc, `knock4_3_${tag}_ssh`)).toEqual([{ elem: { val: '198.51.100.1', timeout: 25 } }]);
    expect(elemsOf(doc, `knock4_1_${tag}_ssh`)).toEqual([{ elem: { val: '198.51.100.2', timeout: 10 } }]);
    expect(elemsOf(doc, 'scanners6_public')).toEqual([{ elem: { val: '2001:db8::5', timeout: 600 } }]);
    // Meters start afresh; sets that are gone are gone.
    expect(elemsOf(doc, 'meter4_0_port_ssh')).toBeUndefined();
    expect(elemsOf(doc, 'scan_meter4_public')).toBeUndefined();
    expect(JSON.stringify(doc)).not.toContain('limited4_port_gone');
    // Everything else about the document is as without them.
    const strip = (d: NftDocument) => JSON.stringify(d.nftables.map((c) => ('add' in c && 'set' in c.add ? { add: { set: { ...c.add.set, elem: undefined } } } : c)));
    expect(strip(doc)).toBe(strip(compile(policy)));
  });

  it('a changed knock sequence leaves the old progress behind', () => {
    const before = knockTag(compile(policy), 'ssh');
    const changed = policyOf({ portRules: [portRule('ssh', { ports: { from: 22, to: 22 }, knock: { ...KNOCK, sequence: KNOCK.sequence.slice(1) } })] });
    const doc = compile(changed, runtimeOf({ remembered: { [`knock4_3_${before}_ssh`]: [src('198.51.100.1', 25)], [`knock4_1_${before}_ssh`]: [src('198.51.100.2', 5)] } }));
    expect(JSON.stringify(doc)).not.toContain('198.51.100');
  });
});

// =============================================================================================

describe('carried counters', () => {
  const policy = policyOf({
    portRules: [
      portRule('web', { protocol: 'both', remote: ['10.0.0.0/8', 'fd00::/8'] }),
      portRule('ssh', { ports: { from: 22, to: 22 }, limit: SSH_LIMIT, knock: KNOCK }),
    ],
  });
  const countersOf = (doc: NftDocument, comment: string) => rulesOf(doc).filter((r) => r.comment === comment).map((r) => r.expr.find((e) => 'counter' in e));

  it('go on the first rule with the comment only, so the sum stays the same', () => {
    const counters = {
      'palisade:port:web': { packets: 10, bytes: 1000 },
      'palisade:port:ssh-over-limit': { packets: 7, bytes: 420 },
      'palisade:profile:public-scan-blocked': { packets: 3, bytes: 3 },
      'palisade:port:ssh-knock': { packets: 4, bytes: 4 },
    };
    const doc = compile(policy, runtimeOf({ counters }));
    // web: two profiles × two families, all with the same comment: the first one carries the value.
    expect(countersOf(doc, 'palisade:port:web')).toEqual([{ counter: { packets: 10, bytes: 1000 } }, COUNTER, COUNTER, COUNTER]);
    expect(countersOf(doc, 'palisade:port:ssh-over-limit')).toEqual([{ counter: { packets: 7, bytes: 420 } }, ...Array.from({ length: 7 }, () => COUNTER)]);
    // Rules without a counter get none; comments not in the table are ignored.
    expect(countersOf(doc, 'palisade:port:ssh-knock').every((c) => c === undefined)).toBe(true);
    expect(JSON.stringify(doc)).not.toContain('scan-blocked');
    // The sum over every counter is what was carried (minus what had nowhere to go).
    const total = rulesOf(doc).flatMap((r) => r.expr.filter((e) => 'counter' in e).map((e) => (e.counter as { packets?: number } | null)?.packets ?? 0)).reduce((a, b) => a + b, 0);
    expect(total).toBe(17);
  });

  it('without counters the document is unchanged', () => {
    expect(compile(policy, runtimeOf({ counters: {} }))).toEqual(compile(policy));
  });
});

// =============================================================================================

describe('the drop log and hit counts', () => {
  const ids = [undefined, 'ssh', 'a', 'rule-1.x_y', `A${'b'.repeat(62)}9`];

  it('every prefix round-trips through parseDropLogPrefix and stays within nft\'s 127 characters', () => {
    for (const p of PROFILES) {
      for (const kind of DROP_KINDS) {
        for (const id of ids) {
          const prefix = dropLogPrefix(p, kind, id);
          expect(prefix.length).toBeLessThanOrEqual(127);
          expect(parseDropLogPrefix(prefix)).toEqual({ profile: p, kind, ...(id ? { id } : {}) });
        }
      }
    }
    expect(dropLogPrefix('public', 'limit', `A${'b'.repeat(62)}9`)).toHaveLength(4 + 6 + 1 + 5 + 1 + 64);
  });

  it('prefixes that are not Palisade\'s are refused', () => {
    for (const text of ['', 'pal:', 'pal:home:default', 'pal:public:nonsense', 'pal:public', 'IN=eth0', 'xpal:public:default', 'pal:public:default:']) {
      expect(parseDropLogPrefix(text), text).toBeUndefined();
    }
  });

  const fullPolicy = () => policyOf({
    profiles: {
      private: { stealth: false, defaultOutbound: 'block', scanDetection: { enabled: true, ports: 10, withinSeconds: 5, blockSeconds: 60 } },
      public: { scanDetection: { enabled: true, ports: 10, withinSeconds: 5, blockSeconds: 60 }, answerPing: true },
    },
    portRules: [
      portRule('ssh', { ports: { from: 22, to: 22 }, limit: SSH_LIMIT }),
      portRule('web', { ports: { from: 8080, to: 8080 }, knock: KNOCK, remote: ['10.0.0.0/8', 'fd00::/8'] }),
      portRule('tmp', { protocol: 'both', ports: { from: 9000, to: 9001 }, expires: '2030-01-01T00:00:00Z' }),
      portRule('no-telnet', { action: 'block', ports: { from: 23, to: 23 } }),
      portRule('no-smtp', { direction: 'out', action: 'block', ports: { from: 25, to: 25 } }),
      portRule('https', { direction: 'out', ports: { from: 443, to: 443 } }),
      // Plain allow rules: elements of the port maps, counted on counter objects.
      portRule('dns', { protocol: 'both', ports: { from: 53, to: 53 } }),
      portRule('mdns', { protocol: 'udp', ports: { from: 5353, to: 5353 }, alwaysOpen: true, profiles: ['public'] }),
    ],
    apps: [{ id: 'sshd', identity: { kind: 'executable', path: '/usr/sbin/sshd' }, action: 'allow', profiles: ['private'], limit: SSH_LIMIT }],
  });

  it('every log statement of a full-feature table is rate-limited, goes to group 7311 and parses', () => {
    const doc = compile(fullPolicy(), runtimeOf({ now: '2029-12-31T00:00:00Z', resolvers: ['192.0.2.53'] }));
    const kinds = new Set<string>();
    for (const r of rulesOf(doc)) {
      const at = r.expr.findIndex((e) => 'log' in e);
      if (at < 0) continue;
      const log = r.expr[at]?.log as { prefix: string; group: number };
      expect(log.group).toBe(7311);
      expect(r.expr[at - 1]).toEqual({ limit: { rate: 10, per: 'second', burst: 20, burst_unit: 'packets' } });
      expect(at).toBe(r.expr.length - 1);
      const parsed = parseDropLogPrefix(log.prefix);
      expect(parsed, log.prefix).toBeDefined();
      expect(r.chain.endsWith(`_${parsed?.profile}`)).toBe(true);
      kinds.add(parsed?.kind ?? '');
    }
    expect([...kinds].sort()).toEqual(['block', 'blocked-app', 'default', 'limit', 'out-block', 'out-default', 'scan', 'spoof'].sort());
    const shields = compile(policyOf({ profiles: { public: { shieldsUp: true } } }));
    expect(JSON.stringify(shields)).toContain('"pal:public:shields-up"');
  });

  it('every commented rule maps to a hit-count key (port, app or profile), summed across its kernel rules', () => {
    const doc = compile(fullPolicy(), runtimeOf({ now: '2029-12-31T00:00:00Z', resolvers: ['192.0.2.53'] }));
    // A listing as nft returns it: the same rules, each anonymous counter with a value; a map's
    // counted lookup is listed as it was given (it has no count of its own); the counter objects
    // with their values.
    let n = 0;
    const expected: Record<string, Record<string, number>> = { port: {}, app: {}, profile: {} };
    const addExpected = (name: string, packets: number) => {
      const m = /^palisade:(port|app|profile|base):(.+)$/.exec(name);
      expect(m, name).not.toBeNull();
      if (!m || m[1] === 'base') return;
      const bucket = expected[m[1] as string] as Record<string, number>;
      bucket[m[2] as string] = (bucket[m[2] as string] ?? 0) + packets;
    };
    const listing: TableListing = { nftables: [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }] };
    let lookups = 0;
    let objects = 0;
    for (const cmd of doc.nftables) {
      if (!('add' in cmd) || !('counter' in cmd.add)) continue;
      const packets = ++n;
      objects++;
      listing.nftables.push({ counter: { ...cmd.add.counter, handle: n, packets, bytes: packets * 100 } });
      addExpected(cmd.add.counter.name, packets);
    }
    for (const r of rulesOf(doc)) {
      const anonymous = (e: Record<string, unknown>) => 'counter' in e && e.counter === null;
      lookups += r.expr.filter((e) => 'counter' in e && !anonymous(e)).length;
      const packets = ++n;
      listing.nftables.push({ rule: { ...r, handle: n, expr: r.expr.map((e) => (anonymous(e) ? { counter: { packets, bytes: packets * 100 } } : e)) } });
      if (!r.expr.some(anonymous) || !r.comment) continue;
      addExpected(r.comment, packets);
    }
    expect(objects).toBe(2);
    expect(lookups).toBe(8); // four map rules per profile: listening and always open, single ports and ranges
    const counts = hitCountsFromListing(listing);
    expect(counts).toEqual(expected);
    // What the Rules screen shows beside each rule and setting; the map rules themselves count nothing.
    for (const key of ['ssh', 'ssh-limited', 'ssh-over-limit', 'web', 'tmp', 'no-telnet', 'no-smtp', 'https', 'dns', 'mdns']) expect(Object.keys(counts.port)).toContain(key);
    expect(Object.keys(counts.profile).filter((k) => k.includes('port-rules'))).toEqual([]);
    for (const key of ['sshd', 'sshd-limited', 'sshd-over-limit', 'private-allowed-apps', 'public-blocked-apps']) expect(Object.keys(counts.app)).toContain(key);
    for (const key of ['public-spoofed', 'public-scan-blocked', 'public-default-block', 'private-default-block-out']) expect(Object.keys(counts.profile)).toContain(key);
  });

  it('every counted rule carries a comment, and every counter object a rule\'s name, so no count is lost', () => {
    const doc = compile(fullPolicy(), runtimeOf({ now: '2029-12-31T00:00:00Z', resolvers: ['192.0.2.53'] }));
    for (const r of rulesOf(doc)) if (r.expr.some((e) => 'counter' in e)) expect(r.comment, JSON.stringify(r.expr)).toMatch(/^palisade:(port|app|profile|base):./);
    const objects = doc.nftables.flatMap((c) => ('add' in c && 'counter' in c.add ? [c.add.counter.name] : []));
    expect(objects).toEqual(['palisade:port:dns', 'palisade:port:mdns']);
  });
});

// =============================================================================================

describe('a full-feature table', () => {
  it('only refers to chains and sets it defines, each defined before it is used', () => {
    const appPorts = emptyAppPorts();
    appPorts.private.limited = { sshd: [{ protocol: 'tcp', port: 22 }] };
    const doc = compile(policyOf({
      profiles: bothProfiles({ scanDetection: { enabled: true, ports: 10, withinSeconds: 5, blockSeconds: 60 }, defaultOutbound: 'block' }),
      portRules: [
        portRule('ssh', { ports: { from: 22, to: 22 }, limit: SSH_LIMIT, knock: KNOCK, expires: '2030-01-01T00:00:00Z' }),
        portRule('out', { direction: 'out', action: 'block', ports: { from: 25, to: 25 }, expires: '2030-01-01T00:00:00Z' }),
        portRule('web', { protocol: 'both', ports: { from: 8000, to: 8010 } }),
        portRule('mdns', { protocol: 'udp', ports: { from: 5353, to: 5353 }, alwaysOpen: true }),
      ],
      apps: [{ id: 'sshd', identity: { kind: 'executable', path: '/usr/sbin/sshd' }, action: 'allow', profiles: ['private'], limit: SSH_LIMIT }],
    }), runtimeOf({ now: '2029-01-01T00:00:00Z', appPorts, interfaces: { eth0: 'private' } }));
    const defined = new Set<string>();
    const counters = new Set<string>();
    let refs = 0;
    let counterRefs = 0;
    for (const cmd of doc.nftables.slice(4)) {
      const obj = 'add' in cmd ? (Object.values(cmd.add)[0] as Record<string, unknown>) : undefined;
      if (!obj) continue;
      if ('add' in cmd && 'counter' in cmd.add) counters.add(cmd.add.counter.name);
      // A counter map's elements lead to counter objects, by name.
      if ('add' in cmd && 'map' in cmd.add && cmd.add.map.map === 'counter') {
        for (const e of cmd.add.map.elem ?? []) {
          counterRefs++;
          expect(counters, `${cmd.add.map.name} refers to counter ${String((e as unknown[])[1])}`).toContain((e as unknown[])[1]);
        }
      }
      for (const target of collect(obj, 'target')) expect(defined, `refers to chain ${String(target)}`).toContain(target);
      for (const ref of [...collect(obj, 'right'), ...collect(obj, 'data'), ...collect(obj, 'set')]) {
        if (typeof ref === 'string' && ref.startsWith('@')) {
          refs++;
          expect(defined, `refers to ${ref}`).toContain(ref.slice(1));
        }
      }
      if ('add' in cmd && ('chain' in cmd.add || 'set' in cmd.add || 'map' in cmd.add)) defined.add(String(obj.name));
    }
    expect(refs).toBeGreaterThan(40);
    expect(counterRefs).toBe(6); // web (tcp, udp) and mdns, in each profile's maps
  });
});
