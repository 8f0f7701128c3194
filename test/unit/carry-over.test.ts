// What a full replacement carries over from the table it replaces (shared/runtime/carry-over.ts),
// and the hit counts read from the same listing (shared/runtime/hit-counts.ts). The listings
// below have the shape `nft -j list table inet palisade` gives (nftables 1.0.6, taken from a
// namespace with elements added by hand), trimmed to the objects that matter.
import { describe, expect, it } from 'vitest';
import { carriedState, rememberedSources } from '../../shared/runtime/carry-over';
import { countersByComment, hitCountsFromListing, type TableListing } from '../../shared/runtime/hit-counts';
import { compileRuleset } from '../../shared/compiler/ruleset';
import { parsePolicy } from '../../shared/policy/validate';
import { emptyAppPorts } from '../../shared/runtime/state';
import type { NftRule, NftSet } from '../../shared/nft/json';

const table = { family: 'inet', table: 'palisade' };
const metainfo = { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } };

function listedRule(chain: string, comment: string | undefined, counter: { packets: number; bytes: number } | null, handle: number): Record<string, unknown> {
  return {
    rule: {
      ...table, chain, handle, ...(comment ? { comment } : {}),
      expr: [
        { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } },
        ...(counter ? [{ counter }] : []),
        { accept: null },
      ],
    },
  };
}

/** A listing with every kind of set and element the table can hold. */
const LISTING: TableListing = {
  nftables: [
    metainfo,
    { table: { family: 'inet', name: 'palisade', handle: 3 } },
    { map: { ...table, name: 'iface_in', type: 'ifname', handle: 14, map: 'verdict', elem: [['eth0', { goto: { target: 'in_private' } }]] } },
    { set: { ...table, name: 'public_app_allow', type: ['inet_proto', 'inet_service'], handle: 19, elem: [{ concat: ['tcp', 22] }] } },
    {
      set: {
        ...table, name: 'limited4_port_ssh', type: 'ipv4_addr', handle: 22, size: 65535, flags: ['timeout'], timeout: 60,
        elem: [{ elem: { val: '192.0.2.7', expires: 59 } }, { elem: { val: '192.0.2.8', timeout: 20, expires: 19 } }],
      },
    },
    { set: { ...table, name: 'limited6_port_ssh', type: 'ipv6_addr', handle: 24, size: 65535, flags: ['timeout'], timeout: 60, elem: [{ elem: { val: '2001:db8::7', expires: 59 } }] } },
    // A meter: elements carry their limit's state.
    {
      set: {
        ...table, name: 'meter4_0_port_ssh', type: 'ipv4_addr', handle: 21, size: 65535, flags: ['timeout'], timeout: 10,
        elem: [{ elem: { val: '192.0.2.7', timeout: 10, expires: 4, limit: { rate: 18, per: 'minute', burst: 3, inv: true } } }],
      },
    },
    // Empty sets list no elem at all.
    { set: { ...table, name: 'scanners4_public', type: 'ipv4_addr', handle: 30, size: 65535, flags: ['timeout'], timeout: 600 } },
    { set: { ...table, name: 'until_tmp', type: ['inet_proto', 'inet_service'], handle: 33, flags: ['interval', 'timeout'], elem: [{ elem: { val: { concat: ['tcp', { range: [9000, 9001] }] }, timeout: 3600, expires: 3599 } }] } },
    // Not Palisade's to carry: elements with no expiry, an expiry already reached, a value that is no address.
    { set: { ...table, name: 'static4', type: 'ipv4_addr', handle: 40, elem: ['192.0.2.99', { elem: { val: '192.0.2.98' } }] } },
    { set: { ...table, name: 'knock4_1_0badc0de_web', type: 'ipv4_addr', handle: 41, flags: ['timeout'], timeout: 10, elem: [{ elem: { val: '198.51.100.1', expires: 0 } }, { elem: { val: '198.51.100.2', expires: 7 } }] } },
    { set: { ...table, name: 'odd', type: 'ipv4_addr', handle: 42, flags: ['timeout'], elem: [{ elem: { val: { prefix: { addr: '10.0.0.0', len: 8 } }, expires: 5 } }] } },
    { chain: { ...table, name: 'in_public', handle: 50 } },
    listedRule('in_public', 'palisade:port:ssh', { packets: 5, bytes: 300 }, 60),
    listedRule('in_public', 'palisade:port:ssh', { packets: 2, bytes: 120 }, 61),
    listedRule('in_private', 'palisade:port:ssh', { packets: 1, bytes: 60 }, 62),
    listedRule('in_public', 'palisade:port:ssh-limited', { packets: 4, bytes: 240 }, 63),
    listedRule('in_public', 'palisade:app:sshd', { packets: 9, bytes: 900 }, 64),
    listedRule('in_public', 'palisade:app:public-allowed-apps', { packets: 0, bytes: 0 }, 65),
    listedRule('spoofed_public', 'palisade:profile:public-spoofed', { packets: 3, bytes: 180 }, 66),
    listedRule('input', 'palisade:base:invalid', { packets: 11, bytes: 660 }, 67),
    // Uncounted rules and rules without a comment count for nothing.
    listedRule('in_public', 'palisade:port:web-knock', null, 68),
    listedRule('in_public', undefined, { packets: 100, bytes: 100 }, 69),
    listedRule('in_public', 'something else', { packets: 8, bytes: 8 }, 70),
  ],
};

