// The palisade CLI for the protections of issue 5, end to end: the real CLI (bin/palisade.mjs)
// against the real helper in the lab's host namespace, on a private system bus with a real
// polkitd, with traffic from the lab's outside namespace. What the CLI sets is read back the way a
// user would (`rules --json`, `status --json`, `ruleset`), and what the kernel counted and logged
// comes back through `rules --json` and `palisade log`.
//
// h0 (10.77.0.1) is pinned to Private, h1 (10.77.1.1) to Public; the outside namespace is
// 10.77.0.2 / 10.77.1.2.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { sendKnocks } from '../lab/knock';
import type { LabListener } from '../lab/lab';
import type { Status } from '../../shared/dbus/contract';
import type { DropEntry } from '../../shared/runtime/droplog';
import type { PortRule } from '../../shared/policy/schema';

const PRIVATE_HOST = '10.77.0.1';
const PUBLIC_HOST = '10.77.1.1';
const PALISADE = fileURLToPath(new URL('../../bin/palisade.mjs', import.meta.url));

interface RuleView extends PortRule { hits: { packets: number; overLimit?: number; blocked?: number } | null }

let stack: Stack;
let listener: LabListener;
const followers = new Set<ChildProcess>();

/** Runs the CLI as root and expects exit 0; returns stdout. */
async function cli(...args: string[]): Promise<string> {
  const res = await stack.cli(args);
  expect(res.code, `palisade ${args.join(' ')} exited ${res.code}:\n${res.stderr}\nhelper log:\n${stack.helperLog}`).toBe(0);
  return res.stdout;
}

async function rulesJson(): Promise<RuleView[]> {
  return (JSON.parse(await cli('rules', '--json')) as { portRules: RuleView[] }).portRules;
}

async function ruleOn(port: number): Promise<RuleView> {
  const rule = (await rulesJson()).find((r) => r.ports.from === port);
  if (!rule) throw new Error(`no rule for port ${port}`);
  return rule;
}

async function logJson(limit = 10_000): Promise<DropEntry[]> {
  return JSON.parse(await cli('log', '--json', '--limit', String(limit))) as DropEntry[];
}

/** A TCP connection from the outside namespace completes within a second. */
async function connects(target: string, port: number): Promise<boolean> {
  return (await stack.lab.exec('outside', ['ncat', '-z', '-w', '1', target, String(port)], { allowFailure: true })).code === 0;
}

/** One TCP SYN from the outside namespace to a port (a connect attempt given up before any retransmission). */
async function syn(target: string, port: number): Promise<void> {
  await sendKnocks(stack.lab, target, [{ protocol: 'tcp', port }]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await Stack.start({ policy: { version: 1, interfaces: { h0: 'private', h1: 'public' } } });
  listener = await stack.lab.listen([2222, 8080].map((port) => ({ protocol: 'tcp' as const, address: '::', port })));
}, 120_000);

afterAll(async () => {
  for (const child of followers) child.kill('SIGKILL');
  await listener?.stop();
  await stack?.stop();
});

