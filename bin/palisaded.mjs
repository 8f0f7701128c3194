#!/usr/bin/env node
// `palisaded` from a checkout: runs the TypeScript source through tsx's loader. Installed systems
// run the esbuild bundle instead (npm run build → dist/palisaded.cjs).
import { register } from 'tsx/esm/api';

register();
await import('../electron/helper/run.ts');
