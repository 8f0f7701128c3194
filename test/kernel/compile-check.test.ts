// Property: every valid policy, with any runtime state, compiles to a transaction the kernel
// accepts (`nft -c` in a throwaway network namespace), and so do the element-only updates and
// the state a replacement carries over (remembered sources, counter values).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { parsePolicy } from '../../shared/policy/validate';
import type { Policy } from '../../shared/policy/schema';
import { compileAppPortsUpdate, compileInterfaceUpdate, compileRuleset } from '../../shared/compiler/ruleset';
import { sourceSets } from '../../shared/compiler/dynamic';
import { nftDocument, type NftDocument } from '../../shared/nft/json';
import { NftAdapter, NftError } from '../../electron/helper/nft';
import { emptyAppPorts, type RememberedSource, type RuleCounter, type RuntimeState } from '../../shared/runtime/state';
import { policyInput, runtimeState } from '../support/arbitraries';

// `unshare -n`: each check runs in a brand-new, empty network namespace that vanishes with it.
const throwaway = new NftAdapter({ command: ['unshare', '--net', 'nft'] });

/** The full ruleset followed by an update, as one transaction: the update is checked against the table it targets. */
function followedBy(full: NftDocument, update: NftDocument): NftDocument {
  return nftDocument([...full.nftables.slice(1), ...update.nftables.slice(1)] as NftDocument['nftables']);
}

/** Every rule comment of a document. */
function commentsOf(doc: NftDocument): string[] {
  return [...new Set(doc.nftables.flatMap((c) => ('add' in c && 'rule' in c.add && c.add.rule.comment ? [c.add.rule.comment] : [])))];
}

/**
 * What a replaced table could have held: sources picked for sets by index (so they land in the
 * sets the policy really has), of the set's family or — now and then — of the other one, with
 * any time left (none, a fraction, more than the set's own timeout); counters on rules picked by
 * index, up to the largest exact integer.
 */
const carried = fc.record({
  sources: fc.array(fc.record({
    set: fc.nat(),
    v4: fc.ipV4(),
    v6: fc.ipV6().map((a) => ipaddr.parse(a).toString()),
    wrongFamily: fc.boolean(),
    expires: fc.oneof(fc.integer({ min: -10, max: 30 * 86400 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
  }), { maxLength: 16 }),
  counters: fc.array(fc.record({ rule: fc.nat(), packets: fc.nat({ max: Number.MAX_SAFE_INTEGER }), bytes: fc.nat({ max: Number.MAX_SAFE_INTEGER }) }), { maxLength: 12 }),
  foreign: fc.boolean(),
});

type Carried = typeof carried extends fc.Arbitrary<infer T> ? T : never;

function carriedRuntime(policy: Policy, runtime: RuntimeState, c: Carried): RuntimeState {
  const sets = sourceSets(policy, runtime.now);
  const remembered: Record<string, RememberedSource[]> = {};
  if (sets.length) {
    for (const s of c.sources) {
      const set = sets[s.set % sets.length];
      if (!set) continue;
      const family = s.wrongFamily ? (set.family === 4 ? 6 : 4) : set.family;
      const address = family === 4 ? s.v4 : s.v6;
      const list = (remembered[set.name] ??= []);
      // A kernel set holds each address once.
      if (!list.some((r) => r.address === address)) list.push({ address, family, expiresInSeconds: s.expires });
    }
  }
  // Sets that no longer exist are ignored.
  if (c.foreign) remembered.limited4_port_gone = [{ address: '192.0.2.1', family: 4, expiresInSeconds: 5 }];
  const comments = commentsOf(compileRuleset(policy, runtime));
  const counters: Record<string, RuleCounter> = {};
  for (const k of c.counters) {
    const comment = comments[k.rule % comments.length];
    if (comment) counters[comment] = { packets: k.packets, bytes: k.bytes };
  }
  if (c.foreign) counters['palisade:port:gone'] = { packets: 1, bytes: 1 };
  return { ...runtime, remembered, counters };
}

describe('compiled rulesets are accepted by the kernel', () => {
  it('for every generated valid policy and runtime state', async () => {
    await fc.assert(
      fc.asyncProperty(policyInput, runtimeState, runtimeState, async (input, runtime, later) => {
        const policy = parsePolicy(input);
        const full = compileRuleset(policy, runtime);
        await throwaway.check(full);
        await throwaway.check(followedBy(full, compileInterfaceUpdate(later)));
        await throwaway.check(followedBy(full, compileAppPortsUpdate(later.appPorts, policy)));
      }),
      { numRuns: 150 },
    );
  });

  it('with any remembered sources and counter values carried over from a replaced table', async () => {
    let withSources = 0;
    let withCounters = 0;
    await fc.assert(
      fc.asyncProperty(policyInput, runtimeState, carried, async (input, runtime, c) => {
        const policy = parsePolicy(input);
        const state = carriedRuntime(policy, runtime, c);
        const doc = compileRuleset(policy, state);
        if (JSON.stringify(doc).includes('"elem":{"val"')) withSources++;
        if (JSON.stringify(doc).includes('"counter":{"packets"')) withCounters++;
        await throwaway.check(doc);
      }),
      { numRuns: 150 },
    );
    // The property exercised what it is about.
    expect(withSources).toBeGreaterThan(10);
    expect(withCounters).toBeGreaterThan(10);
  });

  it('the check is real: a broken document is refused with nft\'s own message', async () => {
    const doc = compileRuleset(parsePolicy({ version: 1 }), { interfaces: {}, appPorts: emptyAppPorts() });
    const broken = nftDocument([...doc.nftables.slice(1), { add: { rule: { family: 'inet', table: 'palisade', chain: 'input', expr: [{ goto: { target: 'no_such_chain' } }] } } }] as NftDocument['nftables']);
    const err = await throwaway.check(broken).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NftError);
    expect((err as NftError).operation).toBe('check');
    expect((err as NftError).nftMessage).toMatch(/Error:/);
  });

  it('the check is real for carried sources too: an address of the wrong family in a set is refused', async () => {
    const policy = parsePolicy({ version: 1, portRules: [{ id: 'ssh', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['public'], limit: { rates: [{ count: 3, seconds: 10 }], blockSeconds: 60 } }] });
    const doc = compileRuleset(policy, { interfaces: {}, appPorts: emptyAppPorts(), remembered: { limited4_port_ssh: [{ address: '192.0.2.1', family: 4, expiresInSeconds: 30 }] } });
    await throwaway.check(doc);
    const text = JSON.stringify(doc);
    expect(text).toContain('"elem":[{"elem":{"val":"192.0.2.1","timeout":30}}]');
    const broken = JSON.parse(text.replace('"val":"192.0.2.1"', '"val":"2001:db8::1"')) as NftDocument;
    await expect(throwaway.check(broken)).rejects.toBeInstanceOf(NftError);
  });
});
