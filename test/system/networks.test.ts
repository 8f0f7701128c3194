// Profiles that follow the network, on the whole stack: palisaded in the lab's host namespace on a
// private system bus with a real polkitd, driven by the palisade CLI, checked with nmap from the
// outside namespace and with the kernel's own ruleset.
//
// 1. Without NetworkManager the network is the default gateway's IP + MAC: a new gateway on h0 is
//    a new network (Public, NewNetwork signal), the user makes it Private, the machine moves to
//    another router on the same interface (another MAC), to another gateway address, and back;
//    a profile switch rewrites only the iface_* map elements (table and rule handles unchanged).
//    Across a helper restart the Private network stays Private, and a network first seen while
//    the helper starts is new (Public) and announced; lastSeen follows the visits.
// 2. With NetworkManager (the stand-in on the bus before the helper starts) the network is the
//    connection: the primary connection changes on h0 from a Private Wi-Fi to a new café Wi-Fi
//    and back (roaming between access points of the same Wi-Fi keeps its profile).
// 3. Two interfaces in two profiles at once, by gateway and by NetworkManager connection.
//
// Every scan result is also compared with the helper's own prediction (`palisade exposure`).
// Waits poll every 200 ms up to a generous deadline and only wait: no timing is asserted.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Stack, type CliResult } from '../support/stack';
import { SAMPLE_CONNECTIONS } from '../support/fake-networkmanager';
import type { LabListener } from '../lab/lab';
import type { FirewallClient } from '../../electron/client/firewall-client';
import { InterfaceExposureSchema, NetworksSchema, StatusSchema, type SignalPayload, type Status } from '../../shared/dbus/contract';
import type { z } from 'zod';

type Networks = z.infer<typeof NetworksSchema>;
type NewNetwork = SignalPayload<'NewNetwork'>;

const POLL_MS = 200;
const DEADLINE_MS = 10_000;
const PORT = 8080;

const sleep = (ms: number) => new Promise<void>((resolve) => { setTimeout(resolve, ms); });

