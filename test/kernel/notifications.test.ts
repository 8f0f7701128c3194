// Desktop notifications with buttons, against a real dbus-daemon (a private session bus this test
// starts) and a stand-in org.freedesktop.Notifications server written with dbus-next: the
// helper's NewAppPrompt becomes "Palisade blocked some features of …" with the three Windows
// choices, a click answers the prompt through the helper, PromptClosed takes it down, NewNetwork
// asks "Is … a private network?", and an answer the helper refuses opens the window instead.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { NameFlag, RequestNameReply, type MessageBus } from 'dbus-next';
import { waitFor } from '../support/wait';
import { FakeNotificationServer, PrivateSessionBus, type Notified } from '../support/session-bus';
import { DesktopNotifier, NotificationRouter } from '../../electron/main/notifications';
import { FirewallError, type CallOptions } from '../../electron/client/firewall-client';
import type { HelperSignal } from '../../electron/main/helper-connection';
import type { SettingsPort } from '../../electron/main/ports';
import type { EventPayload, HelperState, Settings } from '../../shared/ipc/contract';
import type { MethodArgs, MethodName, MethodResult, Prompt } from '../../shared/dbus/contract';

// ---- stand-ins for the helper and the settings ----------------------------------------------

class FakeHelper extends EventEmitter<{ state: [HelperState]; signal: [HelperSignal] }> {
  readonly calls: { method: MethodName; args: unknown; opts: CallOptions | undefined }[] = [];
  refuseWith: FirewallError | undefined;

  async call<M extends MethodName>(method: M, args: MethodArgs<M>, opts?: CallOptions): Promise<MethodResult<M>> {
    this.calls.push({ method, args, opts });
    if (this.refuseWith) throw this.refuseWith;
    return { revision: 2 } as MethodResult<M>;
  }

  signal(signal: HelperSignal): void {
    this.emit('signal', signal);
  }
}

class FakeSettings implements SettingsPort {
  value: Settings = { language: 'system', theme: 'system', notifications: true };
  async get(): Promise<Settings> { return this.value; }
  async set(): Promise<Settings> { return this.value; }
}

const prompt = (id: string, name = 'Firefox'): Prompt => ({
  id, name,
  app: { kind: 'executable', path: '/usr/lib/firefox-esr/firefox-esr' },
  ports: [{ protocol: 'tcp', port: 8000, address: '0.0.0.0' }, { protocol: 'tcp', port: 8000, address: '::' }, { protocol: 'udp', port: 5353, address: '0.0.0.0' }],
  profiles: ['private'],
  since: '2026-01-01T00:00:00Z',
});

const cafe = {
  key: 'nm:5a1e3f52-2f5c-4d7e-9a53-3c1f0b8e6d21', name: 'Café Wi-Fi', interface: 'wlan0', primary: true,
  identity: { kind: 'networkmanager' as const, uuid: '5a1e3f52-2f5c-4d7e-9a53-3c1f0b8e6d21', ssid: 'Café Wi-Fi' },
};

// ---- the tests ------------------------------------------------------------------------------

let serverBus: MessageBus;
let session: PrivateSessionBus;
let server: FakeNotificationServer;
let clientBus: MessageBus;
let notifier: DesktopNotifier;
let helper: FakeHelper;
let settings: FakeSettings;
let opened: EventPayload<'ui:navigate'>[];
let router: NotificationRouter;
let language: 'en' | 'ja';

beforeAll(async () => {
  session = await PrivateSessionBus.start();
});
afterAll(async () => {
  await session?.stop();
});

beforeEach(async () => {
  serverBus = await session.connect();
  server = new FakeNotificationServer();
  serverBus.export('/org/freedesktop/Notifications', server);
  expect(await serverBus.requestName('org.freedesktop.Notifications', NameFlag.DO_NOT_QUEUE)).toBe(RequestNameReply.PRIMARY_OWNER);
  clientBus = await session.connect();
  notifier = new DesktopNotifier(clientBus, { desktopEntry: 'palisade' });
  helper = new FakeHelper();
  settings = new FakeSettings();
  opened = [];
  language = 'en';
  router = new NotificationRouter({ notifier, helper, settings, language: () => language, openWindow: (nav) => opened.push(nav), icon: 'palisade' });
  router.start();
});
afterEach(async () => {
  router.stop();
  notifier.dispose();
  clientBus.disconnect();
  await serverBus.releaseName('org.freedesktop.Notifications');
  serverBus.disconnect();
});

