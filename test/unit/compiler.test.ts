// The ruleset compiler: policy + runtime state → one nftables JSON transaction. These tests read
// the generated document the way nft would, chain by chain, and check it against the layout of
// BRIEF.md §2–§3. Expected expressions are written out as literal JSON (not with the builders of
// shared/nft/json.ts) so a wrong builder cannot make its own test pass.
import { describe, expect, it } from 'vitest';
import { CompileError, compileAppPortsUpdate, compileInterfaceUpdate, compileRuleset } from '../../shared/compiler/ruleset';
import { parsePolicy } from '../../shared/policy/validate';
import type { Policy, PolicyInput, ProfileName } from '../../shared/policy/schema';
import { emptyAppPorts, type AppPortSets, type RuntimeState } from '../../shared/runtime/state';
import type { NftChain, NftCommand, NftDocument, NftRule, NftSet } from '../../shared/nft/json';

// ---------------------------------------------------------------------------------------------
// Builders

type PortRuleInput = NonNullable<PolicyInput['portRules']>[number];
type AppRuleInput = NonNullable<PolicyInput['apps']>[number];
type ProfileInput = NonNullable<NonNullable<PolicyInput['profiles']>['private']>;

function policyOf(fields: { profiles?: Partial<Record<ProfileName, ProfileInput>>; portRules?: PortRuleInput[]; apps?: AppRuleInput[] } = {}): Policy {
  return parsePolicy({ version: 1, ...fields });
}

/** Both profiles with the same settings (defaults filled in for the rest). */
const bothProfiles = (s: ProfileInput): Partial<Record<ProfileName, ProfileInput>> => ({ private: s, public: s });

function portRule(id: string, fields: Partial<PortRuleInput> = {}): PortRuleInput {
  return { id, action: 'allow', protocol: 'tcp', ports: { from: 8000, to: 8000 }, profiles: ['private', 'public'], ...fields };
}

function runtimeOf(fields: Partial<RuntimeState> = {}): RuntimeState {
  return { interfaces: {}, appPorts: emptyAppPorts(), ...fields };
}

const compile = (policy: Policy = policyOf(), runtime: RuntimeState = runtimeOf()) => compileRuleset(policy, runtime);

// ---------------------------------------------------------------------------------------------
// Reading a document

/** The object an add/delete/flush command acts on, or undefined for metainfo. */
function objectOf(cmd: NftCommand): Record<string, unknown> | undefined {
  if ('metainfo' in cmd) return undefined;
  const obj = 'add' in cmd ? cmd.add : 'delete' in cmd ? cmd.delete : cmd.flush;
  const inner = Object.values(obj)[0];
  return inner as Record<string, unknown>;
}

function verbAndKind(cmd: NftCommand): string {
  if ('metainfo' in cmd) return 'metainfo';
  const verb = Object.keys(cmd)[0] ?? '?';
  const obj = Object.values(cmd)[0] as Record<string, unknown>;
  return `${verb} ${Object.keys(obj)[0] ?? '?'}`;
}

function rulesOf(doc: NftDocument): NftRule[] {
  const out: NftRule[] = [];
  for (const cmd of doc.nftables) if ('add' in cmd && 'rule' in cmd.add) out.push(cmd.add.rule);
  return out;
}

function chainsOf(doc: NftDocument): NftChain[] {
  const out: NftChain[] = [];
  for (const cmd of doc.nftables) if ('add' in cmd && 'chain' in cmd.add) out.push(cmd.add.chain);
  return out;
}

/** The rules of one chain, in order. */
const chainRules = (doc: NftDocument, chain: string): NftRule[] => rulesOf(doc).filter((r) => r.chain === chain);

function chainDef(doc: NftDocument, name: string): NftChain {
  const found = chainsOf(doc).find((c) => c.name === name);
  if (!found) throw new Error(`no chain "${name}" in the document`);
  return found;
}

/** Every rule of a chain with this comment (a port rule with two address families has two). */
const rulesWithComment = (doc: NftDocument, chain: string, comment: string): NftRule[] =>
  chainRules(doc, chain).filter((r) => r.comment === comment);

function ruleWithComment(doc: NftDocument, chain: string, comment: string): NftRule {
  const found = rulesWithComment(doc, chain, comment);
  if (found.length !== 1) throw new Error(`expected one rule "${comment}" in ${chain}, found ${found.length}`);
  return found[0] as NftRule;
}

/** Index of the first rule with this comment in its chain. */
function indexOfComment(doc: NftDocument, chain: string, comment: string): number {
  const i = chainRules(doc, chain).findIndex((r) => r.comment === comment);
  if (i < 0) throw new Error(`no rule "${comment}" in ${chain}`);
  return i;
}

function lastRule(doc: NftDocument, chain: string): NftRule {
  const rules = chainRules(doc, chain);
  const last = rules[rules.length - 1];
  if (!last) throw new Error(`chain ${chain} has no rules`);
  return last;
}

function setOrMap(doc: NftDocument, kind: 'set' | 'map', name: string): NftSet {
  for (const cmd of doc.nftables) {
    if (!('add' in cmd)) continue;
    const obj = kind === 'set' ? ('set' in cmd.add ? cmd.add.set : undefined) : ('map' in cmd.add ? cmd.add.map : undefined);
    if (obj?.name === name) return obj;
  }
  throw new Error(`no ${kind} "${name}" in the document`);
}

/** The elements of a port map: `[{concat: [protocol, port or range]}, counter name]` (shared/compiler/port-maps.ts). */
const portMapElems = (doc: NftDocument, name: string): unknown[] => setOrMap(doc, 'map', name).elem ?? [];

/** The ids of the rules whose counters a port map's elements lead to, once each, in element order. */
const mappedIds = (doc: NftDocument, name: string): string[] =>
  [...new Set(portMapElems(doc, name).map((e) => String((e as unknown[])[1]).replace(/^palisade:port:/, '')))];

/** `counter name meta l4proto . th dport map @<name>`: the lookup that both selects and counts. */
const countedLookup = (map: string) => ({ counter: { map: { key: { concat: [META_L4PROTO, TH_DPORT] }, data: `@${map}` } } });

/** The `match` statements of a rule, keyed by the JSON of their left side. */
function matchOn(rule: NftRule, left: unknown): { op: string; right: unknown } {
  for (const stmt of rule.expr) {
    const m = stmt.match as { op: string; left: unknown; right: unknown } | undefined;
    if (m && JSON.stringify(m.left) === JSON.stringify(left)) return { op: m.op, right: m.right };
  }
  throw new Error(`rule ${JSON.stringify(rule.expr)} has no match on ${JSON.stringify(left)}`);
}

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
const IP_SADDR = { payload: { protocol: 'ip', field: 'saddr' } };
const IP6_SADDR = { payload: { protocol: 'ip6', field: 'saddr' } };
/** The rate-limited NFLOG statements that precede a logged drop (shared/compiler/matches.ts logDrop). */
const logged = (prefix: string) => [
  { limit: { rate: 10, per: 'second', burst: 20, burst_unit: 'packets' } },
  { log: { prefix, group: 7311 } },
];

const PROFILES: ProfileName[] = ['private', 'public'];

// ---------------------------------------------------------------------------------------------

