// The plain inbound allow rules' maps (shared/compiler/port-maps.ts): which rules become map
// elements and which stay rules of their own, what the maps and counter objects hold, the
// element-only update from one set of contents to another, and the counter objects' values —
// carried into a new table, read back for hit counts. Expected commands and elements are written
// out as literal JSON, not with the builders of shared/nft/json.ts.
import { describe, expect, it } from 'vitest';
import { portMapContents, portMapUpdate, portRuleCounter, portRuleMaps, splitPortRules, type PortMapContents, type ProfilePortRules } from '../../shared/compiler/port-maps';
import { compilePortMapsUpdate, compileRuleset, portMapsOf } from '../../shared/compiler/ruleset';
import type { RuleEntry } from '../../shared/compiler/matches';
import { countersByComment, hitCountsFromListing, type TableListing } from '../../shared/runtime/hit-counts';
import { carriedState } from '../../shared/runtime/carry-over';
import { parsePolicy } from '../../shared/policy/validate';
import type { Policy, PolicyInput, PortRule, ProfileName } from '../../shared/policy/schema';
import { emptyAppPorts, type RuntimeState } from '../../shared/runtime/state';
import type { NftCommand, NftDocument, NftRule } from '../../shared/nft/json';

// ---------------------------------------------------------------------------------------------
// Builders

type PortRuleInput = NonNullable<PolicyInput['portRules']>[number];

function portRule(id: string, fields: Partial<PortRuleInput> = {}): PortRuleInput {
  return { id, action: 'allow', protocol: 'tcp', ports: { from: 8000, to: 8000 }, profiles: ['private', 'public'], ...fields };
}

const policyOf = (portRules: PortRuleInput[]): Policy => parsePolicy({ version: 1, portRules });

function runtimeOf(fields: Partial<RuntimeState> = {}): RuntimeState {
  return { interfaces: {}, appPorts: emptyAppPorts(), ...fields };
}

/** Rules in force as compileRuleset hands them over: `until` only for the ids listed. */
function entries(rules: PortRuleInput[], expiring: string[] = []): RuleEntry[] {
  return policyOf(rules).portRules.map((rule) => (expiring.includes(rule.id) ? { rule, until: `until_${rule.id}` } : { rule }));
}

const ids = (rules: readonly PortRule[]) => rules.map((r) => r.id);

/** Which rule ids went where. */
function sorted(split: ProfilePortRules) {
  return { listening: ids(split.listening), always: ids(split.always), linear: split.linear.map((e) => e.rule.id) };
}

/** Map contents without the diff keys: the counters, and each map's elements by name. */
const contentsOf = (c: PortMapContents) => ({ counters: c.counters, maps: c.maps.map(({ name, elem }) => ({ name, elem })) });

/** Splits per profile, as compileRuleset makes them (no clock). */
function splitsOf(rules: PortRuleInput[]): Record<ProfileName, ProfilePortRules> {
  const policy = policyOf(rules);
  const of = (p: ProfileName) => splitPortRules(policy.portRules.filter((r) => r.profiles.includes(p)).map((rule) => ({ rule })));
  return { private: of('private'), public: of('public') };
}

const KNOCK = { sequence: [{ protocol: 'tcp' as const, port: 7001 }, { protocol: 'udp' as const, port: 7002 }], windowSeconds: 10, openSeconds: 30 };
const LIMIT = { rates: [{ count: 3, seconds: 10 }], blockSeconds: 60 };
const TABLE = { family: 'inet', table: 'palisade' };
const MAP_TYPE = { type: ['inet_proto', 'inet_service'], map: 'counter' };

// ---------------------------------------------------------------------------------------------
// Reading a document

const counterObjects = (doc: NftDocument) => doc.nftables.flatMap((c) => ('add' in c && 'counter' in c.add ? [c.add.counter] : []));
const rulesOf = (doc: NftDocument): NftRule[] => doc.nftables.flatMap((c) => ('add' in c && 'rule' in c.add ? [c.add.rule] : []));

/** The port maps of a full document, by name, with their elements (none → []). */
function portMapsIn(doc: NftDocument): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const c of doc.nftables) if ('add' in c && 'map' in c.add && c.add.map.map === 'counter') out[c.add.map.name] = c.add.map.elem ?? [];
  return out;
}

