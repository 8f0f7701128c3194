// Per-app openings end to end: the same program installed at two paths, one allowed and one not.
// Only the allowed copy is reachable, only while it listens, only on the profile it is allowed
// on; an unknown listener raises the prompt, and the answer opens (or blocks) it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import type { FirewallClient } from '../../electron/client/firewall-client';
import type { Prompt } from '../../shared/dbus/contract';
import { scanKey } from '../lab/nmap';

let stack: Stack;
let client: FirewallClient;
let dir: string;
const prompts: Prompt[] = [];
const closed: string[] = [];
const PRIVATE_IP = '10.77.0.1';
const PUBLIC_IP = '10.77.1.1';

/** A copy of one program at its own path: a different app to the firewall. */
async function installCopy(name: string, program: '/usr/bin/ncat' | '/usr/bin/socat' = '/usr/bin/ncat'): Promise<string> {
  const path = join(dir, name, 'server');
  await rm(join(dir, name), { recursive: true, force: true });
  await mkdir(join(dir, name), { recursive: true });
  await copyFile(program, path);
  await chmod(path, 0o755);
  return path;
}

/** A copy of ncat listening on a TCP port. */
function serve(path: string, port: number): ChildProcess {
  return stack.lab.spawn('host', [path, '-l', '-k', '-p', String(port)]);
}

/** A copy of socat receiving on a UDP port: unconnected and silent (ncat would connect to its first peer). */
function serveUdp(path: string, port: number): ChildProcess {
  return stack.lab.spawn('host', [path, '-u', `UDP-RECV:${port}`, '/dev/null']);
}

async function listeningPorts(path: string): Promise<number[]> {
  const sockets = JSON.parse((await stack.cli(['sockets', '--listening', '--json'])).stdout) as { port: number; app?: { path?: string } }[];
  return sockets.filter((s) => s.app?.path === path).map((s) => s.port);
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGKILL'); });
}

async function tcpState(target: string, port: number): Promise<string | undefined> {
  return (await stack.lab.scan({ target, tcp: [port] })).get(scanKey('tcp', port));
}

beforeAll(async () => {
  stack = await Stack.start();
  dir = await mkdtemp(join(tmpdir(), 'palisade-apps-'));
  // h0 joins a network the user calls Private; h1 one that stays Public.
  await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'h0']);
  await stack.lab.exec('host', ['ip', 'route', 'add', 'default', 'via', '10.77.1.2', 'dev', 'h1', 'metric', '200']);
  await waitFor('both networks', async () => JSON.parse((await stack.cli(['network', 'list', '--json'])).stdout).active.length === 2);
  const { active } = JSON.parse((await stack.cli(['network', 'list', '--json'])).stdout) as { active: { key: string; interface: string }[] };
  const h0 = active.find((n) => n.interface === 'h0');
  expect((await stack.cli(['network', 'set', h0?.key ?? '?', 'private'])).code).toBe(0);
  client = await stack.client();
  await client.on('NewAppPrompt', (p) => prompts.push(p));
  await client.on('PromptClosed', (p) => closed.push(p.id));
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('an allowed copy and an unknown copy of the same program', () => {
  let allowedPath: string;
  let otherPath: string;
  let allowed: ChildProcess;
  let other: ChildProcess;

  it('only the allowed copy is reachable, and only on the Private interface', async () => {
    allowedPath = await installCopy('allowed');
    otherPath = await installCopy('other');
    expect((await stack.cli(['app', 'allow', allowedPath, '--profile', 'private'])).code).toBe(0);
    allowed = serve(allowedPath, 8001);
    other = serve(otherPath, 8002);
    await waitFor('both copies listening', async () => (await listeningPorts(allowedPath)).includes(8001) && (await listeningPorts(otherPath)).includes(8002));
    await waitFor('the allowed port opened', async () => (await stack.nft(['list', 'set', 'inet', 'palisade', 'private_app_allow'])).includes('tcp . 8001'));
    expect(await tcpState(PRIVATE_IP, 8001)).toBe('open');
    expect(await tcpState(PRIVATE_IP, 8002)).toBe('filtered');
    expect(await tcpState(PUBLIC_IP, 8001)).toBe('filtered');
    expect(await tcpState(PUBLIC_IP, 8002)).toBe('filtered');
  });

  it('the unknown copy raised the prompt, the allowed one did not', async () => {
    await waitFor('a prompt for the unknown copy', () => prompts.some((p) => p.app.kind === 'executable' && p.app.path === otherPath));
    expect(prompts.some((p) => p.app.kind === 'executable' && p.app.path === allowedPath)).toBe(false);
    const prompt = prompts.find((p) => p.app.kind === 'executable' && p.app.path === otherPath);
    expect(prompt?.ports.map((p) => p.port)).toContain(8002);
    expect(prompt?.process?.cmdline).toContain('8002');
    const listed = JSON.parse((await stack.cli(['prompts', '--json'])).stdout) as Prompt[];
    expect(listed.map((p) => p.id)).toContain(prompt?.id);
  });

  it('the allowed copy is reachable only while it listens', async () => {
    await stopServer(allowed);
    await waitFor('the opening removed', async () => !(await stack.nft(['list', 'set', 'inet', 'palisade', 'private_app_allow'])).includes('tcp . 8001'));
    expect(await tcpState(PRIVATE_IP, 8001)).toBe('filtered');
    allowed = serve(allowedPath, 8001);
    await waitFor('the opening back', async () => (await stack.nft(['list', 'set', 'inet', 'palisade', 'private_app_allow'])).includes('tcp . 8001'));
    expect(await tcpState(PRIVATE_IP, 8001)).toBe('open');
  });

  it('"allow on Private" opens the prompted app on the Private interface only', async () => {
    const prompt = prompts.find((p) => p.app.kind === 'executable' && p.app.path === otherPath);
    const answered = await stack.cli(['prompt', 'allow', prompt?.id ?? '?', '--profile', 'private']);
    expect(answered, answered.stderr).toMatchObject({ code: 0 });
    await waitFor('the prompt closed', () => closed.includes(prompt?.id ?? '?'));
    await waitFor('the port opened', async () => (await stack.nft(['list', 'set', 'inet', 'palisade', 'private_app_allow'])).includes('tcp . 8002'));
    expect(await tcpState(PRIVATE_IP, 8002)).toBe('open');
    expect(await tcpState(PUBLIC_IP, 8002)).toBe('filtered');
    const apps = JSON.parse((await stack.cli(['apps', '--json'])).stdout).apps as { identity: { path?: string }; action: string; profiles: string[] }[];
    expect(apps.find((a) => a.identity.path === otherPath)).toMatchObject({ action: 'allow', profiles: ['private'] });
    await stopServer(allowed);
    await stopServer(other);
  });
});