describe('the transaction', () => {
  it('starts with metainfo and replaces table inet palisade (add, delete, add)', () => {
    const doc = compile();
    expect(doc.nftables.slice(0, 4)).toEqual([
      { metainfo: { json_schema_version: 1 } },
      { add: { table: { family: 'inet', name: 'palisade' } } },
      { delete: { table: { family: 'inet', name: 'palisade' } } },
      { add: { table: { family: 'inet', name: 'palisade' } } },
    ]);
    // One document: exactly one metainfo, and no other table command after the first three.
    expect(doc.nftables.filter((c) => 'metainfo' in c)).toHaveLength(1);
    expect(doc.nftables.slice(4).filter((c) => verbAndKind(c).endsWith(' table'))).toEqual([]);
  });

  it('touches nothing outside table inet palisade, whatever the policy', () => {
    const policy = policyOf({
      profiles: { private: { stealth: false, defaultOutbound: 'block' }, public: { answerPing: true } },
      portRules: [portRule('a', { alwaysOpen: true, protocol: 'both', remote: ['10.0.0.0/8', 'fd00::/8'] }), portRule('b', { action: 'block', ports: { from: 22, to: 22 } })],
      apps: [{ id: 'srv', identity: { kind: 'executable', path: '/usr/bin/srv' }, action: 'allow', profiles: ['private'] }],
    });
    const doc = compile(policy, runtimeOf({ interfaces: { eth0: 'private', wlan0: 'public' } }));
    for (const cmd of doc.nftables.slice(1)) {
      const obj = objectOf(cmd);
      expect(obj?.family, verbAndKind(cmd)).toBe('inet');
      if (verbAndKind(cmd).endsWith(' table')) expect(obj?.name).toBe('palisade');
      else expect(obj?.table, `${verbAndKind(cmd)} ${String(obj?.name ?? obj?.chain)}`).toBe('palisade');
    }
  });

  it('only refers to chains, sets, maps and counters it defines, each defined before it is used', () => {
    const policy = policyOf({ portRules: [portRule('a', { alwaysOpen: true, protocol: 'udp' }), portRule('b', { ports: { from: 22, to: 23 } })] });
    const doc = compile(policy, runtimeOf({ interfaces: { eth0: 'private' } }));
    const defined = new Set<string>();
    const counters = new Set<string>();
    let counterRefs = 0;
    for (const cmd of doc.nftables.slice(4)) {
      const kind = verbAndKind(cmd);
      const obj = objectOf(cmd);
      for (const target of collect(obj, 'target')) expect(defined, `${kind} refers to chain ${String(target)}`).toContain(target);
      for (const ref of [...collect(obj, 'right'), ...collect(obj, 'data')]) {
        if (typeof ref === 'string' && ref.startsWith('@')) expect(defined, `${kind} refers to ${ref}`).toContain(ref.slice(1));
      }
      // The port maps' elements lead to counter objects by name.
      if (kind === 'add map' && obj?.map === 'counter') {
        for (const e of (obj.elem as unknown[] | undefined) ?? []) {
          counterRefs++;
          expect(counters, `${String(obj.name)} refers to counter ${String((e as unknown[])[1])}`).toContain((e as unknown[])[1]);
        }
      }
      if (kind === 'add counter') counters.add(String(obj?.name));
      if (kind === 'add chain' || kind === 'add set' || kind === 'add map') defined.add(String(obj?.name));
    }
    expect(counterRefs).toBe(4);
    expect([...counters]).toEqual(['palisade:port:a', 'palisade:port:b']);
  });
});

describe('base chains', () => {
  const stealthAlwaysOpen = () => policyOf({ portRules: [portRule('open', { alwaysOpen: true, protocol: 'tcp', ports: { from: 9998, to: 9998 } })] });
  /** A rule the output hook is needed for: an outbound block, with a stealth always-open port for postrouting. */
  const everyHook = () => policyOf({ portRules: [...stealthAlwaysOpen().portRules, portRule('no-smtp', { action: 'block', direction: 'out', ports: { from: 25, to: 25 } })] });

  it('input drops by default; output and postrouting accept', () => {
    const doc = compile(everyHook());
    expect(chainDef(doc, 'input')).toMatchObject({ type: 'filter', hook: 'input', policy: 'drop' });
    expect(chainDef(doc, 'output')).toMatchObject({ type: 'filter', hook: 'output', policy: 'accept' });
    expect(chainDef(doc, 'postrouting')).toMatchObject({ type: 'filter', hook: 'postrouting', policy: 'accept' });
    // Profile chains are regular chains, reached only by goto.
    for (const p of PROFILES) {
      for (const name of [`rpfilter_${p}`, `spoofed_${p}`, `in_${p}`, `deny_${p}`, `final_${p}`, `out_${p}`, `post_${p}`]) expect(chainDef(doc, name).hook).toBeUndefined();
    }
    expect(chainDef(doc, 'essentials').hook).toBeUndefined();
  });

  it('no output hook while every profile\'s outbound chain only accepts: every packet out would pass it for nothing', () => {
    const hasOutputHook = (doc: NftDocument) => chainsOf(doc).some((c) => c.name === 'output');
    expect(hasOutputHook(compile())).toBe(false);
    expect(setOrMap(compile(), 'map', 'iface_out')).toMatchObject({ type: 'ifname', map: 'verdict' }); // profile switches still fill it
    expect(chainRules(compile(), 'out_public').map((r) => r.expr)).toEqual([[ACCEPT]]);
    // Anything an outbound chain decides besides accepting brings the hook: a block rule, a
    // default outbound block (even in one profile).
    expect(chainDef(compile(everyHook()), 'output')).toMatchObject({ hook: 'output' });
    expect(chainDef(compile(policyOf({ profiles: { public: { defaultOutbound: 'block' } } })), 'output')).toMatchObject({ hook: 'output' });
    // A profile whose firewall is off accepts everything outbound: no hook for it.
    expect(hasOutputHook(compile(policyOf({ profiles: { private: { enabled: false }, public: { enabled: false, defaultOutbound: 'block' } } })))).toBe(false);
  });

  it('no postrouting hook while no profile has a stealth rule for always-open ports: every packet out would pass it for nothing', () => {
    const without = compile();
    expect(without.nftables.some((c) => 'add' in c && 'chain' in c.add && c.add.chain.name === 'postrouting')).toBe(false);
    expect(setOrMap(without, 'map', 'iface_post')).toMatchObject({ type: 'ifname', map: 'verdict' }); // profile switches still fill it
    const off = compile(policyOf({ ...stealthAlwaysOpen(), profiles: { private: { stealth: false }, public: { stealth: false } } }));
    expect(off.nftables.some((c) => 'add' in c && 'chain' in c.add && c.add.chain.name === 'postrouting')).toBe(false);
    expect(chainDef(compile(stealthAlwaysOpen()), 'postrouting')).toMatchObject({ hook: 'postrouting' });
  });

  it('input: loopback, established, invalid, then the interface map, then in_public; the essentials are a chain of their own', () => {
    const doc = compile();
    const rules = chainRules(doc, 'input');
    const [lo, est, inv] = rules;
    expect(lo?.expr).toEqual([{ match: { op: '==', left: { meta: { key: 'iif' } }, right: 'lo' } }, ACCEPT]);
    expect(est?.expr).toEqual([{ match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } }, ACCEPT]);
    expect(inv?.expr[0]).toEqual({ match: { op: 'in', left: { ct: { key: 'state' } }, right: 'invalid' } });
    expect(inv?.expr[inv.expr.length - 1]).toEqual(DROP);

    const icmpv6 = ruleWithComment(doc, 'essentials', 'palisade:base:icmpv6');
    const types = matchOn(icmpv6, { payload: { protocol: 'icmpv6', field: 'type' } }).right as { set: string[] };
    expect(types.set).toEqual(expect.arrayContaining([
      'nd-neighbor-solicit', 'nd-neighbor-advert', 'nd-router-solicit', 'nd-router-advert', 'packet-too-big',
      'destination-unreachable', 'time-exceeded', 'parameter-problem', 'mld-listener-query', 'mld2-listener-report',
    ]));
    expect(types.set).not.toContain('echo-request');
    expect(hasStatement(icmpv6, ACCEPT)).toBe(true);

    const dhcp6 = ruleWithComment(doc, 'essentials', 'palisade:base:dhcpv6-client');
    expect(matchOn(dhcp6, IP6_SADDR).right).toEqual({ prefix: { addr: 'fe80::', len: 10 } });
    expect(matchOn(dhcp6, { payload: { protocol: 'udp', field: 'sport' } }).right).toBe(547);
    expect(matchOn(dhcp6, { payload: { protocol: 'udp', field: 'dport' } }).right).toBe(546);
    expect(hasStatement(dhcp6, ACCEPT)).toBe(true);

    const dhcp = ruleWithComment(doc, 'essentials', 'palisade:base:dhcp-client');
    expect(matchOn(dhcp, { payload: { protocol: 'udp', field: 'sport' } }).right).toBe(67);
    expect(matchOn(dhcp, { payload: { protocol: 'udp', field: 'dport' } }).right).toBe(68);
    expect(chainRules(doc, 'essentials').map((r) => r.comment)).toEqual(['palisade:base:icmpv6', 'palisade:base:dhcpv6-client', 'palisade:base:dhcp-client']);

    expect(rules.map((r) => r.comment)).toEqual(['palisade:base:loopback', 'palisade:base:established', 'palisade:base:invalid', undefined, 'palisade:base:unknown-interface']);
    expect(rules[3]?.expr).toEqual([{ vmap: { key: { meta: { key: 'iifname' } }, data: '@iface_in' } }]);
    expect(lastRule(doc, 'input').expr).toEqual([gotoChain('in_public')]);
  });

  it('output and postrouting dispatch on oifname to their maps, Public by default', () => {
    const doc = compile(everyHook());
    expect(chainRules(doc, 'output').map((r) => r.expr)).toContainEqual([{ vmap: { key: { meta: { key: 'oifname' } }, data: '@iface_out' } }]);
    expect(lastRule(doc, 'output').expr).toEqual([gotoChain('out_public')]);
    expect(chainRules(doc, 'postrouting').map((r) => r.expr)).toContainEqual([{ vmap: { key: { meta: { key: 'oifname' } }, data: '@iface_post' } }]);
    expect(lastRule(doc, 'postrouting').expr).toEqual([gotoChain('post_public')]);
  });
});

