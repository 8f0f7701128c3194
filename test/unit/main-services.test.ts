// The composition root without a helper: over a bus address nobody listens on, the helper state
// becomes 'unreachable', the handlers still answer what needs no helper (settings, app info, app
// names), firewall calls fail with 'unavailable', and forward() pushes state and settings changes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMainServices, type MainServices } from '../../electron/main/services';
import { DesktopApps } from '../../electron/main/desktop-apps';
import { dispatchInvoke } from '../../electron/main/dispatch';
import type { AppInfo, EventChannel } from '../../shared/ipc/contract';

let dir: string;
let services: MainServices | undefined;
const info: AppInfo = { version: '0.1.0', labMode: false, trayAvailable: false, systemLanguages: ['ja-JP'] };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palisade-services-'));
});
afterEach(async () => {
  await services?.stop();
  services = undefined;
  await rm(dir, { recursive: true, force: true });
});

function create(extra: { canInstall?: boolean } = {}): MainServices {
  services = createMainServices({
    settingsPath: join(dir, 'config/settings.json'),
    info: () => info,
    systemBusAddress: `unix:path=${join(dir, 'no-bus-here')}`,
    desktopApps: new DesktopApps({ dataDirs: [join(dir, 'share')], binDirs: [] }),
    ...(extra.canInstall ? { installer: { available: () => true, install: async () => undefined } } : {}),
  });
  return services;
}

describe('createMainServices', () => {
  it('reports an unreachable bus and still answers settings and app info', async () => {
    const s = create();
    const events: [EventChannel, unknown][] = [];
    const stopForwarding = s.forward((event, payload) => { events.push([event, payload]); });
    expect(s.helper.state().connection).toBe('connecting');
    await s.start();
    expect(s.helper.state()).toMatchObject({ connection: 'unreachable', canInstall: false, installing: false, notAuthorized: false });
    expect(s.helper.state().error).toMatch(/system bus/);
    expect(events).toContainEqual(['helper:state', s.helper.state()]);

    expect(await dispatchInvoke(s.handlers, 'app:info', {})).toEqual({ ok: true, value: info });
    expect(await dispatchInvoke(s.handlers, 'helper:state', {})).toEqual({ ok: true, value: s.helper.state() });
    expect(await dispatchInvoke(s.handlers, 'settings:get', {})).toEqual({ ok: true, value: { language: 'system', theme: 'system', notifications: true } });
    expect(await dispatchInvoke(s.handlers, 'settings:set', { language: 'ja' })).toEqual({ ok: true, value: { language: 'ja', theme: 'system', notifications: true } });
    expect(events).toContainEqual(['settings:changed', { language: 'ja', theme: 'system', notifications: true }]);
    expect(await dispatchInvoke(s.handlers, 'apps:installed', {})).toEqual({ ok: true, value: [] });
    expect(await dispatchInvoke(s.handlers, 'apps:describe', { identities: [{ kind: 'snap', name: 'spotify' }] })).toEqual({ ok: true, value: [{ identity: { kind: 'snap', name: 'spotify' }, name: 'spotify' }] });

    const status = await dispatchInvoke(s.handlers, 'firewall:status', {});
    expect(status).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(await dispatchInvoke(s.handlers, 'lab:scan', { interface: 'eth0' })).toMatchObject({ ok: false, error: { code: 'not-in-lab' } });
    expect(await dispatchInvoke(s.handlers, 'helper:install', {})).toMatchObject({ ok: false, error: { code: 'failed' } });

    // Once stopped, nothing more is forwarded.
    stopForwarding();
    const count = events.length;
    await s.settings.set({ theme: 'dark' });
    expect(events).toHaveLength(count);
  });

  it('offers installing when an installer is available, and tries again after installing', async () => {
    const s = create({ canInstall: true });
    await s.start();
    expect(s.helper.state()).toMatchObject({ connection: 'unreachable', canInstall: true });
    const installed = await dispatchInvoke(s.handlers, 'helper:install', {});
    expect(installed).toMatchObject({ ok: true, value: { connection: 'unreachable', installing: false } });
  });
});
