// palisaded as installs run it: the esbuild bundle with the native modules beside it
// (`scripts/build.mjs helper`), built into a temporary directory so dist/ stays untouched.
// Start it with `stack.startHelper({ bundle })`.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerTeardown } from '../lab/cleanup';
import { run } from '../lab/command';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface HelperBundle {
  /** palisaded.cjs of a fresh build; its node_modules/ is beside it. */
  path: string;
  dispose(): Promise<void>;
}

export async function buildHelperBundle(): Promise<HelperBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-helper-bundle-'));
  const unregister = registerTeardown(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await run([process.execPath, join(ROOT, 'scripts/build.mjs'), '--out', dir, 'helper']);
  } catch (err) {
    unregister();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { path: join(dir, 'palisaded.cjs'), dispose: async () => { unregister(); await rm(dir, { recursive: true, force: true }); } };
}