describe('port allow with knocking and limits', () => {
  it('--knock and --limit make one rule, read back by "rules --json" with its hit counts', async () => {
    const out = await cli('port', 'allow', '2222/tcp', '--profile', 'public', '--knock', '7001/tcp,7002/udp,7003/tcp', '--knock-window', '5s', '--knock-open', '20s',
      '--limit', '3/10s,4/30m', '--limit-block', '1m', '--comment', 'knock then ssh');
    expect(out.trim()).toBe('Allowed 2222/tcp on public: knock 7001/tcp,7002/udp,7003/tcp (each within 5s, then open 20s), limit 3/10s,4/30m (then blocked 1m), open while something listens.');
    const rule = await ruleOn(2222);
    expect(rule).toMatchObject({
      direction: 'in', action: 'allow', protocol: 'tcp', ports: { from: 2222, to: 2222 }, profiles: ['public'], remote: [], alwaysOpen: false, comment: 'knock then ssh',
      knock: { sequence: [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }, { protocol: 'tcp', port: 7003 }], windowSeconds: 5, openSeconds: 20 },
      limit: { rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 60 },
      hits: { packets: 0, overLimit: 0, blocked: 0 },
    });
    const text = await cli('rules');
    expect(text).toMatch(new RegExp(`^${rule.id} +in +allow +2222/tcp +public +any +0 \\(0 over limit, 0 blocked\\) +knock 7001/tcp,7002/udp,7003/tcp \\(each within 5s, then open 20s\\), limit 3/10s,4/30m \\(then blocked 1m\\)`, 'm'));
    // The kernel holds it: the knock stages and the limit's bookkeeping, under the rule's id.
    const ruleset = await cli('ruleset');
    expect(ruleset).toContain(`palisade:port:${rule.id}-knock`);
    expect(ruleset).toContain(`palisade:port:${rule.id}-over-limit`);
  });

  it('the rule works as set: closed before the knocks, open to the knocking source after them', async () => {
    expect(await connects(PUBLIC_HOST, 2222)).toBe(false);
    await sendKnocks(stack.lab, PUBLIC_HOST, [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }, { protocol: 'tcp', port: 7003 }]);
    expect(await connects(PUBLIC_HOST, 2222)).toBe(true);
    expect((await ruleOn(2222)).hits?.packets).toBeGreaterThanOrEqual(1);
  });

  it('the SSH preset and an outbound rule from the same command', async () => {
    expect(await cli('port', 'allow', '--preset', 'ssh', '--profile', 'private')).toMatch(/^Allowed 22\/tcp on private: SSH with brute-force protection \(limit 3\/10s,4\/30m \(then blocked 30m\)\)\.$/m);
    expect(await cli('port', 'block', '25/tcp', '--out', '--to', '192.0.2.0/24', '--profile', 'public')).toMatch(/^Blocked outbound connections to 25\/tcp on public to 192\.0\.2\.0\/24\.$/m);
    const rules = await rulesJson();
    expect(rules.find((r) => r.ports.from === 22)).toMatchObject({ direction: 'in', profiles: ['private'], limit: { rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 1800 } });
    expect(rules.find((r) => r.ports.from === 25)).toMatchObject({ direction: 'out', action: 'block', remote: ['192.0.2.0/24'], hits: { packets: 0 } });
    // A conflicting flag is a usage error, and nothing changes.
    const refused = await stack.cli(['port', 'allow', '53', '--out', '--from', '10.0.0.0/8']);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toContain('--from makes no sense with --out');
    expect(await rulesJson()).toHaveLength(rules.length);
    expect((await cli('port', 'remove', '25/tcp', '--out')).trim()).toMatch(/^Removed .+ \(outbound 25\/tcp\)\.$/);
  });
});

describe('hit counts', () => {
  it('rise on the rule that matched, and a limit counts what went over it and what it then blocked', async () => {
    await cli('port', 'allow', '8080/tcp', '--profile', 'public', '--limit', '3/10s', '--limit-block', '1m');
    const before = await ruleOn(8080);
    expect(before.hits).toEqual({ packets: 0, overLimit: 0, blocked: 0 });
    const results: boolean[] = [];
    for (let i = 0; i < 5; i++) results.push(await connects(PUBLIC_HOST, 8080));
    expect(results).toEqual([true, true, true, false, false]);
    const after = await ruleOn(8080);
    expect(after.hits?.packets).toBeGreaterThanOrEqual(3);
    expect(after.hits?.overLimit).toBeGreaterThanOrEqual(1);
    expect(after.hits?.blocked).toBeGreaterThanOrEqual(1);
    expect(await cli('rules')).toMatch(new RegExp(`^${after.id} .* ${after.hits?.packets} \\(${after.hits?.overLimit} over limit, ${after.hits?.blocked} blocked\\) +limit 3/10s \\(then blocked 1m\\)`, 'm'));
  });
});

