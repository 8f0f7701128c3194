// Palisade's Electron main process (bundled to dist/electron/main.cjs). The only main-process file
// that loads Electron: it hands Electron's modules to the shell (app-shell.ts), which runs the
// app's life with them. PALISADE_TEST_HOOKS=1 exposes the shell's state to the main process's
// global scope, where the Playwright suite reads it (renderers cannot reach it).
//
// The module is imported whole, not by name: a top-level `BrowserWindow` binding here would make
// the bundler rename the one in window.ts, and electronegativity, which scans the bundle, would
// no longer recognise `new BrowserWindow({ webPreferences })` there.
import * as electron from 'electron';
import { runShell } from './app-shell';

const state = runShell(electron, {
  env: process.env,
  argv: process.argv,
  resourcesPath: process.resourcesPath,
  execPath: process.execPath,
});

if (process.env.PALISADE_TEST_HOOKS === '1') {
  (globalThis as { palisadeShell?: typeof state }).palisadeShell = state;
}
