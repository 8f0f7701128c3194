// The protections of issue 5 against real traffic: knocking, brute-force limits, scan detection,
// outbound rules, anti-spoofing, the drop log and hit counts, and rules with an expiry — the
// real helper in the lab's host namespace, nmap / nping / ncat in the outside namespace.
//
// h0 is pinned to Private, h1 to Public. The outside namespace has a second address on o1
// (10.77.1.3, fd00:77:1::3): "another source" on the same network.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { registerTeardown } from '../lab/cleanup';
import { scanKey } from '../lab/nmap';
import type { LabListener } from '../lab/lab';
import type { FirewallClient } from '../../electron/client/firewall-client';
import type { PolicyEditInput } from '../../shared/policy/edits';
import type { PolicyInput, Knocking } from '../../shared/policy/schema';
import { knockSets, limitSets, scanSets } from '../../shared/compiler/dynamic';

const HOST = '10.77.1.1';
const HOST6 = 'fd00:77:1::1';
const ME = '10.77.1.2';
const ME6 = 'fd00:77:1::2';
const OTHER = '10.77.1.3';
const OTHER6 = 'fd00:77:1::3';
const PRIVATE_PEER = '10.77.0.2';

const KNOCK: Knocking = { sequence: [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }, { protocol: 'tcp', port: 7003 }], windowSeconds: 3, openSeconds: 6 };

const POLICY: PolicyInput = {
  version: 1,
  interfaces: { h0: 'private', h1: 'public' },
  portRules: [
    { id: 'knock-ssh', action: 'allow', protocol: 'tcp', ports: { from: 2222, to: 2222 }, profiles: ['public'], knock: KNOCK },
    { id: 'ssh-limit', action: 'allow', protocol: 'tcp', ports: { from: 2223, to: 2223 }, profiles: ['public'], limit: { rates: [{ count: 3, seconds: 10 }], blockSeconds: 6 } },
    { id: 'web', action: 'allow', protocol: 'tcp', ports: { from: 2224, to: 2225 }, profiles: ['public'] },
    { id: 'no-telnet', action: 'block', protocol: 'tcp', ports: { from: 23, to: 23 }, profiles: ['public'] },
  ],
};

let stack: Stack;
let client: FirewallClient;
let listener: LabListener;
let netnsDir: string | undefined;
const spawned: ChildProcess[] = [];

/** The outside namespace's first address of the target's family: "this source" unless a test says otherwise. */
const meFor = (target: string) => (target.includes(':') ? ME6 : ME);

/** A TCP connection from the outside namespace completes (from ME / ME6 unless another source is given). */
async function connects(target: string, port: number, source = meFor(target)): Promise<boolean> {
  const argv = ['ncat', '-z', '-w', '1', '-s', source, target, String(port)];
  return (await stack.lab.exec('outside', argv, { allowFailure: true })).code === 0;
}

async function tcpState(target: string, port: number): Promise<string | undefined> {
  return (await stack.lab.scan({ target, tcp: [port] })).get(scanKey('tcp', port));
}

/** One knock, as a knock client sends it: a TCP SYN (a connect attempt given up at once) or one UDP datagram. */
async function knock(target: string, k: { protocol: 'tcp' | 'udp'; port: number }): Promise<void> {
  const source = meFor(target);
  const argv = k.protocol === 'tcp'
    ? ['ncat', '-z', '-w', '200ms', '-s', source, target, String(k.port)]
    : ['bash', '-c', `echo knock | ncat -u --send-only -s ${source} ${target} ${k.port}`];
  await stack.lab.exec('outside', argv, { allowFailure: true });
}

async function knockAll(target: string, sequence: Knocking['sequence']): Promise<void> {
  for (const k of sequence) await knock(target, k);
}

async function change(...edits: PolicyEditInput[]): Promise<void> {
  await client.call('ChangePolicy', { edits });
}

interface SetElement { val: string; timeout: number; expires: number }

