// 2. Profile switch: the machine moves between a Private and a Public network (NetworkManager's
// primary connection changes, the stand-in on the lab's bus announces it as NetworkManager
// does); how long until the interface's new profile is in force, seen from outside: a port
// allowed on Private only starts or stops accepting connections.
import { pathToFileURL } from 'node:url';
import { Stack } from '../test/support/stack';
import { SAMPLE_CONNECTIONS } from '../test/support/fake-networkmanager';
import { startProber, whenPort } from './lib/outside';
import { ANSWERING_PROFILES } from './lib/policies';
import { summarize } from './lib/stats';
import type { BenchContext, BenchSection, Benchmark } from './lib/types';

const { HOME, CAFE } = SAMPLE_CONNECTIONS;
const PORT = 8080;

async function run(ctx: BenchContext): Promise<BenchSection> {
  const trials = ctx.quick ? 20 : 60;
  const stack = await Stack.start({
    links: 1,
    networkManager: true,
    pollIntervalMs: 'default',
    policy: {
      version: 1,
      profiles: ANSWERING_PROFILES,
      portRules: [{ id: 'home-only', action: 'allow', protocol: 'tcp', ports: { from: PORT, to: PORT }, profiles: ['private'] }],
      networks: [
        { name: HOME.id, identity: { kind: 'networkmanager', uuid: HOME.uuid, ssid: HOME.ssid, bssid: HOME.bssid.toLowerCase() }, profile: 'private' },
        { name: CAFE.id, identity: { kind: 'networkmanager', uuid: CAFE.uuid, ssid: CAFE.ssid, bssid: CAFE.bssid.toLowerCase() }, profile: 'public' },
      ],
    },
  });
  const toPrivate: number[] = [];
  const toPublic: number[] = [];
  try {
    const nm = stack.networkManager;
    if (!nm) throw new Error('no NetworkManager stand-in');
    const listener = await stack.lab.listen([{ protocol: 'tcp', address: '0.0.0.0', port: PORT }]);
    const prober = await startProber(stack.lab);
    const host = stack.lab.links[0]?.hostV4 ?? '10.77.0.1';
    let current: typeof HOME | typeof CAFE = CAFE;
    nm.activate({ ...CAFE, iface: 'h0', primary: true });
    await whenPort(prober, host, PORT, 'refused');
    for (let i = 0; i < trials * 2; i++) {
      const next: typeof HOME | typeof CAFE = current === HOME ? CAFE : HOME;
      const inForce = whenPort(prober, host, PORT, next === HOME ? 'open' : 'refused');
      const changedAt = process.hrtime.bigint();
      nm.deactivate(current.uuid);
      nm.activate({ ...next, iface: 'h0', primary: true });
      const ms = Number((await inForce) - changedAt) / 1e6;
      (next === HOME ? toPrivate : toPublic).push(ms);
      current = next;
      if ((i + 1) % 20 === 0) ctx.log(`profile switch: ${i + 1}/${trials * 2}`);
    }
    await listener.stop();
  } finally {
    await stack.stop();
  }
  const all = [...toPrivate, ...toPublic];
  return {
    id: 'profile-switch',
    title: 'Profile switch latency',
    method: `The helper follows NetworkManager (a stand-in on the lab's private system bus that announces PrimaryConnection and device changes as NetworkManager does). `
      + `Both networks are known: Home Wi-Fi is Private, Café Wi-Fi Public, and port ${PORT} is allowed on Private only. `
      + `The clock starts when the stand-in deactivates one connection and activates the other, and stops when a prober in the outside namespace (a new connection every 2 ms) first sees the port change: accepted on Private, reset on Public. `
      + `${trials} switches each way.`,
    figures: [
      { label: 'Public → Private (port opens)', unit: 'ms', samples: toPrivate, percentiles: [50, 95, 99] },
      { label: 'Private → Public (port closes)', unit: 'ms', samples: toPublic, percentiles: [50, 95, 99] },
    ],
    ratios: [],
    targets: [],
    notes: [`Median over both directions: ${summarize(all).median.toFixed(1)} ms. The issue sets no target for this one.`],
  };
}

export const benchmark: Benchmark = { id: 'profile-switch', title: 'Profile switch latency', run };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) }), null, 2));
}
