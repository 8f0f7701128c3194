// palisaded as installs run it: the bundle from scripts/build.mjs, with the native modules it
// ships beside it, in the lab's host namespace on a private bus with a real polkitd. It changes
// the kernel through libnftables; without koffi (a platform koffi has no build for) it says so
// and runs the nft command instead, and rule changes still reach the kernel.
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Stack } from '../support/stack';
import { buildHelperBundle, type HelperBundle } from '../support/helper-bundle';

const bundles: HelperBundle[] = [];
afterAll(async () => { for (const b of bundles) await b.dispose(); });

async function freshBundle(): Promise<HelperBundle> {
  const bundle = await buildHelperBundle();
  bundles.push(bundle);
  return bundle;
}

/** The helper's last start-up line: it says how nft is run. */
const startedLine = (log: string) => log.split('\n').filter((l) => l.includes('serving org.palisade.Firewall1')).pop();

/** Starts `bundle`'s helper, adds an allow rule for `port` over D-Bus; its log and the kernel's port map after. */
async function ruleChangeThroughBundle(bundle: HelperBundle, port: number): Promise<{ log: string; inKernel: string }> {
  const stack = await Stack.start({ links: 1, helperBundle: bundle.path });
  try {
    const client = await stack.client();
    try {
      await client.call('ChangePolicy', { edits: [{ op: 'addPortRule', rule: { action: 'allow', protocol: 'tcp', ports: { from: port, to: port }, profiles: ['private', 'public'] } }] });
    } finally {
      client.close();
    }
    return { log: stack.helperLog, inKernel: await stack.nft(['list', 'map', 'inet', 'palisade', 'public_port_allow']) };
  } finally {
    await stack.stop();
  }
}

describe('the helper as installed', () => {
  it('changes the kernel through libnftables, in its own process', async () => {
    const { log, inKernel } = await ruleChangeThroughBundle(await freshBundle(), 45_001);
    expect(startedLine(log)).toContain('ruleset applied through libnftables, in process');
    expect(log).not.toContain('libnftables could not be loaded');
    expect(inKernel).toMatch(/tcp \. 45001 : "palisade:port:/);
  });

  it('without koffi beside it, says why and runs the nft command: changes still reach the kernel', async () => {
    const bundle = await freshBundle();
    await rm(join(dirname(bundle.path), 'node_modules', 'koffi'), { recursive: true, force: true });
    const { log, inKernel } = await ruleChangeThroughBundle(bundle, 45_002);
    expect(log).toMatch(/palisaded: libnftables could not be loaded \(.*koffi.*\); running the nft command instead/);
    expect(startedLine(log)).toContain('ruleset applied through the nft command');
    expect(inKernel).toMatch(/tcp \. 45002 : "palisade:port:/);
  });
});