const verb = (cmd: NftCommand) => ('metainfo' in cmd ? 'metainfo' : `${Object.keys(cmd)[0] ?? '?'} ${Object.keys(Object.values(cmd)[0] as object)[0] ?? '?'}`);
const nameOf = (cmd: NftCommand) => ('metainfo' in cmd ? undefined : (Object.values(Object.values(cmd)[0] as object)[0] as { name: string }).name);

// =============================================================================================

describe('splitPortRules', () => {
  it('puts plain inbound allow rules in the listening map, in policy order', () => {
    const split = splitPortRules(entries([
      portRule('a', { ports: { from: 80, to: 80 } }),
      portRule('b', { protocol: 'udp', ports: { from: 53, to: 54 } }),
      portRule('c', { protocol: 'both', ports: { from: 8000, to: 8010 } }),
    ]));
    expect(sorted(split)).toEqual({ listening: ['a', 'b', 'c'], always: [], linear: [] });
  });

  it('nothing in force, nothing anywhere', () => {
    expect(sorted(splitPortRules([]))).toEqual({ listening: [], always: [], linear: [] });
  });

  it('keeps rules that need more as rules of their own, in policy order: remote networks, a knock, a limit, an expiry', () => {
    const given = entries([
      portRule('remote', { ports: { from: 1, to: 1 }, remote: ['10.0.0.0/8'] }),
      portRule('plain', { ports: { from: 2, to: 2 } }),
      portRule('knock', { ports: { from: 3, to: 3 }, knock: KNOCK }),
      portRule('limit', { ports: { from: 4, to: 4 }, limit: LIMIT }),
      portRule('until', { ports: { from: 5, to: 5 }, expires: '2030-01-01T00:00:00Z' }),
      portRule('open-remote', { ports: { from: 6, to: 6 }, alwaysOpen: true, remote: ['fd00::/8'] }),
    ], ['until']);
    const split = splitPortRules(given);
    expect(sorted(split)).toEqual({ listening: ['plain'], always: [], linear: ['remote', 'knock', 'limit', 'until', 'open-remote'] });
    // The entries themselves, expiry set included.
    expect(split.linear).toEqual(given.filter((e) => e.rule.id !== 'plain'));
    expect(split.linear.find((e) => e.rule.id === 'until')?.until).toBe('until_until');
  });

  it('an expiring rule without an expiry set (no clock) is plain', () => {
    expect(sorted(splitPortRules(entries([portRule('tmp', { expires: '2030-01-01T00:00:00Z' })])))).toEqual({ listening: ['tmp'], always: [], linear: [] });
  });

  it('block and outbound rules stay rules of their own, and do not push an allow on their ports out of the maps', () => {
    const split = splitPortRules(entries([
      portRule('no-80', { action: 'block', ports: { from: 80, to: 80 } }),
      portRule('out-80', { direction: 'out', ports: { from: 80, to: 80 } }),
      portRule('out-block', { direction: 'out', action: 'block', protocol: 'both', ports: { from: 1, to: 100 } }),
      portRule('web', { ports: { from: 80, to: 80 } }),
    ]));
    expect(sorted(split)).toEqual({ listening: ['web'], always: [], linear: ['no-80', 'out-80', 'out-block'] });
  });

  it('a plain rule overlapping one placed earlier in the same map is a rule of its own; touching is not overlapping', () => {
    const split = splitPortRules(entries([
      portRule('first', { ports: { from: 8000, to: 8010 } }),
      portRule('edge', { ports: { from: 8010, to: 8010 } }),
      portRule('inside', { ports: { from: 8003, to: 8004 } }),
      portRule('around', { ports: { from: 7000, to: 9000 } }),
      portRule('next', { ports: { from: 8011, to: 8020 } }),
      portRule('other-protocol', { protocol: 'udp', ports: { from: 8000, to: 8010 } }),
      // One protocol of two overlapping is enough: the whole rule stays out of the map.
      portRule('both', { protocol: 'both', ports: { from: 8020, to: 8030 } }),
      // Only placed rules count: `edge` is not in the map, so nothing stops this one.
      portRule('after-linear', { protocol: 'udp', ports: { from: 8040, to: 8040 } }),
    ]));
    expect(sorted(split)).toEqual({
      listening: ['first', 'next', 'other-protocol', 'after-linear'],
      always: [],
      linear: ['edge', 'inside', 'around', 'both'],
    });
  });

  it('a plain rule overlapping any inbound allow rule of its own (before or after it) is a rule of its own', () => {
    const split = splitPortRules(entries([
      portRule('before-limit', { ports: { from: 20, to: 22 } }),
      portRule('ssh', { ports: { from: 22, to: 22 }, limit: LIMIT }),
      portRule('after-limit', { ports: { from: 22, to: 30 } }),
      portRule('lan-dns', { protocol: 'udp', ports: { from: 53, to: 53 }, remote: ['192.168.0.0/16'] }),
      portRule('dns', { protocol: 'both', ports: { from: 53, to: 53 } }),
      portRule('dns-tcp', { ports: { from: 53, to: 53 } }),
      portRule('knocked', { ports: { from: 8080, to: 8080 }, knock: KNOCK }),
      portRule('open-8080', { ports: { from: 8080, to: 8080 }, alwaysOpen: true }),
      portRule('tmp', { ports: { from: 9000, to: 9000 } }),
      portRule('tmp-later', { ports: { from: 8999, to: 9001 } }),
    ], ['tmp']));
    expect(sorted(split)).toEqual({
      listening: ['dns-tcp'],
      always: [],
      linear: ['before-limit', 'ssh', 'after-limit', 'lan-dns', 'dns', 'knocked', 'open-8080', 'tmp', 'tmp-later'],
    });
  });

  it('alwaysOpen rules go to the always-open map, which may overlap the listening map but not itself', () => {
    const split = splitPortRules(entries([
      portRule('listened', { ports: { from: 8000, to: 8010 } }),
      portRule('open', { ports: { from: 8005, to: 8005 }, alwaysOpen: true }),
      portRule('open-overlap', { ports: { from: 8000, to: 8005 }, alwaysOpen: true }),
      portRule('open-edge', { ports: { from: 8010, to: 8010 }, alwaysOpen: true }),
      portRule('listened-overlap', { ports: { from: 8005, to: 8005 } }),
    ]));
    expect(sorted(split)).toEqual({ listening: ['listened'], always: ['open', 'open-edge'], linear: ['open-overlap', 'listened-overlap'] });
  });
});