describe('interface maps', () => {
  it('map each runtime interface to its profile chains, per hook', () => {
    const doc = compile(policyOf(), runtimeOf({ interfaces: { wlan0: 'public', eth0: 'private', 'br-lan.10': 'private' } }));
    const expected = (prefix: string) => [
      ['br-lan.10', gotoChain(`${prefix}_private`)],
      ['eth0', gotoChain(`${prefix}_private`)],
      ['wlan0', gotoChain(`${prefix}_public`)],
    ];
    for (const [name, prefix] of [['iface_in', 'in'], ['iface_out', 'out'], ['iface_post', 'post']] as const) {
      const map = setOrMap(doc, 'map', name);
      expect(map).toMatchObject({ type: 'ifname', map: 'verdict' });
      expect(map.elem).toEqual(expected(prefix));
    }
  });

  it('are empty maps (no elem) without interfaces', () => {
    const doc = compile();
    for (const name of ['iface_in', 'iface_out', 'iface_post']) expect(setOrMap(doc, 'map', name).elem).toBeUndefined();
  });

  it.each(['eth*', 'a/b', 'abcdefghijklmnop', '@x', '', 'eth 0', 'eth0"'])('refuses the interface name %j', (name) => {
    const runtime = runtimeOf({ interfaces: { eth0: 'private', [name]: 'public' } });
    expect(() => compile(policyOf(), runtime)).toThrow(CompileError);
    expect(() => compileInterfaceUpdate(runtime)).toThrow(CompileError);
  });

  it('accepts a 15-character name', () => {
    const doc = compile(policyOf(), runtimeOf({ interfaces: { abcdefghijklmno: 'private' } }));
    expect(setOrMap(doc, 'map', 'iface_in').elem).toEqual([['abcdefghijklmno', gotoChain('in_private')]]);
  });
});

