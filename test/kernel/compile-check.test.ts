// Property: every valid policy, with any runtime state, compiles to a transaction the kernel
// accepts (`nft -c` in a throwaway network namespace), and so do the element-only updates.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePolicy } from '../../shared/policy/validate';
import { compileAppPortsUpdate, compileInterfaceUpdate, compileRuleset } from '../../shared/compiler/ruleset';
import { nftDocument, type NftDocument } from '../../shared/nft/json';
import { NftAdapter, NftError } from '../../electron/helper/nft';
import { policyInput, runtimeState } from '../support/arbitraries';

// `unshare -n`: each check runs in a brand-new, empty network namespace that vanishes with it.
const throwaway = new NftAdapter({ command: ['unshare', '--net', 'nft'] });

/** The full ruleset followed by an update, as one transaction: the update is checked against the table it targets. */
function followedBy(full: NftDocument, update: NftDocument): NftDocument {
  return nftDocument([...full.nftables.slice(1), ...update.nftables.slice(1)] as NftDocument['nftables']);
}

describe('compiled rulesets are accepted by the kernel', () => {
  it('for every generated valid policy and runtime state', async () => {
    await fc.assert(
      fc.asyncProperty(policyInput, runtimeState, runtimeState, async (input, runtime, later) => {
        const policy = parsePolicy(input);
        const full = compileRuleset(policy, runtime);
        await throwaway.check(full);
        await throwaway.check(followedBy(full, compileInterfaceUpdate(later)));
        await throwaway.check(followedBy(full, compileAppPortsUpdate(later.appPorts)));
      }),
      { numRuns: 150 },
    );
  });

  it('the check is real: a broken document is refused with nft\'s own message', async () => {
    const doc = compileRuleset(parsePolicy({ version: 1 }), { interfaces: {}, appPorts: { private: { allow: [], block: [] }, public: { allow: [], block: [] } } });
    const broken = nftDocument([...doc.nftables.slice(1), { add: { rule: { family: 'inet', table: 'palisade', chain: 'input', expr: [{ goto: { target: 'no_such_chain' } }] } } }] as NftDocument['nftables']);
    const err = await throwaway.check(broken).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NftError);
    expect((err as NftError).operation).toBe('check');
    expect((err as NftError).nftMessage).toMatch(/Error:/);
  });
});
