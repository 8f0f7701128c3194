// The tray as data: the icon for every state of the helper and the profiles in force, the ticks
// of the check items, what is disabled without a helper, and the edits the check items ask for.
import { describe, expect, it } from 'vitest';
import { buildTrayModel, profilesInForce, trayEdits, type TrayItem } from '../../electron/main/tray-model';
import type { HelperState } from '../../shared/ipc/contract';
import type { Status } from '../../shared/dbus/contract';
import type { ProfileSettings } from '../../shared/policy/schema';
import { applyEdits } from '../../shared/policy/edits';
import { defaultPolicy } from '../../shared/policy/defaults';

const connected: HelperState = { connection: 'connected', notAuthorized: false, canInstall: false, installing: false };
const profile = (patch: Partial<ProfileSettings> = {}): ProfileSettings => ({
  enabled: true, stealth: true, shieldsUp: false, answerPing: false, defaultInbound: 'block', defaultOutbound: 'allow', notify: true,
  scanDetection: { enabled: false, ports: 20, withinSeconds: 5, blockSeconds: 600 }, antiSpoofing: true, outboundEssentials: { dns: true, dhcp: true, ntp: true }, ...patch,
});

type Iface = Status['interfaces'][number];
const wifi: Iface = { name: 'wlan0', profile: 'private', pinned: false, network: { key: 'nm:1', name: 'Home Wi-Fi', known: true }, addresses: ['192.168.1.5'] };
const cafe: Iface = { name: 'wlan1', profile: 'public', pinned: false, network: { key: 'nm:2', name: 'Café', known: true }, addresses: [] };
const cable: Iface = { name: 'eth0', profile: 'private', pinned: true, addresses: [] };

function status(opts: { private?: Partial<ProfileSettings>; public?: Partial<ProfileSettings>; interfaces?: Iface[] } = {}): Status {
  return {
    version: '0.1.0', revision: 1,
    policy: { path: '/etc/palisade/policy.json', source: 'file' },
    profiles: { private: profile(opts.private), public: profile(opts.public) },
    interfaces: opts.interfaces ?? [wifi],
    networkSource: 'networkmanager',
    resolvers: [],
    counts: { apps: 0, portRules: 0, listening: 0, prompts: 0 },
  };
}

const item = (items: TrayItem[], id: TrayItem['id']) => {
  const found = items.find((i) => i.id === id);
  if (!found) throw new Error(`no ${id} item`);
  return found;
};

describe('tray icon', () => {
  it.each([
    ['missing', { ...connected, connection: 'missing' }, status(), 'missing'],
    ['unreachable', { ...connected, connection: 'unreachable' }, undefined, 'missing'],
    ['connecting, nothing known yet', { ...connected, connection: 'connecting' }, undefined, 'missing'],
    ['connected, no status yet', connected, undefined, 'missing'],
    ['not authorised', { ...connected, notAuthorized: true }, status(), 'unauthorized'],
    ['firewall off on the profile in force', connected, status({ private: { enabled: false } }), 'off'],
    ['shields up on the profile in force', connected, status({ private: { shieldsUp: true } }), 'shields'],
    ['stealth on every profile in force', connected, status(), 'stealth'],
    ['stealth off', connected, status({ private: { stealth: false } }), 'protected'],
  ] as const)('%s → %s', (_what, helper, st, icon) => {
    expect(buildTrayModel({ helper, status: st, language: 'en' }).icon).toBe(icon);
  });

  it('looks only at the profiles in force', () => {
    // Public is off, but the machine is only on a private network.
    expect(buildTrayModel({ helper: connected, status: status({ public: { enabled: false, shieldsUp: true } }), language: 'en' }).icon).toBe('stealth');
    // With no interface, Public is in force.
    expect(buildTrayModel({ helper: connected, status: status({ public: { enabled: false }, interfaces: [] }), language: 'en' }).icon).toBe('off');
    // Two networks at once: stealth must hold on both.
    expect(buildTrayModel({ helper: connected, status: status({ public: { stealth: false }, interfaces: [wifi, cafe] }), language: 'en' }).icon).toBe('protected');
    expect(buildTrayModel({ helper: connected, status: status({ public: { shieldsUp: true }, interfaces: [wifi, cafe] }), language: 'en' }).icon).toBe('shields');
  });

  it('has a tooltip for each state', () => {
    const tooltips = new Set([
      buildTrayModel({ helper: connected, status: status(), language: 'en' }).tooltip,
      buildTrayModel({ helper: connected, status: status({ private: { stealth: false } }), language: 'en' }).tooltip,
      buildTrayModel({ helper: connected, status: status({ private: { shieldsUp: true } }), language: 'en' }).tooltip,
      buildTrayModel({ helper: connected, status: status({ private: { enabled: false } }), language: 'en' }).tooltip,
      buildTrayModel({ helper: { ...connected, connection: 'missing' }, status: undefined, language: 'en' }).tooltip,
      buildTrayModel({ helper: { ...connected, notAuthorized: true }, status: status(), language: 'en' }).tooltip,
    ]);
    expect(tooltips.size).toBe(6);
    expect(buildTrayModel({ helper: { ...connected, connection: 'missing' }, status: undefined, language: 'ja' }).tooltip).toBe('Palisade: ヘルパーが動作していません');
  });
});

