// `npm start`: runs the built app (dist/, see scripts/build.mjs) in Electron, found without
// loading the electron package (electron-binary.ts). Says plainly why when it cannot: no binary
// (it cannot be downloaded on machines without GitHub: use `npm run lab` there), no build, or
// root (the window never runs as root: Chromium's sandbox refuses it, and the helper is the only
// privileged part).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electron-binary';

const root = fileURLToPath(new URL('../../', import.meta.url));

function fail(message: string): never {
  console.error(`palisade: ${message}`);
  process.exit(1);
}

const binary = findElectronBinary(root);
if (!binary.found) fail(`cannot start the desktop app: ${binary.reason}.\nWithout Electron, \`npm run lab\` runs the same app in a browser against a lab helper.`);
if (!existsSync(join(root, 'dist', 'electron', 'main.cjs'))) fail('the app is not built: run `npm run build` first');
if (process.getuid?.() === 0) fail('the desktop app does not run as root (Chromium\'s sandbox refuses it); start it as your user. Only the helper runs as root.');

const child = spawn(binary.path, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
