// Bundles the helper and the CLI into single files for installation (dist/), with esbuild.
// The helper bundle keeps the `netlink` native addon external: it is shipped beside it.
import { build } from 'esbuild';

// dbus-next requires x11 (session-bus autolaunch) and usocket (fd passing) only when used: not here.
const common = { external: ['x11', 'usocket'], bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'info' };
await build({ ...common, entryPoints: ['electron/cli/run.ts'], outfile: 'dist/palisade.cjs', banner: { js: '#!/usr/bin/env node' } });
await build({ ...common, entryPoints: ['electron/helper/run.ts'], outfile: 'dist/palisaded.cjs', external: [...common.external, 'netlink'] });