async function nextNotification(count: number): Promise<Notified> {
  await waitFor(`notification ${count}`, () => server.notified.length >= count, { timeoutMs: 5_000, intervalMs: 20 });
  const n = server.notified[count - 1];
  if (!n) throw new Error('no notification');
  return n;
}

describe('DesktopNotifier', () => {
  it('knows whether a server is there and what it can do', async () => {
    expect(await notifier.available()).toBe(true);
    expect(await notifier.supportsActions()).toBe(true);
    const lonely = new DesktopNotifier(serverBus);
    await serverBus.releaseName('org.freedesktop.Notifications');
    expect(await lonely.available()).toBe(false);
    expect(await lonely.supportsActions()).toBe(false);
    await expect(lonely.notify({ summary: 's', body: 'b', actions: [] })).rejects.toThrow();
    lonely.dispose();
  });

  it('sends the actions and hints, and reports only its own notifications\' actions', async () => {
    const actions: [number, string][] = [];
    notifier.on('action', (id, key) => actions.push([id, key]));
    const id = await notifier.notify({ summary: 'S', body: 'B', icon: 'palisade', urgency: 'critical', actions: [{ key: 'a', label: 'A' }, { key: 'default', label: 'Open' }] });
    const n = await nextNotification(1);
    expect(n).toMatchObject({ id, appName: 'Palisade', icon: 'palisade', summary: 'S', body: 'B', actions: [['a', 'A'], ['default', 'Open']], timeout: -1 });
    expect(n.hints.urgency?.value).toBe(2);
    expect(n.hints['desktop-entry']?.value).toBe('palisade');
    // Another app's notification, clicked: not ours.
    server.ActionInvoked(id + 100, 'a');
    server.click(id, 'a');
    await waitFor('the action', () => actions.length > 0, { timeoutMs: 5_000, intervalMs: 20 });
    expect(actions).toEqual([[id, 'a']]);
  });
});

