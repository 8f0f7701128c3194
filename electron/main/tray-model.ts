// What the tray shows, as data: the icon, the tooltip and the menu, worked out from the helper's
// state and status alone. The Electron shell turns this into a Tray and a Menu; keeping the
// decisions here lets them be tested without Electron.
//
// The tray speaks about the profiles in force: those of the interfaces the machine is on now
// (Public when it is on none, since that is what a new network gets). "Stealth mode" and "Block
// all incoming connections" are ticked when they hold on every profile in force, and toggling
// them changes exactly those profiles, as Windows' quick settings do for the active network.
import type { HelperState } from '../../shared/ipc/contract';
import type { Status } from '../../shared/dbus/contract';
import type { PolicyEditInput } from '../../shared/policy/edits';
import { PROFILE_NAMES, type ProfileName } from '../../shared/policy/schema';
import { mainText, type MainLanguage, type MainStringKey } from './strings';

export type TrayIconName = 'protected' | 'stealth' | 'shields' | 'off' | 'missing' | 'unauthorized';

export interface TrayItem {
  id: 'network' | 'stealth' | 'shields' | 'open' | 'quit' | 'separator';
  label: string;
  type: 'normal' | 'checkbox' | 'separator';
  checked?: boolean;
  enabled: boolean;
}

export interface TrayModel {
  icon: TrayIconName;
  tooltip: string;
  items: TrayItem[];
}

export interface TrayInput {
  helper: HelperState;
  status: Status | undefined;
  language: MainLanguage;
}

/** The profiles of the interfaces the machine is on, in a fixed order; Public when there are none. */
export function profilesInForce(status: Status): ProfileName[] {
  const used = new Set(status.interfaces.map((i) => i.profile));
  return used.size === 0 ? ['public'] : PROFILE_NAMES.filter((p) => used.has(p));
}

function everyProfile(status: Status, holds: (p: Status['profiles'][ProfileName]) => boolean): boolean {
  return profilesInForce(status).every((p) => holds(status.profiles[p]));
}

function someProfile(status: Status, holds: (p: Status['profiles'][ProfileName]) => boolean): boolean {
  return profilesInForce(status).some((p) => holds(status.profiles[p]));
}

/** What the tray knows: the helper's state, then (once there is a status) what the profiles in force do. */
type TrayState = TrayIconName | 'connecting' | 'unreachable';

function trayState(helper: HelperState, status: Status | undefined): TrayState {
  if (helper.connection === 'missing') return 'missing';
  if (helper.connection === 'unreachable') return 'unreachable';
  if (helper.notAuthorized) return 'unauthorized';
  // Without a status nothing is known yet: never claim protection that was not seen.
  if (helper.connection === 'connecting' || !status) return 'connecting';
  if (someProfile(status, (p) => !p.enabled)) return 'off';
  if (someProfile(status, (p) => p.shieldsUp)) return 'shields';
  if (everyProfile(status, (p) => p.stealth)) return 'stealth';
  return 'protected';
}

const ICON: Record<TrayState, TrayIconName> = {
  protected: 'protected', stealth: 'stealth', shields: 'shields', off: 'off', unauthorized: 'unauthorized',
  missing: 'missing', unreachable: 'missing', connecting: 'missing',
};

const TOOLTIP: Record<TrayState, MainStringKey> = {
  protected: 'tooltip.protected', stealth: 'tooltip.stealth', shields: 'tooltip.shields', off: 'tooltip.off',
  unauthorized: 'tooltip.unauthorized', missing: 'tooltip.missing', unreachable: 'tooltip.unreachable', connecting: 'tooltip.connecting',
};

/** One disabled line per interface: "Private: Home Wi-Fi (wlan0)". */
function networkLines(status: Status, language: MainLanguage): TrayItem[] {
  const line = (label: string): TrayItem => ({ id: 'network', label, type: 'normal', enabled: false });
  const profileName = (p: ProfileName) => mainText(language, p === 'private' ? 'profile.private' : 'profile.public');
  if (status.interfaces.length === 0) return [line(mainText(language, 'tray.noNetwork', { profile: profileName('public') }))];
  return status.interfaces.map((i) => line(i.network
    ? mainText(language, 'tray.network', { profile: profileName(i.profile), network: i.network.name, interface: i.name })
    : mainText(language, 'tray.interface', { profile: profileName(i.profile), interface: i.name })));
}

export function buildTrayModel(input: TrayInput): TrayModel {
  const { helper, status, language } = input;
  const state = trayState(helper, status);
  const tooltip = mainText(language, TOOLTIP[state]);
  const canChange = helper.connection === 'connected' && status !== undefined;
  const separator = (): TrayItem => ({ id: 'separator', label: '', type: 'separator', enabled: true });
  const statusLines = status && helper.connection === 'connected'
    ? networkLines(status, language)
    : [{ id: 'network', label: tooltip, type: 'normal', enabled: false } satisfies TrayItem];
  return {
    icon: ICON[state],
    tooltip,
    items: [
      ...statusLines,
      separator(),
      { id: 'stealth', label: mainText(language, 'tray.stealth'), type: 'checkbox', checked: status !== undefined && everyProfile(status, (p) => p.stealth), enabled: canChange },
      { id: 'shields', label: mainText(language, 'tray.shields'), type: 'checkbox', checked: status !== undefined && everyProfile(status, (p) => p.shieldsUp), enabled: canChange },
      separator(),
      { id: 'open', label: mainText(language, 'tray.open'), type: 'normal', enabled: true },
      { id: 'quit', label: mainText(language, 'tray.quit'), type: 'normal', enabled: true },
    ],
  };
}

/** The edits a tray check item asks for: the setting on every profile in force. */
export function trayEdits(item: 'stealth' | 'shields', checked: boolean, status: Status): PolicyEditInput[] {
  const settings = item === 'stealth' ? { stealth: checked } : { shieldsUp: checked };
  return profilesInForce(status).map((profile) => ({ op: 'setProfile', profile, settings }));
}