describe('rememberedSources', () => {
  it('reads every address set\'s sources with their time left, by set name and family', () => {
    expect(rememberedSources(LISTING)).toEqual({
      limited4_port_ssh: [{ address: '192.0.2.7', family: 4, expiresInSeconds: 59 }, { address: '192.0.2.8', family: 4, expiresInSeconds: 19 }],
      limited6_port_ssh: [{ address: '2001:db8::7', family: 6, expiresInSeconds: 59 }],
      meter4_0_port_ssh: [{ address: '192.0.2.7', family: 4, expiresInSeconds: 4 }],
      'knock4_1_0badc0de_web': [{ address: '198.51.100.2', family: 4, expiresInSeconds: 7 }],
    });
  });

  it('no table (or an empty one) → nothing', () => {
    expect(rememberedSources(null)).toEqual({});
    expect(rememberedSources({ nftables: [metainfo] })).toEqual({});
  });

  it('survives odd objects in the listing', () => {
    const odd: TableListing = { nftables: [metainfo, { set: null }, { set: { name: 'x', type: 'ipv4_addr', elem: 'nope' } }, { set: { name: 'y', type: 'ipv4_addr', elem: [{ elem: null }, { elem: { val: 3, expires: 5 } }] } }, { rule: {} }] };
    expect(rememberedSources(odd)).toEqual({});
    expect(countersByComment(odd)).toEqual({});
  });
});

describe('countersByComment', () => {
  it('sums packets and bytes of counted rules by comment (all chains, all families)', () => {
    expect(countersByComment(LISTING)).toEqual({
      'palisade:port:ssh': { packets: 8, bytes: 480 },
      'palisade:port:ssh-limited': { packets: 4, bytes: 240 },
      'palisade:app:sshd': { packets: 9, bytes: 900 },
      'palisade:app:public-allowed-apps': { packets: 0, bytes: 0 },
      'palisade:profile:public-spoofed': { packets: 3, bytes: 180 },
      'palisade:base:invalid': { packets: 11, bytes: 660 },
      'something else': { packets: 8, bytes: 8 },
    });
  });

  it('no table → nothing', () => {
    expect(countersByComment(null)).toEqual({});
  });
});

describe('hitCountsFromListing', () => {
  it('puts each Palisade comment under its kind and id; base rules and foreign comments are not hit counts', () => {
    expect(hitCountsFromListing(LISTING)).toEqual({
      port: { ssh: 8, 'ssh-limited': 4 },
      app: { sshd: 9, 'public-allowed-apps': 0 },
      profile: { 'public-spoofed': 3 },
    });
    expect(hitCountsFromListing(null)).toEqual({ port: {}, app: {}, profile: {} });
  });
});