describe('NotificationRouter', () => {
  it('shows a new app prompt with the Windows title, the ports and three choices', async () => {
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p1') });
    const n = await nextNotification(1);
    expect(n.summary).toBe('Palisade blocked some features of Firefox');
    expect(n.body).toContain('TCP 8000, UDP 5353');
    expect(n.actions).toEqual([['allow-private', 'Allow on Private'], ['allow-public', 'Allow on Public'], ['keep-blocked', 'Keep blocked'], ['default', 'Open Palisade']]);
    expect(n.timeout).toBe(0);
    expect(n.icon).toBe('palisade');
    // The same prompt again (a second signal for it) is not shown twice.
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p1') });
    language = 'ja';
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p2', 'Thunderbird') });
    const ja = await nextNotification(2);
    expect(ja.summary).toBe('Palisade で Thunderbird の機能のいくつかがブロックされました');
    expect(ja.actions.map(([, label]) => label)).toEqual(['プライベートで許可', 'パブリックで許可', 'ブロックしたままにする', 'Palisade を開く']);
    expect(ja.body).toContain('TCP 8000、UDP 5353');
  });

  it('answers the prompt with the button clicked, through the helper, asking for a password if needed', async () => {
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p1') });
    server.click((await nextNotification(1)).id, 'allow-private');
    await waitFor('AnswerPrompt', () => helper.calls.length === 1, { timeoutMs: 5_000, intervalMs: 20 });
    expect(helper.calls[0]).toEqual({ method: 'AnswerPrompt', args: { id: 'p1', decision: { action: 'allow', profiles: ['private'] } }, opts: { interactive: true } });

    helper.signal({ name: 'NewAppPrompt', payload: prompt('p2') });
    server.click((await nextNotification(2)).id, 'allow-public');
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p3') });
    server.click((await nextNotification(3)).id, 'keep-blocked');
    await waitFor('three answers', () => helper.calls.length === 3, { timeoutMs: 5_000, intervalMs: 20 });
    expect(helper.calls.slice(1).map((c) => c.args)).toEqual([
      { id: 'p2', decision: { action: 'allow', profiles: ['public'] } },
      { id: 'p3', decision: { action: 'block' } },
    ]);
    expect(opened).toEqual([]);
  });

  it('opens the window on the prompt when the notification itself is clicked', async () => {
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p1') });
    server.click((await nextNotification(1)).id, 'default');
    await waitFor('the window', () => opened.length === 1, { timeoutMs: 5_000, intervalMs: 20 });
    expect(opened).toEqual([{ screen: 'apps', promptId: 'p1' }]);
    expect(helper.calls).toEqual([]);
  });

  it('takes the notification down when the prompt is answered elsewhere', async () => {
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p1') });
    const n = await nextNotification(1);
    helper.signal({ name: 'PromptClosed', payload: { id: 'p1' } });
    await waitFor('CloseNotification', () => server.closed.includes(n.id), { timeoutMs: 5_000, intervalMs: 20 });
    // A late click on it answers nothing.
    server.ActionInvoked(n.id, 'allow-private');
    helper.signal({ name: 'PromptClosed', payload: { id: 'unknown' } });
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p2') });
    await nextNotification(2);
    expect(helper.calls).toEqual([]);
  });

  it('stays quiet when notifications are turned off', async () => {
    settings.value = { ...settings.value, notifications: false };
    helper.signal({ name: 'NewAppPrompt', payload: prompt('quiet') });
    helper.signal({ name: 'NewNetwork', payload: cafe });
    // Signals are handled in order: once a later one is shown, the earlier ones were skipped.
    settings.value = { ...settings.value, notifications: true };
    helper.signal({ name: 'NewAppPrompt', payload: prompt('loud', 'Loud') });
    await nextNotification(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(server.notified.map((n) => n.summary)).toEqual(['Palisade blocked some features of Loud']);
  });

  it('asks whether a new network is private and sets its profile', async () => {
    helper.signal({ name: 'NewNetwork', payload: cafe });
    const n = await nextNotification(1);
    expect(n.summary).toBe('Is Café Wi-Fi a private network?');
    expect(n.actions).toEqual([['yes-private', 'Yes, private'], ['no-public', 'No, keep public'], ['default', 'Open Palisade']]);
    server.click(n.id, 'yes-private');
    await waitFor('ChangePolicy', () => helper.calls.length === 1, { timeoutMs: 5_000, intervalMs: 20 });
    expect(helper.calls[0]).toEqual({ method: 'ChangePolicy', args: { edits: [{ op: 'setNetworkProfile', network: cafe.key, profile: 'private' }] }, opts: { interactive: true } });

    helper.signal({ name: 'NewNetwork', payload: { ...cafe, key: 'gw:192.168.1.1@00:11:22:33:44:55', name: 'Router' } });
    server.click((await nextNotification(2)).id, 'no-public');
    await waitFor('second ChangePolicy', () => helper.calls.length === 2, { timeoutMs: 5_000, intervalMs: 20 });
    expect(helper.calls[1]?.args).toEqual({ edits: [{ op: 'setNetworkProfile', network: 'gw:192.168.1.1@00:11:22:33:44:55', profile: 'public' }] });
  });

  it('opens the window on the right screen when the helper refuses the answer', async () => {
    helper.refuseWith = new FirewallError('access-denied', 'not authorised');
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p1') });
    server.click((await nextNotification(1)).id, 'allow-private');
    await waitFor('the window', () => opened.length === 1, { timeoutMs: 5_000, intervalMs: 20 });
    expect(opened).toEqual([{ screen: 'apps', promptId: 'p1' }]);

    helper.refuseWith = new FirewallError('unavailable', 'the helper went away');
    helper.signal({ name: 'NewNetwork', payload: cafe });
    server.click((await nextNotification(2)).id, 'yes-private');
    await waitFor('the window again', () => opened.length === 2, { timeoutMs: 5_000, intervalMs: 20 });
    expect(opened[1]).toEqual({ screen: 'networks', networkKey: cafe.key });
  });

  it('falls back to a plain notification that opens the window where the server has no buttons', async () => {
    server.capabilities = ['body'];
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p1') });
    const n = await nextNotification(1);
    expect(n.actions).toEqual([['default', 'Open Palisade']]);
    expect(n.body).toContain('Click to open Palisade');
    server.click(n.id, 'default');
    await waitFor('the window', () => opened.length === 1, { timeoutMs: 5_000, intervalMs: 20 });
    expect(opened).toEqual([{ screen: 'apps', promptId: 'p1' }]);
  });

  it('takes its questions down when stopped', async () => {
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p1') });
    const n = await nextNotification(1);
    router.stop();
    await waitFor('CloseNotification', () => server.closed.includes(n.id), { timeoutMs: 5_000, intervalMs: 20 });
    helper.signal({ name: 'NewAppPrompt', payload: prompt('p2') });
    await new Promise((r) => setTimeout(r, 200));
    expect(server.notified).toHaveLength(1);
  });
});