describe('blocking from the prompt (the Windows "cancel")', () => {
  it('records a block rule that wins over a port rule, and the prompt does not return', async () => {
    const path = await installCopy('blocked');
    let server = serve(path, 8003);
    await waitFor('a prompt for it', () => prompts.some((p) => p.app.kind === 'executable' && p.app.path === path));
    const prompt = prompts.find((p) => p.app.kind === 'executable' && p.app.path === path);
    expect((await stack.cli(['prompt', 'block', prompt?.id ?? '?'])).code).toBe(0);
    expect((await stack.cli(['port', 'allow', '8003/tcp', '--profile', 'private'])).code).toBe(0);
    await waitFor('the block set holds it', async () => (await stack.nft(['list', 'set', 'inet', 'palisade', 'private_app_block'])).includes('tcp . 8003'));
    expect(await tcpState(PRIVATE_IP, 8003)).toBe('filtered');
    const before = prompts.length;
    await stopServer(server);
    server = serve(path, 8003);
    await waitFor('listening again', async () => (await listeningPorts(path)).includes(8003));
    // Give the helper time to see it; then there must still be no new prompt for it.
    await new Promise((r) => setTimeout(r, 1000));
    expect(prompts.slice(before).some((p) => p.app.kind === 'executable' && p.app.path === path)).toBe(false);
    await stopServer(server);
  });
});

describe('UDP apps', () => {
  it('without stealth, an allowed UDP app is open|filtered and an unknown one closed', async () => {
    expect((await stack.cli(['stealth', 'off', '--profile', 'private'])).code).toBe(0);
    const allowedPath = await installCopy('udp-allowed', '/usr/bin/socat');
    const otherPath = await installCopy('udp-other', '/usr/bin/socat');
    expect((await stack.cli(['app', 'allow', allowedPath, '--profile', 'private'])).code).toBe(0);
    const a = serveUdp(allowedPath, 8004);
    const b = serveUdp(otherPath, 8005);
    await waitFor('both UDP sockets', async () => (await listeningPorts(allowedPath)).includes(8004) && (await listeningPorts(otherPath)).includes(8005));
    await waitFor('the UDP opening', async () => (await stack.nft(['list', 'set', 'inet', 'palisade', 'private_app_allow'])).includes('udp . 8004'));
    const seen = await stack.lab.scan({ target: PRIVATE_IP, udp: [8004, 8005] });
    expect(seen.get(scanKey('udp', 8004))).toBe('open|filtered');
    expect(seen.get(scanKey('udp', 8005))).toBe('closed');
    await stopServer(a);
    await stopServer(b);
  });
});