// =============================================================================================

describe('portMapContents', () => {
  it('names: <p>_port_allow and <p>_port_open, each with a _ranges twin; a rule\'s counter is named like its rule comment', () => {
    expect(portRuleMaps('private')).toEqual({
      listening: { ports: 'private_port_allow', ranges: 'private_port_allow_ranges' },
      always: { ports: 'private_port_open', ranges: 'private_port_open_ranges' },
    });
    expect(portRuleMaps('public').listening.ports).toBe('public_port_allow');
    expect(portRuleCounter('web')).toBe('palisade:port:web');
  });

  it('one counter per mapped rule, even in both profiles, sorted; one element per protocol, leading to it; single ports and ranges apart', () => {
    const contents = portMapContents(splitsOf([
      portRule('zeta', { protocol: 'both', ports: { from: 8000, to: 8010 } }),
      portRule('alpha', { ports: { from: 22, to: 22 }, profiles: ['private'] }),
      portRule('mid', { protocol: 'udp', ports: { from: 5353, to: 5353 }, alwaysOpen: true, profiles: ['public'] }),
      portRule('lan', { ports: { from: 9000, to: 9000 }, remote: ['10.0.0.0/8'] }),
      portRule('no-23', { action: 'block', ports: { from: 23, to: 23 } }),
    ]));
    expect(contentsOf(contents)).toEqual({
      counters: ['palisade:port:alpha', 'palisade:port:mid', 'palisade:port:zeta'],
      maps: [
        { name: 'private_port_allow', elem: [[{ concat: ['tcp', 22] }, 'palisade:port:alpha']] },
        {
          name: 'private_port_allow_ranges',
          elem: [
            [{ concat: ['tcp', { range: [8000, 8010] }] }, 'palisade:port:zeta'],
            [{ concat: ['udp', { range: [8000, 8010] }] }, 'palisade:port:zeta'],
          ],
        },
        { name: 'private_port_open', elem: [] },
        { name: 'private_port_open_ranges', elem: [] },
        { name: 'public_port_allow', elem: [] },
        {
          name: 'public_port_allow_ranges',
          elem: [
            [{ concat: ['tcp', { range: [8000, 8010] }] }, 'palisade:port:zeta'],
            [{ concat: ['udp', { range: [8000, 8010] }] }, 'palisade:port:zeta'],
          ],
        },
        { name: 'public_port_open', elem: [[{ concat: ['udp', 5353] }, 'palisade:port:mid']] },
        { name: 'public_port_open_ranges', elem: [] },
      ],
    });
  });

  it('a rule mapped in one profile and a rule of its own in the other still has its counter', () => {
    const contents = portMapContents(splitsOf([
      portRule('lan', { ports: { from: 80, to: 80 }, remote: ['10.0.0.0/8'], profiles: ['private'] }),
      portRule('web', { ports: { from: 80, to: 80 } }),
    ]));
    expect(contents.counters).toEqual(['palisade:port:web']);
    expect(contents.maps.find((m) => m.name === 'private_port_allow')?.elem).toEqual([]);
    expect(contents.maps.find((m) => m.name === 'public_port_allow')?.elem).toEqual([[{ concat: ['tcp', 80] }, 'palisade:port:web']]);
  });

  it('no plain rules: no counters, eight empty maps', () => {
    expect(contentsOf(portMapContents(splitsOf([portRule('lan', { remote: ['10.0.0.0/8'] })])))).toEqual({
      counters: [],
      maps: ['private_port_allow', 'private_port_allow_ranges', 'private_port_open', 'private_port_open_ranges', 'public_port_allow', 'public_port_allow_ranges', 'public_port_open', 'public_port_open_ranges']
        .map((name) => ({ name, elem: [] })),
    });
  });
});