describe('profile input chains', () => {
  it.each(PROFILES)('%s: firewall off → only counter + accept', (p) => {
    const doc = compile(policyOf({
      profiles: { [p]: { enabled: false, answerPing: true, shieldsUp: true } },
      portRules: [portRule('web'), portRule('deny', { action: 'block', ports: { from: 22, to: 22 } })],
    }));
    expect(chainRules(doc, `in_${p}`).map((r) => r.expr)).toEqual([[COUNTER, ACCEPT]]);
  });

  it.each(PROFILES)('%s: shields up → only a logged, counted drop', (p) => {
    const doc = compile(policyOf({ profiles: { [p]: { shieldsUp: true, answerPing: true } }, portRules: [portRule('web')] }));
    const rules = chainRules(doc, `in_${p}`);
    // After anti-spoofing and the essentials (ICMPv6 that IPv6 needs, DHCP replies), as in every profile.
    expect(rules.map((r) => r.expr)).toEqual([[{ jump: { target: `rpfilter_${p}` } }], [{ jump: { target: 'essentials' } }], logged(`pal:${p}:shields-up`), [COUNTER, DROP]]);
    expect(rules[3]?.comment).toBe(`palisade:profile:${p}-shields-up`);
    expect(rules.some((r) => hasStatement(r, ACCEPT))).toBe(false);
    // The other profile keeps its rules: web is in its map, and its chain looks the map up.
    const other = p === 'private' ? 'public' : 'private';
    expect(mappedIds(doc, `${other}_port_allow`)).toEqual(['web']);
    expect(ruleWithComment(doc, `in_${other}`, `palisade:profile:${other}-port-rules`).expr).toEqual([SOCKET_GATE, countedLookup(`${other}_port_allow`), ACCEPT]);
  });

  it('answerPing adds ICMP and ICMPv6 echo-request accepts, only when on', () => {
    const doc = compile(policyOf({ profiles: { private: { answerPing: true }, public: { answerPing: false } } }));
    const echo = (chain: string) => chainRules(doc, chain).filter((r) => JSON.stringify(r.expr).includes('echo-request'));
    expect(echo('in_private').map((r) => r.expr)).toEqual([
      [{ match: { op: '==', left: { payload: { protocol: 'icmp', field: 'type' } }, right: 'echo-request' } }, ACCEPT],
      [{ match: { op: '==', left: { payload: { protocol: 'icmpv6', field: 'type' } }, right: 'echo-request' } }, ACCEPT],
    ]);
    expect(echo('in_public')).toEqual([]);
  });

  it('no ping rule when shields are up, even with answerPing', () => {
    const doc = compile(policyOf({ profiles: bothProfiles({ answerPing: true, shieldsUp: true }) }));
    for (const p of PROFILES) expect(JSON.stringify(chainRules(doc, `in_${p}`))).not.toContain('echo-request');
  });

  it('block before allow: blocked apps and block rules come before every allow and the allowed-app set', () => {
    const policy = policyOf({
      profiles: bothProfiles({ answerPing: true }),
      portRules: [
        portRule('allow-1', { ports: { from: 80, to: 80 } }),
        portRule('block-1', { action: 'block', ports: { from: 80, to: 90 } }),
        portRule('allow-2', { alwaysOpen: true, protocol: 'udp', ports: { from: 53, to: 53 } }),
        portRule('block-2', { action: 'block', protocol: 'both', ports: { from: 22, to: 22 }, remote: ['10.0.0.0/8', 'fd00::/8'] }),
        portRule('allow-3', { protocol: 'both', remote: ['192.168.0.0/16'] }),
      ],
    });
    const doc = compile(policy);
    for (const p of PROFILES) {
      const chain = `in_${p}`;
      const rules = chainRules(doc, chain);
      const idx = (comment: string) => rules.flatMap((r, i) => (r.comment === comment ? [i] : []));
      const blocks = [...idx(`palisade:app:${p}-blocked-apps`), ...idx('palisade:port:block-1'), ...idx('palisade:port:block-2')];
      // allow-1 and allow-2 are plain: elements of the maps, looked up by the maps' two rules.
      expect(mappedIds(doc, `${p}_port_allow`)).toEqual(['allow-1']);
      expect(mappedIds(doc, `${p}_port_open`)).toEqual(['allow-2']);
      const allows = [
        ...idx('palisade:port:allow-3'), ...idx(`palisade:profile:${p}-port-rules`), ...idx(`palisade:profile:${p}-port-rules-open`), ...idx(`palisade:app:${p}-allowed-apps`),
      ];
      expect(blocks).toHaveLength(4); // the app set, block-1, block-2 for IPv4 and for IPv6
      expect(allows).toHaveLength(4); // allow-3 (IPv4 only), the two single-port map lookups, the app set
      expect(Math.max(...blocks)).toBeLessThan(Math.min(...allows));
      // Every block is counted and goes straight to the profile's final verdict (it was decided, not
      // left over), right after an identical match that logs it; every allow accepts.
      for (const i of blocks) {
        const block = rules[i] as NftRule;
        expect(block.expr.slice(-2)).toEqual([COUNTER, gotoChain(`final_${p}`)]);
        const log = rules[i - 1] as NftRule;
        expect(log.comment).toBeUndefined();
        expect(log.expr.slice(0, -2)).toEqual(block.expr.slice(0, -2));
        const kind = block.comment === `palisade:app:${p}-blocked-apps` ? 'blocked-app' : `block:${String(block.comment).slice('palisade:port:'.length)}`;
        expect(log.expr.slice(-2)).toEqual(logged(`pal:${p}:${kind}`));
      }
      for (const i of allows) expect(hasStatement(rules[i] as NftRule, ACCEPT)).toBe(true);
      // Ping first after anti-spoofing and the essentials, the default last.
      expect(indexOfComment(doc, chain, `palisade:profile:${p}-ping`)).toBe(2);
      expect(lastRule(doc, chain).expr).toEqual([COUNTER, gotoChain(`deny_${p}`)]);
      expect(lastRule(doc, chain).comment).toBe(`palisade:profile:${p}-default-block`);
      expect(Math.max(...allows)).toBe(rules.length - 2);
    }
  });

  it('the blocked-app and allowed-app rules look (l4proto . th dport) up in the profile\'s sets', () => {
    const doc = compile();
    for (const p of PROFILES) {
      const blocked = ruleWithComment(doc, `in_${p}`, `palisade:app:${p}-blocked-apps`);
      expect(matchOn(blocked, { concat: [META_L4PROTO, TH_DPORT] }).right).toBe(`@${p}_app_block`);
      expect(hasStatement(blocked, SOCKET_GATE)).toBe(false);
      const allowed = ruleWithComment(doc, `in_${p}`, `palisade:app:${p}-allowed-apps`);
      expect(matchOn(allowed, { concat: [META_L4PROTO, TH_DPORT] }).right).toBe(`@${p}_app_allow`);
      expect(hasStatement(allowed, SOCKET_GATE)).toBe(true);
      expect(hasStatement(allowed, ACCEPT)).toBe(true);
    }
  });

  it('defaultInbound allow ends the chain with accept instead of goto deny', () => {
    const doc = compile(policyOf({ profiles: { private: { defaultInbound: 'allow' } } }));
    expect(lastRule(doc, 'in_private').expr).toEqual([COUNTER, ACCEPT]);
    expect(JSON.stringify(chainRules(doc, 'in_private'))).not.toContain('deny_private');
    expect(lastRule(doc, 'in_public').expr).toEqual([COUNTER, gotoChain('deny_public')]);
  });

  it('allow rules are gated on a listening socket unless alwaysOpen', () => {
    const doc = compile(policyOf({
      portRules: [
        portRule('gated', { protocol: 'both', ports: { from: 8000, to: 8010 } }),
        portRule('open', { alwaysOpen: true, protocol: 'udp', ports: { from: 53, to: 53 } }),
        portRule('blocked', { action: 'block', ports: { from: 23, to: 23 } }),
        // The same with remote networks: rules of their own.
        portRule('gated-lan', { protocol: 'both', ports: { from: 9000, to: 9010 }, remote: ['10.0.0.0/8'] }),
        portRule('open-lan', { alwaysOpen: true, protocol: 'udp', ports: { from: 5353, to: 5353 }, remote: ['10.0.0.0/8'] }),
      ],
    }));
    for (const p of PROFILES) {
      // Plain rules: the listening maps are looked up after the socket lookup (so only accepted
      // packets count), the always-open maps without one. A range goes to the interval map,
      // a single port to the hash map.
      expect(portMapElems(doc, `${p}_port_allow`)).toEqual([]);
      expect(portMapElems(doc, `${p}_port_allow_ranges`)).toEqual([
        [{ concat: ['tcp', { range: [8000, 8010] }] }, 'palisade:port:gated'],
        [{ concat: ['udp', { range: [8000, 8010] }] }, 'palisade:port:gated'],
      ]);
      expect(portMapElems(doc, `${p}_port_open`)).toEqual([[{ concat: ['udp', 53] }, 'palisade:port:open']]);
      expect(portMapElems(doc, `${p}_port_open_ranges`)).toEqual([]);
      expect(ruleWithComment(doc, `in_${p}`, `palisade:profile:${p}-port-rules`).expr).toEqual([SOCKET_GATE, countedLookup(`${p}_port_allow`), ACCEPT]);
      expect(ruleWithComment(doc, `in_${p}`, `palisade:profile:${p}-port-ranges`).expr).toEqual([SOCKET_GATE, countedLookup(`${p}_port_allow_ranges`), ACCEPT]);
      expect(ruleWithComment(doc, `in_${p}`, `palisade:profile:${p}-port-rules-open`).expr).toEqual([countedLookup(`${p}_port_open`), ACCEPT]);
      expect(ruleWithComment(doc, `in_${p}`, `palisade:profile:${p}-port-ranges-open`).expr).toEqual([countedLookup(`${p}_port_open_ranges`), ACCEPT]);
      expect(rulesWithComment(doc, `in_${p}`, 'palisade:port:gated')).toEqual([]);
      expect(rulesWithComment(doc, `in_${p}`, 'palisade:port:open')).toEqual([]);

      const gated = ruleWithComment(doc, `in_${p}`, 'palisade:port:gated-lan');
      expect(hasStatement(gated, SOCKET_GATE)).toBe(true);
      expect(matchOn(gated, META_L4PROTO).right).toEqual({ set: ['tcp', 'udp'] });
      expect(matchOn(gated, TH_DPORT).right).toEqual({ range: [9000, 9010] });
      const open = ruleWithComment(doc, `in_${p}`, 'palisade:port:open-lan');
      expect(hasStatement(open, SOCKET_GATE)).toBe(false);
      expect(JSON.stringify(open.expr)).not.toContain('socket');
      expect(matchOn(open, META_L4PROTO).right).toBe('udp');
      expect(matchOn(open, TH_DPORT).right).toBe(5353);
      expect(hasStatement(open, ACCEPT)).toBe(true);
      // A block never waits for a listener.
      expect(hasStatement(ruleWithComment(doc, `in_${p}`, 'palisade:port:blocked'), SOCKET_GATE)).toBe(false);
    }
  });

  it('the map lookups come right after the allow rules of their own, before rate-limited and allowed apps', () => {
    const doc = compile(policyOf({
      portRules: [
        portRule('plain', { ports: { from: 80, to: 80 } }),
        portRule('lan', { ports: { from: 81, to: 81 }, remote: ['10.0.0.0/8'] }),
        portRule('ssh', { ports: { from: 22, to: 22 }, limit: { rates: [{ count: 3, seconds: 10 }], blockSeconds: 60 } }),
      ],
      apps: [{ id: 'srv', identity: { kind: 'executable', path: '/usr/bin/srv' }, action: 'allow', profiles: ['private', 'public'], limit: { rates: [{ count: 3, seconds: 10 }], blockSeconds: 60 } }],
    }));
    for (const p of PROFILES) {
      const comments = chainRules(doc, `in_${p}`).map((r) => r.comment);
      const at = comments.indexOf(`palisade:profile:${p}-port-rules`);
      expect(comments.slice(at - 2, at + 5)).toEqual([
        'palisade:port:ssh-limited', 'palisade:port:ssh',
        `palisade:profile:${p}-port-rules`, `palisade:profile:${p}-port-ranges`,
        `palisade:profile:${p}-port-rules-open`, `palisade:profile:${p}-port-ranges-open`,
        'palisade:app:srv-over-limit',
      ]);
      expect(comments.indexOf('palisade:port:lan')).toBeLessThan(comments.indexOf('palisade:port:ssh-over-limit'));
      expect(comments.indexOf(`palisade:app:${p}-allowed-apps`)).toBeGreaterThan(at);
      expect(mappedIds(doc, `${p}_port_allow`)).toEqual(['plain']);
    }
  });
});

