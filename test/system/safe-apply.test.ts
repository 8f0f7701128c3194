// Safe apply: a change that could cut the caller off is applied with a confirmation window and
// rolls back by itself unless confirmed. The CLI opens that window on its own when someone
// connected over SSH makes a change that would close the port they came in on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import type { FirewallClient } from '../../electron/client/firewall-client';
import { scanKey } from '../lab/nmap';

let stack: Stack;
let client: FirewallClient;
const rolledBack: string[] = [];

const shieldsUpInFile = async (profile: 'private' | 'public') =>
  (JSON.parse(await readFile(stack.policyPath, 'utf8').catch(() => '{}')) as { profiles?: Record<string, { shieldsUp?: boolean }> }).profiles?.[profile]?.shieldsUp === true;
const shieldsUpInKernel = async (profile: 'private' | 'public') => (await stack.nft(['list', 'chain', 'inet', 'palisade', `in_${profile}`])).includes(`palisade:profile:${profile}-shields-up`);
const pendingId = (output: string) => /palisade confirm (change-[0-9a-f]+)/.exec(output)?.[1];

beforeAll(async () => {
  stack = await Stack.start();
  client = await stack.client();
  await client.on('ChangeRolledBack', (c) => rolledBack.push(c.id));
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

describe('a change with a confirmation window', () => {
  it('is applied at once, kept out of the policy file, and rolls back by itself when not confirmed', async () => {
    const result = await stack.cli(['shields', 'up', '--profile', 'public', '--confirm-within', '5s']);
    expect(result.code).toBe(0);
    const id = pendingId(result.stdout);
    expect(id, result.stdout).toBeDefined();
    expect(await shieldsUpInKernel('public')).toBe(true);
    expect(await shieldsUpInFile('public')).toBe(false);
    expect(JSON.parse((await stack.cli(['status', '--json'])).stdout).pendingChange?.id).toBe(id);

    // Another change must wait: the pending one is confirmed or rolled back first.
    const meanwhile = await stack.cli(['ping', 'on', '--profile', 'public']);
    expect(meanwhile.code).toBe(1);
    expect(meanwhile.stderr).toMatch(/waiting for confirmation/);

    await waitFor('the rollback', () => rolledBack.includes(id ?? '?'), { timeoutMs: 20_000 });
    expect(await shieldsUpInKernel('public')).toBe(false);
    expect(await shieldsUpInFile('public')).toBe(false);
    expect(JSON.parse((await stack.cli(['status', '--json'])).stdout).pendingChange).toBeUndefined();
  });

  it('stays when confirmed in time, and only then reaches the policy file', async () => {
    const result = await stack.cli(['shields', 'up', '--profile', 'public', '--confirm-within', '30s']);
    const id = pendingId(result.stdout);
    expect(id, result.stdout).toBeDefined();
    expect(await shieldsUpInFile('public')).toBe(false);
    expect((await stack.cli(['confirm', id ?? '?'])).code).toBe(0);
    expect(await shieldsUpInFile('public')).toBe(true);
    expect(await shieldsUpInKernel('public')).toBe(true);
    expect(rolledBack).not.toContain(id);
    expect((await stack.cli(['confirm', id ?? '?'])).code).toBe(1);
    expect((await stack.cli(['shields', 'down', '--profile', 'public'])).code).toBe(0);
  });
});

describe('over SSH', () => {
  // The caller's session as sshd would describe it: from the outside host to port 22 on h0.
  const SSH = { SSH_CONNECTION: '10.77.0.2 51000 10.77.0.1 22' };

  beforeAll(async () => {
    stack.lab.spawn('host', ['ncat', '-l', '-k', '-p', '22']);
    expect((await stack.cli(['port', 'allow', '22/tcp', '--profile', 'all'])).code).toBe(0);
    await waitFor('the SSH port open from outside', async () => (await stack.lab.scan({ target: '10.77.0.1', tcp: [22] })).get(scanKey('tcp', 22)) === 'open');
  });

  it('a change that would close the caller\'s port gets a confirmation window by itself', async () => {
    const result = await stack.cli(['shields', 'up'], { env: SSH });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/could cut off your connection.*rolls back in \d+ s/s);
    const id = pendingId(result.stdout);
    expect((await stack.lab.scan({ target: '10.77.0.1', tcp: [22] })).get(scanKey('tcp', 22))).toBe('filtered');
    await waitFor('the rollback', () => rolledBack.includes(id ?? '?'), { timeoutMs: 60_000 });
    expect((await stack.lab.scan({ target: '10.77.0.1', tcp: [22] })).get(scanKey('tcp', 22))).toBe('open');
  });

  it('a change that leaves the caller\'s port open is applied plainly', async () => {
    const result = await stack.cli(['ping', 'on'], { env: SSH });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/confirm/);
    expect(JSON.parse((await stack.cli(['status', '--json'])).stdout).pendingChange).toBeUndefined();
  });

  it('--yes skips the window', async () => {
    const result = await stack.cli(['port', 'remove', '22/tcp', '--yes'], { env: SSH });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/confirm/);
    expect((await stack.lab.scan({ target: '10.77.0.1', tcp: [22] })).get(scanKey('tcp', 22))).toBe('filtered');
  });
});