// =============================================================================================

describe('the port maps in a full table', () => {
  const policy = policyOf([
    portRule('web', { protocol: 'both', ports: { from: 8000, to: 8010 } }),
    portRule('mdns', { protocol: 'udp', ports: { from: 5353, to: 5353 }, alwaysOpen: true, profiles: ['public'] }),
    portRule('lan', { ports: { from: 9000, to: 9000 }, remote: ['10.0.0.0/8'] }),
  ]);

  it('counter objects first, then the maps to them (hash maps of single ports, interval maps of ranges), all before the first rule', () => {
    const doc = compileRuleset(policy, runtimeOf());
    const at = (pred: (c: NftCommand) => boolean) => doc.nftables.findIndex(pred);
    const counters = doc.nftables.filter((c) => 'add' in c && 'counter' in c.add);
    expect(counters).toEqual([
      { add: { counter: { ...TABLE, name: 'palisade:port:mdns' } } },
      { add: { counter: { ...TABLE, name: 'palisade:port:web' } } },
    ]);
    const maps = doc.nftables.filter((c) => 'add' in c && 'map' in c.add && c.add.map.map === 'counter');
    const webElems = [[{ concat: ['tcp', { range: [8000, 8010] }] }, 'palisade:port:web'], [{ concat: ['udp', { range: [8000, 8010] }] }, 'palisade:port:web']];
    expect(maps).toEqual([
      { add: { map: { ...TABLE, name: 'private_port_allow', ...MAP_TYPE } } },
      { add: { map: { ...TABLE, name: 'private_port_allow_ranges', ...MAP_TYPE, flags: ['interval'], elem: webElems } } },
      { add: { map: { ...TABLE, name: 'private_port_open', ...MAP_TYPE } } },
      { add: { map: { ...TABLE, name: 'private_port_open_ranges', ...MAP_TYPE, flags: ['interval'] } } },
      { add: { map: { ...TABLE, name: 'public_port_allow', ...MAP_TYPE } } },
      { add: { map: { ...TABLE, name: 'public_port_allow_ranges', ...MAP_TYPE, flags: ['interval'], elem: webElems } } },
      { add: { map: { ...TABLE, name: 'public_port_open', ...MAP_TYPE, elem: [[{ concat: ['udp', 5353] }, 'palisade:port:mdns']] } } },
      { add: { map: { ...TABLE, name: 'public_port_open_ranges', ...MAP_TYPE, flags: ['interval'] } } },
    ]);
    const lastCounter = doc.nftables.lastIndexOf(counters[counters.length - 1] as NftCommand);
    expect(lastCounter).toBeLessThan(doc.nftables.indexOf(maps[0] as NftCommand));
    expect(doc.nftables.indexOf(maps[maps.length - 1] as NftCommand)).toBeLessThan(at((c) => 'add' in c && 'rule' in c.add));
    // Mapped rules are no rules of their own; the others are.
    expect(rulesOf(doc).filter((r) => r.comment === 'palisade:port:web' || r.comment === 'palisade:port:mdns')).toEqual([]);
    expect(rulesOf(doc).filter((r) => r.comment === 'palisade:port:lan')).toHaveLength(2);
  });

  it('portMapsOf gives the contents the full compile puts in the table', () => {
    const now = '2026-03-01T12:00:00Z';
    const withExpiry = policyOf([
      ...policy.portRules,
      portRule('tmp', { ports: { from: 7000, to: 7000 }, expires: '2026-03-01T13:00:00Z' }),
      portRule('gone', { ports: { from: 7001, to: 7001 }, expires: '2026-03-01T11:00:00Z' }),
      portRule('off', { ports: { from: 7002, to: 7002 }, enabled: false }),
    ] as PortRuleInput[]);
    for (const clock of [now, undefined]) {
      const doc = compileRuleset(withExpiry, runtimeOf(clock ? { now: clock } : {}));
      const contents = portMapsOf(withExpiry, clock);
      expect(contents.counters).toEqual(counterObjects(doc).map((c) => c.name));
      expect(Object.fromEntries(contents.maps.map((m) => [m.name, m.elem]))).toEqual(portMapsIn(doc));
    }
    // An expiring rule is gated by its expiry set (a rule of its own) when there is a clock; without one it is plain.
    expect(portMapsOf(withExpiry, now).counters).toEqual(['palisade:port:mdns', 'palisade:port:web']);
    expect(portMapsOf(withExpiry, undefined).counters).toEqual(['palisade:port:gone', 'palisade:port:mdns', 'palisade:port:tmp', 'palisade:port:web']);
  });
});

