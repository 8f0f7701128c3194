// Finding the Electron binary WITHOUT loading the electron package: its index.js downloads the
// binary when it is missing (Electron ≥ 42 has no postinstall), which must never happen in a test
// or a script. Same places index.js looks: ELECTRON_OVERRIDE_DIST_PATH, then
// node_modules/electron/dist/ (the file name from path.txt, "electron" by default).
// Used by `npm start` (launch.ts) and the Playwright suite (test/electron/).
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type ElectronBinary = { found: true; path: string } | { found: false; reason: string };

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function findElectronBinary(root: string, env: Readonly<Record<string, string | undefined>> = process.env): ElectronBinary {
  const pkg = join(root, 'node_modules', 'electron');
  let name = 'electron';
  try {
    name = readFileSync(join(pkg, 'path.txt'), 'utf8').trim() || name;
  } catch {
    // No path.txt: the binary was never installed; the Linux name is the default.
  }
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const path = join(override, name);
    return executable(path)
      ? { found: true, path }
      : { found: false, reason: `ELECTRON_OVERRIDE_DIST_PATH is ${override}, but ${path} is not an executable file` };
  }
  const path = join(pkg, 'dist', name);
  if (executable(path)) return { found: true, path };
  return {
    found: false,
    reason: `no Electron binary: ${path} does not exist (Electron ≥ 42 downloads it on first use, which needs GitHub) `
      + 'and ELECTRON_OVERRIDE_DIST_PATH is not set. Install it with `npx install-electron` where GitHub is reachable, '
      + 'or set ELECTRON_OVERRIDE_DIST_PATH to the directory of an unpacked Electron 45',
  };
}
