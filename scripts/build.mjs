// Builds what gets installed, into dist/: the helper and the CLI as single files (esbuild), and
// next to the helper the one native module it loads at run time, `netlink` (its N-API prebuilds
// work on any Node ≥ 20 and on Electron's Node), with node-gyp-build, which picks the prebuild.
// build/linux/install-helper.sh dist/ installs the result.
import { build } from 'esbuild';
import { cp, rm } from 'node:fs/promises';

// dbus-next requires x11 (session-bus autolaunch) and usocket (fd passing) only when used: not here.
const common = { external: ['x11', 'usocket'], bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'info' };
await rm('dist', { recursive: true, force: true });
await build({ ...common, entryPoints: ['electron/cli/run.ts'], outfile: 'dist/palisade.cjs', banner: { js: '#!/usr/bin/env node' } });
await build({ ...common, entryPoints: ['electron/helper/run.ts'], outfile: 'dist/palisaded.cjs', external: [...common.external, 'netlink'] });
for (const pkg of ['netlink', 'node-gyp-build']) {
  await cp(`node_modules/${pkg}`, `dist/node_modules/${pkg}`, {
    recursive: true,
    // Only what runs: compiled JS, the prebuilt binaries, package metadata.
    filter: (src) => !/\/(src|include|docs?|test|\.github)(\/|$)|\.(ts|map|md|gyp|cc|h)$/.test(src.slice(src.indexOf(pkg) + pkg.length)),
  });
}