describe('remote networks', () => {
  const compileRemote = (remote: string[], action: 'allow' | 'block' = 'allow') =>
    rulesWithComment(compile(policyOf({ portRules: [portRule('r', { action, remote, profiles: ['private'] })] })), 'in_private', 'palisade:port:r');

  it('IPv4 and IPv6 networks give one rule each, with ip / ip6 saddr sets', () => {
    const rules = compileRemote(['10.0.0.0/8', '192.168.1.0/24', 'fd00::/8', '2001:db8::/32']);
    expect(rules).toHaveLength(2);
    const v4 = rules.find((r) => JSON.stringify(r.expr).includes('"ip"'));
    const v6 = rules.find((r) => JSON.stringify(r.expr).includes('"ip6"'));
    if (!v4 || !v6) throw new Error('expected an ip and an ip6 rule');
    const v4set = (matchOn(v4, IP_SADDR).right as { set: unknown[] }).set;
    expect(v4set).toHaveLength(2);
    expect(v4set).toEqual(expect.arrayContaining([{ prefix: { addr: '10.0.0.0', len: 8 } }, { prefix: { addr: '192.168.1.0', len: 24 } }]));
    const v6set = (matchOn(v6, IP6_SADDR).right as { set: unknown[] }).set;
    expect(v6set).toHaveLength(2);
    expect(v6set).toEqual(expect.arrayContaining([{ prefix: { addr: 'fd00::', len: 8 } }, { prefix: { addr: '2001:db8::', len: 32 } }]));
    // Each family's rule keeps the port match and the listener gate.
    for (const r of rules) {
      expect(matchOn(r, TH_DPORT).right).toBe(8000);
      expect(hasStatement(r, SOCKET_GATE)).toBe(true);
    }
    expect(JSON.stringify(v4.expr)).not.toContain('ip6');
  });

  it('networks of only one family give one rule, for that family only', () => {
    const rules = compileRemote(['10.0.0.0/8']);
    expect(rules).toHaveLength(1);
    expect(matchOn(rules[0] as NftRule, IP_SADDR).right).toEqual({ prefix: { addr: '10.0.0.0', len: 8 } });
    expect(JSON.stringify(rules)).not.toContain('ip6');
    const v6only = compileRemote(['fd00::/8'], 'block');
    expect(v6only).toHaveLength(1);
    expect(matchOn(v6only[0] as NftRule, IP6_SADDR).right).toEqual({ prefix: { addr: 'fd00::', len: 8 } });
  });

  it('passes overlapping networks on as they are, per family (nft merges anonymous interval sets)', () => {
    const rules = compileRemote(['10.1.0.0/16', '10.0.0.0/8', '10.2.3.4', 'fd00:1::/32', 'fd00::/16']);
    expect(rules).toHaveLength(2);
    const [v4, v6] = [rules.find((r) => JSON.stringify(r.expr).includes('"ip"')), rules.find((r) => JSON.stringify(r.expr).includes('"ip6"'))];
    if (!v4 || !v6) throw new Error('expected an ip and an ip6 rule');
    expect(matchOn(v4, IP_SADDR).right).toEqual({ set: [{ prefix: { addr: '10.1.0.0', len: 16 } }, { prefix: { addr: '10.0.0.0', len: 8 } }, '10.2.3.4'] });
    expect(matchOn(v6, IP6_SADDR).right).toEqual({ set: [{ prefix: { addr: 'fd00:1::', len: 32 } }, { prefix: { addr: 'fd00::', len: 16 } }] });
  });

  it('emits a bare address without a prefix', () => {
    const rules = compileRemote(['192.0.2.7', '2001:db8::1', '2001:db8::2']);
    const v4 = rules.find((r) => JSON.stringify(r.expr).includes('"ip"'));
    const v6 = rules.find((r) => JSON.stringify(r.expr).includes('"ip6"'));
    if (!v4 || !v6) throw new Error('expected an ip and an ip6 rule');
    expect(matchOn(v4, IP_SADDR).right).toBe('192.0.2.7');
    const v6set = (matchOn(v6, IP6_SADDR).right as { set: unknown[] }).set;
    expect([...v6set].sort()).toEqual(['2001:db8::1', '2001:db8::2']);
    expect(JSON.stringify(rules)).not.toContain('prefix');
  });
});

