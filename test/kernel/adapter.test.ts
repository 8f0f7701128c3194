// The nftables adapter against a real kernel, inside a lab namespace: through the nft command,
// and through libnftables in a process inside the namespace (the helper's way).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/policy/validate';
import { compileAppPortsUpdate, compileInterfaceUpdate, compileRuleset } from '../../shared/compiler/ruleset';
import { emptyRuntime, type RuntimeState } from '../../shared/runtime/state';
import { nftDocument, type NftDocument } from '../../shared/nft/json';
import { NftAdapter, NftError, type NftListing } from '../../electron/helper/nft';
import { Lab } from '../lab/lab';
import { LibnftablesInLab } from '../support/libnftables-in-lab';

let lab: Lab;
let libnftables: LibnftablesInLab;
const adapters: Record<string, NftAdapter> = {};

beforeAll(async () => {
  lab = await Lab.create({ links: 1 });
  libnftables = await LibnftablesInLab.start(lab);
  adapters['the nft command'] = new NftAdapter({ command: lab.inNamespace('host', ['nft']) });
  adapters.libnftables = new NftAdapter({ runner: libnftables });
});
afterAll(async () => {
  await libnftables?.stop();
  await lab?.destroy();
});

const policy = parsePolicy({
  version: 1,
  portRules: [{ id: 'ssh', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['private'] }],
});
const runtime = (): RuntimeState => ({ ...emptyRuntime(), interfaces: { h0: 'private' } });

const objects = (listing: NftListing | null, kind: string) => (listing?.nftables ?? []).filter((o) => kind in o).map((o) => o[kind] as Record<string, unknown>);
const ruleHandles = (listing: NftListing | null) => objects(listing, 'rule').map((r) => `${String(r.chain)}#${String(r.handle)}`);

describe.each(['the nft command', 'libnftables'])('NftAdapter through %s', (way) => {
  let nft: NftAdapter;
  beforeAll(() => { nft = adapters[way] as NftAdapter; });

  it('reads back nothing before anything is applied, and removing nothing is fine', async () => {
    await nft.removeTable();
    expect(await nft.readTable()).toBeNull();
    expect(await nft.readTableText()).toBeNull();
  });

  it('a check alone commits nothing', async () => {
    await nft.check(compileRuleset(policy, runtime()));
    expect(await nft.readTable()).toBeNull();
  });

  it('applies a ruleset and reads it back', async () => {
    await nft.apply(compileRuleset(policy, runtime()));
    const listing = await nft.readTable();
    const chains = objects(listing, 'chain').map((c) => c.name);
    expect(chains).toEqual(expect.arrayContaining(['input', 'essentials', 'rpfilter_private', 'in_private', 'in_public', 'deny_private', 'deny_public', 'out_public']));
    const map = objects(listing, 'map').find((m) => m.name === 'iface_in');
    expect(map?.elem).toEqual([['h0', { goto: { target: 'in_private' } }]]);
    // A plain allow rule is an element of its profile's port map, counting on its own counter.
    const text = await nft.readTableText();
    expect(text).toContain('counter palisade:port:ssh {');
    expect(text).toMatch(/tcp \. 22 : "palisade:port:ssh"/);
  });

  it('applying the same document twice leaves the same table', async () => {
    const doc = compileRuleset(policy, runtime());
    await nft.apply(doc);
    const first = await nft.readTableText();
    await nft.apply(doc);
    expect(await nft.readTableText()).toBe(first);
  });

  it('refuses a bad transaction with nft\'s message and leaves the kernel as it was', async () => {
    await nft.apply(compileRuleset(policy, runtime()));
    const before = await nft.readTableText();
    const good = compileRuleset(parsePolicy({ version: 1, profiles: { private: { stealth: false } } }), runtime());
    const bad: NftDocument = nftDocument([
      ...good.nftables.slice(1),
      { add: { rule: { family: 'inet', table: 'palisade', chain: 'in_private', expr: [{ jump: { target: 'missing_chain' } }] } } },
    ] as NftDocument['nftables']);
    const err = await nft.apply(bad).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NftError);
    expect((err as NftError).operation).toBe('check');
    expect((err as NftError).message).toMatch(/nft check failed: .*Error/s);
    expect(await nft.readTableText()).toBe(before);
  });

  it('profile switches and app openings change elements only: every rule keeps its handle', async () => {
    await nft.apply(compileRuleset(policy, runtime()));
    const before = await nft.readTable();
    await nft.apply(compileInterfaceUpdate({ interfaces: { h0: 'public', h9: 'private' } }));
    const ports = emptyRuntime().appPorts;
    ports.public.allow = [{ protocol: 'tcp', port: 8080 }, { protocol: 'udp', port: 5353 }];
    ports.private.block = [{ protocol: 'tcp', port: 4444 }];
    await nft.apply(compileAppPortsUpdate(ports, policy));
    const after = await nft.readTable();
    expect(ruleHandles(after)).toEqual(ruleHandles(before));
    expect(objects(after, 'map').find((m) => m.name === 'iface_in')?.elem).toEqual([
      ['h0', { goto: { target: 'in_public' } }],
      ['h9', { goto: { target: 'in_private' } }],
    ]);
    expect(objects(after, 'set').find((s) => s.name === 'public_app_allow')?.elem).toEqual([{ concat: ['tcp', 8080] }, { concat: ['udp', 5353] }]);
    expect(objects(after, 'set').find((s) => s.name === 'private_app_block')?.elem).toEqual([{ concat: ['tcp', 4444] }]);
    await nft.apply(compileAppPortsUpdate(emptyRuntime().appPorts, policy));
    expect(objects(await nft.readTable(), 'set').find((s) => s.name === 'public_app_allow')?.elem).toBeUndefined();
  });

  it('removes its table', async () => {
    await nft.apply(compileRuleset(policy, runtime()));
    await nft.removeTable();
    expect(await nft.readTable()).toBeNull();
  });
});