/** Elements of one of the helper's sets, with their timeout (nft leaves out a timeout equal to the set's own) and the time left. */
async function setElements(name: string): Promise<SetElement[]> {
  type Listed = { set?: { timeout?: number; elem?: (string | { elem: { val: string; timeout?: number; expires?: number } })[] } };
  const listing = JSON.parse(await stack.nft(['-j', 'list', 'set', 'inet', 'palisade', name])) as { nftables: Listed[] };
  const set = listing.nftables.find((x) => x.set)?.set;
  return (set?.elem ?? []).map((e) => (typeof e === 'string'
    ? { val: e, timeout: set?.timeout ?? 0, expires: 0 }
    : { val: e.elem.val, timeout: e.elem.timeout ?? set?.timeout ?? 0, expires: e.elem.expires ?? 0 }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await Stack.start({ policy: POLICY, helperArgs: ['--log-capacity', '50'] });
  await stack.lab.exec('outside', ['ip', 'addr', 'add', `${OTHER}/24`, 'dev', 'o1']);
  // Deprecated (preferred_lft 0): used only when bound explicitly, so nmap and ncat still speak from ME6.
  await stack.lab.exec('outside', ['ip', 'addr', 'add', `${OTHER6}/64`, 'dev', 'o1', 'nodad', 'preferred_lft', '0']);
  listener = await stack.lab.listen([2222, 2223, 2224].map((port) => ({ protocol: 'tcp' as const, address: '::', port })));
  client = await stack.client();
}, 120_000);

afterAll(async () => {
  for (const child of spawned) child.kill('SIGKILL');
  await listener?.stop();
  client?.close();
  await stack?.stop();
  if (netnsDir) await rm(netnsDir, { recursive: true, force: true });
});

describe('port knocking', () => {
  const sets = knockSets('knock-ssh', KNOCK);
  // Every test starts with no knock in progress (a scan of the knock ports is itself a knock).
  beforeEach(() => sleep((KNOCK.windowSeconds + 1) * 1000));

  it('the port is filtered before knocking, and the knocks themselves get no answer', async () => {
    expect(await tcpState(HOST, 2222)).toBe('filtered');
    const knocks = await stack.lab.scan({ target: HOST, tcp: [7001, 7003], udp: [7002] });
    expect([knocks.get(scanKey('tcp', 7001)), knocks.get(scanKey('tcp', 7003)), knocks.get(scanKey('udp', 7002))]).toEqual(['filtered', 'filtered', 'open|filtered']);
  });

  it('the wrong order leaves it filtered', async () => {
    await knockAll(HOST, [...KNOCK.sequence].reverse());
    expect(await tcpState(HOST, 2222)).toBe('filtered');
  });

  it('knocking too slowly leaves it filtered', async () => {
    const [first, ...rest] = KNOCK.sequence;
    await knock(HOST, first as Knocking['sequence'][number]);
    await sleep((KNOCK.windowSeconds + 1) * 1000);
    await knockAll(HOST, rest);
    expect(await tcpState(HOST, 2222)).toBe('filtered');
    expect(await setElements(sets.open(4))).toEqual([]);
  });

  it('the right sequence opens it for that source only, for the configured time, then it closes', async () => {
    await knockAll(HOST, KNOCK.sequence);
    expect(await tcpState(HOST, 2222)).toBe('open');
    // Only this address, only this family: another source and this host's IPv6 address are still shut out.
    expect(await connects(HOST, 2222, OTHER)).toBe(false);
    expect(await connects(HOST6, 2222)).toBe(false);
    const open = await setElements(sets.open(4));
    expect(open.map((e) => e.val)).toEqual([ME]);
    expect(open[0]?.timeout).toBe(KNOCK.openSeconds);
    expect(open[0]?.expires).toBeLessThanOrEqual(KNOCK.openSeconds);
    await waitFor('the knocked port to close again', async () => !(await connects(HOST, 2222)), { timeoutMs: (KNOCK.openSeconds + 10) * 1000 });
    expect(await tcpState(HOST, 2222)).toBe('filtered');
  });

  it('IPv6 knocks open the port over IPv6', async () => {
    await knockAll(HOST6, KNOCK.sequence);
    expect(await connects(HOST6, 2222)).toBe(true);
    expect(await connects(HOST6, 2222, OTHER6)).toBe(false);
  });
});

describe('brute-force limits', () => {
  it('the 4th connection within 10 s is dropped, the source stays blocked, others are unaffected', async () => {
    const results: boolean[] = [];
    for (let i = 0; i < 5; i++) results.push(await connects(HOST, 2223));
    expect(results).toEqual([true, true, true, false, false]);
    const blocked = await setElements(limitSets({ kind: 'port', id: 'ssh-limit' }).blocked(4));
    expect(blocked.map((e) => e.val)).toEqual([ME]);
    expect(blocked[0]?.timeout).toBe(6);
    expect(await connects(HOST, 2223, OTHER)).toBe(true);
    // Blocked on that rule only: an unlimited port stays reachable.
    expect(await connects(HOST, 2224)).toBe(true);
    await waitFor('the block to end', () => connects(HOST, 2223), { timeoutMs: 30_000, intervalMs: 1000 });
  });

  it('the over-limit and blocked attempts are counted on the rule', async () => {
    const hits = await client.call('GetHitCounts', {});
    expect(hits.port['ssh-limit-over-limit']).toBeGreaterThanOrEqual(1);
    expect(hits.port['ssh-limit-limited']).toBeGreaterThanOrEqual(1);
    expect(hits.port['ssh-limit']).toBeGreaterThanOrEqual(3);
  });

  it('a blocked source stays blocked when an unrelated rule changes and when the helper restarts', async () => {
    await change({ op: 'addPortRule', rule: { id: 'slow-ssh', action: 'allow', protocol: 'tcp', ports: { from: 2224, to: 2224 }, profiles: ['private'], limit: { rates: [{ count: 1, seconds: 60 }], blockSeconds: 120 } } });
    await change({ op: 'pinInterface', interface: 'h1', profile: 'private' });
    try {
      expect(await connects(HOST, 2224)).toBe(true);
      expect(await connects(HOST, 2224)).toBe(false);
      const before = await client.call('GetHitCounts', {});
      await change({ op: 'addPortRule', rule: { id: 'unrelated', action: 'allow', protocol: 'udp', ports: { from: 9999, to: 9999 }, profiles: ['public'] } });
      expect(await connects(HOST, 2224)).toBe(false);
      const after = await client.call('GetHitCounts', {});
      expect(after.port['slow-ssh-over-limit']).toBeGreaterThanOrEqual(before.port['slow-ssh-over-limit'] ?? Infinity);
      client.close();
      await stack.stopHelper('SIGTERM');
      await stack.startHelper();
      client = await stack.client();
      expect(await connects(HOST, 2224)).toBe(false);
      const left = (await setElements(limitSets({ kind: 'port', id: 'slow-ssh' }).blocked(4)))[0]?.expires ?? 0;
      expect(left).toBeGreaterThan(60);
      expect(left).toBeLessThanOrEqual(120);
    } finally {
      await change({ op: 'pinInterface', interface: 'h1', profile: 'public' }, { op: 'removePortRule', id: 'slow-ssh' }, { op: 'removePortRule', id: 'unrelated' });
    }
  });
});

describe('port-scan detection', () => {
  beforeAll(async () => {
    await change({ op: 'setProfile', profile: 'public', settings: { scanDetection: { enabled: true, ports: 10, withinSeconds: 5, blockSeconds: 8 } } });
  });
  afterAll(async () => {
    await change({ op: 'setProfile', profile: 'public', settings: { scanDetection: { enabled: false, ports: 20, withinSeconds: 5, blockSeconds: 600 } } });
  });

  it('a sweep gets the source blocked on every port, allowed ones too; others are unaffected; it ends after the block time', async () => {
    expect(await connects(HOST, 2224)).toBe(true);
    await stack.lab.scan({ target: HOST, tcp: Array.from({ length: 100 }, (_, i) => 3000 + i) });
    expect(await connects(HOST, 2224)).toBe(false);
    expect(await connects(HOST, 2224, OTHER)).toBe(true);
    expect((await setElements(scanSets('public').scanners(4))).map((e) => e.val)).toEqual([ME]);
    await waitFor('the scan in the log', async () => (await client.call('GetDropLog', { limit: 10_000 })).some((e) => e.kind === 'scan' && e.source === ME));
    await waitFor('the scanner to be forgotten', () => connects(HOST, 2224), { timeoutMs: 30_000, intervalMs: 1000 });
  });
});

describe('outbound rules', () => {
  const received = new Map<string, string>();

  beforeAll(async () => {
    // Outside listeners: TCP 8080 and 8443 on every outside address, and "DNS servers" on two addresses.
    for (const port of [8080, 8443]) spawned.push(stack.lab.spawn('outside', ['ncat', '-l', '-k', '-p', String(port)]));
    for (const address of [ME, OTHER]) {
      const child = stack.lab.spawn('outside', ['socat', '-u', `UDP-RECV:53,bind=${address},reuseaddr`, 'STDOUT']);
      child.stdout?.on('data', (d: Buffer) => received.set(address, (received.get(address) ?? '') + d.toString()));
      spawned.push(child);
    }
    spawned.push(stack.lab.spawn('host', ['ncat', '-l', '-k', '-p', '2225', '--sh-exec', 'echo hello-from-host']));
    // The host namespace's resolver is ME (`ip netns exec` puts /etc/netns/<ns>/resolv.conf in place for the helper).
    netnsDir = `/etc/netns/${stack.lab.hostNs}`;
    const dir = netnsDir;
    registerTeardown(() => { void rm(dir, { recursive: true, force: true }); });
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}/resolv.conf`, `nameserver ${ME}\n`);
    client.close();
    await stack.stopHelper('SIGTERM');
    await stack.startHelper();
    client = await stack.client();
    await change(
      { op: 'setProfile', profile: 'public', settings: { defaultOutbound: 'block' } },
      { op: 'addPortRule', rule: { id: 'web-out', direction: 'out', action: 'allow', protocol: 'tcp', ports: { from: 8443, to: 8443 }, profiles: ['public'] } },
    );
  });
  afterAll(async () => {
    await change({ op: 'setProfile', profile: 'public', settings: { defaultOutbound: 'allow', outboundEssentials: { dns: true, dhcp: true, ntp: true } } }, { op: 'removePortRule', id: 'web-out' });
  });

  const hostConnects = async (target: string, port: number) => (await stack.lab.exec('host', ['ncat', '-z', '-w', '2', target, String(port)], { allowFailure: true })).code === 0;
  const sendDns = async (target: string, text: string) => {
    await stack.lab.exec('host', ['bash', '-c', `echo ${text} | ncat -u -w 1 --send-only ${target} 53`], { allowFailure: true });
  };

  it('with default block on Public, a blocked port is unreachable, an allowed one reachable; Private is untouched', async () => {
    expect(await hostConnects(ME, 8080)).toBe(false);
    expect(await hostConnects(ME, 8443)).toBe(true);
    expect(await hostConnects(PRIVATE_PEER, 8080)).toBe(true);
    await waitFor('the outbound drop in the log', async () => (await client.call('GetDropLog', { limit: 10_000 }))
      .some((e) => e.kind === 'out-default' && e.direction === 'out' && e.destination === ME && e.destinationPort === 8080 && e.interface === 'h1'));
  });

  it('replies to inbound connections still flow', async () => {
    const { stdout } = await stack.lab.exec('outside', ['ncat', '-w', '2', '--recv-only', HOST, '2225'], { allowFailure: true });
    expect(stdout).toContain('hello-from-host');
  });

  it('DNS goes to the configured resolver only, and stops when the essential is switched off', async () => {
    expect((await client.call('GetStatus', {})).resolvers).toEqual([ME]);
    await sendDns(ME, 'query-1');
    await sendDns(OTHER, 'query-2');
    await waitFor('the query at the resolver', () => (received.get(ME) ?? '').includes('query-1'));
    await sleep(500);
    expect(received.get(OTHER) ?? '').not.toContain('query-2');
    await change({ op: 'setProfile', profile: 'public', settings: { outboundEssentials: { dns: false, dhcp: true, ntp: true } } });
    await sendDns(ME, 'query-3');
    await sleep(1000);
    expect(received.get(ME) ?? '').not.toContain('query-3');
  });
});

describe('anti-spoofing', () => {
  const macOf = async (side: 'host' | 'outside', dev: string) => (JSON.parse((await stack.lab.exec(side, ['ip', '-j', 'link', 'show', dev])).stdout) as { address: string }[])[0]?.address ?? '';
  /** TCP SYNs sent raw from o1 with a forged source (nping writes IPv6 headers itself only on Ethernet frames, so it needs both MACs). */
  const spoofed = async (source: string, target: string, count: number) => {
    const six = target.includes(':') ? ['-6', '--send-eth', '--source-mac', await macOf('outside', 'o1'), '--dest-mac', await macOf('host', 'h1')] : [];
    await stack.lab.exec('outside', ['nping', ...six, '-q', '--tcp', '-p', '2224', '-S', source, '-e', 'o1', '-c', String(count), '--delay', '10ms', target]);
  };
  const spoofHits = async () => (await client.call('GetHitCounts', {})).profile['public-spoofed'] ?? 0;

  it('a packet from outside with a source from another interface\'s network is dropped and counted, IPv4 and IPv6', async () => {
    const before = await spoofHits();
    await spoofed('10.77.0.5', HOST, 3);
    await spoofed('fd00:77:0::5', HOST6, 3);
    await waitFor('the spoofed packets counted', async () => (await spoofHits()) >= before + 6);
    await waitFor('the spoofed packets in the log', async () => {
      const log = await client.call('GetDropLog', { limit: 10_000 });
      return log.some((e) => e.kind === 'spoof' && e.source === '10.77.0.5' && e.interface === 'h1' && e.family === 4)
        && log.some((e) => e.kind === 'spoof' && e.source === 'fd00:77::5' && e.interface === 'h1' && e.family === 6);
    });
    // Genuine traffic on both families still passes, neighbour discovery included.
    expect(await connects(HOST, 2224)).toBe(true);
    expect(await connects(HOST6, 2224)).toBe(true);
  });

  it('switched off, the reverse-path filter is gone and spoofed packets are no longer counted', async () => {
    await change({ op: 'setProfile', profile: 'public', settings: { antiSpoofing: false } });
    try {
      const before = await spoofHits();
      expect(await stack.nft(['list', 'chain', 'inet', 'palisade', 'rpfilter_public'])).not.toContain('fib');
      await spoofed('10.77.0.5', HOST, 3);
      expect(await spoofHits()).toBe(before);
    } finally {
      await change({ op: 'setProfile', profile: 'public', settings: { antiSpoofing: true } });
    }
  });
});

describe('the drop log and hit counts', () => {
  it('a scan produces entries with the right fields, for IPv4 and IPv6', async () => {
    await stack.lab.scan({ target: HOST, tcp: [4001, 23] });
    await stack.lab.scan({ target: HOST6, tcp: [4002] });
    await waitFor('the entries', async () => {
      const log = await client.call('GetDropLog', { limit: 10_000 });
      return log.some((e) => e.destinationPort === 4002) && log.some((e) => e.destinationPort === 23);
    });
    const log = await client.call('GetDropLog', { limit: 10_000 });
    expect(log.find((e) => e.destinationPort === 4001)).toMatchObject({
      interface: 'h1', direction: 'in', profile: 'public', kind: 'default', family: 4, protocol: 'tcp', source: ME, destination: HOST,
    });
    expect(log.find((e) => e.destinationPort === 23)).toMatchObject({ kind: 'block', ruleId: 'no-telnet', source: ME });
    expect(log.find((e) => e.destinationPort === 4002)).toMatchObject({ family: 6, source: ME6, destination: HOST6, interface: 'h1' });
    const last = log.at(-1);
    expect(Date.parse(last?.time ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('under a flood the buffer never grows past its bound, and the counters rise on the rules that matched', async () => {
    const before = await client.call('GetHitCounts', {});
    const sizes: number[] = [];
    const flood = stack.lab.exec('outside', ['nping', '-q', '--tcp', '-p', '4000-4999', '--rate', '3000', '-c', '3', HOST], { timeoutMs: 60_000 });
    const telnet = stack.lab.exec('outside', ['nping', '-q', '--tcp', '-p', '23', '--rate', '500', '-c', '1000', HOST], { timeoutMs: 60_000 });
    let done = false;
    void Promise.all([flood, telnet]).finally(() => { done = true; });
    while (!done) {
      sizes.push((await client.call('GetDropLog', { limit: 10_000 })).length);
      await sleep(200);
    }
    sizes.push((await client.call('GetDropLog', { limit: 10_000 })).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(50);
    expect(sizes.at(-1)).toBe(50);
    const after = await client.call('GetHitCounts', {});
    expect((after.port['no-telnet'] ?? 0) - (before.port['no-telnet'] ?? 0)).toBeGreaterThanOrEqual(1000);
    expect((after.profile['public-default-block'] ?? 0) - (before.profile['public-default-block'] ?? 0)).toBeGreaterThanOrEqual(3000);
  }, 120_000);
});

describe('rules with an expiry', () => {
  it('end on time in the kernel even with the helper gone, and are removed from the policy when it comes back', async () => {
    spawned.push(stack.lab.spawn('host', ['ncat', '-l', '-k', '-p', '2226']));
    const soon = new Date(Date.now() + 8_000).toISOString();
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await change(
      { op: 'addPortRule', rule: { id: 'for-a-moment', action: 'allow', protocol: 'tcp', ports: { from: 2226, to: 2226 }, profiles: ['public'], expires: soon } },
      { op: 'addPortRule', rule: { id: 'for-an-hour', action: 'allow', protocol: 'udp', ports: { from: 5000, to: 5010 }, profiles: ['public'], expires: later } },
    );
    await waitFor('the listener', () => connects(HOST, 2226));
    client.close();
    await stack.stopHelper('SIGKILL');
    // No helper: the kernel's own element timeout ends the rule.
    await waitFor('the rule to end without the helper', async () => !(await connects(HOST, 2226)), { timeoutMs: 30_000, intervalMs: 1000 });
    expect(await setElements('until_for-a-moment')).toEqual([]);
    expect(JSON.stringify(await stack.policyFile())).toContain('for-a-moment');
    await stack.startHelper();
    client = await stack.client();
    const policy = await client.call('GetPolicy', {});
    expect(policy.portRules.map((r) => r.id)).not.toContain('for-a-moment');
    expect(policy.portRules.map((r) => r.id)).toContain('for-an-hour');
    expect(JSON.stringify(await stack.policyFile())).not.toContain('for-a-moment');
    // The hour is counted from the rule's expiry, not from the restart.
    const [hour] = await setElements('until_for-an-hour');
    expect(hour?.timeout).toBeLessThanOrEqual(3600);
    expect(hour?.timeout).toBeGreaterThan(3500);
  }, 90_000);
});