describe('which rules are compiled', () => {
  const withRules = (rules: PortRuleInput[], now?: string) =>
    compile(policyOf({ portRules: rules }), runtimeOf(now === undefined ? {} : { now }));
  const ruleIds = (doc: NftDocument, chain: string) => chainRules(doc, chain).flatMap((r) => (r.comment?.startsWith('palisade:port:') ? [r.comment.slice(14)] : []));
  /** The port rules in force in a profile, as rules of their own or as elements of its maps (sorted). */
  const inForce = (doc: NftDocument, p: ProfileName) =>
    [...new Set([...ruleIds(doc, `in_${p}`), ...mappedIds(doc, `${p}_port_allow`), ...mappedIds(doc, `${p}_port_open`)])].sort();

  it('leaves out expired rules (expires <= now) and keeps those that expire later', () => {
    const rules = [
      portRule('past', { expires: '2026-01-01T00:00:00Z' }),
      portRule('exactly-now', { expires: '2026-03-01T12:00:00Z' }),
      portRule('offset-past', { expires: '2026-03-01T13:00:00+02:00' }),
      portRule('future', { expires: '2026-03-01T12:00:01Z' }),
      portRule('never'),
    ];
    const doc = withRules(rules, '2026-03-01T12:00:00Z');
    for (const p of PROFILES) expect(inForce(doc, p)).toEqual(['future', 'never']);
    // The same with rules on ports of their own: the plain one is a map element.
    const apart = withRules(rules.map((r, i) => ({ ...r, ports: { from: 8000 + i, to: 8000 + i } })), '2026-03-01T12:00:00Z');
    for (const p of PROFILES) {
      expect(inForce(apart, p)).toEqual(['future', 'never']);
      expect(mappedIds(apart, `${p}_port_allow`)).toEqual(['never']);
    }
    expect(JSON.stringify(apart)).not.toMatch(/past|exactly-now/);
  });

  it('applies no expiry without runtime.now', () => {
    const doc = withRules([portRule('past', { expires: '2000-01-01T00:00:00Z' })]);
    // Nothing to gate it on: a plain rule, in the map.
    expect(inForce(doc, 'private')).toEqual(['past']);
    expect(mappedIds(doc, 'private_port_allow')).toEqual(['past']);
  });

  it('leaves out disabled rules', () => {
    const doc = withRules([portRule('off', { enabled: false }), portRule('on', { ports: { from: 9, to: 9 } })]);
    expect(inForce(doc, 'public')).toEqual(['on']);
    expect(portMapElems(doc, 'public_port_allow')).toEqual([[{ concat: ['tcp', 9] }, 'palisade:port:on']]);
    expect(JSON.stringify(doc)).not.toContain('palisade:port:off');
  });

  it('puts a rule only in the chains and maps of its profiles', () => {
    const doc = withRules([portRule('priv', { profiles: ['private'] }), portRule('pub', { profiles: ['public'], action: 'block' })]);
    expect(inForce(doc, 'private')).toEqual(['priv']);
    expect(inForce(doc, 'public')).toEqual(['pub']);
    expect(mappedIds(doc, 'private_port_allow')).toEqual(['priv']);
    expect(portMapElems(doc, 'public_port_allow')).toEqual([]);
    expect(ruleIds(doc, 'in_public')).toEqual(['pub']);
  });

  it('an expired alwaysOpen rule gets no postrouting suppression either', () => {
    const doc = withRules([portRule('old', { alwaysOpen: true, expires: '2026-01-01T00:00:00Z' })], '2026-06-01T00:00:00Z');
    for (const p of PROFILES) expect(chainRules(doc, `post_${p}`)).toEqual([]);
  });
});

describe('deny and final chains', () => {
  it('deny_<p> logs the default (rate-limited) and hands the verdict to final_<p>, stealth or not', () => {
    const doc = compile(policyOf({ profiles: { private: { stealth: false }, public: { stealth: true } } }));
    for (const p of PROFILES) {
      expect(chainRules(doc, `deny_${p}`).map((r) => r.expr)).toEqual([logged(`pal:${p}:default`), [gotoChain(`final_${p}`)]]);
      expect(lastRule(doc, `deny_${p}`).comment).toBe(`palisade:profile:${p}-denied`);
    }
  });

  it('stealth → final_<p> is a single drop', () => {
    const doc = compile(policyOf({ profiles: bothProfiles({ stealth: true }) }));
    for (const p of PROFILES) {
      expect(chainRules(doc, `final_${p}`).map((r) => r.expr)).toEqual([[DROP]]);
      expect(lastRule(doc, `final_${p}`).comment).toBe(`palisade:profile:${p}-stealth`);
    }
  });

  it('stealth off → TCP reset, UDP port unreachable, ping dropped, protocol unreachable / admin prohibited', () => {
    const doc = compile(policyOf({ profiles: { private: { stealth: false } } }));
    expect(chainRules(doc, 'final_private').map((r) => r.expr)).toEqual([
      [{ match: { op: '==', left: META_L4PROTO, right: 'tcp' } }, { reject: { type: 'tcp reset' } }],
      [{ match: { op: '==', left: META_L4PROTO, right: 'udp' } }, { reject: { type: 'icmpx', expr: 'port-unreachable' } }],
      [{ match: { op: '==', left: META_L4PROTO, right: { set: ['icmp', 'ipv6-icmp'] } } }, DROP],
      [{ match: { op: '==', left: { meta: { key: 'nfproto' } }, right: 'ipv4' } }, { reject: { type: 'icmp', expr: 'prot-unreachable' } }],
      [{ reject: { type: 'icmpv6', expr: 'admin-prohibited' } }],
    ]);
    // Public keeps its stealth.
    expect(chainRules(doc, 'final_public').map((r) => r.expr)).toEqual([[DROP]]);
    // No reject anywhere but in final_<p>.
    for (const chain of ['in_private', 'deny_private']) expect(JSON.stringify(chainRules(doc, chain))).not.toContain('reject');
  });
});