// =============================================================================================

describe('portMapUpdate', () => {
  const before = portMapsOf(policyOf([
    portRule('kept', { ports: { from: 80, to: 80 } }),
    portRule('widened', { ports: { from: 8000, to: 8010 } }),
    portRule('removed', { ports: { from: 81, to: 81 } }),
    portRule('open', { protocol: 'udp', ports: { from: 5353, to: 5353 }, alwaysOpen: true }),
  ]), undefined);
  const after = portMapsOf(policyOf([
    portRule('kept', { ports: { from: 80, to: 80 } }),
    portRule('widened', { ports: { from: 8000, to: 8020 } }),
    portRule('added', { ports: { from: 443, to: 443 }, profiles: ['public'] }),
    portRule('zz-added', { protocol: 'udp', ports: { from: 53, to: 53 }, alwaysOpen: true, profiles: ['private'] }),
  ]), undefined);

  it('adds only the new counters, changes only the elements that changed, then deletes the counters no longer referred to', () => {
    const elements = (op: 'add' | 'delete', name: string, elem: unknown[]) => ({ [op]: { element: { ...TABLE, name, elem } } });
    expect(portMapUpdate(before, after)).toEqual([
      { add: { counter: { ...TABLE, name: 'palisade:port:added' } } },
      { add: { counter: { ...TABLE, name: 'palisade:port:zz-added' } } },
      // A deleted element is named by its key alone; the old interval goes before the new one comes.
      elements('delete', 'private_port_allow', [{ concat: ['tcp', 81] }]),
      elements('delete', 'private_port_allow_ranges', [{ concat: ['tcp', { range: [8000, 8010] }] }]),
      elements('add', 'private_port_allow_ranges', [[{ concat: ['tcp', { range: [8000, 8020] }] }, 'palisade:port:widened']]),
      elements('delete', 'private_port_open', [{ concat: ['udp', 5353] }]),
      elements('add', 'private_port_open', [[{ concat: ['udp', 53] }, 'palisade:port:zz-added']]),
      elements('delete', 'public_port_allow', [{ concat: ['tcp', 81] }]),
      elements('add', 'public_port_allow', [[{ concat: ['tcp', 443] }, 'palisade:port:added']]),
      elements('delete', 'public_port_allow_ranges', [{ concat: ['tcp', { range: [8000, 8010] }] }]),
      elements('add', 'public_port_allow_ranges', [[{ concat: ['tcp', { range: [8000, 8020] }] }, 'palisade:port:widened']]),
      elements('delete', 'public_port_open', [{ concat: ['udp', 5353] }]),
      { delete: { counter: { ...TABLE, name: 'palisade:port:open' } } },
      { delete: { counter: { ...TABLE, name: 'palisade:port:removed' } } },
    ]);
  });

  it('the same contents: nothing to do', () => {
    expect(portMapUpdate(before, before)).toEqual([]);
  });

  it('a rule moved to another map (alwaysOpen) or to another counter (a new id) moves its elements, not its ports\' neighbours', () => {
    const one = portMapsOf(policyOf([portRule('a', { ports: { from: 22, to: 22 } }), portRule('b', { ports: { from: 80, to: 80 } })]), undefined);
    const two = portMapsOf(policyOf([portRule('a', { ports: { from: 22, to: 22 }, alwaysOpen: true }), portRule('c', { ports: { from: 80, to: 80 } })]), undefined);
    const cmds = portMapUpdate(one, two);
    expect(cmds.filter((c) => nameOf(c) === 'private_port_allow')).toEqual([
      { delete: { element: { ...TABLE, name: 'private_port_allow', elem: [{ concat: ['tcp', 22] }, { concat: ['tcp', 80] }] } } },
      { add: { element: { ...TABLE, name: 'private_port_allow', elem: [[{ concat: ['tcp', 80] }, 'palisade:port:c']] } } },
    ]);
    expect(cmds.filter((c) => nameOf(c) === 'private_port_open')).toEqual([
      { add: { element: { ...TABLE, name: 'private_port_open', elem: [[{ concat: ['tcp', 22] }, 'palisade:port:a']] } } },
    ]);
    expect(cmds.filter((c) => verb(c).endsWith('counter'))).toEqual([
      { add: { counter: { ...TABLE, name: 'palisade:port:c' } } },
      { delete: { counter: { ...TABLE, name: 'palisade:port:b' } } },
    ]);
  });

  it('compilePortMapsUpdate: one transaction of port map elements and counter objects only, in table inet palisade', () => {
    const doc = compilePortMapsUpdate(before, after);
    expect(doc.nftables[0]).toEqual({ metainfo: { json_schema_version: 1 } });
    expect(doc.nftables.slice(1)).toEqual(portMapUpdate(before, after));
    for (const cmd of doc.nftables.slice(1)) {
      expect(verb(cmd)).toMatch(/^(add|delete) (counter|element)$/);
      expect(Object.values(Object.values(cmd)[0] as object)[0]).toMatchObject(TABLE);
      if (verb(cmd).endsWith('element')) expect(Object.values(portRuleMaps(nameOf(cmd)?.startsWith('private') ? 'private' : 'public')).flatMap((m) => Object.values(m))).toContain(nameOf(cmd));
    }
  });

  /**
   * A model of the table's counters and counter maps: runs an update the way the kernel would,
   * refusing what it would refuse — an element leading to no counter, an element that overlaps
   * one already in its map, deleting an element that is not there, deleting a counter an element
   * still leads to, adding a counter that exists (the update must leave counts alone).
   */
  function applyModel(start: PortMapContents, values: Record<string, number>, cmds: NftCommand[]) {
    const counters = new Map(start.counters.map((n) => [n, values[n] ?? 0]));
    const maps = new Map(start.maps.map((m) => [m.name, [...m.elem] as [unknown, string][]]));
    const span = (key: unknown) => {
      const [protocol, port] = (key as { concat: [string, number | { range: [number, number] }] }).concat;
      return typeof port === 'number' ? { protocol, from: port, to: port } : { protocol, from: port.range[0], to: port.range[1] };
    };
    const overlap = (a: unknown, b: unknown) => {
      const [x, y] = [span(a), span(b)];
      return x.protocol === y.protocol && x.from <= y.to && y.from <= x.to;
    };
    for (const cmd of cmds) {
      const name = nameOf(cmd) as string;
      switch (verb(cmd)) {
        case 'add counter':
          if (counters.has(name)) throw new Error(`counter ${name} added again`);
          counters.set(name, 0);
          break;
        case 'delete counter':
          if (!counters.has(name)) throw new Error(`no counter ${name}`);
          if ([...maps.values()].some((elems) => elems.some((e) => e[1] === name))) throw new Error(`counter ${name} is still in use`);
          counters.delete(name);
          break;
        case 'add element': {
          const elems = maps.get(name);
          if (!elems) throw new Error(`no map ${name}`);
          if (!('add' in cmd) || !('element' in cmd.add)) throw new Error('not an element');
          for (const e of cmd.add.element.elem as [unknown, string][]) {
            if (!counters.has(e[1])) throw new Error(`${name} refers to no counter ${e[1]}`);
            if (elems.some((x) => overlap(x[0], e[0]))) throw new Error(`${name}: ${JSON.stringify(e[0])} overlaps an element`);
            elems.push(e);
          }
          break;
        }
        case 'delete element': {
          const elems = maps.get(name);
          if (!elems) throw new Error(`no map ${name}`);
          if (!('delete' in cmd) || !('element' in cmd.delete)) throw new Error('not an element');
          for (const key of cmd.delete.element.elem) {
            const at = elems.findIndex((x) => JSON.stringify(x[0]) === JSON.stringify(key));
            if (at < 0) throw new Error(`${name} has no element ${JSON.stringify(key)}`);
            elems.splice(at, 1);
          }
          break;
        }
        default: throw new Error(`unexpected ${verb(cmd)}`);
      }
    }
    const byKey = (elems: unknown[]) => [...elems].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return { counters: Object.fromEntries(counters), maps: Object.fromEntries([...maps].map(([n, e]) => [n, byKey(e)])) };
  }
  const mapsOf = (c: PortMapContents) => Object.fromEntries(c.maps.map((m) => [m.name, [...m.elem].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))]));

  it('run on the table of the policy before, gives the maps and counters of the policy after; kept counters keep their counts', () => {
    const result = applyModel(before, { 'palisade:port:kept': 12, 'palisade:port:widened': 7, 'palisade:port:removed': 3, 'palisade:port:open': 5 }, portMapUpdate(before, after));
    expect(result.counters).toEqual({ 'palisade:port:kept': 12, 'palisade:port:widened': 7, 'palisade:port:added': 0, 'palisade:port:zz-added': 0 });
    expect(Object.keys(result.counters).sort()).toEqual(after.counters);
    expect(result.maps).toEqual(mapsOf(after));
    // And back.
    const back = applyModel(after, {}, portMapUpdate(after, before));
    expect(Object.keys(back.counters).sort()).toEqual(before.counters);
    expect(back.maps).toEqual(mapsOf(before));
  });

  it('between any two of a handful of policies, the update gives exactly the contents of the second', () => {
    const variants: PortRuleInput[][] = [
      [],
      [portRule('a', { ports: { from: 1, to: 100 } })],
      [portRule('a', { ports: { from: 50, to: 60 } }), portRule('b', { ports: { from: 1, to: 49 }, protocol: 'both' })],
      [portRule('b', { ports: { from: 1, to: 100 }, alwaysOpen: true }), portRule('c', { ports: { from: 40, to: 45 } })],
      [portRule('c', { ports: { from: 40, to: 45 }, profiles: ['public'] }), portRule('d', { ports: { from: 46, to: 46 }, protocol: 'udp', alwaysOpen: true })],
    ];
    const contents = variants.map((rules) => portMapsOf(policyOf(rules), undefined));
    for (const from of contents) {
      for (const to of contents) {
        const result = applyModel(from, {}, portMapUpdate(from, to));
        expect(Object.keys(result.counters).sort()).toEqual(to.counters);
        expect(result.maps).toEqual(mapsOf(to));
      }
    }
  });
});

