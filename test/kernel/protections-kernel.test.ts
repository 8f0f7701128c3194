// The protections' kernel state across a full replacement of the table, in a throwaway lab
// (host and outside namespaces, removed afterwards) with the real NftAdapter: sources the timed
// sets remember (knock progress, sources over a limit, caught scanners) and rule counters are
// read back from the kernel (carriedState), compiled into the next table and are there again,
// never with more time left than before; an unrelated change keeps them; a changed knock
// sequence starts that rule's knocking afresh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ipaddr from 'ipaddr.js';
import { parsePolicy } from '../../shared/policy/validate';
import type { Policy, PolicyInput } from '../../shared/policy/schema';
import { compileRuleset } from '../../shared/compiler/ruleset';
import { knockSets, sourceSets } from '../../shared/compiler/dynamic';
import { emptyAppPorts, type RuntimeState } from '../../shared/runtime/state';
import { carriedState } from '../../shared/runtime/carry-over';
import { countersByComment, type TableListing } from '../../shared/runtime/hit-counts';
import { nftDocument } from '../../shared/nft/json';
import { NftAdapter, type NftListing } from '../../electron/helper/nft';
import { Lab } from '../lab/lab';
import { sendKnocks } from '../lab/knock';
import { scanKey } from '../lab/nmap';

let lab: Lab;
let nft: NftAdapter;

beforeAll(async () => {
  lab = await Lab.create({ links: 1 });
  nft = new NftAdapter({ command: lab.inNamespace('host', ['nft']) });
});
afterAll(async () => { await lab?.destroy(); });

const link = () => {
  const l = lab.links[0];
  if (!l) throw new Error('the lab has no link');
  return l;
};

type PortRuleInput = NonNullable<PolicyInput['portRules']>[number];
const KNOCK = { sequence: [{ protocol: 'tcp' as const, port: 7001 }, { protocol: 'udp' as const, port: 7002 }, { protocol: 'tcp' as const, port: 7003 }], windowSeconds: 60, openSeconds: 300 };

/** Every protection at once, on Public (the lab's interface). */
function fullPolicy(change: { unrelatedPort?: number; knock?: typeof KNOCK } = {}): Policy {
  const inHour = new Date(Date.now() + 3600_000).toISOString();
  const rules: PortRuleInput[] = [
    { id: 'ssh', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['public'], limit: { rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 1800 } },
    { id: 'web', action: 'allow', protocol: 'tcp', ports: { from: 8080, to: 8080 }, profiles: ['public'], knock: change.knock ?? KNOCK },
    { id: 'tmp', action: 'allow', protocol: 'both', ports: { from: 9000, to: 9001 }, profiles: ['public'], expires: inHour },
    { id: 'no-smtp', direction: 'out', action: 'block', protocol: 'tcp', ports: { from: 25, to: 25 }, profiles: ['public'] },
    { id: 'unrelated', action: 'allow', protocol: 'udp', ports: { from: change.unrelatedPort ?? 5000, to: change.unrelatedPort ?? 5000 }, profiles: ['public'] },
  ];
  return parsePolicy({
    version: 1,
    profiles: { public: { scanDetection: { enabled: true, ports: 20, withinSeconds: 5, blockSeconds: 600 }, defaultOutbound: 'block' } },
    portRules: rules,
  });
}

function runtime(carried: Pick<RuntimeState, 'remembered' | 'counters'> = {}): RuntimeState {
  return { interfaces: { [link().hostIf]: 'public' }, appPorts: emptyAppPorts(), now: new Date().toISOString(), resolvers: ['10.77.0.53'], ...carried };
}

async function listing(): Promise<TableListing> {
  const l: NftListing | null = await nft.readTable();
  if (!l) throw new Error('no table in the lab');
  return l;
}

/** A set's elements in a listing: address (or element JSON) → seconds left. */
function elementsOf(l: TableListing, name: string): Map<string, number> {
  const set = l.nftables.map((o) => o.set as { name?: string; elem?: unknown[] } | undefined).find((s) => s?.name === name);
  if (!set) throw new Error(`no set ${name} in the table`);
  const out = new Map<string, number>();
  for (const e of set.elem ?? []) {
    const el = (e as { elem?: { val: unknown; expires?: number } }).elem;
    out.set(typeof el?.val === 'string' ? el.val : JSON.stringify(el ? el.val : e), el?.expires ?? Infinity);
  }
  return out;
}

const setNamesOf = (l: TableListing) => l.nftables.flatMap((o) => ((o.set as { name?: string } | undefined)?.name ? [(o.set as { name: string }).name] : []));

/** `nft add element`, as JSON through the adapter. */
async function addElement(set: string, address: string, timeout: number): Promise<void> {
  await nft.apply(nftDocument([{ add: { element: { family: 'inet', table: 'palisade', name: set, elem: [{ elem: { val: address, timeout } }] } } }]));
}

/** Replaces the table the way the helper does: read it, carry over what it holds, apply the new one. */
async function replaceWith(policy: Policy): Promise<{ before: TableListing; after: TableListing }> {
  const before = await listing();
  await nft.apply(compileRuleset(policy, runtime(carriedState(before))));
  return { before, after: await listing() };
}