describe('carriedState', () => {
  it('is the remembered sources and the counters of the same listing', () => {
    expect(carriedState(LISTING)).toEqual({ remembered: rememberedSources(LISTING), counters: countersByComment(LISTING) });
    expect(carriedState(null)).toEqual({ remembered: {}, counters: {} });
  });

  it('round-trips through the compiler: a listing of a compiled table gives back its sources and counts', () => {
    const policy = parsePolicy({
      version: 1,
      profiles: { public: { scanDetection: { enabled: true, ports: 10, withinSeconds: 5, blockSeconds: 600 } } },
      portRules: [{ id: 'ssh', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['public'], limit: { rates: [{ count: 3, seconds: 10 }], blockSeconds: 1800 } }],
    });
    const runtime = { interfaces: {}, appPorts: emptyAppPorts() };
    const first = compileRuleset(policy, runtime);
    // What nft would list after some traffic: sources in the sets, packets on the counters.
    const kernelAddresses: Record<string, string[]> = { limited4_port_ssh: ['192.0.2.1'], scanners6_public: ['2001:db8::66', '2001:db8::67'], meter4_0_port_ssh: ['192.0.2.1'] };
    let packets = 0;
    const listing: TableListing = {
      nftables: [metainfo, ...first.nftables.flatMap((cmd): Record<string, unknown>[] => {
        if (!('add' in cmd)) return [];
        if ('set' in cmd.add) {
          const s: NftSet = cmd.add.set;
          const elem = (kernelAddresses[s.name] ?? []).map((val) => ({ elem: { val, expires: (s.timeout ?? 0) - 1 } }));
          return [{ set: { ...s, ...(elem.length ? { elem } : {}) } }];
        }
        if ('rule' in cmd.add) {
          const r: NftRule = cmd.add.rule;
          // Counter statements count; a `counter name … map` lookup is listed as it was written.
          return [{ rule: { ...r, expr: r.expr.map((e) => ('counter' in e && e.counter === null ? { counter: { packets: ++packets, bytes: packets * 60 } } : e)) } }];
        }
        return [];
      })],
    };
    const carried = carriedState(listing);
    expect(carried.remembered).toEqual({
      limited4_port_ssh: [{ address: '192.0.2.1', family: 4, expiresInSeconds: 1799 }],
      scanners6_public: [{ address: '2001:db8::66', family: 6, expiresInSeconds: 599 }, { address: '2001:db8::67', family: 6, expiresInSeconds: 599 }],
      meter4_0_port_ssh: [{ address: '192.0.2.1', family: 4, expiresInSeconds: 9 }],
    });
    const second = compileRuleset(policy, { ...runtime, ...carried });
    const setOf = (name: string) => second.nftables.flatMap((c) => ('add' in c && 'set' in c.add && c.add.set.name === name ? [c.add.set] : []))[0];
    expect(setOf('limited4_port_ssh')?.elem).toEqual([{ elem: { val: '192.0.2.1', timeout: 1799 } }]);
    expect(setOf('scanners6_public')?.elem).toEqual([{ elem: { val: '2001:db8::66', timeout: 599 } }, { elem: { val: '2001:db8::67', timeout: 599 } }]);
    expect(setOf('meter4_0_port_ssh')?.elem).toBeUndefined();
    // Counted again from the second table, the hit counts are the same.
    const relisted: TableListing = {
      nftables: [metainfo, ...second.nftables.flatMap((cmd): Record<string, unknown>[] => ('add' in cmd && 'rule' in cmd.add
        ? [{ rule: { ...cmd.add.rule, expr: cmd.add.rule.expr.map((e) => ('counter' in e ? { counter: e.counter ?? { packets: 0, bytes: 0 } } : e)) } }]
        : []))],
    };
    expect(hitCountsFromListing(relisted)).toEqual(hitCountsFromListing(listing));
    expect(countersByComment(relisted)).toEqual(countersByComment(listing));
  });
});
