// What the main-process logic needs from the world, as small interfaces. The Electron shell and
// the lab bridge plug real implementations in; tests plug in their own.
import type { AppDescription, ScanResult, Settings } from '../../shared/ipc/contract';
import type { AppIdentity } from '../../shared/policy/schema';

/** Names and icons of apps, from the .desktop files installed on the machine. */
export interface DesktopAppsPort {
  describe(identities: readonly AppIdentity[]): Promise<AppDescription[]>;
  installed(): Promise<AppDescription[]>;
}

/** The user's app preferences (not the firewall policy: that lives with the helper). */
export interface SettingsPort {
  get(): Promise<Settings>;
  set(patch: { [K in keyof Settings]?: Settings[K] | undefined }): Promise<Settings>;
}

/** Installs the helper once, with one administrator password (sudo-prompt). */
export interface InstallerPort {
  available(): boolean;
  install(): Promise<void>;
}

/** The lab only: a real scan of this machine from the lab's outside namespace. */
export interface LabPort {
  scan(interfaceName: string): Promise<ScanResult>;
}
