// A screenshot of every screen, in English and Japanese, light and dark, from a lab with a
// realistic state: two networks in different profiles, app and port rules (knocking, limits, an
// outbound block), live listeners, blocked attempts from outside and from this host, a real
// scan; then the rule editor with knocking and limits, a profile's protection settings and the
// recent blocked attempts. Saved to test-results/screenshots/ (the best are copied to
// docs/screenshots/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { startDesktopLab, type DesktopLab } from '../support/desktop-lab';
import { launchChromium, openApp } from '../support/browser';
import { waitFor } from '../support/wait';
import { SCREEN_ORDER } from '../../renderer/src/screens/order';

const OUT = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const LANGUAGES = ['en', 'ja'] as const;
const THEMES = ['light', 'dark'] as const;

let lab: DesktopLab;
let browser: Browser;

/** Blocked attempts: probes from outside to closed ports on both networks, and this host trying an
 *  outbound port a rule blocks (25) and one the Public default blocks (8081). */
async function blockSomeAttempts(): Promise<void> {
  const { stack } = lab;
  await stack.lab.scan({ target: '10.77.0.1', tcp: [5900] });
  await stack.lab.scan({ target: '10.77.1.1', tcp: [23, 445, 3389], udp: [161] });
  await stack.lab.exec('host', ['ncat', '-w', '1', '10.77.1.2', '8081'], { allowFailure: true });
  await stack.lab.exec('host', ['ncat', '-w', '1', '10.77.1.2', '25'], { allowFailure: true });
}

beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
  lab = await startDesktopLab();
  const { stack, services } = lab;
  await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0']);
  await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.1.2', 'dev', 'h1', 'metric', '200']);
  await waitFor('both networks', async () => (await services.handlers['firewall:networks']({})).known.length === 2);
  const networks = await services.handlers['firewall:networks']({});
  const key = (iface: string) => networks.active.find((n) => n.interface === iface)?.key ?? '?';
  // Listeners first, so the apps are there to be ruled on.
  stack.lab.spawn('host', ['ncat', '-l', '-k', '-p', '8080']);
  stack.lab.spawn('host', ['socat', '-u', 'UDP-RECV:5353', '/dev/null']);
  stack.lab.spawn('host', ['ncat', '-l', '-k', '-p', '22']);
  await waitFor('the listeners', async () => (await services.handlers['firewall:sockets']({ listening: true })).filter((s) => [8080, 5353, 22].includes(s.port)).length >= 3);
  await lab.invoke('firewall:change', {
    edits: [
      { op: 'setNetworkProfile', network: key('h0'), profile: 'private' },
      { op: 'setNetworkProfile', network: key('h1'), profile: 'public' },
      { op: 'setApp', identity: { kind: 'executable', path: '/usr/bin/ncat' }, name: 'Ncat', action: 'allow', profiles: ['private'] },
      { op: 'setApp', identity: { kind: 'executable', path: '/usr/bin/socat' }, name: 'socat', action: 'allow', profiles: ['private', 'public'] },
      { op: 'setApp', identity: { kind: 'flatpak', appId: 'org.mozilla.firefox' }, action: 'allow', profiles: ['private'] },
      { op: 'setApp', identity: { kind: 'snap', name: 'spotify' }, action: 'block', profiles: ['private', 'public'] },
      { op: 'addPortRule', rule: { id: 'ssh-lan', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['private'], remote: ['10.77.0.0/16', 'fd00:77::/32'], comment: 'SSH from the lab LAN' } },
      { op: 'addPortRule', rule: { id: 'web', action: 'allow', protocol: 'tcp', ports: { from: 8000, to: 8010 }, profiles: ['private'], alwaysOpen: true } },
      { op: 'addPortRule', rule: { id: 'no-dns', action: 'block', protocol: 'udp', ports: { from: 53, to: 53 }, profiles: ['public'] } },
      { op: 'addPortRule', rule: { id: 'game', action: 'allow', protocol: 'both', ports: { from: 27015, to: 27030 }, profiles: ['private'], expires: new Date(Date.now() + 3_600_000).toISOString() } },
      { op: 'addPortRule', rule: {
        id: 'knocked-ssh', action: 'allow', protocol: 'tcp', ports: { from: 2222, to: 2222 }, profiles: ['public'], comment: 'SSH after knocking',
        knock: { sequence: [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }, { protocol: 'tcp', port: 7003 }], windowSeconds: 10, openSeconds: 30 },
        limit: { rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 1800 },
      } },
      { op: 'addPortRule', rule: { id: 'no-smtp', direction: 'out', action: 'block', protocol: 'tcp', ports: { from: 25, to: 25 }, profiles: ['private', 'public'], comment: 'No mail from this computer' } },
      { op: 'setApp', identity: { kind: 'executable', path: '/usr/bin/ncat' }, name: 'Ncat', action: 'allow', profiles: ['private'], limit: { rates: [{ count: 10, seconds: 60 }], blockSeconds: 600 } },
      { op: 'setProfile', profile: 'public', settings: { defaultOutbound: 'block', outboundEssentials: { dns: true, dhcp: true, ntp: false }, scanDetection: { enabled: true, ports: 20, withinSeconds: 5, blockSeconds: 600 } } },
    ],
  });
  await blockSomeAttempts();
  await waitFor('the blocked attempts', async () => (await lab.invoke('firewall:dropLog', { limit: 100 })).some((d) => d.kind === 'out-block'));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await lab?.stop();
});

