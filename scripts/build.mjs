// Builds what gets installed, into dist/:
//   helper    dist/palisaded.cjs, and next to it the native modules it loads at run time:
//             `netlink` with node-gyp-build, which picks its prebuild, and `koffi` (libnftables'
//             calls), with only this machine's prebuild. Both are N-API: they work on any
//             Node ≥ 20 and on Electron's Node. build/linux/install-helper.sh dist/ installs it.
//   cli       dist/palisade.cjs
//   renderer  dist/renderer/ (Vite, renderer/vite.config.ts)
//   electron  dist/electron/main.cjs and dist/electron/preload.cjs: the Electron shell's main
//             process and the window's preload (one CommonJS file each: a sandboxed preload
//             cannot be ESM or require modules of its own)
//
//   node scripts/build.mjs [--out DIR] [TARGET...]
//
// No target builds everything (and empties the output directory first); naming targets rebuilds
// only their outputs. --out builds elsewhere than dist/ (tests scan a fresh build in a temporary
// directory instead of touching dist/).
import { build } from 'esbuild';
import { cp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const TARGETS = ['helper', 'cli', 'renderer', 'electron'];
const { values, positionals } = parseArgs({ options: { out: { type: 'string', default: 'dist' } }, allowPositionals: true });
const unknown = positionals.filter((t) => !TARGETS.includes(t));
if (unknown.length > 0) {
  console.error(`build: unknown target ${unknown.join(', ')} (targets: ${TARGETS.join(', ')})`);
  process.exit(2);
}
// --out is relative to where the build was started; everything else to the checkout.
const out = resolve(values.out);
const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
const targets = new Set(positionals.length > 0 ? positionals : TARGETS);

// dbus-next requires x11 (session-bus autolaunch) and usocket (fd passing) only when used: not here.
const common = { absWorkingDir: root, external: ['x11', 'usocket'], bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'info' };

if (positionals.length === 0) await rm(out, { recursive: true, force: true });

if (targets.has('cli')) {
  await build({ ...common, entryPoints: ['electron/cli/run.ts'], outfile: join(out, 'palisade.cjs'), banner: { js: '#!/usr/bin/env node' } });
}

if (targets.has('helper')) {
  await build({ ...common, entryPoints: ['electron/helper/run.ts'], outfile: join(out, 'palisaded.cjs'), external: [...common.external, 'netlink', 'koffi'] });
  // koffi carries prebuilds for every platform (28 MB); this machine's is the one that loads.
  const koffiPrebuild = `linux_${{ x64: 'x64', arm64: 'arm64', arm: 'armhf', ia32: 'ia32', riscv64: 'riscv64d', loong64: 'loong64' }[process.arch] ?? process.arch}`;
  for (const pkg of ['netlink', 'node-gyp-build', 'koffi']) {
    await cp(`node_modules/${pkg}`, join(out, 'node_modules', pkg), {
      recursive: true,
      // Only what runs: compiled JS, the prebuilt binaries, package metadata.
      filter: (src) => {
        const inside = src.slice(src.indexOf(pkg) + pkg.length);
        if (/\/(src|include|docs?|test|vendor|lib\/native|\.github)(\/|$)|\.(ts|map|md|gyp|cc|h)$/.test(inside)) return false;
        return !/^\/build\/koffi\/[^/]+/.test(inside) || inside.startsWith(`/build/koffi/${koffiPrebuild}`);
      },
    });
  }
}

if (targets.has('renderer')) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({
    configFile: 'renderer/vite.config.ts',
    logLevel: 'warn',
    build: { outDir: join(out, 'renderer'), emptyOutDir: true },
  });
  console.log(`\n  ${join(out, 'renderer')}/ (vite)\n`);
}

if (targets.has('electron')) {
  await rm(join(out, 'electron'), { recursive: true, force: true });
  // Electron 45 runs Node 22 in the main process and Chromium 140 in the renderer.
  await build({
    ...common, target: 'node22', entryPoints: ['electron/shell/main.ts'], outfile: join(out, 'electron', 'main.cjs'),
    external: [...common.external, 'electron'],
  });
  await build({
    ...common, target: 'chrome140', entryPoints: ['electron/shell/preload.ts'], outfile: join(out, 'electron', 'preload.cjs'),
    external: ['electron'],
  });
}