describe('postrouting suppression for alwaysOpen ports', () => {
  const alwaysOpenRules = [
    portRule('a', { alwaysOpen: true, ports: { from: 8000, to: 8010 } }),
    portRule('b', { alwaysOpen: true, protocol: 'both', ports: { from: 8005, to: 8020 } }),
    portRule('c', { alwaysOpen: true, ports: { from: 9000, to: 9000 } }),
    portRule('d', { alwaysOpen: true, protocol: 'udp', ports: { from: 5353, to: 5353 } }),
    portRule('e', { alwaysOpen: true, protocol: 'udp', ports: { from: 5354, to: 5360 } }),
    portRule('gated', { protocol: 'both', ports: { from: 7000, to: 7000 } }),
  ];

  it('with stealth: drops the kernel RST (rst|ack, sequence 0) from alwaysOpen TCP ports', () => {
    const doc = compile(policyOf({ profiles: bothProfiles({ stealth: true }), portRules: alwaysOpenRules }));
    for (const p of PROFILES) {
      const rst = ruleWithComment(doc, `post_${p}`, `palisade:profile:${p}-stealth-rst`);
      const flags = matchOn(rst, { '&': [{ payload: { protocol: 'tcp', field: 'flags' } }, ['rst', 'ack']] });
      expect(flags).toEqual({ op: '==', right: ['rst', 'ack'] });
      expect(matchOn(rst, { payload: { protocol: 'tcp', field: 'sequence' } }).right).toBe(0);
      expect(matchOn(rst, { payload: { protocol: 'tcp', field: 'sport' } }).right).toEqual({ set: [{ range: [8000, 8010] }, { range: [8005, 8020] }, 9000] });
      expect(rst.expr[rst.expr.length - 1]).toEqual(DROP);
    }
  });

  it('with stealth: drops ICMP / ICMPv6 port unreachable quoting alwaysOpen UDP ports (@th,240,16 / @th,400,16)', () => {
    const doc = compile(policyOf({ profiles: bothProfiles({ stealth: true }), portRules: alwaysOpenRules }));
    const udpPorts = { set: [{ range: [8005, 8020] }, 5353, { range: [5354, 5360] }] };
    for (const p of PROFILES) {
      const v4 = ruleWithComment(doc, `post_${p}`, `palisade:profile:${p}-stealth-unreach`);
      expect(matchOn(v4, { payload: { protocol: 'icmp', field: 'type' } }).right).toBe('destination-unreachable');
      expect(matchOn(v4, { payload: { protocol: 'icmp', field: 'code' } }).right).toBe('port-unreachable');
      expect(matchOn(v4, { payload: { base: 'th', offset: 240, len: 16 } }).right).toEqual(udpPorts);
      expect(hasStatement(v4, DROP)).toBe(true);
      const v6 = ruleWithComment(doc, `post_${p}`, `palisade:profile:${p}-stealth-unreach6`);
      expect(matchOn(v6, { payload: { protocol: 'icmpv6', field: 'type' } }).right).toBe('destination-unreachable');
      expect(matchOn(v6, { payload: { protocol: 'icmpv6', field: 'code' } }).right).toBe('port-unreachable');
      expect(matchOn(v6, { payload: { base: 'th', offset: 400, len: 16 } }).right).toEqual(udpPorts);
      expect(hasStatement(v6, DROP)).toBe(true);
      expect(chainRules(doc, `post_${p}`)).toHaveLength(3);
      // Gated allow rules never reach the kernel's RST path, so they are not suppressed.
      expect(JSON.stringify(chainRules(doc, `post_${p}`))).not.toContain('7000');
    }
  });

  it('only TCP alwaysOpen ports → only the RST rule', () => {
    const doc = compile(policyOf({ portRules: [portRule('t', { alwaysOpen: true })] }));
    expect(chainRules(doc, 'post_private').map((r) => r.comment)).toEqual(['palisade:profile:private-stealth-rst']);
  });

  it('nothing with stealth off, with the firewall off, or without alwaysOpen rules', () => {
    const stealthOff = compile(policyOf({ profiles: bothProfiles({ stealth: false }), portRules: alwaysOpenRules }));
    const firewallOff = compile(policyOf({ profiles: bothProfiles({ enabled: false }), portRules: alwaysOpenRules }));
    const noAlwaysOpen = compile(policyOf({ portRules: [portRule('gated', { protocol: 'both' })] }));
    for (const doc of [stealthOff, firewallOff, noAlwaysOpen]) {
      for (const p of PROFILES) {
        chainDef(doc, `post_${p}`);
        expect(chainRules(doc, `post_${p}`)).toEqual([]);
      }
    }
  });

  it('a rule on one profile is suppressed only in that profile', () => {
    const doc = compile(policyOf({ portRules: [portRule('t', { alwaysOpen: true, profiles: ['public'] })] }));
    expect(chainRules(doc, 'post_private')).toEqual([]);
    expect(chainRules(doc, 'post_public')).toHaveLength(1);
  });
});

describe('profile output chains', () => {
  it('defaultOutbound allow → accept', () => {
    const doc = compile();
    for (const p of PROFILES) expect(chainRules(doc, `out_${p}`).map((r) => r.expr)).toEqual([[ACCEPT]]);
  });

  it('defaultOutbound block → ICMPv6 ND, DHCP, NTP, then a logged reject admin-prohibited (no DNS without resolvers)', () => {
    const doc = compile(policyOf({ profiles: { public: { defaultOutbound: 'block' } } }));
    const rules = chainRules(doc, 'out_public');
    expect(rules.map((r) => r.comment)).toEqual([
      'palisade:profile:public-out-icmpv6', 'palisade:profile:public-out-dhcp', 'palisade:profile:public-out-ntp',
      undefined, 'palisade:profile:public-default-block-out',
    ]);
    const [nd, dhcp, ntp, log, reject] = rules as [NftRule, NftRule, NftRule, NftRule, NftRule];
    const ndTypes = (matchOn(nd, { payload: { protocol: 'icmpv6', field: 'type' } }).right as { set: string[] }).set;
    expect(ndTypes).toEqual(expect.arrayContaining(['nd-neighbor-solicit', 'nd-neighbor-advert', 'nd-router-solicit', 'mld2-listener-report']));
    expect(ndTypes).not.toContain('echo-request');
    expect(hasStatement(nd, ACCEPT)).toBe(true);
    expect(dhcp.expr).toEqual([{ match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: { set: [67, 547] } } }, COUNTER, ACCEPT]);
    expect(ntp.expr).toEqual([{ match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: 123 } }, COUNTER, ACCEPT]);
    expect(log.expr).toEqual(logged('pal:public:out-default'));
    expect(reject.expr).toEqual([COUNTER, { reject: { type: 'icmpx', expr: 'admin-prohibited' } }]);
    expect(JSON.stringify(rules)).not.toContain('"right":53');
    expect(chainRules(doc, 'out_private').map((r) => r.expr)).toEqual([[ACCEPT]]);
  });

  it('defaultOutbound block with resolvers → DNS (UDP and TCP 53) to them, per family, before the reject', () => {
    const doc = compile(policyOf({ profiles: { public: { defaultOutbound: 'block' } } }), runtimeOf({ resolvers: ['192.0.2.53', '2001:db8::53', '198.51.100.1'] }));
    const dns = rulesWithComment(doc, 'out_public', 'palisade:profile:public-out-dns');
    expect(dns.map((r) => r.expr)).toEqual([
      [{ match: { op: '==', left: META_L4PROTO, right: { set: ['udp', 'tcp'] } } }, { match: { op: '==', left: TH_DPORT, right: 53 } },
        { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: { set: ['192.0.2.53', '198.51.100.1'] } } }, COUNTER, ACCEPT],
      [{ match: { op: '==', left: META_L4PROTO, right: { set: ['udp', 'tcp'] } } }, { match: { op: '==', left: TH_DPORT, right: 53 } },
        { match: { op: '==', left: { payload: { protocol: 'ip6', field: 'daddr' } }, right: '2001:db8::53' } }, COUNTER, ACCEPT],
    ]);
    expect(indexOfComment(doc, 'out_public', 'palisade:profile:public-out-dns')).toBeLessThan(indexOfComment(doc, 'out_public', 'palisade:profile:public-default-block-out'));
    expect(chainRules(doc, 'out_public')).toHaveLength(7);
  });

  it('firewall off → accept even with defaultOutbound block', () => {
    const doc = compile(policyOf({ profiles: { private: { enabled: false, defaultOutbound: 'block' } } }));
    expect(chainRules(doc, 'out_private').map((r) => r.expr)).toEqual([[ACCEPT]]);
  });
});

