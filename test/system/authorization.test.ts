// Who may do what, decided by a real polkitd with the shipped action file: root's changes reach
// the kernel; an unprivileged user may read everything but every change is refused with exit
// code 3, and neither the kernel nor the policy file moves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: Stack;
let importDir: string;

beforeAll(async () => {
  stack = await Stack.start();
  // A network to name in "network set", and a rule and an app to name in "remove".
  await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0']);
  await waitFor('the network via 10.77.0.2', async () => JSON.parse((await stack.cli(['network', 'list', '--json'])).stdout).active.length === 1);
  importDir = await mkdtemp(join(tmpdir(), 'palisade-import-'));
  await chmod(importDir, 0o755);
});
afterAll(async () => {
  await stack?.stop();
  if (importDir) await rm(importDir, { recursive: true, force: true });
});

describe('an authorised caller (root)', () => {
  it('changes reach the kernel', async () => {
    expect((await stack.cli(['stealth', 'off', '--profile', 'public'])).code).toBe(0);
    expect(await stack.nft(['list', 'chain', 'inet', 'palisade', 'final_public'])).toContain('reject with tcp reset');
    const allowed = await stack.cli(['port', 'allow', '8080/tcp', '--profile', 'private']);
    expect(allowed).toMatchObject({ code: 0, stdout: expect.stringContaining('Allowed 8080/tcp on private') });
    // A plain allow rule is an element of the profile's port map, behind the listener check.
    expect(await stack.nft(['list', 'map', 'inet', 'palisade', 'private_port_allow'])).toMatch(/tcp \. 8080 : "palisade:port:rule-/);
    expect(await stack.nft(['list', 'chain', 'inet', 'palisade', 'in_private'])).toMatch(/socket transparent 0 counter name meta l4proto \. th dport map @private_port_allow accept/);
    expect((await stack.cli(['app', 'allow', '/usr/bin/ncat', '--profile', 'private'])).code).toBe(0);
    expect((await stack.cli(['stealth', 'on', '--profile', 'public'])).code).toBe(0);
    expect(await stack.nft(['list', 'chain', 'inet', 'palisade', 'deny_public'])).not.toContain('reject');
  });
});

describe('an unprivileged user', () => {
  const READS = [['status'], ['apps'], ['rules'], ['network', 'list'], ['sockets'], ['sockets', '--listening'], ['exposure'], ['ruleset'], ['prompts'], ['policy', 'export']];

  it.each(READS)('may read: palisade %s', async (...args) => {
    const human = await stack.cli(args, { asUser: true });
    expect(human, human.stderr).toMatchObject({ code: 0 });
    expect(human.stdout.length).toBeGreaterThan(0);
    if (args[0] !== 'policy') {
      const json = await stack.cli([...args, '--json'], { asUser: true });
      expect(json.code).toBe(0);
      expect(() => JSON.parse(json.stdout)).not.toThrow();
    }
  });

  it('is refused every change with exit code 3, and nothing moves', async () => {
    const policy = JSON.parse((await stack.cli(['policy', 'export'])).stdout);
    const networkKey = JSON.parse((await stack.cli(['network', 'list', '--json'])).stdout).active[0].key as string;
    const importFile = join(importDir, 'policy.json');
    await writeFile(importFile, JSON.stringify({ ...policy, profiles: { ...policy.profiles, public: { ...policy.profiles.public, stealth: false } } }), { mode: 0o644 });
    const rulesetBefore = await stack.ruleset();
    const fileBefore = await readFile(stack.policyPath, 'utf8');

    const CHANGES = [
      ['stealth', 'off'], ['stealth', 'on', '--profile', 'public'], ['shields', 'up'], ['shields', 'down', '--profile', 'private'],
      ['ping', 'on'], ['ping', 'off', '--profile', 'all'], ['firewall', 'off', '--profile', 'public'],
      ['app', 'allow', '/usr/bin/python3'], ['app', 'block', 'flatpak:org.example.App'], ['app', 'remove', '/usr/bin/ncat'],
      ['port', 'allow', '22/tcp', '--from', '10.0.0.0/8'], ['port', 'block', '53'], ['port', 'remove', '8080/tcp'],
      ['network', 'set', 'current', 'private'], ['network', 'set', networkKey, 'public'], ['network', 'forget', networkKey],
      ['policy', 'import', importFile], ['prompt', 'allow', 'prompt-00000000'], ['prompt', 'block', 'prompt-00000000'], ['confirm', 'change-00000000'],
    ];
    for (const args of CHANGES) {
      const result = await stack.cli(args, { asUser: true });
      expect({ args, code: result.code }).toEqual({ args, code: 3 });
      expect(result.stderr).toMatch(/not authorized to change the firewall/);
    }
    expect(await stack.ruleset()).toBe(rulesetBefore);
    expect(await readFile(stack.policyPath, 'utf8')).toBe(fileBefore);
  });
});
