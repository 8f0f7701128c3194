// The tray icon: electron/main/tray-model.ts decides what it shows; this turns the model into a
// Tray and a Menu, again after every change of the helper's state or status (on Linux a changed
// menu only shows once it is set again). Stealth and "Block all incoming connections" change
// the policy through the helper, asking for a password when polkit wants one.
// Electron's classes are passed in (the shell gives the real ones, tests fakes).
import type { Menu as ElectronMenu, MenuItemConstructorOptions, NativeImage, Tray as ElectronTray } from 'electron';
import type { Status } from '../../shared/dbus/contract';
import type { HelperConnection, HelperSignal } from '../main/helper-connection';
import type { MainLanguage } from '../main/strings';
import { buildTrayModel, trayEdits, type TrayIconName, type TrayItem, type TrayModel } from '../main/tray-model';

export interface TrayDeps {
  Tray: typeof ElectronTray;
  Menu: Pick<typeof ElectronMenu, 'buildFromTemplate'>;
  /** The image for a tray state. */
  icon: (name: TrayIconName) => NativeImage;
  helper: HelperConnection;
  language: () => MainLanguage;
  openWindow: () => void;
  quit: () => void;
  /** Where a failed change is reported (default: the console). */
  onError?: (err: unknown) => void;
}

export class TrayController {
  private tray: ElectronTray | undefined;
  private status: Status | undefined;
  private model: TrayModel | undefined;
  private readonly onState = (): void => {
    if (this.deps.helper.state().connection === 'connected') void this.refreshStatus();
    else this.render();
  };
  private readonly onSignal = (signal: HelperSignal): void => {
    if (signal.name !== 'StatusChanged') return;
    this.status = signal.payload;
    this.render();
  };

  constructor(private readonly deps: TrayDeps) {}

  /** Creates the icon; throws when the platform has no tray at all. */
  start(): void {
    const first = buildTrayModel({ helper: this.deps.helper.state(), status: this.status, language: this.deps.language() });
    this.tray = new this.deps.Tray(this.deps.icon(first.icon));
    this.tray.on('click', () => this.deps.openWindow());
    this.deps.helper.on('state', this.onState);
    this.deps.helper.on('signal', this.onSignal);
    this.render();
    if (this.deps.helper.state().connection === 'connected') void this.refreshStatus();
  }

  /** The menu as last shown (tests, and the Playwright suite through the main process). */
  current(): TrayModel | undefined {
    return this.model;
  }

  /** Shows the current state again (also after the language changed). */
  render(): void {
    if (!this.tray || this.tray.isDestroyed()) return;
    const model = buildTrayModel({ helper: this.deps.helper.state(), status: this.status, language: this.deps.language() });
    if (model.icon !== this.model?.icon) this.tray.setImage(this.deps.icon(model.icon));
    this.tray.setToolTip(model.tooltip);
    this.tray.setContextMenu(this.deps.Menu.buildFromTemplate(model.items.map((item) => this.menuItem(item))));
    this.model = model;
  }

  stop(): void {
    this.deps.helper.off('state', this.onState);
    this.deps.helper.off('signal', this.onSignal);
    if (this.tray && !this.tray.isDestroyed()) this.tray.destroy();
    this.tray = undefined;
  }

  private menuItem(item: TrayItem): MenuItemConstructorOptions {
    if (item.type === 'separator') return { type: 'separator' };
    const base: MenuItemConstructorOptions = { id: item.id, label: item.label, type: item.type, enabled: item.enabled };
    if (item.type === 'checkbox') base.checked = item.checked ?? false;
    switch (item.id) {
      case 'stealth':
      case 'shields': {
        const id = item.id;
        // Electron flips a checkbox before calling click: `checked` is the new value.
        return { ...base, click: (menuItem) => { void this.toggle(id, menuItem.checked); } };
      }
      case 'open': return { ...base, click: () => this.deps.openWindow() };
      case 'quit': return { ...base, click: () => this.deps.quit() };
      default: return base;
    }
  }

  private async toggle(item: 'stealth' | 'shields', checked: boolean): Promise<void> {
    const status = this.status;
    try {
      if (!status) return;
      await this.deps.helper.call('ChangePolicy', { edits: trayEdits(item, checked, status) }, { interactive: true });
      // StatusChanged follows and renders the new state; fetch it anyway in case it was missed.
      await this.refreshStatus();
    } catch (err) {
      (this.deps.onError ?? ((e: unknown) => console.warn(`palisade: the tray could not change ${item}:`, e)))(err);
    } finally {
      // Cancelled or refused: the check mark Electron flipped goes back to the truth.
      this.render();
    }
  }

  private async refreshStatus(): Promise<void> {
    try {
      this.status = await this.deps.helper.call('GetStatus', {});
    } catch {
      // The helper went away: its state change renders that.
    }
    this.render();
  }
}
