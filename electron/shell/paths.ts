// Where the shell finds its files, in a checkout (`electron .` after `npm run build`) and in a
// package (electron-builder: the app in resources/app.asar, the helper bundle, the system files
// and the icons beside it in resources/). Plain, so it is tested without Electron.
import { join } from 'node:path';

export interface ShellLocation {
  /** app.getAppPath(): the checkout, or resources/app.asar. */
  appPath: string;
  /** process.resourcesPath. */
  resourcesPath: string;
  /** app.isPackaged. */
  isPackaged: boolean;
}

export interface ShellPaths {
  /** dist/renderer: what app://palisade/ serves. */
  renderer: string;
  /** dist/electron/preload.cjs. */
  preload: string;
  /** The tray icons (<state>.png, <state>@2x.png). */
  trayIcons: string;
  /** The window icon. */
  windowIcon: string;
  /** What the helper installer needs: the helper bundle and install-helper.sh. */
  helperBundle: string;
  installScript: string;
}

export function shellPaths(where: ShellLocation): ShellPaths {
  const dist = join(where.appPath, 'dist');
  const icons = where.isPackaged ? join(where.resourcesPath, 'icons') : join(where.appPath, 'build', 'icons');
  return {
    renderer: join(dist, 'renderer'),
    preload: join(dist, 'electron', 'preload.cjs'),
    trayIcons: join(icons, 'tray'),
    windowIcon: join(icons, 'app', '256x256.png'),
    // A checkout installs the helper it built (npm run build); a package the one it ships.
    helperBundle: where.isPackaged ? join(where.resourcesPath, 'helper') : dist,
    installScript: where.isPackaged ? join(where.resourcesPath, 'linux', 'install-helper.sh') : join(where.appPath, 'build', 'linux', 'install-helper.sh'),
  };
}