// =============================================================================================

describe('counter objects carried into a new table', () => {
  const policy = policyOf([
    portRule('web', { ports: { from: 80, to: 80 } }),
    portRule('dns', { protocol: 'udp', ports: { from: 53, to: 53 }, alwaysOpen: true }),
    portRule('lan', { ports: { from: 9000, to: 9000 }, remote: ['10.0.0.0/8'] }),
  ]);

  it('take the value carried under their name; others start at zero; names no longer in the table are ignored', () => {
    const doc = compileRuleset(policy, runtimeOf({
      counters: {
        'palisade:port:web': { packets: 10, bytes: 1000 },
        'palisade:port:lan': { packets: 4, bytes: 400 },
        'palisade:port:gone': { packets: 1, bytes: 1 },
      },
    }));
    expect(counterObjects(doc)).toEqual([
      { ...TABLE, name: 'palisade:port:dns' },
      { ...TABLE, name: 'palisade:port:web', packets: 10, bytes: 1000 },
    ]);
    // Rules of their own carry theirs as before (on the first of them: one per profile here).
    expect(rulesOf(doc).filter((r) => r.comment === 'palisade:port:lan').map((r) => r.expr.find((e) => 'counter' in e))).toEqual([{ counter: { packets: 4, bytes: 400 } }, { counter: null }]);
    expect(JSON.stringify(doc)).not.toContain('gone');
  });

  it('without carried values the document is unchanged', () => {
    expect(compileRuleset(policy, runtimeOf({ counters: {} }))).toEqual(compileRuleset(policy, runtimeOf()));
    for (const c of counterObjects(compileRuleset(policy, runtimeOf()))) expect(c).not.toHaveProperty('packets');
  });

  it('a rule mapped in one profile and a rule of its own in the other gets its value once', () => {
    const split = policyOf([
      portRule('lan', { ports: { from: 80, to: 80 }, remote: ['10.0.0.0/8'], profiles: ['private'] }),
      portRule('web', { ports: { from: 80, to: 80 } }),
    ]);
    const doc = compileRuleset(split, runtimeOf({ counters: { 'palisade:port:web': { packets: 10, bytes: 1000 } } }));
    expect(counterObjects(doc).map((c) => c.name)).toEqual(['palisade:port:web']);
    expect(rulesOf(doc).filter((r) => r.chain === 'in_private' && r.comment === 'palisade:port:web')).toHaveLength(1);
    const values = [
      ...counterObjects(doc).map((c) => c.packets ?? 0),
      ...rulesOf(doc).filter((r) => r.comment === 'palisade:port:web').map((r) => (r.expr.find((e) => 'counter' in e)?.counter as { packets?: number } | null)?.packets ?? 0),
    ];
    expect(values.reduce((a, b) => a + b, 0)).toBe(10);
    expect(values.filter((v) => v > 0)).toEqual([10]);
  });
});

