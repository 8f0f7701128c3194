// A screenshot of every screen, in English and Japanese, light and dark, from a lab with a
// realistic state: two networks in different profiles, app and port rules, live listeners, a
// real scan. Saved to test-results/screenshots/ (the best are copied to docs/screenshots/).
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
    ],
  });
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