describe('app port sets', () => {
  it('hold runtime.appPorts as sorted, de-duplicated (l4proto . port) elements', () => {
    const appPorts = emptyAppPorts();
    appPorts.private.allow = [{ protocol: 'udp', port: 53 }, { protocol: 'tcp', port: 8000 }, { protocol: 'tcp', port: 22 }, { protocol: 'tcp', port: 8000 }];
    appPorts.public.block = [{ protocol: 'udp', port: 5353 }, { protocol: 'tcp', port: 631 }, { protocol: 'udp', port: 5353 }];
    const doc = compile(policyOf(), runtimeOf({ appPorts }));
    const set = (name: string) => setOrMap(doc, 'set', name);
    expect(set('private_app_allow')).toMatchObject({ type: ['inet_proto', 'inet_service'] });
    expect(set('private_app_allow').elem).toEqual([{ concat: ['tcp', 22] }, { concat: ['tcp', 8000] }, { concat: ['udp', 53] }]);
    expect(set('public_app_block').elem).toEqual([{ concat: ['tcp', 631] }, { concat: ['udp', 5353] }]);
    expect(set('private_app_block').elem).toBeUndefined();
    expect(set('public_app_allow').elem).toBeUndefined();
  });
});

describe('determinism', () => {
  const policy = policyOf({
    profiles: { private: { stealth: false }, public: { answerPing: true } },
    portRules: [portRule('a', { remote: ['10.0.0.0/8', 'fd00::/8'] }), portRule('b', { alwaysOpen: true, protocol: 'both' })],
  });

  it('same inputs → deep-equal documents', () => {
    const runtime = runtimeOf({ interfaces: { eth0: 'private', wlan0: 'public' }, now: '2026-01-01T00:00:00Z' });
    expect(compile(policy, runtime)).toEqual(compile(policy, structuredClone(runtime)));
    expect(JSON.stringify(compile(policy, runtime))).toBe(JSON.stringify(compile(structuredClone(policy), runtime)));
  });

  it('interface and app-port order do not change the document', () => {
    const a = emptyAppPorts();
    a.private.allow = [{ protocol: 'tcp', port: 22 }, { protocol: 'udp', port: 53 }];
    const b = emptyAppPorts();
    b.private.allow = [{ protocol: 'udp', port: 53 }, { protocol: 'tcp', port: 22 }];
    const one = compile(policy, runtimeOf({ interfaces: { wlan0: 'public', eth0: 'private', enp3s0: 'private' }, appPorts: a }));
    const two = compile(policy, runtimeOf({ interfaces: { enp3s0: 'private', eth0: 'private', wlan0: 'public' }, appPorts: b }));
    expect(JSON.stringify(one)).toBe(JSON.stringify(two));
  });

  it('the input is not modified', () => {
    const appPorts = emptyAppPorts();
    appPorts.public.allow = [{ protocol: 'udp', port: 53 }, { protocol: 'tcp', port: 22 }];
    const runtime = runtimeOf({ interfaces: { wlan0: 'public', eth0: 'private' }, appPorts });
    const before = structuredClone(runtime);
    const policyBefore = structuredClone(policy);
    compile(policy, runtime);
    expect(runtime).toEqual(before);
    expect(policy).toEqual(policyBefore);
  });
});

describe('element-only transactions', () => {
  const kinds = (doc: NftDocument) => doc.nftables.slice(1).map(verbAndKind);

  it('compileInterfaceUpdate flushes and refills the three interface maps, nothing else', () => {
    const doc = compileInterfaceUpdate({ interfaces: { wlan0: 'public', eth0: 'private' } });
    expect(doc.nftables[0]).toEqual({ metainfo: { json_schema_version: 1 } });
    expect(new Set(kinds(doc))).toEqual(new Set(['flush map', 'add element']));
    const flushed = doc.nftables.flatMap((c) => ('flush' in c && 'map' in c.flush ? [c.flush.map.name] : []));
    expect(flushed.sort()).toEqual(['iface_in', 'iface_out', 'iface_post']);
    const elements = new Map(doc.nftables.flatMap((c) => ('add' in c && 'element' in c.add ? [[c.add.element.name, c.add.element.elem] as const] : [])));
    expect(elements.get('iface_in')).toEqual([['eth0', gotoChain('in_private')], ['wlan0', gotoChain('in_public')]]);
    expect(elements.get('iface_out')).toEqual([['eth0', gotoChain('out_private')], ['wlan0', gotoChain('out_public')]]);
    expect(elements.get('iface_post')).toEqual([['eth0', gotoChain('post_private')], ['wlan0', gotoChain('post_public')]]);
    // Each map is flushed before it is refilled.
    for (const name of ['iface_in', 'iface_out', 'iface_post']) {
      const flushAt = doc.nftables.findIndex((c) => 'flush' in c && 'map' in c.flush && c.flush.map.name === name);
      const addAt = doc.nftables.findIndex((c) => 'add' in c && 'element' in c.add && c.add.element.name === name);
      expect(flushAt).toBeLessThan(addAt);
    }
    for (const cmd of doc.nftables.slice(1)) expect(objectOf(cmd)).toMatchObject({ family: 'inet', table: 'palisade' });
  });

  it('compileInterfaceUpdate with no interfaces only flushes', () => {
    expect(kinds(compileInterfaceUpdate({ interfaces: {} }))).toEqual(['flush map', 'flush map', 'flush map']);
  });

  it('compileInterfaceUpdate matches the maps of a full compile', () => {
    const interfaces = { wlan0: 'public', eth0: 'private' } as const;
    const full = compile(policyOf(), runtimeOf({ interfaces }));
    const update = compileInterfaceUpdate({ interfaces });
    for (const cmd of update.nftables) {
      if ('add' in cmd && 'element' in cmd.add) expect(cmd.add.element.elem).toEqual(setOrMap(full, 'map', cmd.add.element.name).elem);
    }
  });

  it('compileAppPortsUpdate flushes the four app sets and adds only non-empty ones, nothing else', () => {
    const appPorts: Record<ProfileName, AppPortSets> = emptyAppPorts();
    appPorts.private.allow = [{ protocol: 'udp', port: 53 }, { protocol: 'tcp', port: 8000 }, { protocol: 'tcp', port: 8000 }];
    appPorts.public.block = [{ protocol: 'tcp', port: 22 }];
    const doc = compileAppPortsUpdate(appPorts, policyOf());
    expect(new Set(kinds(doc))).toEqual(new Set(['flush set', 'add element']));
    const flushed = doc.nftables.flatMap((c) => ('flush' in c && 'set' in c.flush ? [c.flush.set.name] : []));
    expect(flushed.sort()).toEqual(['private_app_allow', 'private_app_block', 'public_app_allow', 'public_app_block']);
    const elements = doc.nftables.flatMap((c) => ('add' in c && 'element' in c.add ? [[c.add.element.name, c.add.element.elem] as const] : []));
    expect(elements).toEqual([
      ['private_app_allow', [{ concat: ['tcp', 8000] }, { concat: ['udp', 53] }]],
      ['public_app_block', [{ concat: ['tcp', 22] }]],
    ]);
    for (const cmd of doc.nftables.slice(1)) expect(objectOf(cmd)).toMatchObject({ family: 'inet', table: 'palisade' });
  });

  it('compileAppPortsUpdate with nothing listening only flushes', () => {
    expect(kinds(compileAppPortsUpdate(emptyAppPorts(), policyOf()))).toEqual(['flush set', 'flush set', 'flush set', 'flush set']);
  });

  it('neither contains table, chain or rule commands', () => {
    const appPorts = emptyAppPorts();
    appPorts.public.allow = [{ protocol: 'tcp', port: 1 }];
    for (const doc of [compileInterfaceUpdate({ interfaces: { eth0: 'private' } }), compileAppPortsUpdate(appPorts, policyOf())]) {
      for (const k of kinds(doc)) expect(k).not.toMatch(/ (table|chain|rule)$/);
    }
  });
});