describe('libnftables and the nft command', () => {
  it('list the same table the same way, and refuse the same document with the same message', async () => {
    const [command, library] = [adapters['the nft command'] as NftAdapter, adapters.libnftables as NftAdapter];
    await library.apply(compileRuleset(policy, runtime()));
    expect(await library.readTableText()).toBe(await command.readTableText());
    expect(await library.readTable()).toEqual(await command.readTable());
    const bad = nftDocument([{ add: { element: { family: 'inet', table: 'palisade', name: 'no_such_map', elem: [1] } } }] as NftDocument['nftables']);
    const refusals = await Promise.all([command, library].map((a) => a.applyElements(bad).then(() => null, (e: unknown) => (e as Error).message)));
    expect(refusals[0]).toMatch(/^nft apply failed: .*No such file or directory/s);
    expect(refusals[1]).toBe(refusals[0]);
  });
});

describe('what the compiler leaves to nft', () => {
  let nft: NftAdapter;
  beforeAll(() => { nft = adapters.libnftables as NftAdapter; });

  it('nft merges overlapping networks and port ranges in anonymous sets', async () => {
    const overlapping = parsePolicy({
      version: 1,
      profiles: { private: { stealth: true } },
      portRules: [
        { id: 'a', action: 'allow', protocol: 'both', ports: { from: 8000, to: 8010 }, profiles: ['private'], alwaysOpen: true },
        { id: 'b', action: 'allow', protocol: 'tcp', ports: { from: 8005, to: 8020 }, profiles: ['private'], alwaysOpen: true },
        { id: 'c', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['private'], remote: ['10.1.0.0/16', '10.0.0.0/8', '10.1.2.3', 'fd00::/8', 'fd00:1::/32'] },
      ],
    });
    await nft.apply(compileRuleset(overlapping, runtime()));
    const text = await nft.readTableText();
    expect(text).toContain('ip saddr { 10.0.0.0/8 }');
    expect(text).toContain('ip6 saddr { fd00::/8 }');
    expect(text).toContain('tcp sport { 8000-8020 }');
  });
});
