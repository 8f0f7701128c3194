// The network watchers against the real thing: the gateway watcher follows a real kernel's default
// routes and neighbour table inside a lab namespace; the NetworkManager watcher follows a stand-in
// NetworkManager on a private system bus (a real dbus-daemon). Waits are generous and only wait:
// no timing is asserted.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { sessionBus, type MessageBus } from 'dbus-next';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab';
import { PrivateSystemBus } from '../lab/bus';
import { startFakeNetworkManager, type FakeNetworkManager } from '../support/fake-networkmanager';
import { NetworkIdentitySchema } from '../../shared/policy/schema';
import type { ActiveNetwork } from '../../shared/runtime/networks';
import { NetworkManagerWatcher } from '../../electron/helper/networks/networkmanager';
import { createNetworkWatcher } from '../../electron/helper/networks/watcher';

const DRIVER = fileURLToPath(new URL('../support/network-watcher-driver.ts', import.meta.url));
const WAIT_MS = 5_000;

/** Every list a watcher published, and a way to wait for the one a step should lead to. */
class Observed {
  readonly changes: ActiveNetwork[][] = [];
  latest: ActiveNetwork[] = [];
  private readonly wake = new Set<() => void>();

  push(list: ActiveNetwork[], isChange = true): void {
    if (isChange) this.changes.push(list);
    this.latest = list;
    for (const w of this.wake) w();
  }

  /** Resolves once the latest list is exactly `expected` (in interface order). */
  until(expected: ActiveNetwork[], step: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!isDeepStrictEqual(this.latest, expected)) return;
        this.wake.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.wake.delete(check);
        reject(new Error(`${step}: expected ${JSON.stringify(expected)}\nlatest ${JSON.stringify(this.latest)}\nchanges ${JSON.stringify(this.changes)}`));
      }, WAIT_MS);
      this.wake.add(check);
      check();
    });
  }

  /** 'change' means changed: no two consecutive lists are the same, and every identity is a valid policy identity. */
  expectWellFormed(): void {
    this.changes.forEach((list, i) => {
      if (i > 0) expect(list).not.toEqual(this.changes[i - 1]);
      for (const net of list) expect(NetworkIdentitySchema.safeParse(net.identity).success).toBe(true);
    });
  }
}

describe('gateway watcher (no NetworkManager) against the kernel', () => {
  let lab: Lab;
  beforeEach(async () => { lab = await Lab.create({ links: 2 }); });
  afterEach(async () => { await lab.destroy(); });

  async function outsideMac(iface: string): Promise<string> {
    const { stdout } = await lab.exec('outside', ['ip', '-j', 'link', 'show', iface]);
    const [link] = JSON.parse(stdout) as { address: string }[];
    if (!link) throw new Error(`no ${iface} in the outside namespace`);
    return link.address.toLowerCase();
  }

  /** Runs the watcher inside the lab's host namespace and follows what it prints. */
  async function startDriver(): Promise<Observed> {
    const observed = new Observed();
    const child = lab.spawn('host', [process.execPath, '--import', 'tsx', DRIVER]);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`watcher driver exited (${code}): ${stderr}`)));
      lines.on('line', (line) => {
        const event = JSON.parse(line) as { type: 'ready' | 'change'; networks: ActiveNetwork[] };
        observed.push(event.networks, event.type === 'change');
        if (event.type === 'ready') resolve();
      });
    });
    return observed;
  }

  const route = (...args: string[]) => lab.exec('host', ['ip', ...args]);
  const network = (iface: string, address: string, mac: string, primary: boolean): ActiveNetwork => ({
    interface: iface, identity: { kind: 'gateway', address, mac }, name: `Network via ${address}`, primary,
  });

  it('reports each interface\'s default gateway by address and MAC, and follows route changes', async () => {
    const [o0, o1] = [await outsideMac('o0'), await outsideMac('o1')];
    const watched = await startDriver();
    expect(watched.latest).toEqual([]);

    await route('route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0', 'metric', '100');
    await watched.until([network('h0', '10.77.0.2', o0, true)], 'default route via h0');

    // A second default route, less preferred: its own network on h1, not primary.
    await route('route', 'add', 'default', 'via', '10.77.1.2', 'dev', 'h1', 'metric', '200');
    await watched.until([network('h0', '10.77.0.2', o0, true), network('h1', '10.77.1.2', o1, false)], 'second default route via h1');

    // The preferred route goes: h1's gateway carries the traffic now.
    await route('route', 'del', 'default', 'via', '10.77.0.2', 'dev', 'h0');
    await watched.until([network('h1', '10.77.1.2', o1, true)], 'h0 route removed');

    // Only IPv6 on h0: its IPv6 gateway identifies the network; IPv4 on h1 stays primary.
    await route('-6', 'route', 'add', 'default', 'via', 'fd00:77:0::2', 'dev', 'h0');
    await watched.until([network('h0', 'fd00:77::2', o0, false), network('h1', '10.77.1.2', o1, true)], 'IPv6 default route via h0');

    await route('route', 'del', 'default', 'via', '10.77.1.2', 'dev', 'h1');
    await route('-6', 'route', 'del', 'default', 'via', 'fd00:77:0::2', 'dev', 'h0');
    await watched.until([], 'all default routes removed');
    expect(watched.changes.length).toBeGreaterThanOrEqual(5);
    watched.expectWellFormed();
  });

  it('does not report a gateway that never answers, and reports one that does', async () => {
    const o1 = await outsideMac('o1');
    const watched = await startDriver();
    // Nobody has 10.77.0.99: it is probed but never resolved.
    await route('route', 'add', 'default', 'via', '10.77.0.99', 'dev', 'h0', 'metric', '100');
    await route('route', 'add', 'default', 'via', '10.77.1.2', 'dev', 'h1', 'metric', '200');
    await watched.until([network('h1', '10.77.1.2', o1, false)], 'only the answering gateway');
    const probed = await lab.exec('host', ['ip', 'neigh', 'show', '10.77.0.99', 'dev', 'h0']);
    expect(probed.stdout).toMatch(/10\.77\.0\.99/);
    watched.expectWellFormed();
  });

  it('follows a link going down and coming back', async () => {
    const o0 = await outsideMac('o0');
    const watched = await startDriver();
    await route('route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0');
    await watched.until([network('h0', '10.77.0.2', o0, true)], 'default route via h0');
    // The kernel drops a downed link's IPv4 routes without a route notification: only the link and
    // neighbour notifications tell.
    await route('link', 'set', 'h0', 'down');
    await watched.until([], 'h0 down');
    await route('link', 'set', 'h0', 'up');
    await route('route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0');
    await watched.until([network('h0', '10.77.0.2', o0, true)], 'h0 back up');
    watched.expectWellFormed();
  });
});