/** Every remembering set's sources came through, with no more time left than before; meters start empty. */
function expectCarried(policy: Policy, before: TableListing, after: TableListing): void {
  const names = new Set(setNamesOf(before));
  for (const s of sourceSets(policy, new Date().toISOString())) {
    const now = elementsOf(after, s.name);
    if (!s.remembers) {
      expect([...now.keys()], `meter ${s.name} starts empty`).toEqual([]);
      continue;
    }
    const then = names.has(s.name) ? elementsOf(before, s.name) : new Map<string, number>();
    expect([...now.keys()].sort(), s.name).toEqual([...then.keys()].filter((a) => (then.get(a) ?? 0) > 0).sort());
    for (const [address, left] of now) {
      expect(left, `${s.name} ${address}`).toBeLessThanOrEqual(then.get(address) ?? -1);
      expect(left, `${s.name} ${address}`).toBeGreaterThan(0);
    }
  }
}

async function fresh(policy: Policy): Promise<void> {
  await nft.removeTable();
  await lab.flushConntrack();
  await nft.apply(compileRuleset(policy, runtime()));
}

describe('protections across a full replacement', () => {
  it('remembered sources, knock progress, counters and the expiry survive; the carried knock progress still opens the port', async () => {
    const policy = fullPolicy();
    await fresh(policy);
    const { hostV4, hostV6, outsideV4, outsideV6 } = link();
    const tag = knockSets('web', KNOCK);

    // Real traffic from outside: two knocks of three over IPv4, one over IPv6, and three
    // connection attempts to a closed port.
    await sendKnocks(lab, hostV4, [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }, { protocol: 'tcp', port: 6000 }, { protocol: 'tcp', port: 6001 }, { protocol: 'tcp', port: 6002 }]);
    await sendKnocks(lab, hostV6, [{ protocol: 'tcp', port: 7001 }]);
    // Sources blocked by hand, as a limit or scan detection would have blocked them; a meter entry.
    await addElement('limited4_port_ssh', outsideV4, 1000);
    await addElement('limited6_port_ssh', '2001:db8::66', 500);
    await addElement('scanners4_public', '192.0.2.66', 300);
    await addElement('scanners6_public', '2001:db8::99', 200);
    await addElement('meter4_0_port_ssh', '198.51.100.9', 10);
    // A blocked source knocking on the limited port is counted on the rule that blocks it.
    await sendKnocks(lab, hostV4, [{ protocol: 'tcp', port: 22 }]);

    const first = await listing();
    expect([...elementsOf(first, tag.stage(1, 4)).keys()]).toEqual([outsideV4]);
    expect([...elementsOf(first, tag.stage(2, 4)).keys()]).toEqual([outsideV4]);
    // (nft lists addresses in their canonical form.)
    expect([...elementsOf(first, tag.stage(1, 6)).keys()]).toEqual([ipaddr.parse(outsideV6).toString()]);
    expect([...elementsOf(first, tag.open(4)).keys()]).toEqual([]);
    const counted = countersByComment(first);
    expect(counted['palisade:profile:public-default-block']?.packets).toBe(3);
    expect(counted['palisade:port:ssh-limited']?.packets).toBe(1);

    // Let a second pass, so that time left visibly runs down.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const carried = carriedState(first);
    expect(carried.remembered?.limited4_port_ssh).toEqual([{ address: outsideV4, family: 4, expiresInSeconds: expect.any(Number) as number }]);
    const { before, after } = await replaceWith(policy);
    expectCarried(policy, before, after);
    expect([...elementsOf(after, 'limited4_port_ssh').keys()]).toEqual([outsideV4]);
    expect(elementsOf(after, 'limited4_port_ssh').get(outsideV4)).toBeLessThan(1000);
    expect([...elementsOf(after, 'scanners6_public').keys()]).toEqual(['2001:db8::99']);
    expect([...elementsOf(after, tag.stage(2, 4)).keys()]).toEqual([outsideV4]);

    // Counters start where the replaced table left them.
    const again = countersByComment(after);
    for (const [comment, c] of Object.entries(countersByComment(before))) {
      expect(again[comment]?.packets, comment).toBeGreaterThanOrEqual(c.packets);
      expect(again[comment]?.bytes, comment).toBeGreaterThanOrEqual(c.bytes);
    }
    expect(again['palisade:profile:public-default-block']).toEqual(counted['palisade:profile:public-default-block']);
    expect(again['palisade:port:ssh-limited']).toEqual(counted['palisade:port:ssh-limited']);

    // The expiry set keeps counting down from the rule's own time, not from the start.
    const untilBefore = elementsOf(before, 'until_tmp');
    const untilAfter = elementsOf(after, 'until_tmp');
    expect([...untilAfter.keys()].sort()).toEqual([...untilBefore.keys()].sort());
    for (const [k, left] of untilAfter) expect(left).toBeLessThanOrEqual(untilBefore.get(k) ?? -1);

    // The carried progress is real: the third knock opens the port for that source only.
    const listener = await lab.listen([{ protocol: 'tcp', address: '::', port: 8080 }]);
    try {
      expect((await lab.scan({ target: hostV4, tcp: [8080] })).get(scanKey('tcp', 8080))).toBe('filtered');
      await sendKnocks(lab, hostV4, [{ protocol: 'tcp', port: 7003 }]);
      expect((await lab.scan({ target: hostV4, tcp: [8080] })).get(scanKey('tcp', 8080))).toBe('open');
      expect((await lab.scan({ target: hostV6, tcp: [8080] })).get(scanKey('tcp', 8080))).toBe('filtered');
    } finally {
      await listener.stop();
    }
  });

  it('changing an unrelated rule keeps everything; changing the knock sequence drops that rule\'s progress only', async () => {
    const policy = fullPolicy();
    await fresh(policy);
    const { hostV4, outsideV4 } = link();
    const oldTag = knockSets('web', KNOCK);
    await sendKnocks(lab, hostV4, [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }, { protocol: 'tcp', port: 6000 }]);
    await addElement(oldTag.open(4), '192.0.2.44', 250);
    await addElement('limited4_port_ssh', '192.0.2.7', 900);
    await addElement('scanners6_public', '2001:db8::5', 100);

    // An unrelated rule changes (and one comes along): nothing is forgotten.
    const unrelated = fullPolicy({ unrelatedPort: 5001 });
    const step1 = await replaceWith(unrelated);
    expectCarried(unrelated, step1.before, step1.after);
    expect([...elementsOf(step1.after, oldTag.stage(2, 4)).keys()]).toEqual([outsideV4]);
    expect([...elementsOf(step1.after, oldTag.open(4)).keys()]).toEqual(['192.0.2.44']);
    expect(countersByComment(step1.after)['palisade:profile:public-default-block']?.packets).toBe(1);
    expect(countersByComment(step1.after)['palisade:port:unrelated']).toEqual({ packets: 0, bytes: 0 });

    // The knock sequence changes: the old stage sets are gone, the new ones start empty; the
    // other protections keep what they remembered.
    const newKnock = { ...KNOCK, sequence: [{ protocol: 'tcp' as const, port: 7101 }, { protocol: 'tcp' as const, port: 7102 }] };
    const rekeyed = fullPolicy({ unrelatedPort: 5001, knock: newKnock });
    const step2 = await replaceWith(rekeyed);
    const newTag = knockSets('web', newKnock);
    const names = setNamesOf(step2.after);
    for (const f of [4, 6] as const) {
      for (const i of [1, 2, 3]) expect(names).not.toContain(oldTag.stage(i, f));
      for (const i of [1, 2]) expect([...elementsOf(step2.after, newTag.stage(i, f)).keys()]).toEqual([]);
    }
    expect(names.filter((n) => n.startsWith('knock'))).toHaveLength(4);
    expect([...elementsOf(step2.after, 'limited4_port_ssh').keys()]).toEqual(['192.0.2.7']);
    expect([...elementsOf(step2.after, 'scanners6_public').keys()]).toEqual(['2001:db8::5']);
    expectCarried(rekeyed, step2.before, step2.after);
    expect(countersByComment(step2.after)['palisade:profile:public-default-block']?.packets).toBe(1);
  });

  it('a knock sequence that repeats a knock (7001, 7001, 7002) opens the port in the kernel', async () => {
    const repeated = { ...KNOCK, sequence: [{ protocol: 'tcp' as const, port: 7001 }, { protocol: 'tcp' as const, port: 7001 }, { protocol: 'tcp' as const, port: 7002 }] };
    await fresh(fullPolicy({ knock: repeated }));
    const { hostV4, outsideV4 } = link();
    const listener = await lab.listen([{ protocol: 'tcp', address: '::', port: 8080 }]);
    try {
      await sendKnocks(lab, hostV4, repeated.sequence);
      expect([...elementsOf(await listing(), knockSets('web', repeated).open(4)).keys()]).toEqual([outsideV4]);
      expect((await lab.scan({ target: hostV4, tcp: [8080] })).get(scanKey('tcp', 8080))).toBe('open');
    } finally {
      await listener.stop();
    }
  });

  it('a source put back as blocked really is blocked by the new table, and forgotten on time', async () => {
    const policy = fullPolicy();
    await fresh(policy);
    const { hostV4, outsideV4 } = link();
    const listener = await lab.listen([{ protocol: 'tcp', address: '::', port: 22 }]);
    try {
      expect((await lab.scan({ target: hostV4, tcp: [22] })).get(scanKey('tcp', 22))).toBe('open');
      await addElement('limited4_port_ssh', outsideV4, 4);
      const { after } = await replaceWith(policy);
      expect(elementsOf(after, 'limited4_port_ssh').get(outsideV4)).toBeLessThanOrEqual(4);
      expect((await lab.scan({ target: hostV4, tcp: [22] })).get(scanKey('tcp', 22))).toBe('filtered');
      await new Promise((resolve) => setTimeout(resolve, 4500));
      expect((await lab.scan({ target: hostV4, tcp: [22] })).get(scanKey('tcp', 22))).toBe('open');
    } finally {
      await listener.stop();
    }
  });
});
