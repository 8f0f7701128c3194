#!/usr/bin/env node
// `palisade` from a checkout: runs the TypeScript source through tsx's loader. Installed systems
// run the esbuild bundle instead (npm run build → dist/palisade.cjs).
import { register } from 'tsx/esm/api';

register();
await import('../electron/cli/run.ts');