describe('screenshots of every screen', () => {
  for (const language of LANGUAGES) {
    for (const theme of THEMES) {
      it(`${language}, ${theme}`, async () => {
        await lab.services.handlers['settings:set']({ language, theme: 'system' });
        const { context, page, errors } = await openApp(browser, lab.url, { colorScheme: theme, locale: language === 'ja' ? 'ja-JP' : 'en-US' });
        try {
          await page.getByTestId('screen-overview').waitFor();
          await waitFor('the language', async () => (await page.locator('html').getAttribute('lang')) === language);
          for (const screen of SCREEN_ORDER) {
            await page.getByTestId(`nav-${screen}`).click();
            await page.getByTestId(`screen-${screen}`).waitFor();
            if (screen === 'exposure') {
              await page.getByTestId('scan-h0').click();
              await page.getByTestId('scan-result-h0').waitFor({ timeout: 60_000 });
            }
            if (screen === 'activity') await page.getByTestId('socket-row').first().waitFor();
            await page.waitForTimeout(300);
            await page.screenshot({ path: join(OUT, `${screen}-${language}-${theme}.png`) });
          }

          // The rule editor on a rule with knocking and limits, scrolled to them.
          await page.getByTestId('nav-rules').click();
          await page.getByTestId('rule-knocked-ssh-edit').click();
          await page.getByTestId('rule-knocking').evaluate((el) => el.scrollIntoView({ block: 'start' }));
          await page.waitForTimeout(300);
          await page.screenshot({ path: join(OUT, `rules-editor-${language}-${theme}.png`) });
          await page.keyboard.press('Escape');
          await page.getByTestId('rule-editor-dialog').waitFor({ state: 'hidden' });

          // A profile's protection settings: scan detection, anti-spoofing, outbound and its essentials.
          await page.getByTestId('nav-overview').click();
          await page.getByTestId('public-protections').click();
          await page.getByTestId('essentials').waitFor();
          await page.waitForTimeout(300);
          await page.screenshot({ path: join(OUT, `protections-${language}-${theme}.png`) });
          await page.keyboard.press('Escape');
          await page.getByTestId('protections-dialog').waitFor({ state: 'detached' });

          // Recent blocked attempts, with fresh ones of each kind on top ("Scan me" above logged many).
          await blockSomeAttempts();
          await page.getByTestId('nav-activity').click();
          await page.getByTestId('activity-tab-drops').click();
          await page.locator('[data-testid="drop-row"][data-kind="out-block"]').first().waitFor();
          await page.waitForTimeout(300);
          await page.screenshot({ path: join(OUT, `activity-drops-${language}-${theme}.png`) });
          expect(errors).toEqual([]);
        } finally {
          await context.close();
        }
      });
    }
  }

  it('the new-app prompt and the network question, in both languages', async () => {
    for (const language of LANGUAGES) {
      await lab.services.handlers['settings:set']({ language });
      const { context, page } = await openApp(browser, lab.url, { colorScheme: 'light' });
      try {
        await page.getByTestId('screen-overview').waitFor();
        // A different app each time: the first is blocked below, and a blocked app is not asked about again.
        lab.stack.lab.spawn('host', language === 'en'
          ? ['python3', '-m', 'http.server', '9090']
          : ['perl', '-MIO::Socket::INET', '-e', 'my $s = IO::Socket::INET->new(LocalPort => 9091, Listen => 5, ReuseAddr => 1) or die; sleep 600']);
        await page.getByTestId('prompt-dialog').waitFor({ timeout: 30_000 });
        await page.waitForTimeout(300);
        await page.screenshot({ path: join(OUT, `prompt-${language}.png`) });
        await page.getByTestId('prompt-block').click();
      } finally {
        await context.close();
      }
    }
  });
});