// NOTE: these need the drop-log reader (electron/helper/droplog/) wired into electron/helper/run.ts.
describe('palisade log', () => {
  it('--json returns the blocked attempts after TCP SYNs to a closed port', async () => {
    for (let i = 0; i < 3; i++) await syn(PRIVATE_HOST, 23);
    let entries: DropEntry[] = [];
    await waitFor('the SYNs in the drop log', async () => {
      entries = (await logJson()).filter((e) => e.destinationPort === 23);
      return entries.length > 0;
    });
    expect(entries[0]).toMatchObject({
      interface: 'h0', direction: 'in', profile: 'private', kind: 'default', family: 4, protocol: 'tcp',
      source: '10.77.0.2', destination: PRIVATE_HOST, destinationPort: 23,
    });
    expect(Number.isNaN(Date.parse(entries[0]?.time ?? ''))).toBe(false);
    // The table says the same in words.
    expect(await cli('log')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +h0 +private +in +tcp +10\.77\.0\.2 → 10\.77\.0\.1:23 +default \(nothing allowed it\)$/m);
    // --limit: the newest ones.
    const all = await logJson();
    expect(await logJson(1)).toEqual(all.slice(-1));
  });

  it('--follow --json prints one JSON line per new drop, and exits 0 on SIGINT', async () => {
    const child = spawn(process.execPath, [PALISADE, 'log', '--follow', '--json', '--limit', '0'], { env: { ...stack.bus.env() }, stdio: ['ignore', 'pipe', 'pipe'] });
    followers.add(child);
    const lines: string[] = [];
    let stderr = '';
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const parsed = () => lines.map((l) => JSON.parse(l) as DropEntry);
    // It subscribes before it can print anything: knock until a drop shows up.
    await waitFor('a followed drop', async () => {
      await syn(PRIVATE_HOST, 24);
      await sleep(300);
      return parsed().some((e) => e.destinationPort === 24);
    }, { timeoutMs: 30_000 });
    expect(parsed().find((e) => e.destinationPort === 24)).toMatchObject({ interface: 'h0', direction: 'in', protocol: 'tcp', source: '10.77.0.2', kind: 'default' });
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(0);
    followers.delete(child);
    expect(stderr).toBe('');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe('profile protections', () => {
  it('scan detection, anti-spoofing, default outbound and the essentials reach status and the ruleset', async () => {
    expect((await cli('scan-detection', 'on', '--ports', '12', '--within', '3s', '--block', '2m', '--profile', 'public')).trim())
      .toBe('Scan detection on for public: a source that touches 12 ports in 3s → blocked 2m (allowed ports included).');
    expect((await cli('anti-spoofing', 'off', '--profile', 'private')).trim()).toBe('Anti-spoofing off for private.');
    expect(await cli('outbound', 'block', '--profile', 'public')).toContain('Outbound connections no rule decides are now blocked on public.');
    expect((await cli('essentials', 'ntp', 'off', '--profile', 'public')).trim()).toBe('Outbound NTP is no longer an exception on public: while outbound is blocked, only a rule allows it.');

    const status = JSON.parse(await cli('status', '--json')) as Status;
    expect(status.profiles.public).toMatchObject({
      scanDetection: { enabled: true, ports: 12, withinSeconds: 3, blockSeconds: 120 }, antiSpoofing: true,
      defaultOutbound: 'block', outboundEssentials: { dns: true, dhcp: true, ntp: false },
    });
    expect(status.profiles.private).toMatchObject({ scanDetection: { enabled: false }, antiSpoofing: false, defaultOutbound: 'allow', outboundEssentials: { dns: true, dhcp: true, ntp: true } });

    const text = await cli('status');
    expect(text).toMatch(/^private +off +off +dns,dhcp,ntp \(not needed: outbound allowed\)$/m);
    expect(text).toMatch(/^public +on +12 ports in 3s → blocked 2m +dns,dhcp$/m);

    const ruleset = await cli('ruleset');
    expect(ruleset).toContain('palisade:profile:public-scan-blocked');
    expect(ruleset).not.toContain('palisade:profile:private-scan-blocked');
    expect(ruleset).toContain('palisade:profile:public-spoofed');
    expect(ruleset).not.toContain('palisade:profile:private-spoofed');
    expect(ruleset).toContain('palisade:profile:public-default-block-out');
    expect(ruleset).not.toContain('palisade:profile:private-default-block-out');
    expect(ruleset).toContain('palisade:profile:public-out-dhcp');
    expect(ruleset).not.toContain('palisade:profile:public-out-ntp');

    // Back again, each setting on its own.
    await cli('essentials', 'all', 'on', '--profile', 'public');
    await cli('outbound', 'allow', '--profile', 'public');
    await cli('anti-spoofing', 'on', '--profile', 'private');
    await cli('scan-detection', 'off', '--profile', 'public');
    const back = JSON.parse(await cli('status', '--json')) as Status;
    expect(back.profiles.public).toMatchObject({ scanDetection: { enabled: false, ports: 12, withinSeconds: 3, blockSeconds: 120 }, defaultOutbound: 'allow', outboundEssentials: { dns: true, dhcp: true, ntp: true } });
    expect(back.profiles.private.antiSpoofing).toBe(true);
    expect(await cli('ruleset')).not.toContain('palisade:profile:public-default-block-out');
  });

  it('an unprivileged user can read the log and the hit counts but not change the protections (exit 3)', async () => {
    expect((await stack.cli(['log', '--json'], { asUser: true })).code).toBe(0);
    expect((await stack.cli(['rules', '--json'], { asUser: true })).code).toBe(0);
    // (The ruleset's dynamic sets count down on their own; the policy is what a refused change must leave alone.)
    const before = await cli('policy', 'export');
    for (const args of [['scan-detection', 'on', '--profile', 'public'], ['outbound', 'block', '--profile', 'public'], ['port', 'allow', '--preset', 'ssh', '--profile', 'public']]) {
      const res = await stack.cli([...args, '--no-ask-password'], { asUser: true });
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(3);
    }
    expect(await cli('policy', 'export')).toBe(before);
  });
});