describe('NetworkManager watcher against a stand-in NetworkManager', () => {
  const A = { uuid: '3f1c2a9e-7b64-4d2e-9c1a-5e8f0b7d6a01', id: 'Office LAN' };
  const B = { uuid: '8d2e4b71-0c3a-4f59-a6e2-91b7c5d3f802', id: 'Café Wi-Fi', ssid: 'CafeNet', bssid: 'AA:BB:CC:00:11:22' };
  const wired = (primary: boolean): ActiveNetwork => ({ interface: 'eth0', identity: { kind: 'networkmanager', uuid: A.uuid }, name: A.id, primary });
  const wifi = (primary: boolean, bssid = 'aa:bb:cc:00:11:22'): ActiveNetwork => ({
    interface: 'wlan0', identity: { kind: 'networkmanager', uuid: B.uuid, ssid: B.ssid, bssid }, name: B.id, primary,
  });

  let bus: PrivateSystemBus;
  let client: MessageBus;
  let fake: FakeNetworkManager | undefined;
  beforeEach(async () => {
    bus = await PrivateSystemBus.start({ allowAnyOwner: true });
    client = sessionBus({ busAddress: bus.address });
  });
  afterEach(async () => {
    await fake?.stop().catch(() => undefined);
    fake = undefined;
    client.disconnect();
    await bus.stop();
  });

  async function startWatcher(): Promise<{ watcher: NetworkManagerWatcher; watched: Observed }> {
    const watcher = new NetworkManagerWatcher(client);
    const watched = new Observed();
    watcher.on('change', (list: ActiveNetwork[]) => watched.push(list));
    await watcher.start();
    watched.push(watcher.current(), false);
    return { watcher, watched };
  }

  it('lists active connections per interface with UUID, SSID, BSSID and the primary one', async () => {
    fake = await startFakeNetworkManager(bus.address);
    const { watcher, watched } = await startWatcher();
    try {
      expect(watcher.kind).toBe('networkmanager');
      expect(watched.latest).toEqual([]);

      fake.activate({ ...A, type: '802-3-ethernet', iface: 'eth0', primary: true });
      await watched.until([wired(true)], 'wired A on eth0, primary');

      fake.activate({ ...B, type: '802-11-wireless', iface: 'wlan0' });
      await watched.until([wired(true), wifi(false)], 'Wi-Fi B on wlan0');

      fake.setPrimary(B.uuid);
      await watched.until([wired(false), wifi(true)], 'primary moved to B');
      expect(watched.changes).toContainEqual([wired(false), wifi(true)]);

      fake.roam(B.uuid, 'AA:BB:CC:00:11:33');
      await watched.until([wired(false), wifi(true, 'aa:bb:cc:00:11:33')], 'B roamed to another access point');

      fake.deactivate(A.uuid);
      await watched.until([wifi(true, 'aa:bb:cc:00:11:33')], 'A deactivated');
      watched.expectWellFormed();
    } finally {
      await watcher.stop();
    }
  });

  it('empties the list when NetworkManager goes away and follows it when it comes back', async () => {
    fake = await startFakeNetworkManager(bus.address);
    const { watcher, watched } = await startWatcher();
    try {
      fake.activate({ ...A, type: '802-3-ethernet', iface: 'eth0', primary: true });
      await watched.until([wired(true)], 'wired A');

      await fake.stop();
      fake = undefined;
      await watched.until([], 'NetworkManager gone');

      fake = await startFakeNetworkManager(bus.address);
      fake.activate({ ...B, type: '802-11-wireless', iface: 'wlan0', primary: true });
      await watched.until([wifi(true)], 'NetworkManager back with B');
      watched.expectWellFormed();
    } finally {
      await watcher.stop();
    }
  });

  it('createNetworkWatcher picks NetworkManager when it owns its name, the gateway watcher otherwise', async () => {
    expect((await createNetworkWatcher(client)).kind).toBe('gateway');
    fake = await startFakeNetworkManager(bus.address);
    expect((await createNetworkWatcher(client)).kind).toBe('networkmanager');
    await fake.stop();
    fake = undefined;
    expect((await createNetworkWatcher(client)).kind).toBe('gateway');
  });
});
