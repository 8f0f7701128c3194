// The desktop app's renderer, driven in Debian's Chromium against the lab: the real helper, the
// real kernel, nmap from outside. What the user does in the window must change what another
// host sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startDesktopLab, type DesktopLab } from '../support/desktop-lab';
import { launchChromium, openApp } from '../support/browser';
import { waitFor } from '../support/wait';
import { scanKey } from '../lab/nmap';
import { buildTrayModel, trayEdits } from '../../electron/main/tray-model';

const PRIVATE_IP = '10.77.0.1';
const PUBLIC_IP = '10.77.1.1';

let lab: DesktopLab;
let browser: Browser;
let page: Page;
let errors: string[];
let dir: string;

async function tcpState(target: string, port: number): Promise<string | undefined> {
  return (await lab.stack.lab.scan({ target, tcp: [port] })).get(scanKey('tcp', port));
}

/** A copy of ncat at a path of its own: a distinct app to the firewall. */
async function serveCopy(name: string, port: number): Promise<string> {
  await mkdir(join(dir, name), { recursive: true });
  const path = join(dir, name, 'server');
  await copyFile('/usr/bin/ncat', path);
  await chmod(path, 0o755);
  lab.stack.lab.spawn('host', [path, '-l', '-k', '-p', String(port)]);
  return path;
}

beforeAll(async () => {
  lab = await startDesktopLab();
  dir = await mkdtemp(join(tmpdir(), 'palisade-ui-'));
  browser = await launchChromium();
  ({ page, errors } = await openApp(browser, lab.url));
  await page.getByTestId('screen-overview').waitFor();
});
afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the desktop app against the lab', () => {
  it('a network change updates the Overview, and answering the question moves it to Private', async () => {
    // No network yet: both interfaces are on unidentified networks, so Public (as Windows does).
    expect(await page.getByTestId('profile-public-networks').textContent()).toContain('Unidentified network on h0');
    await lab.stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0']);
    // A new network: Public until the user answers, and the user is asked.
    await page.getByTestId('profile-public-networks').getByText('Network via 10.77.0.2 on h0').waitFor();
    await page.getByTestId('network-question').getByText('Is Network via 10.77.0.2 a private network?').waitFor();
    await page.getByTestId('network-private').click();
    await page.getByTestId('profile-private-networks').getByText('Network via 10.77.0.2 on h0').waitFor();
    // h1 joins a second network, which stays Public.
    await lab.stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.1.2', 'dev', 'h1', 'metric', '200']);
    // Wait for h1's own question: the h0 dialog may still be leaving, and a click on its button
    // would answer the wrong network and leave h1's question open over what comes next.
    await page.getByTestId('network-question').getByText('Is Network via 10.77.1.2 a private network?').waitFor();
    await page.getByTestId('network-public').click();
    await page.getByTestId('network-question').waitFor({ state: 'hidden' });
    await page.getByTestId('profile-public-networks').getByText('Network via 10.77.1.2 on h1').waitFor();
  });

  it('a new listener raises the prompt, and "Allow on Private" opens it on the Private interface only', async () => {
    const path = await serveCopy('prompted', 8001);
    const dialog = page.getByTestId('prompt-dialog');
    await dialog.getByText(path).waitFor();
    // The networks the machine is on come pre-ticked (h0's is Private, h1's Public): allow on Private only.
    await dialog.getByTestId('prompt-private').check();
    await dialog.getByTestId('prompt-public').uncheck();
    await dialog.getByTestId('prompt-allow').click();
    await dialog.waitFor({ state: 'hidden' });
    await waitFor('the app port opened', async () => (await lab.stack.nft(['list', 'set', 'inet', 'palisade', 'private_app_allow'])).includes('tcp . 8001'));
    expect(await tcpState(PRIVATE_IP, 8001)).toBe('open');
    expect(await tcpState(PUBLIC_IP, 8001)).toBe('filtered');
  });

  it('ticking an app\'s Public checkbox makes its port reachable on the Public interface', async () => {
    await page.getByTestId('nav-apps').click();
    const policy = await lab.services.handlers['firewall:policy']({});
    const app = policy.apps.find((a) => a.identity.kind === 'executable' && a.identity.path.endsWith('/prompted/server'));
    expect(app?.profiles).toEqual(['private']);
    const publicBox = page.getByTestId(`app-${app?.id ?? '?'}-public`);
    await publicBox.check();
    await waitFor('the public opening', async () => (await lab.stack.nft(['list', 'set', 'inet', 'palisade', 'public_app_allow'])).includes('tcp . 8001'));
    expect(await tcpState(PUBLIC_IP, 8001)).toBe('open');
    await expect(publicBox.isChecked()).resolves.toBe(true);
  });

  it('the tray model\'s Stealth item turns a closed port into a filtered one', async () => {
    // Stealth off on Public from the window: a port nobody allowed answers "closed".
    await page.getByTestId('nav-overview').click();
    // The switch follows the helper's answer, so click and wait rather than expect it to flip at once.
    await page.getByTestId('public-stealth').click();
    await waitFor('the switch off', async () => !(await page.getByTestId('public-stealth').isChecked()));
    await waitFor('stealth off in the kernel', async () => (await lab.stack.nft(['list', 'chain', 'inet', 'palisade', 'final_public'])).includes('reject'));
    expect(await tcpState(PUBLIC_IP, 9999)).toBe('closed');

    // The tray's Stealth item, exactly as the tray shows and applies it.
    const status = await lab.services.handlers['firewall:status']({});
    const model = buildTrayModel({ helper: lab.services.helper.state(), status, language: 'en' });
    const stealth = model.items.find((i) => i.id === 'stealth');
    expect(stealth).toMatchObject({ type: 'checkbox', checked: false, enabled: true });
    await lab.services.helper.call('ChangePolicy', { edits: trayEdits('stealth', true, status) }, { interactive: true });
    await waitFor('stealth on in the kernel', async () => !(await lab.stack.nft(['list', 'chain', 'inet', 'palisade', 'final_public'])).includes('reject'));
    expect(await tcpState(PUBLIC_IP, 9999)).toBe('filtered');
    // The window follows: the switch is on again, without a reload.
    await waitFor('the switch to follow', async () => page.getByTestId('public-stealth').isChecked());
  });

  it('logged no errors in the page (CSP violations included)', () => {
    expect(errors).toEqual([]);
  });
});
