// The protections of issue 5 in the window, against the lab: the Rules editor makes knocking and
// brute-force limits, outbound rules and the SSH preset (the helper's policy and the kernel follow);
// a profile's protection settings switch scan detection and an outbound essential; traffic from
// the outside namespace shows up as recent blocked attempts (read at open, then live) and moves a
// rule's hit count; the Exposure screen says "open after knock" and "rate limited".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDesktopLab, type DesktopLab } from '../support/desktop-lab';
import { launchChromium, openApp } from '../support/browser';
import { waitFor } from '../support/wait';
import { SSH_BRUTE_FORCE_LIMIT } from '../../shared/policy/presets';
import type { PortRule } from '../../shared/policy/schema';

/** h1's address: with no network identified yet, both lab interfaces are Public. */
const PUBLIC_IP = '10.77.1.1';
const OUTSIDE_IP = '10.77.1.2';

let lab: DesktopLab;
let browser: Browser;
let page: Page;
let errors: string[];

async function portRules(): Promise<PortRule[]> {
  return (await lab.invoke('firewall:policy', {})).portRules;
}

async function focusedTestId(): Promise<string | null> {
  // The test runs without the DOM's types: the page's document, as far as it is read here.
  type PageDocument = { activeElement: { getAttribute(name: string): string | null } | null };
  return page.evaluate(() => (globalThis as unknown as { document: PageDocument }).document.activeElement?.getAttribute('data-testid') ?? null);
}

/** The hit count a rule's row shows now (undefined while not counted). */
async function shownHits(id: string): Promise<number | undefined> {
  const text = await page.getByTestId(`rule-${id}-hits`).getAttribute('data-hits');
  return text ? Number(text) : undefined;
}

beforeAll(async () => {
  lab = await startDesktopLab();
  browser = await launchChromium();
  ({ page, errors } = await openApp(browser, lab.url));
  await page.getByTestId('screen-overview').waitFor();
});
afterAll(async () => {
  await browser?.close();
  await lab?.stop();
});