/** The last lines of the helper's log, for failure messages. */
function helperTail(stack: Stack, lines = 60): string {
  return stack.helperLog.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Polls `probe` until `done` holds for its value; fails with the last value and the helper log. */
async function until<T>(stack: Stack, what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (done(value)) return value;
      last = value;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs / 1000} s\nlast seen: ${JSON.stringify(last, null, 2)}\nhelper log:\n${helperTail(stack)}`);
    }
    await sleep(POLL_MS);
  }
}

function ok(stack: Stack, res: CliResult, what: string): CliResult {
  if (res.code !== 0) throw new Error(`${what}: palisade exited ${res.code}\nstdout: ${res.stdout}\nstderr: ${res.stderr}\nhelper log:\n${helperTail(stack)}`);
  return res;
}

async function cliStatus(stack: Stack): Promise<Status> {
  return StatusSchema.parse(JSON.parse(ok(stack, await stack.cli(['status', '--json']), 'status --json').stdout));
}

async function cliNetworks(stack: Stack): Promise<Networks> {
  return NetworksSchema.parse(JSON.parse(ok(stack, await stack.cli(['network', 'list', '--json']), 'network list --json').stdout));
}

const profileOf = (status: Status, iface: string) => status.interfaces.find((i) => i.name === iface)?.profile;
const activeOn = (networks: Networks, iface: string) => networks.active.find((n) => n.interface === iface);

/** `interface → verdict target` of one of the helper's interface maps, as the kernel holds it. */
async function interfaceMap(stack: Stack, map = 'iface_in'): Promise<Record<string, string>> {
  const doc = JSON.parse(await stack.nft(['-j', 'list', 'map', 'inet', 'palisade', map])) as { nftables: Record<string, unknown>[] };
  const entry = doc.nftables.find((e) => 'map' in e)?.map as { elem?: [unknown, Record<string, { target?: string }>][] } | undefined;
  const result: Record<string, string> = {};
  for (const [key, verdict] of entry?.elem ?? []) {
    const target = Object.values(verdict)[0]?.target;
    if (typeof key === 'string' && target !== undefined) result[key] = target;
  }
  return result;
}

/**
 * Every object of the helper's table with its kernel handle (`nft -a`), counters left out: the table
 * itself, its chains, sets, maps and rules. Rewriting map elements leaves this unchanged; reloading
 * the rules does not (a table replaced in one transaction gets a new table handle, even though the
 * handles inside it restart from the same numbers).
 */
async function tableHandles(stack: Stack): Promise<string[]> {
  const text = await stack.nft(['-a', 'list', 'table', 'inet', 'palisade']);
  return text.split('\n').filter((line) => /# handle \d+\s*$/.test(line)).map((line) => line.replace(/\bcounter packets \d+ bytes \d+/g, 'counter').trim());
}

/** The rule handles of a profile's input chain. */
async function ruleHandles(stack: Stack, chain: string): Promise<string[]> {
  const text = await stack.nft(['-a', 'list', 'chain', 'inet', 'palisade', chain]);
  return [...text.matchAll(/# handle (\d+)/g)].map((m) => m[1] ?? '');
}

/** Waits until the helper reports `profile` on `iface` and the kernel's iface_in map says the same. */
async function profileInForce(stack: Stack, iface: string, profile: 'private' | 'public', step: string): Promise<void> {
  await until(stack, `${step}: status shows ${iface} ${profile}`, () => cliStatus(stack), (s) => profileOf(s, iface) === profile);
  await until(stack, `${step}: iface_in maps ${iface} to in_${profile}`, () => interfaceMap(stack), (m) => m[iface] === `in_${profile}`);
}

async function scanTcp(stack: Stack, target: string, port = PORT): Promise<string | undefined> {
  // Earlier probes' flows must not pass as established.
  await stack.lab.flushConntrack();
  const report = await stack.lab.scan({ target, tcp: [port] });
  return report.get(`tcp/${port}`);
}

/** What the helper predicts a scanner sees on tcp/PORT through `iface` (`palisade exposure --json`). */
async function predicted(stack: Stack, iface: string): Promise<string | undefined> {
  const res = ok(stack, await stack.cli(['exposure', '--json', '--interface', iface]), 'exposure --json');
  const exposures = InterfaceExposureSchema.array().parse(JSON.parse(res.stdout));
  const ports = exposures.find((e) => e.interface === iface)?.ports ?? [];
  return ports.find((p) => p.protocol === 'tcp' && p.port === PORT)?.state;
}

const LINK_OF: Record<string, string> = { '10.77.0.1': 'h0', 'fd00:77:0::1': 'h0', '10.77.1.1': 'h1', 'fd00:77:1::1': 'h1' };

/** nmap sees `expected` on tcp/PORT at `target`, and the helper's exposure prediction agrees. */
async function expectScan(stack: Stack, target: string, expected: string, step: string): Promise<void> {
  const state = await scanTcp(stack, target);
  expect(state, `${step}: nmap tcp/${PORT} at ${target}\nruleset:\n${await stack.ruleset()}\nhelper log:\n${helperTail(stack)}`).toBe(expected);
  const iface = LINK_OF[target];
  if (iface) expect(await predicted(stack, iface), `${step}: predicted tcp/${PORT} on ${iface}`).toBe(expected);
}

/** Collects NewNetwork signals from the helper. */
async function watchNewNetworks(client: FirewallClient): Promise<NewNetwork[]> {
  const seen: NewNetwork[] = [];
  await client.on('NewNetwork', (payload) => { seen.push(payload); });
  return seen;
}

/** A TCP listener on PORT (all IPv4 addresses, or IPv4 and IPv6 with '::'), allowed on Private only. */
async function allowPortOnPrivate(stack: Stack, address = '0.0.0.0'): Promise<LabListener> {
  const listener = await stack.lab.listen([{ protocol: 'tcp', address, port: PORT }]);
  ok(stack, await stack.cli(['port', 'allow', `${PORT}/tcp`, '--profile', 'private']), 'port allow');
  return listener;
}

// ---- 1. gateway identity, no NetworkManager ------------------------------------------------------

describe('without NetworkManager: the default gateway (IP + MAC) is the network', () => {
  let stack: Stack;
  let client: FirewallClient | undefined;
  beforeAll(async () => { stack = await Stack.start({ links: 2 }); });
  afterAll(async () => {
    client?.close();
    await stack?.stop();
  });

  async function macOf(iface: string): Promise<string> {
    const { stdout } = await stack.lab.exec('outside', ['ip', '-j', 'link', 'show', iface]);
    const [link] = JSON.parse(stdout) as { address: string }[];
    if (!link) throw new Error(`no ${iface} in the outside namespace`);
    return link.address.toLowerCase();
  }

  /**
   * The router on h0's side becomes another box: o0 gets another MAC. The host forgets its old
   * neighbour entry and talks to the gateway again, as traffic through a router does at once.
   */
  async function replaceRouter(mac: string): Promise<void> {
    await stack.lab.exec('outside', ['ip', 'link', 'set', 'o0', 'address', mac]);
    await stack.lab.exec('host', ['ip', 'neigh', 'flush', 'dev', 'h0']);
    await stack.lab.exec('host', ['ping', '-4', '-n', '-c', '1', '-W', '2', '10.77.0.2'], { allowFailure: true });
  }

  it('switches h0 between Private and Public as the gateway changes, remembering each network, with element changes only', async () => {
    client = await stack.client();
    const newNetworks = await watchNewNetworks(client);
    const status0 = await cliStatus(stack);
    expect(status0.networkSource).toBe('gateway');

    // Joining the first network: a default route via 10.77.0.2 on h0.
    const firstMac = await macOf('o0');
    const firstKey = `gw:10.77.0.2@${firstMac}`;
    await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0']);
    const joined = await until(stack, 'first network appears on h0', () => cliNetworks(stack), (n) => activeOn(n, 'h0')?.key === firstKey && activeOn(n, 'h0')?.known === true);
    expect(activeOn(joined, 'h0')).toMatchObject({ identity: { kind: 'gateway', address: '10.77.0.2', mac: firstMac }, profile: 'public', primary: true });
    expect(joined.known.find((k) => k.key === firstKey)?.profile).toBe('public');
    await until(stack, 'NewNetwork for the first network', async () => newNetworks, (s) => s.some((n) => n.key === firstKey));
    expect(newNetworks.find((n) => n.key === firstKey)).toMatchObject({ interface: 'h0', identity: { kind: 'gateway', address: '10.77.0.2', mac: firstMac } });
    await profileInForce(stack, 'h0', 'public', 'new network');

    // The user answers: this one is Private.
    ok(stack, await stack.cli(['network', 'set', 'current', 'private']), 'network set current private');
    await profileInForce(stack, 'h0', 'private', 'first network set Private');
    expect((await cliNetworks(stack)).known.find((k) => k.key === firstKey)?.profile).toBe('private');

    const listener = await allowPortOnPrivate(stack);
    try {
      await expectScan(stack, '10.77.0.1', 'open', 'Private network on h0, port allowed on Private');
      // h1 is on no network at all: Public.
      await expectScan(stack, '10.77.1.1', 'filtered', 'h1 on no network');

      const privateHandles = await ruleHandles(stack, 'in_private');
      const publicHandles = await ruleHandles(stack, 'in_public');
      const handles = await tableHandles(stack);
      expect(privateHandles.length).toBeGreaterThan(0);
      expect(handles[0]).toMatch(/^table inet palisade \{ # handle \d+$/);

      // Another router on the same interface: same gateway address, another MAC → another network.
      const secondMac = '02:00:00:00:00:99';
      const secondKey = `gw:10.77.0.2@${secondMac}`;
      await replaceRouter(secondMac);
      const moved = await until(stack, 'second network appears on h0', () => cliNetworks(stack), (n) => activeOn(n, 'h0')?.key === secondKey && activeOn(n, 'h0')?.known === true);
      expect(activeOn(moved, 'h0')).toMatchObject({ identity: { kind: 'gateway', address: '10.77.0.2', mac: secondMac }, profile: 'public' });
      await until(stack, 'NewNetwork for the second network', async () => newNetworks, (s) => s.some((n) => n.key === secondKey));
      await profileInForce(stack, 'h0', 'public', 'moved to the second network');
      const movedStatus = await cliStatus(stack);
      expect(movedStatus.interfaces.find((i) => i.name === 'h0')).toMatchObject({ profile: 'public', network: { key: secondKey, known: true } });
      expect((await interfaceMap(stack)).h0).toBe('in_public');
      await expectScan(stack, '10.77.0.1', 'filtered', 'second (new, Public) network on h0');
      // The first network is still remembered as Private.
      expect(moved.known.find((k) => k.key === firstKey)).toMatchObject({ profile: 'private', active: false });

      // A profile switch changes map elements only: the rules were not reloaded.
      expect(await ruleHandles(stack, 'in_private')).toEqual(privateHandles);
      expect(await ruleHandles(stack, 'in_public')).toEqual(publicHandles);
      expect(await tableHandles(stack)).toEqual(handles);

      // Back to the first router: Private again, remembered, not asked again.
      await replaceRouter(firstMac);
      const back = await until(stack, 'first network back on h0', () => cliNetworks(stack), (n) => activeOn(n, 'h0')?.key === firstKey);
      expect(activeOn(back, 'h0')).toMatchObject({ known: true, profile: 'private' });
      await profileInForce(stack, 'h0', 'private', 'back on the first network');
      await expectScan(stack, '10.77.0.1', 'open', 'back on the first (Private) network');
      expect(newNetworks.filter((n) => n.key === firstKey)).toHaveLength(1);
      expect(newNetworks.filter((n) => n.key === secondKey)).toHaveLength(1);
      expect(await ruleHandles(stack, 'in_private')).toEqual(privateHandles);
      expect(await ruleHandles(stack, 'in_public')).toEqual(publicHandles);
      expect(await tableHandles(stack)).toEqual(handles);

      // Another gateway address on the same link (same MAC): another network too, Public.
      await stack.lab.exec('outside', ['ip', 'addr', 'add', '10.77.0.3/24', 'dev', 'o0']);
      await stack.lab.exec('host', ['ip', 'route', 'replace', 'default', 'via', '10.77.0.3', 'dev', 'h0']);
      const thirdKey = `gw:10.77.0.3@${firstMac}`;
      const third = await until(stack, 'gateway 10.77.0.3 appears on h0', () => cliNetworks(stack), (n) => activeOn(n, 'h0')?.key === thirdKey && activeOn(n, 'h0')?.known === true);
      expect(activeOn(third, 'h0')).toMatchObject({ identity: { kind: 'gateway', address: '10.77.0.3', mac: firstMac }, profile: 'public' });
      await profileInForce(stack, 'h0', 'public', 'gateway 10.77.0.3');
      await expectScan(stack, '10.77.0.1', 'filtered', 'gateway 10.77.0.3 (new, Public)');
      await until(stack, 'NewNetwork for gateway 10.77.0.3', async () => newNetworks, (s) => s.some((n) => n.key === thirdKey));
      expect(third.known.find((k) => k.key === firstKey)).toMatchObject({ profile: 'private', active: false });

      // And back via 10.77.0.2: Private, still not asked again.
      await stack.lab.exec('host', ['ip', 'route', 'replace', 'default', 'via', '10.77.0.2', 'dev', 'h0']);
      await until(stack, 'first network back on h0 again', () => cliNetworks(stack), (n) => activeOn(n, 'h0')?.key === firstKey);
      await profileInForce(stack, 'h0', 'private', 'back via 10.77.0.2');
      await expectScan(stack, '10.77.0.1', 'open', 'back via 10.77.0.2 (Private)');
      expect(newNetworks.map((n) => n.key).sort()).toEqual([firstKey, secondKey, thirdKey].sort());
      expect(await tableHandles(stack)).toEqual(handles);
    } finally {
      await listener.stop();
    }
  });
});

describe('without NetworkManager: networks across a helper restart', () => {
  let stack: Stack;
  let client: FirewallClient | undefined;
  let newNetworks: NewNetwork[] = [];
  let statusSignals = 0;
  let h0Key = '';
  let h1Key = '';
  beforeAll(async () => {
    stack = await Stack.start({ links: 2 });
    client = await stack.client();
    newNetworks = await watchNewNetworks(client);
    await client.on('StatusChanged', () => { statusSignals++; });
    await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0', 'metric', '100']);
    const first = await until(stack, 'network on h0', () => cliNetworks(stack), (n) => activeOn(n, 'h0')?.known === true);
    h0Key = activeOn(first, 'h0')?.key ?? '';
    ok(stack, await stack.cli(['network', 'set', h0Key, 'private']), `network set ${h0Key} private`);
    await profileInForce(stack, 'h0', 'private', 'h0 network set Private');
    await until(stack, 'NewNetwork for the h0 network', async () => newNetworks, (seen) => seen.some((n) => n.key === h0Key));

    // The helper stops (an update, a crash); meanwhile h1 joins a network the machine never saw,
    // with its gateway's MAC already resolved, so the helper finds it while it starts.
    await stack.stopHelper('SIGTERM');
    await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.1.2', 'dev', 'h1', 'metric', '200']);
    await stack.lab.exec('host', ['ping', '-4', '-n', '-c', '1', '-W', '2', '10.77.1.2'], { allowFailure: true });
    const o1 = JSON.parse((await stack.lab.exec('outside', ['ip', '-j', 'link', 'show', 'o1'])).stdout) as { address: string }[];
    const o1Mac = (o1[0]?.address ?? '').toLowerCase();
    h1Key = `gw:10.77.1.2@${o1Mac}`;
    await until(stack, 'h1 gateway resolved before the restart', async () => (await stack.lab.exec('host', ['ip', 'neigh', 'show', '10.77.1.2', 'dev', 'h1'])).stdout, (out) => out.includes(o1Mac));
    await stack.startHelper();
  });
  afterAll(async () => {
    client?.close();
    await stack?.stop();
  });

  it('keeps the Private network after a restart, and treats the network joined meanwhile as new (Public)', async () => {
    await profileInForce(stack, 'h0', 'private', 'after the restart, h0');
    await profileInForce(stack, 'h1', 'public', 'after the restart, h1');
    const networks = await cliNetworks(stack);
    expect(activeOn(networks, 'h0')).toMatchObject({ key: h0Key, known: true, profile: 'private' });
    expect(activeOn(networks, 'h1')).toMatchObject({ key: h1Key, known: true, profile: 'public' });
    const signalsBefore = statusSignals;
    const listener = await allowPortOnPrivate(stack);
    try {
      // The client connected before the restart hears the restarted helper's signals.
      await until(stack, 'StatusChanged from the restarted helper', async () => statusSignals, (n) => n > signalsBefore);
      await expectScan(stack, '10.77.0.1', 'open', 'after the restart, h0 (Private)');
      await expectScan(stack, '10.77.1.1', 'filtered', 'after the restart, h1 (new, Public)');
    } finally {
      await listener.stop();
    }
    // h0's network was asked about once, before the restart, and not again.
    expect(newNetworks.filter((n) => n.key === h0Key)).toHaveLength(1);
  });

  it('announces (NewNetwork) the network first seen while the helper starts, so the user is asked once', async () => {
    await until(stack, 'h1 network remembered', () => cliNetworks(stack), (n) => activeOn(n, 'h1')?.known === true);
    await until(stack, 'NewNetwork for the network h1 joined while the helper was stopped', async () => newNetworks, (seen) => seen.some((n) => n.key === h1Key));
  });
});

describe('without NetworkManager: what a known network remembers', () => {
  let stack: Stack | undefined;
  afterAll(async () => { await stack?.stop(); });

  it('updates lastSeen when a known network is seen again', async () => {
    const s = await Stack.start({ links: 1 });
    stack = s;
    await s.lab.exec('outside', ['ip', 'addr', 'add', '10.77.0.3/24', 'dev', 'o0']);
    const gateway = (address: string) => s.lab.exec('host', ['ip', 'route', 'replace', 'default', 'via', address, 'dev', 'h0']);
    const onGateway = (address: string) => (n: Networks) => {
      const net = activeOn(n, 'h0');
      return net?.identity.kind === 'gateway' && net.identity.address === address && net.known;
    };
    await gateway('10.77.0.2');
    const first = await until(s, 'network via 10.77.0.2', () => cliNetworks(s), onGateway('10.77.0.2'));
    const key = activeOn(first, 'h0')?.key ?? '';
    await gateway('10.77.0.3');
    await until(s, 'network via 10.77.0.3', () => cliNetworks(s), onGateway('10.77.0.3'));

    // Back on the first network for a while, then away again.
    const returnedAt = new Date().toISOString();
    await gateway('10.77.0.2');
    await until(s, 'network via 10.77.0.2 again', () => cliNetworks(s), onGateway('10.77.0.2'));
    await gateway('10.77.0.3');
    const away = await until(s, 'network via 10.77.0.3 again', () => cliNetworks(s), onGateway('10.77.0.3'));
    const known = away.known.find((k) => k.key === key);
    expect(known).toMatchObject({ active: false });
    // `palisade network list` prints "last seen <lastSeen>" for it: that must be this visit, not the first.
    expect(known?.lastSeen ?? '', `lastSeen of ${key} (firstSeen ${known?.firstSeen ?? '-'}, back on it at ${returnedAt})`).toSatisfy((t: string) => Date.parse(t) >= Date.parse(returnedAt));
  });
});

// ---- 2. NetworkManager connections ----------------------------------------------------------------

const { HOME, CAFE, OFFICE } = SAMPLE_CONNECTIONS;

describe('with NetworkManager: the connection is the network', () => {
  let stack: Stack;
  let client: FirewallClient | undefined;
  beforeAll(async () => { stack = await Stack.start({ links: 2, networkManager: true }); });
  afterAll(async () => {
    client?.close();
    await stack?.stop();
  });

  function nm() {
    const fake = stack.networkManager;
    if (!fake) throw new Error('the stack has no NetworkManager stand-in');
    return fake;
  }

  it('follows the primary connection on h0: Private home Wi-Fi → new café Wi-Fi (Public) → home again', async () => {
    client = await stack.client();
    const newNetworks = await watchNewNetworks(client);
    expect((await cliStatus(stack)).networkSource).toBe('networkmanager');
    const homeKey = `nm:${HOME.uuid}`;
    const cafeKey = `nm:${CAFE.uuid}`;

    // h0 is the Wi-Fi device (the stand-in keeps one device type per interface).
    nm().activate({ ...HOME, iface: 'h0', primary: true });
    const joined = await until(stack, 'home Wi-Fi appears on h0', () => cliNetworks(stack), (n) => activeOn(n, 'h0')?.key === homeKey && activeOn(n, 'h0')?.known === true);
    expect(activeOn(joined, 'h0')).toMatchObject({
      identity: { kind: 'networkmanager', uuid: HOME.uuid, ssid: HOME.ssid, bssid: HOME.bssid.toLowerCase() }, name: HOME.id, profile: 'public', primary: true,
    });
    await until(stack, 'NewNetwork for the home Wi-Fi', async () => newNetworks, (s) => s.some((n) => n.key === homeKey));
    await profileInForce(stack, 'h0', 'public', 'new home Wi-Fi');

    ok(stack, await stack.cli(['network', 'set', homeKey, 'private']), `network set ${homeKey} private`);
    await profileInForce(stack, 'h0', 'private', 'home Wi-Fi set Private');

    // Another access point of the same network (roaming): the same network, still Private.
    nm().roam(HOME.uuid, 'AA:BB:CC:00:00:02');
    await until(stack, 'home Wi-Fi roamed', () => cliNetworks(stack), (n) => {
      const net = activeOn(n, 'h0');
      return net?.identity.kind === 'networkmanager' && net.identity.bssid === 'aa:bb:cc:00:00:02';
    });
    await profileInForce(stack, 'h0', 'private', 'home Wi-Fi roamed');

    const listener = await allowPortOnPrivate(stack);
    try {
      await expectScan(stack, '10.77.0.1', 'open', 'home Wi-Fi (Private) on h0');
      const privateHandles = await ruleHandles(stack, 'in_private');
      const publicHandles = await ruleHandles(stack, 'in_public');
      const handles = await tableHandles(stack);

      // The laptop leaves home and joins the café's Wi-Fi on the same device.
      nm().deactivate(HOME.uuid);
      nm().activate({ ...CAFE, iface: 'h0', primary: true });
      const moved = await until(stack, 'café Wi-Fi appears on h0', () => cliNetworks(stack), (n) => activeOn(n, 'h0')?.key === cafeKey && activeOn(n, 'h0')?.known === true);
      expect(activeOn(moved, 'h0')).toMatchObject({
        identity: { kind: 'networkmanager', uuid: CAFE.uuid, ssid: CAFE.ssid, bssid: CAFE.bssid.toLowerCase() }, name: CAFE.id, profile: 'public',
      });
      await until(stack, 'NewNetwork for the café Wi-Fi', async () => newNetworks, (s) => s.some((n) => n.key === cafeKey));
      expect(newNetworks.find((n) => n.key === cafeKey)).toMatchObject({ interface: 'h0', name: CAFE.id });
      await profileInForce(stack, 'h0', 'public', 'café Wi-Fi');
      const cafeStatus = await cliStatus(stack);
      expect(cafeStatus.networkSource).toBe('networkmanager');
      expect(cafeStatus.interfaces.find((i) => i.name === 'h0')).toMatchObject({ profile: 'public', network: { key: cafeKey, name: CAFE.id, known: true } });
      await expectScan(stack, '10.77.0.1', 'filtered', 'café Wi-Fi (new, Public) on h0');
      expect(await ruleHandles(stack, 'in_private')).toEqual(privateHandles);
      expect(await ruleHandles(stack, 'in_public')).toEqual(publicHandles);
      expect(await tableHandles(stack)).toEqual(handles);

      // Home again: remembered as Private, not asked again.
      nm().deactivate(CAFE.uuid);
      nm().activate({ ...HOME, iface: 'h0', primary: true });
      await until(stack, 'home Wi-Fi back on h0', () => cliNetworks(stack), (n) => activeOn(n, 'h0')?.key === homeKey);
      await profileInForce(stack, 'h0', 'private', 'home Wi-Fi again');
      expect((await cliStatus(stack)).interfaces.find((i) => i.name === 'h0')).toMatchObject({ profile: 'private', network: { key: homeKey, name: HOME.id, known: true } });
      await expectScan(stack, '10.77.0.1', 'open', 'home Wi-Fi (Private) again');
      expect(newNetworks.filter((n) => n.key === homeKey)).toHaveLength(1);
      expect(newNetworks.filter((n) => n.key === cafeKey)).toHaveLength(1);
      expect(await ruleHandles(stack, 'in_private')).toEqual(privateHandles);
      expect(await tableHandles(stack)).toEqual(handles);
    } finally {
      await listener.stop();
    }
  });
});

// ---- 3. two interfaces, two profiles --------------------------------------------------------------

describe('two interfaces on two networks in two profiles at once', () => {
  let stack: Stack | undefined;
  let listener: LabListener | undefined;
  beforeEach(() => { stack = undefined; listener = undefined; });
  afterEach(async () => {
    await listener?.stop();
    await stack?.stop();
  });

  it('by gateway: h0 on a Private network, h1 on a Public one', async () => {
    const s = await Stack.start({ links: 2 });
    stack = s;
    await s.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0', 'metric', '100']);
    await s.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.1.2', 'dev', 'h1', 'metric', '200']);
    const both = await until(s, 'both gateways known', () => cliNetworks(s), (n) => activeOn(n, 'h0')?.known === true && activeOn(n, 'h1')?.known === true);
    const h0 = activeOn(both, 'h0');
    expect(h0).toMatchObject({ primary: true, profile: 'public', identity: { kind: 'gateway', address: '10.77.0.2' } });
    expect(activeOn(both, 'h1')).toMatchObject({ primary: false, profile: 'public', identity: { kind: 'gateway', address: '10.77.1.2' } });
    if (!h0) throw new Error('no network on h0');

    ok(s, await s.cli(['network', 'set', h0.key, 'private']), `network set ${h0.key} private`);
    await profileInForce(s, 'h0', 'private', 'h0 network set Private');
    await profileInForce(s, 'h1', 'public', 'h1 network left Public');
    listener = await allowPortOnPrivate(s, '::');

    await expectScan(s, '10.77.0.1', 'open', 'h0 (Private)');
    await expectScan(s, '10.77.1.1', 'filtered', 'h1 (Public)');
    await expectScan(s, 'fd00:77:0::1', 'open', 'h0 (Private), IPv6');
    await expectScan(s, 'fd00:77:1::1', 'filtered', 'h1 (Public), IPv6');
    const status = await cliStatus(s);
    expect(status.interfaces.find((i) => i.name === 'h0')).toMatchObject({ profile: 'private', network: { key: h0.key, known: true } });
    expect(status.interfaces.find((i) => i.name === 'h1')).toMatchObject({ profile: 'public', network: { known: true } });
    expect(await interfaceMap(s)).toMatchObject({ h0: 'in_private', h1: 'in_public' });
  });

  it('by NetworkManager: wired office LAN on h0 (Private) and café Wi-Fi on h1 (Public)', async () => {
    const s = await Stack.start({ links: 2, networkManager: true });
    stack = s;
    const fake = s.networkManager;
    if (!fake) throw new Error('the stack has no NetworkManager stand-in');
    fake.activate({ ...OFFICE, iface: 'h0', primary: true });
    fake.activate({ ...CAFE, iface: 'h1' });
    const officeKey = `nm:${OFFICE.uuid}`;
    const cafeKey = `nm:${CAFE.uuid}`;
    const both = await until(s, 'both connections known', () => cliNetworks(s), (n) => activeOn(n, 'h0')?.key === officeKey && activeOn(n, 'h0')?.known === true
      && activeOn(n, 'h1')?.key === cafeKey && activeOn(n, 'h1')?.known === true);
    expect(activeOn(both, 'h0')).toMatchObject({ name: OFFICE.id, primary: true, profile: 'public', identity: { kind: 'networkmanager', uuid: OFFICE.uuid } });
    expect(activeOn(both, 'h1')).toMatchObject({ name: CAFE.id, primary: false, profile: 'public', identity: { kind: 'networkmanager', uuid: CAFE.uuid, ssid: CAFE.ssid } });

    ok(s, await s.cli(['network', 'set', 'current', 'private']), 'network set current private');
    await profileInForce(s, 'h0', 'private', 'office LAN set Private');
    await profileInForce(s, 'h1', 'public', 'café Wi-Fi left Public');
    listener = await allowPortOnPrivate(s);

    await expectScan(s, '10.77.0.1', 'open', 'h0 on the office LAN (Private)');
    await expectScan(s, '10.77.1.1', 'filtered', 'h1 on the café Wi-Fi (Public)');
    const status = await cliStatus(s);
    expect(status.interfaces.find((i) => i.name === 'h0')).toMatchObject({ profile: 'private', network: { key: officeKey, name: OFFICE.id } });
    expect(status.interfaces.find((i) => i.name === 'h1')).toMatchObject({ profile: 'public', network: { key: cafeKey, name: CAFE.id } });
    expect(await interfaceMap(s)).toMatchObject({ h0: 'in_private', h1: 'in_public' });
  });
});
