// `npm run lab` (`sudo ./dev.sh app`): Palisade running for real without touching this machine's
// firewall. Starts the lab (a "host" and an "outside" network namespace), a private system bus
// with a real polkitd, palisaded inside the host namespace, and the desktop app: in Electron
// where an Electron binary exists (run as the desktop user who started the lab with sudo),
// otherwise in a Chromium app window over the loopback, token-protected lab bridge — the same
// main-process code either way. Ctrl-C removes everything.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDesktopLab } from '../test/support/desktop-lab';
import { CHROMIUM } from '../test/support/browser';
import { findElectronBinary } from '../electron/shell/electron-binary';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const desktopUser = process.env.SUDO_USER && process.env.SUDO_USER !== 'root' ? process.env.SUDO_USER : undefined;
const display = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const electron = findElectronBinary(ROOT);
const useElectron = electron.found && display && desktopUser !== undefined;
const scratch = await mkdtemp(join(tmpdir(), 'palisade-lab-run-'));

// The desktop user may manage the lab's firewall without a password: a rule for the lab's own
// polkitd (the machine's real polkit is not involved).
const polkitRules: string[] = [];
if (useElectron && desktopUser) {
  const rules = join(scratch, '60-palisade-lab.rules');
  await writeFile(rules, `polkit.addRule(function (action, subject) {\n  if (action.id.indexOf("org.palisade.firewall.") === 0 && subject.user === ${JSON.stringify(desktopUser)}) return polkit.Result.YES;\n});\n`, { mode: 0o644 });
  polkitRules.push(rules);
}

const lab = await startDesktopLab({ polkitRules });
const { stack } = lab;
// Two networks, as a laptop on Ethernet and Wi-Fi would have: Palisade asks about each once.
await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0']);
await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.1.2', 'dev', 'h1', 'metric', '200']);

let window: ChildProcess | undefined;
let how: string;
if (useElectron && electron.found && desktopUser) {
  const build = spawn(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  await new Promise((resolve) => build.once('exit', resolve));
  window = spawn('runuser', ['-u', desktopUser, '--', 'env', `PALISADE_LAB=1`, `PALISADE_SYSTEM_BUS=${stack.bus.address}`, electron.path, ROOT], { stdio: 'inherit', env: process.env });
  how = `Electron, as ${desktopUser}`;
} else if (display && existsSync(CHROMIUM)) {
  window = spawn(CHROMIUM, [
    `--app=${lab.url}`, `--user-data-dir=${scratch}/chromium`, '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  ], { stdio: 'ignore' });
  how = `a Chromium app window on ${lab.url}`;
} else {
  how = `open this address in a browser on this machine: ${lab.url}`;
}
const whyNotElectron = useElectron ? '' : `\n  (not Electron: ${!electron.found ? electron.reason : !display ? 'no display' : 'run it as `sudo npm run lab` from your desktop account, Electron does not run as root'})`;

console.log(`
Palisade is running in a lab.
  app        ${how}${whyNotElectron}
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
await rm(scratch, { recursive: true, force: true });