describe('protections in the window, against the lab', () => {
  it('the Rules editor makes a knock + limit rule, after saying what is wrong with a knock port', async () => {
    await page.getByTestId('nav-rules').click();
    await page.getByTestId('add-rule').click();
    const editor = page.getByTestId('rule-editor');
    await editor.waitFor();
    await editor.getByTestId('rule-port').fill('2222');
    await editor.getByTestId('rule-profile-private').uncheck();
    await editor.getByTestId('rule-profile-public').check();

    await editor.getByTestId('rule-knock-enabled').check();
    await editor.getByTestId('rule-knock-0-port').fill('7001');
    await editor.getByTestId('rule-knock-add').click();
    // The new knock's port takes the keyboard.
    await waitFor('focus on the new knock', async () => (await focusedTestId()) === 'rule-knock-1-port');
    await editor.getByTestId('rule-knock-1-protocol').selectOption('udp');
    await page.keyboard.type('70000');
    // A new knock starts with the protocol of the one before it.
    await editor.getByTestId('rule-knock-add').click();
    expect(await editor.getByTestId('rule-knock-2-protocol').inputValue()).toBe('udp');
    await editor.getByTestId('rule-knock-2-port').fill('7003');

    // A knock port out of range: nothing is sent, the message says which knock, the keyboard goes there.
    await editor.getByTestId('rule-save').click();
    const knockError = editor.getByTestId('rule-knock-error');
    await knockError.waitFor();
    expect(await knockError.textContent()).toBe('Knock 2: type a port from 1 to 65535.');
    expect(await editor.getByTestId('rule-knock-1-port').getAttribute('aria-invalid')).toBe('true');
    await waitFor('focus on the bad knock', async () => (await focusedTestId()) === 'rule-knock-1-port');
    expect((await portRules()).some((r) => r.ports.from === 2222)).toBe(false);

    await editor.getByTestId('rule-knock-1-port').fill('7002');
    await knockError.waitFor({ state: 'detached' });
    // Reorder: the third knock moves up, and the keyboard stays on its button.
    await editor.getByTestId('rule-knock-2-up').click();
    await waitFor('focus to follow the moved knock', async () => (await focusedTestId()) === 'rule-knock-1-up');
    expect(await editor.getByTestId('rule-knock-1-port').inputValue()).toBe('7003');
    await editor.getByTestId('rule-knock-window').fill('15');
    await editor.getByTestId('rule-knock-open').fill('1');
    await editor.getByTestId('rule-knock-open-unit').selectOption('min');

    await editor.getByTestId('rule-limit-enabled').check();
    // Starts from "3 in 10 seconds"; a second rate, 4 in 30 minutes, and a block of one hour.
    expect(await editor.getByTestId('rule-limit-0-count').inputValue()).toBe('3');
    await editor.getByTestId('rule-limit-add').click();
    await editor.getByTestId('rule-limit-1-count').fill('4');
    await editor.getByTestId('rule-limit-1-period').fill('30');
    await editor.getByTestId('rule-limit-1-period-unit').selectOption('min');
    await editor.getByTestId('rule-limit-block').fill('1');
    await editor.getByTestId('rule-limit-block-unit').selectOption('h');
    await editor.getByTestId('rule-comment').fill('Knocked SSH');
    await editor.getByTestId('rule-save').click();
    await page.getByTestId('rule-editor-dialog').waitFor({ state: 'hidden' });

    let rule: PortRule | undefined;
    await waitFor('the rule in the policy', async () => (rule = (await portRules()).find((r) => r.comment === 'Knocked SSH')) !== undefined);
    expect(rule).toMatchObject({
      direction: 'in', action: 'allow', protocol: 'tcp', ports: { from: 2222, to: 2222 }, profiles: ['public'],
      knock: { sequence: [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7003 }, { protocol: 'udp', port: 7002 }], windowSeconds: 15, openSeconds: 60 },
      limit: { rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 3600 },
    });
    const id = rule?.id ?? '?';
    await page.getByTestId(`rule-${id}-knock`).waitFor();
    await page.getByTestId(`rule-${id}-limit`).waitFor();
    expect(await page.getByTestId(`rule-row-${id}`).textContent()).toContain('7001/tcp → 7003/udp → 7002/udp');

    // Editing keeps the rule's id (and so its hit count).
    await page.getByTestId(`rule-${id}-edit`).click();
    await editor.getByTestId('rule-comment').fill('Knocked SSH, edited');
    await editor.getByTestId('rule-save').click();
    await page.getByTestId('rule-editor-dialog').waitFor({ state: 'hidden' });
    await waitFor('the edit in the policy', async () => (await portRules()).some((r) => r.comment === 'Knocked SSH, edited'));
    const after = (await portRules()).filter((r) => r.ports.from === 2222);
    expect(after.map((r) => [r.id, r.comment])).toEqual([[id, 'Knocked SSH, edited']]);
    expect(after[0]?.knock).toEqual(rule?.knock);
  });

  it('an outbound block rule: remote port and networks, no knocking or limits, and the kernel blocks it', async () => {
    await page.getByTestId('add-rule').click();
    const editor = page.getByTestId('rule-editor');
    await editor.getByTestId('rule-direction').selectOption('out');
    expect(await editor.getByTestId('rule-port-label').textContent()).toBe('Remote port or range');
    expect(await editor.getByTestId('rule-remote-label').textContent()).toBe('Remote networks');
    expect(await editor.getByTestId('rule-knocking').count()).toBe(0);
    expect(await editor.getByTestId('rule-limits').count()).toBe(0);
    expect(await editor.getByTestId('rule-always-open').count()).toBe(0);
    await editor.getByTestId('rule-action').selectOption('block');
    await editor.getByTestId('rule-port').fill('25');
    await editor.getByTestId('rule-profile-public').check();
    await editor.getByTestId('rule-remote').fill('10.77.1.0/24');
    await editor.getByTestId('rule-save').click();
    await page.getByTestId('rule-editor-dialog').waitFor({ state: 'hidden' });

    let rule: PortRule | undefined;
    await waitFor('the outbound rule', async () => (rule = (await portRules()).find((r) => r.direction === 'out')) !== undefined);
    expect(rule).toMatchObject({ direction: 'out', action: 'block', protocol: 'tcp', ports: { from: 25, to: 25 }, profiles: ['private', 'public'], remote: ['10.77.1.0/24'], alwaysOpen: false });
    expect(rule?.knock).toBeUndefined();
    expect(rule?.limit).toBeUndefined();
    expect(await page.getByTestId(`rule-${rule?.id ?? '?'}-direction`).textContent()).toContain('Outbound');
    await waitFor('the rule in the output chain', async () => /dport 25\b/.test(await lab.stack.nft(['list', 'chain', 'inet', 'palisade', 'out_public'])));
  });

  it('the SSH preset opens the editor ready to save, with the source article\'s limits', async () => {
    await page.getByTestId('preset-ssh').click();
    const editor = page.getByTestId('rule-editor');
    await editor.waitFor();
    expect(await page.locator('#rule-editor-title').textContent()).toBe('New rule: SSH with brute-force protection');
    expect(await editor.getByTestId('rule-port').inputValue()).toBe('22');
    await expect(editor.getByTestId('rule-limit-enabled').isChecked()).resolves.toBe(true);
    await editor.getByTestId('rule-profile-public').check();
    await editor.getByTestId('rule-save').click();
    await page.getByTestId('rule-editor-dialog').waitFor({ state: 'hidden' });
    let rule: PortRule | undefined;
    await waitFor('the preset rule', async () => (rule = (await portRules()).find((r) => r.ports.from === 22)) !== undefined);
    expect(rule).toMatchObject({ direction: 'in', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['private', 'public'], comment: 'SSH with brute-force protection' });
    expect(rule?.limit).toEqual(SSH_BRUTE_FORCE_LIMIT);
    await page.getByTestId(`rule-${rule?.id ?? '?'}-limit`).waitFor();
  });

  it('a profile\'s protection settings switch scan detection and an outbound essential', async () => {
    await page.getByTestId('nav-overview').click();
    await page.getByTestId('public-protections').click();
    const dialog = page.getByTestId('protections-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('scan-enabled').check();
    await dialog.getByTestId('scan-ports').fill('1');
    await dialog.getByTestId('protections-save').click();
    const portsError = dialog.getByTestId('scan-ports-error');
    await portsError.waitFor();
    expect(await portsError.textContent()).toBe('Type a whole number of ports from 2 to 10,000.');
    await dialog.getByTestId('scan-ports').fill('12');
    await dialog.getByTestId('scan-within').fill('5');
    await dialog.getByTestId('scan-block').fill('2');
    await dialog.getByTestId('scan-block-unit').selectOption('min');
    // Outbound blocked by default: the essentials are listed one by one, and NTP goes off.
    await dialog.getByTestId('outbound-block').check();
    await dialog.getByTestId('essentials').waitFor();
    expect(await dialog.getByTestId('essential-dns-row').textContent()).toMatch(/^DNS to /);
    await dialog.getByTestId('essential-ntp').uncheck();
    await dialog.getByTestId('protections-save').click();
    await dialog.waitFor({ state: 'detached' });

    await waitFor('the helper\'s status', async () => {
      const s = (await lab.invoke('firewall:status', {})).profiles.public;
      return s.scanDetection.enabled && s.defaultOutbound === 'block' && !s.outboundEssentials.ntp;
    });
    const settings = (await lab.invoke('firewall:status', {})).profiles.public;
    expect(settings.scanDetection).toEqual({ enabled: true, ports: 12, withinSeconds: 5, blockSeconds: 120 });
    expect(settings.outboundEssentials).toEqual({ dns: true, dhcp: true, ntp: false });
    expect(settings.antiSpoofing).toBe(true);
    await waitFor('the card summary', async () => (await page.getByTestId('public-protections-summary').textContent())?.includes('Port-scan detection: On') === true);
    expect(await lab.stack.nft(['list', 'chain', 'inet', 'palisade', 'out_public'])).not.toMatch(/dport 123\b/);

    // Off again (the traffic below must not get the lab's outside host blocked as a scanner).
    await page.getByTestId('public-protections').click();
    await dialog.getByTestId('scan-enabled').uncheck();
    await dialog.getByTestId('outbound-allow').check();
    await dialog.getByTestId('protections-save').click();
    await dialog.waitFor({ state: 'detached' });
    await waitFor('scan detection off', async () => {
      const s = (await lab.invoke('firewall:status', {})).profiles.public;
      return !s.scanDetection.enabled && s.defaultOutbound === 'allow';
    });
  });

  it('a rule\'s hit count rises after traffic to it from outside', async () => {
    await lab.invoke('firewall:change', { edits: [{ op: 'addPortRule', rule: { id: 'hits-web', action: 'allow', protocol: 'tcp', ports: { from: 8443, to: 8443 }, profiles: ['public'], alwaysOpen: true } }] });
    await page.getByTestId('nav-rules').click();
    await page.getByTestId('rule-row-hits-web').waitFor();
    await waitFor('a first count', async () => (await shownHits('hits-web')) !== undefined);
    const before = (await shownHits('hits-web')) ?? 0;
    await lab.stack.lab.scan({ target: PUBLIC_IP, tcp: [8443] });
    await waitFor('the count to rise', async () => ((await shownHits('hits-web')) ?? 0) > before, { timeoutMs: 20_000 });

    // More than 3 new connections in 10 seconds to the SSH preset's port: the limit turns the source away, and says so.
    const ssh = (await portRules()).find((r) => r.ports.from === 22);
    for (let i = 0; i < 3; i++) await lab.stack.lab.scan({ target: PUBLIC_IP, tcp: [22] });
    const limited = page.getByTestId(`rule-${ssh?.id ?? '?'}-limited`);
    await limited.waitFor({ timeout: 20_000 });
    expect(await limited.textContent()).toMatch(/^\d+ turned away by the limit$/);
  });

  it('blocked traffic from outside shows as recent blocked attempts: read at open, then live', async () => {
    await lab.stack.lab.scan({ target: PUBLIC_IP, tcp: [9101] });
    // A window opened after the traffic can only know it from the helper's drop log.
    const fresh = await openApp(browser, lab.url);
    try {
      await fresh.page.getByTestId('nav-activity').click();
      await fresh.page.getByTestId('activity-tab-drops').click();
      const logged = fresh.page.locator(`[data-testid="drop-row"][data-port="9101"][data-source="${OUTSIDE_IP}"]`).first();
      await logged.waitFor({ timeout: 20_000 });
      const text = await logged.textContent();
      expect(text).toContain('h1');
      expect(text).toContain('Public');
      expect(text).toContain('Inbound');
      expect(text).toContain('TCP');
      expect(text).toContain(`${PUBLIC_IP}:9101`);
      expect(text).toContain('Not allowed');
      expect(await logged.getAttribute('data-kind')).toBe('default');
      expect(fresh.errors).toEqual([]);
    } finally {
      await fresh.context.close();
    }

    // With the tab open: new attempts arrive as the helper announces them.
    await page.getByTestId('nav-activity').click();
    await page.getByTestId('activity-tab-drops').click();
    await page.locator(`[data-testid="drop-row"][data-port="9101"]`).first().waitFor({ timeout: 20_000 });
    await lab.stack.lab.scan({ target: PUBLIC_IP, tcp: [9202] });
    await page.locator(`[data-testid="drop-row"][data-port="9202"][data-source="${OUTSIDE_IP}"]`).first().waitFor({ timeout: 20_000 });
    // Newest first.
    expect(await page.getByTestId('drop-row').first().getAttribute('data-port')).toBe('9202');

    // The search narrows the table like the sockets one.
    await page.getByTestId('drops-search').fill(':9101');
    await waitFor('the search', async () => {
      const ports = await page.getByTestId('drop-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-port')));
      return ports.length > 0 && ports.every((p) => p === '9101');
    });
    await page.getByTestId('drops-search').fill('');
    // The keyboard moves between the tabs with the arrow keys.
    await page.getByTestId('activity-tab-drops').focus();
    await page.keyboard.press('ArrowLeft');
    await page.getByTestId('activity-panel-sockets').waitFor();
    expect(await focusedTestId()).toBe('activity-tab-sockets');
  });

  it('an allowed app\'s details set and remove brute-force limits', async () => {
    // Listed but allowed nowhere, so it raises no prompt and opens nothing (the port rule below decides for 2222).
    await lab.invoke('firewall:change', { edits: [{ op: 'setApp', identity: { kind: 'executable', path: '/usr/bin/ncat' }, name: 'Ncat', action: 'allow', profiles: [] }] });
    const app = (await lab.invoke('firewall:policy', {})).apps.find((a) => a.name === 'Ncat');
    const id = app?.id ?? '?';
    await page.getByTestId('nav-apps').click();
    await page.getByTestId(`app-${id}-details`).click();
    const details = page.getByTestId('app-details');
    await details.getByTestId('app-limits-edit').click();
    await details.getByTestId('app-limit-0-count').fill('0');
    await details.getByTestId('app-limits-save').click();
    const error = details.getByTestId('app-limit-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('Limit 1: the number of connections must be a whole number from 1 to 100,000.');
    await details.getByTestId('app-limit-0-count').fill('5');
    await details.getByTestId('app-limit-0-period').fill('1');
    await details.getByTestId('app-limit-0-period-unit').selectOption('min');
    await details.getByTestId('app-limit-block').fill('5');
    await details.getByTestId('app-limits-save').click();
    await waitFor('the app\'s limits', async () => (await lab.invoke('firewall:policy', {})).apps.find((a) => a.id === id)?.limit !== undefined);
    expect((await lab.invoke('firewall:policy', {})).apps.find((a) => a.id === id)?.limit).toEqual({ rates: [{ count: 5, seconds: 60 }], blockSeconds: 300 });
    expect(await details.getByTestId('app-details-limits').textContent()).toBe('5 per 1 minute; then blocked for 5 minutes');
    await page.getByTestId(`app-${id}-limited`).waitFor();
    await details.getByTestId('app-limits-remove').click();
    await waitFor('the limits gone', async () => (await lab.invoke('firewall:policy', {})).apps.find((a) => a.id === id)?.limit === undefined);
    await details.getByTestId('app-details-close').click();
  });

  it('the Exposure screen says "open after knock" and "rate limited" for the knocked port', async () => {
    // ncat is listed (above) but allowed nowhere: no prompt, and the port rule decides.
    lab.stack.lab.spawn('host', ['ncat', '-l', '-k', '-p', '2222']);
    await waitFor('the listener', async () => (await lab.invoke('firewall:sockets', { listening: true })).some((s) => s.port === 2222));
    await page.getByTestId('nav-exposure').click();
    const row = page.locator(`[data-testid="exposure-h1"] [data-testid="exposure-port"][data-address="${PUBLIC_IP}"][data-port="2222"][data-protocol="tcp"]`);
    await row.waitFor({ timeout: 20_000 });
    expect(await row.getAttribute('data-state')).toBe('filtered');
    expect(await row.getAttribute('data-reason')).toBe('knock-required');
    expect(await row.getAttribute('data-after-knock')).toBe('open');
    expect(await row.getByTestId('exposure-after-knock').textContent()).toBe('After knocking: open');
    expect(await row.getByTestId('exposure-rate-limited').textContent()).toBe('Rate limited');
    expect(await row.textContent()).toContain('Opens only after knocking');
  });

  it('logged no errors in the page (CSP violations included)', () => {
    expect(errors).toEqual([]);
  });
});