// =============================================================================================

describe('countersByComment with counter objects', () => {
  // As `nft -j list table inet palisade` lists them (nftables 1.0.6).
  const listedCounter = (name: string, packets: number, bytes: number, handle: number) => ({ counter: { ...TABLE, name, handle, packets, bytes } });
  const lookup = (map: string) => ({ counter: { map: { key: { concat: [{ meta: { key: 'l4proto' } }, { payload: { protocol: 'th', field: 'dport' } }] }, data: `@${map}` } } });
  const listing: TableListing = {
    nftables: [
      { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
      { table: { family: 'inet', name: 'palisade', handle: 3 } },
      listedCounter('palisade:port:web', 5, 500, 10),
      listedCounter('palisade:port:dns', 2, 120, 11),
      listedCounter('palisade:port:idle', 0, 0, 12),
      { map: { ...TABLE, name: 'public_port_allow', ...MAP_TYPE, flags: ['interval'], handle: 13, elem: [[{ concat: ['tcp', 80] }, 'palisade:port:web']] } },
      { rule: { ...TABLE, chain: 'in_public', handle: 20, comment: 'palisade:profile:public-port-rules', expr: [{ match: { op: '==', left: { socket: { key: 'transparent' } }, right: 0 } }, lookup('public_port_allow'), { accept: null }] } },
      { rule: { ...TABLE, chain: 'in_public', handle: 21, comment: 'palisade:profile:public-port-rules-open', expr: [lookup('public_port_open'), { accept: null }] } },
      // The same rule as a rule of its own in the other profile.
      { rule: { ...TABLE, chain: 'in_private', handle: 22, comment: 'palisade:port:web', expr: [{ counter: { packets: 3, bytes: 300 } }, { accept: null }] } },
    ],
  };

  it('reads each counter object by its name, adding rules of the same comment to it', () => {
    expect(countersByComment(listing)).toEqual({
      'palisade:port:web': { packets: 8, bytes: 800 },
      'palisade:port:dns': { packets: 2, bytes: 120 },
      'palisade:port:idle': { packets: 0, bytes: 0 },
    });
  });

  it('the maps\' lookups have no count of their own: no hit count for them', () => {
    const counts = hitCountsFromListing(listing);
    expect(counts).toEqual({ port: { web: 8, dns: 2, idle: 0 }, app: {}, profile: {} });
  });

  it('a counter object without values (a stateless listing) counts nothing', () => {
    expect(countersByComment({ nftables: [{ counter: { ...TABLE, name: 'palisade:port:web', handle: 1 } }] })).toEqual({});
  });

  it('carried from a listing into the next table: each rule\'s count, wherever it lived, ends up on its counter object', () => {
    const next = compileRuleset(policyOf([portRule('web', { ports: { from: 80, to: 80 } }), portRule('dns', { protocol: 'udp', ports: { from: 53, to: 53 } })]), runtimeOf(carriedState(listing)));
    expect(counterObjects(next)).toEqual([
      { ...TABLE, name: 'palisade:port:dns', packets: 2, bytes: 120 },
      { ...TABLE, name: 'palisade:port:web', packets: 8, bytes: 800 },
    ]);
  });
});
