// `npm run lab` (`sudo ./dev.sh app`): Palisade running for real without touching this machine's
// firewall. Starts the lab (a "host" and an "outside" network namespace), a private system bus
// with a real polkitd, palisaded inside the host namespace, and the desktop app: in Electron
// where an Electron binary exists, otherwise in a Chromium app window over the loopback,
// token-protected lab bridge (the same main-process code either way). Ctrl-C removes everything.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDesktopLab } from '../test/support/desktop-lab';
import { CHROMIUM } from '../test/support/browser';

const lab = await startDesktopLab();
const { stack } = lab;
// Two networks, as a laptop on Ethernet and Wi-Fi would have: Palisade asks about each once.
await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0']);
await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.1.2', 'dev', 'h1', 'metric', '200']);

let window: ChildProcess | undefined;
let profileDir: string | undefined;
const display = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
if (display && existsSync(CHROMIUM)) {
  profileDir = await mkdtemp(join(tmpdir(), 'palisade-chromium-'));
  window = spawn(CHROMIUM, [
    `--app=${lab.url}`, `--user-data-dir=${profileDir}`, '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  ], { stdio: 'ignore' });
}

console.log(`
Palisade is running in a lab.
  app        ${window ? 'a Chromium app window is open on' : 'open this address in a browser on this machine:'} ${lab.url}
  helper     palisaded in network namespace ${stack.lab.hostNs} (interfaces h0 10.77.0.1, h1 10.77.1.1)
  scanner    network namespace ${stack.lab.outsideNs} (10.77.0.2, 10.77.1.2)
  bus        ${stack.bus.address} (with a real polkitd)

Try it: answer "Is … a private network?", then start an app in the lab and watch the prompt:
  ip netns exec ${stack.lab.hostNs} ncat -lk -p 8080 &
On the "What others see" screen, "Scan me" runs nmap from the outside namespace.
The CLI works against the same helper:
  DBUS_SYSTEM_BUS_ADDRESS='${stack.bus.address}' npx palisade status

Ctrl-C stops everything and removes the namespaces, the bus and the policy.
`);

await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
window?.kill();
await lab.stop();
if (profileDir) await rm(profileDir, { recursive: true, force: true });