describe('tray menu', () => {
  it('lists each interface with its profile and network, then the check items, open and quit', () => {
    const model = buildTrayModel({ helper: connected, status: status({ interfaces: [wifi, cafe, cable] }), language: 'en' });
    expect(model.items.map((i) => [i.id, i.type, i.label, i.enabled])).toEqual([
      ['network', 'normal', 'Private: Home Wi-Fi (wlan0)', false],
      ['network', 'normal', 'Public: Café (wlan1)', false],
      ['network', 'normal', 'Private: eth0', false],
      ['separator', 'separator', '', true],
      ['stealth', 'checkbox', 'Stealth mode', true],
      ['shields', 'checkbox', 'Block all incoming connections', true],
      ['separator', 'separator', '', true],
      ['open', 'normal', 'Open Palisade', true],
      ['quit', 'normal', 'Quit', true],
    ]);
    const ja = buildTrayModel({ helper: connected, status: status({ interfaces: [wifi] }), language: 'ja' });
    expect(ja.items.map((i) => i.label)).toEqual(['プライベート: Home Wi-Fi (wlan0)', '', 'ステルス モード', 'すべての着信接続をブロック', '', 'Palisade を開く', '終了']);
  });

  it('says Public with no network when the machine is on none', () => {
    expect(buildTrayModel({ helper: connected, status: status({ interfaces: [] }), language: 'en' }).items[0]?.label).toBe('Public: not connected');
  });

  it('ticks stealth and shields only when they hold on every profile in force', () => {
    const both = [wifi, cafe];
    const ticks = (st: Status) => {
      const { items } = buildTrayModel({ helper: connected, status: st, language: 'en' });
      return [item(items, 'stealth').checked, item(items, 'shields').checked];
    };
    expect(ticks(status({ interfaces: both }))).toEqual([true, false]);
    expect(ticks(status({ interfaces: both, public: { stealth: false } }))).toEqual([false, false]);
    expect(ticks(status({ interfaces: [wifi], public: { stealth: false } }))).toEqual([true, false]);
    expect(ticks(status({ interfaces: both, private: { shieldsUp: true } }))).toEqual([true, false]);
    expect(ticks(status({ interfaces: both, private: { shieldsUp: true }, public: { shieldsUp: true } }))).toEqual([true, true]);
    expect(ticks(status({ interfaces: [], public: { shieldsUp: true, stealth: false } }))).toEqual([false, true]);
  });

  it('disables the check items and says why when the helper is not connected', () => {
    for (const connection of ['missing', 'unreachable', 'connecting'] as const) {
      const { items } = buildTrayModel({ helper: { ...connected, connection }, status: status(), language: 'en' });
      expect(item(items, 'stealth').enabled).toBe(false);
      expect(item(items, 'shields').enabled).toBe(false);
      expect(item(items, 'open').enabled).toBe(true);
      expect(item(items, 'quit').enabled).toBe(true);
      expect(items[0]).toMatchObject({ id: 'network', enabled: false });
    }
    const missing = buildTrayModel({ helper: { ...connected, connection: 'missing' }, status: undefined, language: 'en' });
    expect(missing.items[0]?.label).toBe('Palisade: the helper is not running');
    expect(item(missing.items, 'stealth').checked).toBe(false);
    // Not authorised yet: changing is still possible, with a password.
    expect(item(buildTrayModel({ helper: { ...connected, notAuthorized: true }, status: status(), language: 'en' }).items, 'stealth').enabled).toBe(true);
  });
});

describe('tray edits', () => {
  it('changes the setting on every profile in force, and only there', () => {
    expect(trayEdits('stealth', false, status({ interfaces: [wifi] }))).toEqual([{ op: 'setProfile', profile: 'private', settings: { stealth: false } }]);
    expect(trayEdits('shields', true, status({ interfaces: [cafe, wifi, cable] }))).toEqual([
      { op: 'setProfile', profile: 'private', settings: { shieldsUp: true } },
      { op: 'setProfile', profile: 'public', settings: { shieldsUp: true } },
    ]);
    expect(trayEdits('shields', false, status({ interfaces: [] }))).toEqual([{ op: 'setProfile', profile: 'public', settings: { shieldsUp: false } }]);
    expect(profilesInForce(status({ interfaces: [cafe] }))).toEqual(['public']);
  });

  it('produces edits the helper accepts', () => {
    const edited = applyEdits(defaultPolicy(), trayEdits('shields', true, status({ interfaces: [wifi, cafe] })), { activeNetworks: [], newId: (p) => `${p}-1`, now: '2026-01-01T00:00:00Z' });
    expect([edited.profiles.private.shieldsUp, edited.profiles.public.shieldsUp]).toEqual([true, true]);
    expect(edited.profiles.private.stealth).toBe(true);
  });
});
