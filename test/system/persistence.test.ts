// Persistence of the policy across helper restarts, crashes and bad files: the policy file is the
// commit point, and whatever happens to the helper (SIGTERM, kill -9 mid-change, a corrupt file,
// a fresh machine importing an exported policy) the kernel ends up equal to the last committed
// policy. Everything runs in the lab's namespaces on a private bus with a real polkitd.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Stack, type StackOptions } from '../support/stack';
import { FirewallError, type FirewallClient } from '../../electron/client/firewall-client';
import { validatePolicy } from '../../shared/policy/validate';
import { applyEdits, type PolicyEditInput } from '../../shared/policy/edits';
import { PROFILE_NAMES, type Policy, type ProfileName } from '../../shared/policy/schema';
import type { Status } from '../../shared/dbus/contract';

const execFileAsync = promisify(execFile);

// ---- stacks ------------------------------------------------------------------------------------

const running = new Set<Stack>();

async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const stack = await Stack.start(opts);
  running.add(stack);
  return stack;
}

async function stopStack(stack: Stack): Promise<void> {
  if (!running.delete(stack)) return;
  await stack.stop();
}

afterAll(async () => {
  for (const stack of [...running]) await stopStack(stack);
});

const scratchDirs: string[] = [];
afterAll(async () => {
  for (const dir of scratchDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-persistence-'));
  scratchDirs.push(dir);
  return dir;
}

// ---- small helpers -----------------------------------------------------------------------------

/** Runs the CLI as root and expects success; returns stdout. */
async function cliOk(stack: Stack, args: string[]): Promise<string> {
  const res = await stack.cli(args);
  expect(res.code, `palisade ${args.join(' ')} exited ${res.code}:\n${res.stderr}\nhelper log:\n${stack.helperLog}`).toBe(0);
  return res.stdout;
}

async function statusJson(stack: Stack): Promise<Status> {
  return JSON.parse(await cliOk(stack, ['status', '--json'])) as Status;
}

async function withClient<T>(stack: Stack, body: (client: FirewallClient) => Promise<T>): Promise<T> {
  const client = await stack.client();
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

/**
 * The ruleset for comparison across helper starts. `stack.ruleset()` already drops counter values;
 * nothing else is normalised: after a restart the helper rebuilds the same table in one
 * transaction, with the same interface map elements (the lab's interfaces do not change), so
 * even element order is expected to be the same. Trailing whitespace is the only thing ignored.
 */
function comparable(ruleset: string): string {
  return ruleset.trimEnd();
}

async function tableExists(stack: Stack): Promise<boolean> {
  return (await stack.ruleset()).trim() !== '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until nothing runs in the lab's host namespace (e.g. an nft a killed helper had started). */
async function waitForQuietNamespace(stack: Stack): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { stdout } = await execFileAsync('ip', ['netns', 'pids', stack.lab.hostNs]);
    if (stdout.trim() === '') return;
    if (Date.now() > deadline) throw new Error(`processes still running in ${stack.lab.hostNs}: ${stdout.trim()}`);
    await sleep(25);
  }
}

// ---- what the kernel holds, and what a policy says it should hold -----------------------------

interface Observation {
  /** Ids of the port rules in force (rule comments and counter objects palisade:port:<id>), sorted. */
  portRuleIds: string[];
  stealth: Record<ProfileName, boolean>;
}

interface NftRuleObject { rule?: { chain?: string; comment?: string }; counter?: { name?: string } }

async function kernelObservation(stack: Stack): Promise<Observation> {
  const listing = JSON.parse(await stack.nft(['-j', 'list', 'table', 'inet', 'palisade'])) as { nftables: NftRuleObject[] };
  // Plain allow rules are map elements counting on counter objects named like rule comments.
  const comments = listing.nftables.map((o) => o.rule?.comment ?? o.counter?.name).filter((c): c is string => typeof c === 'string');
  const ids = new Set(comments.filter((c) => c.startsWith('palisade:port:')).map((c) => c.slice('palisade:port:'.length)));
  const stealth = Object.fromEntries(PROFILE_NAMES.map((p) => [p, comments.includes(`palisade:profile:${p}-stealth`)])) as Record<ProfileName, boolean>;
  return { portRuleIds: [...ids].sort(), stealth };
}

/** What the kernel must hold for a policy (the burst keeps both profiles on, shields down). */
function policyObservation(policy: Policy): Observation {
  const inForce = (p: ProfileName) => policy.profiles[p].enabled && !policy.profiles[p].shieldsUp;
  const ids = policy.portRules.filter((r) => r.enabled && r.profiles.some(inForce)).map((r) => r.id);
  return {
    portRuleIds: [...new Set(ids)].sort(),
    stealth: Object.fromEntries(PROFILE_NAMES.map((p) => [p, inForce(p) && policy.profiles[p].stealth])) as Record<ProfileName, boolean>,
  };
}

/** Reads and validates a policy file; fails the test with the reason when it does not. */
async function readValidPolicy(path: string): Promise<Policy> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not JSON after a kill: ${(err as Error).message}\n${text.slice(0, 2000)}`, { cause: err });
  }
  const checked = validatePolicy(json);
  if (!checked.ok) throw new Error(`${path} is not a valid policy after a kill: ${JSON.stringify(checked.issues)}`);
  return checked.value;
}

// ---- a seeded random source, so a failing run can be repeated -------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------

describe('persistence of the policy', () => {
  it('a restarted helper rebuilds the same ruleset from the policy file when the table is gone', async () => {
    const stack = await startStack({ links: 2 });
    try {
      await cliOk(stack, ['port', 'allow', '8080/tcp', '--profile', 'private']);
      await cliOk(stack, ['port', 'allow', '5000-5010/udp', '--profile', 'public', '--from', '10.0.0.0/8', '--from', 'fd00::/8']);
      await cliOk(stack, ['port', 'block', '9000-9100']);
      await cliOk(stack, ['port', 'allow', '7000/tcp', '--profile', 'private,public', '--always-open']);
      await cliOk(stack, ['app', 'allow', '/usr/bin/python3', '--profile', 'private']);
      await cliOk(stack, ['app', 'block', 'flatpak:org.example.Chat']);
      await cliOk(stack, ['stealth', 'off', '--profile', 'private']);
      // One interface in each profile, so both profiles' chains are reachable through the maps.
      await withClient(stack, (c) => c.call('ChangePolicy', { edits: [{ op: 'pinInterface', interface: 'h1', profile: 'private' }] }));

      const before = await stack.ruleset();
      // The changes reached the kernel (otherwise the comparison below proves little).
      expect(before).toMatch(/"h1" : goto in_private/);
      expect(before).toMatch(/"h0" : goto in_public/);
      expect(before).toMatch(/tcp \. 8080 : "palisade:port:/);
      expect(before).toMatch(/udp dport 5000-5010 .*palisade:port:/); // with remote networks: a rule of its own
      expect(before).not.toContain('palisade:profile:private-stealth');
      expect(before).toContain('palisade:profile:public-stealth');
      const policyBefore = await stack.policyFile();
      const revisionBefore = (await statusJson(stack)).revision;
      expect(revisionBefore).toBeGreaterThan(1);

      await stack.stopHelper('SIGTERM');
      expect(stack.helperLog).toContain('SIGTERM, stopping');
      // Stopping leaves the ruleset in place; then the table goes, as after a reboot.
      expect(comparable(await stack.ruleset())).toBe(comparable(before));
      await stack.nft(['delete', 'table', 'inet', 'palisade']);
      expect(await tableExists(stack)).toBe(false);

      await stack.startHelper();
      expect(comparable(await stack.ruleset())).toBe(comparable(before));
      expect(await stack.policyFile()).toEqual(policyBefore);
      const status = await statusJson(stack);
      expect(status.policy.source).toBe('file');
      expect(status.policy.problem).toBeUndefined();
      expect(status.counts).toMatchObject({ apps: 2, portRules: 4 });
    } finally {
      await stopStack(stack);
    }
  });

  it('kill -9 during a burst of 200 changes leaves the kernel at the last committed policy and the file valid', async () => {
    const seed = Number(process.env.PALISADE_KILL_SEED ?? Date.now() % 2 ** 31);
    const random = mulberry32(seed);
    const stack = await startStack({ links: 1, policy: { version: 1 } });
    const total = 200;
    const stats = { beforeCommit: 0, betweenCommitAndApply: 0, afterApply: 0 };
    const killErrors = new Map<string, number>();
    let kills = 0;
    let restarts = 0;
    const ctx = { activeNetworks: [], newId: (p: string) => { throw new Error(`the burst names every rule (asked for a ${p} id)`); }, now: new Date().toISOString() };
    try {
      let committed = await readValidPolicy(stack.policyPath);
      let n = 0;
      /** Change n, given the policy it applies to: mostly additions, some removals and stealth toggles. */
      const changeFor = (i: number, policy: Policy): PolicyEditInput => {
        if (i % 10 === 9) {
          const profile: ProfileName = i % 20 === 9 ? 'public' : 'private';
          return { op: 'setProfile', profile, settings: { stealth: !policy.profiles[profile].stealth } };
        }
        const oldest = policy.portRules.find((r) => r.id.startsWith('burst-'));
        if (i % 4 === 3 && oldest) return { op: 'removePortRule', id: oldest.id };
        return {
          op: 'addPortRule',
          rule: { id: `burst-${i}`, action: i % 5 === 0 ? 'block' : 'allow', protocol: i % 2 ? 'udp' : 'tcp', ports: { from: 20000 + i, to: 20000 + i }, profiles: [i % 3 ? 'private' : 'public'] },
        };
      };

      const client = await stack.client();
      try {
        for (let round = 0; n < total; round++) {
          if (round > 400) throw new Error(`no progress: ${n} of ${total} changes after ${round} rounds`);
          // A kill at a random moment of this round; the burst goes on until it lands.
          const delay = Math.floor(random() * 1500);
          let killed: Promise<void> | undefined;
          const timer = setTimeout(() => { killed = stack.stopHelper('SIGKILL'); }, delay);
          let inflight: { change: PolicyEditInput; next: Policy } | undefined;
          try {
            while (n < total) {
              const change = changeFor(n, committed);
              inflight = { change, next: applyEdits(committed, [change], ctx) };
              await client.call('ChangePolicy', { edits: [change] }, { timeoutMs: 120_000 });
              committed = inflight.next;
              inflight = undefined;
              n++;
            }
          } catch (err) {
            if (killed === undefined) throw new Error(`change ${n} failed with no kill: ${(err as Error).message}\nhelper log:\n${stack.helperLog}`, { cause: err });
            const code = err instanceof FirewallError ? err.code : 'other';
            killErrors.set(code, (killErrors.get(code) ?? 0) + 1);
            expect(code, `change ${n} after the kill: ${(err as Error).message}`).toBe('unavailable');
          } finally {
            clearTimeout(timer);
          }
          if (killed === undefined) break; // the burst finished before this round's kill
          await killed;
          kills++;
          await waitForQuietNamespace(stack); // an nft the helper started may still be committing

          const file = await readValidPolicy(stack.policyPath);
          // The copy follows each commit: a kill right after the first one may find none yet.
          if (existsSync(`${stack.policyPath}.last-good`)) await readValidPolicy(`${stack.policyPath}.last-good`);
          const kernel = await kernelObservation(stack);
          const fileIsOld = isDeepStrictEqual(file, committed);
          const fileIsNew = inflight !== undefined && isDeepStrictEqual(file, inflight.next);
          const describeState = () => `kill ${kills} (change ${n}: ${JSON.stringify(inflight?.change)}):\nkernel ${JSON.stringify(kernel)}\nfile ${JSON.stringify(policyObservation(file))}\ncommitted ${JSON.stringify(policyObservation(committed))}`;
          expect(fileIsOld || fileIsNew, `the file is neither the last acknowledged policy nor the one in flight; ${describeState()}`).toBe(true);
          if (fileIsOld) {
            expect(kernel, `the kernel is not the committed policy; ${describeState()}`).toEqual(policyObservation(committed));
            stats.beforeCommit++;
          } else if (inflight) {
            // The change reached the commit point: it stays, whether or not the kernel got it.
            if (isDeepStrictEqual(kernel, policyObservation(inflight.next))) stats.afterApply++;
            else {
              expect(kernel, `the kernel is neither the file nor one change behind it; ${describeState()}`).toEqual(policyObservation(committed));
              stats.betweenCommitAndApply++;
            }
            committed = inflight.next;
            n++;
          }

          await stack.startHelper();
          restarts++;
          expect(await kernelObservation(stack), `after restart ${restarts}`).toEqual(policyObservation(await readValidPolicy(stack.policyPath)));
          const policyInForce = await client.call('GetPolicy', {});
          expect(policyInForce).toEqual(committed);
        }
        // The whole burst is in: the kernel and the file agree with every change made.
        const final = await readValidPolicy(stack.policyPath);
        expect(final).toEqual(committed);
        expect(await kernelObservation(stack)).toEqual(policyObservation(committed));
        const status = await client.call('GetStatus', {});
        expect(status.policy.source).toBe('file');
        // A later save removed the temp files killed saves left behind.
        const temps = (await readdir(dirname(stack.policyPath))).filter((f) => f.startsWith(`.${basename(stack.policyPath)}.tmp-`));
        expect(temps).toEqual([]);
      } finally {
        client.close();
      }
      console.log(`kill -9 burst (seed ${seed}): ${total} changes, ${kills} kills, ${restarts} restarts; `
        + `${stats.beforeCommit} before the commit point (file and kernel old), `
        + `${stats.betweenCommitAndApply} between the file write and the kernel apply (file one change ahead), `
        + `${stats.afterApply} after the apply (file and kernel new, reply lost); `
        + `errors seen by the client: ${JSON.stringify(Object.fromEntries(killErrors))}`);
      expect(kills).toBeGreaterThan(0);
      expect(stats.beforeCommit + stats.betweenCommitAndApply + stats.afterApply).toBe(kills);
    } finally {
      await stopStack(stack);
    }
  });

  describe('a corrupt policy file', () => {
    const cases = [
      {
        name: 'truncated JSON',
        corrupt: () => '{"version": 1, "portRules": [',
        reason: /not valid JSON at line 1, column \d+ \(position \d+\)/,
      },
      {
        name: 'a schema-invalid document (port 70000)',
        corrupt: (current: string) => {
          const doc = JSON.parse(current) as { portRules: { ports: { from: number; to: number } }[] };
          const first = doc.portRules[0];
          if (!first) throw new Error('the policy has no port rule to break');
          first.ports = { from: 70000, to: 70000 };
          return `${JSON.stringify(doc, null, 2)}\n`;
        },
        reason: /not a valid policy .*portRules\[0\]\.ports\.from: ports end at 65535/,
      },
    ];

    for (const c of cases) {
      it(`${c.name}: the helper starts, says what is wrong, keeps the old rules and the file, and a change writes a valid file again`, async () => {
        const stack = await startStack({ links: 2 });
        try {
          await cliOk(stack, ['port', 'allow', '8443/tcp', '--profile', 'public', '--from', '192.168.0.0/16']);
          await cliOk(stack, ['port', 'block', '23']);
          await cliOk(stack, ['stealth', 'off', '--profile', 'public']);
          await cliOk(stack, ['app', 'allow', 'python3 /opt/tool/server.py', '--profile', 'public']);
          const ruleset = await stack.ruleset();
          expect(ruleset).toMatch(/tcp dport 8443 .*palisade:port:/); // with a remote network: a rule of its own
          const goodText = await readFile(stack.policyPath, 'utf8');
          const goodPolicy = await readValidPolicy(stack.policyPath);

          await stack.stopHelper('SIGTERM');
          const bad = c.corrupt(goodText);
          await writeFile(stack.policyPath, bad);
          await stack.startHelper();

          expect(stack.helperLog).toContain(stack.policyPath);
          expect(stack.helperLog).toMatch(c.reason);
          const text = await stack.cli(['status']);
          expect(text.code, text.stderr).toBe(0);
          expect(text.stdout).toContain(stack.policyPath);
          expect(text.stdout).toMatch(c.reason);
          const status = await statusJson(stack);
          expect(status.policy.source).toBe('last-good');
          expect(status.policy.problem?.file).toBe(stack.policyPath);
          expect(status.policy.problem?.reason).toMatch(c.reason);
          // The policy in force is the last good one, and the kernel was left as it was.
          expect(await withClient(stack, (cl) => cl.call('GetPolicy', {}))).toEqual(goodPolicy);
          expect(comparable(await stack.ruleset())).toBe(comparable(ruleset));
          // The broken file is the administrator's to inspect: the helper did not overwrite it.
          expect(await readFile(stack.policyPath, 'utf8')).toBe(bad);

          // A change starts from the last good policy and writes a valid file again.
          await cliOk(stack, ['port', 'allow', '7000/tcp', '--profile', 'public']);
          const written = await readValidPolicy(stack.policyPath);
          expect(written.portRules.map((r) => r.ports.from)).toEqual([...goodPolicy.portRules.map((r) => r.ports.from), 7000]);
          expect(written.apps).toEqual(goodPolicy.apps);
          expect(written.profiles).toEqual(goodPolicy.profiles);
          const after = await statusJson(stack);
          expect(after.policy.source).toBe('file');
          expect(after.policy.problem).toBeUndefined();
          expect(await stack.ruleset()).toMatch(/tcp \. 7000 : "palisade:port:/);
        } finally {
          await stopStack(stack);
        }
      });
    }

    it('with no table in the kernel either, the helper applies the last good copy', async () => {
      const stack = await startStack({ links: 2 });
      try {
        await cliOk(stack, ['port', 'allow', '8443/tcp', '--profile', 'public']);
        await cliOk(stack, ['stealth', 'off', '--profile', 'public']);
        const ruleset = await stack.ruleset();
        await stack.stopHelper('SIGTERM');
        await writeFile(stack.policyPath, '{"version": 1, "portRules": [');
        await stack.nft(['delete', 'table', 'inet', 'palisade']);
        await stack.startHelper();
        expect(comparable(await stack.ruleset())).toBe(comparable(ruleset));
        expect((await statusJson(stack)).policy.source).toBe('last-good');
        expect(await readFile(stack.policyPath, 'utf8')).toBe('{"version": 1, "portRules": [');
      } finally {
        await stopStack(stack);
      }
    });
  });

  it('policy export, then import on a fresh helper, reproduces the same ruleset and policy', async () => {
    const dir = await scratchDir();
    const exported = join(dir, 'exported.json');
    const reExported = join(dir, 're-exported.json');
    const first = await startStack({ links: 2 });
    let ruleset: string;
    try {
      await cliOk(first, ['app', 'allow', '/usr/bin/python3', '--profile', 'private']);
      await cliOk(first, ['app', 'allow', 'python3 /opt/tool/server.py', '--profile', 'private,public']);
      await cliOk(first, ['app', 'allow', 'flatpak:org.example.Editor', '--profile', 'private']);
      await cliOk(first, ['app', 'block', 'snap:chatter']);
      await cliOk(first, ['app', 'allow', 'appimage:Obsidian', '--profile', 'public']);
      await cliOk(first, ['port', 'allow', '22/tcp', '--profile', 'private', '--from', '10.77.0.0/16', '--from', 'fd00:77::/32']);
      await cliOk(first, ['port', 'allow', '8000-8010/tcp', '--profile', 'private', '--always-open']);
      await cliOk(first, ['port', 'allow', '5353/udp', '--profile', 'private,public', '--from', '10.77.1.2', '--comment', 'mDNS from one host']);
      await cliOk(first, ['port', 'block', '3389']);
      await cliOk(first, ['stealth', 'off', '--profile', 'private']);
      await cliOk(first, ['shields', 'up', '--profile', 'public']);
      await withClient(first, (c) => c.call('ChangePolicy', { edits: [{ op: 'pinInterface', interface: 'h0', profile: 'private' }] }));

      const out = await cliOk(first, ['policy', 'export', exported]);
      expect(out).toContain(exported);
      ruleset = await first.ruleset();
      expect(ruleset).toContain('palisade:profile:public-shields-up');
      expect(ruleset).not.toContain('palisade:profile:private-stealth');
      expect(ruleset).toMatch(/"h0" : goto in_private/);
      expect(ruleset).toMatch(/tcp \. 8000-8010 : "palisade:port:/);
    } finally {
      await stopStack(first);
    }

    const second = await startStack({ links: 2 });
    try {
      expect(await second.ruleset()).not.toBe(ruleset);
      const out = await cliOk(second, ['policy', 'import', exported]);
      expect(out).toMatch(/^Imported /);
      expect(comparable(await second.ruleset())).toBe(comparable(ruleset));
      await cliOk(second, ['policy', 'export', reExported]);
      expect(JSON.parse(await readFile(reExported, 'utf8'))).toEqual(JSON.parse(await readFile(exported, 'utf8')));
      expect(await second.policyFile()).toEqual(JSON.parse(await readFile(exported, 'utf8')));
      // And it survives a restart of the fresh helper from scratch.
      await second.stopHelper('SIGTERM');
      await second.nft(['delete', 'table', 'inet', 'palisade']);
      await second.startHelper();
      expect(comparable(await second.ruleset())).toBe(comparable(ruleset));
    } finally {
      await stopStack(second);
    }
  });

  it('a change whose policy file cannot be written is refused, and the kernel keeps the rules it had', async () => {
    const stack = await startStack({ links: 1 });
    try {
      const allow = (port: number): PolicyEditInput => ({ op: 'addPortRule', rule: { action: 'allow', protocol: 'tcp', ports: { from: port, to: port }, profiles: ['private', 'public'] } });
      await withClient(stack, (c) => c.call('ChangePolicy', { edits: [allow(8080)] }));
      const before = await stack.ruleset();
      expect(before).toMatch(/tcp \. 8080 : "palisade:port:/);
      // A directory in the policy file's place: replacing it fails, as on a full or read-only disk.
      await rm(stack.policyPath);
      await execFileAsync('mkdir', [stack.policyPath]);
      // A plain allow rule (an element change) and a change that rewrites the table: both refused before the kernel.
      const refused = await withClient(stack, (c) => c.call('ChangePolicy', { edits: [allow(8081)] })).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(FirewallError);
      expect((refused as FirewallError).message).toMatch(/policy file .* could not be written, nothing was changed/);
      expect(comparable(await stack.ruleset())).toBe(comparable(before));
      const inForce = await withClient(stack, (c) => c.call('GetPolicy', {}));
      expect(inForce.portRules.map((r) => r.ports.from)).toEqual([8080]);
      const refusedFull = await withClient(stack, (c) => c.call('ChangePolicy', { edits: [{ op: 'setProfile', profile: 'public', settings: { stealth: false } }] })).catch((err: unknown) => err);
      expect((refusedFull as FirewallError).message).toMatch(/could not be written, nothing was changed/);
      expect(comparable(await stack.ruleset())).toBe(comparable(before));

      await rm(stack.policyPath, { recursive: true });
      await withClient(stack, (c) => c.call('ChangePolicy', { edits: [allow(8082)] }));
      expect(await stack.ruleset()).toMatch(/tcp \. 8082 : "palisade:port:/);
      expect((await readValidPolicy(stack.policyPath)).portRules.map((r) => r.ports.from)).toEqual([8080, 8082]);
    } finally {
      await stopStack(stack);
    }
  });

  it('changing one setting of a profile keeps its other settings, in the file and after a restart', async () => {
    const stack = await startStack({ links: 1 });
    try {
      await cliOk(stack, ['shields', 'up', '--profile', 'public']);
      await cliOk(stack, ['ping', 'on', '--profile', 'public']);
      await cliOk(stack, ['stealth', 'off', '--profile', 'public']);
      await cliOk(stack, ['stealth', 'off', '--profile', 'private']);
      const expected = {
        public: { enabled: true, stealth: false, shieldsUp: true, answerPing: true },
        // Private answers ping by default; turning stealth off must not change that.
        private: { enabled: true, stealth: false, shieldsUp: false, answerPing: true },
      };
      expect((await statusJson(stack)).profiles).toMatchObject(expected);
      expect((await readValidPolicy(stack.policyPath)).profiles).toMatchObject(expected);
      await stack.stopHelper('SIGTERM');
      await stack.startHelper();
      expect((await statusJson(stack)).profiles).toMatchObject(expected);
      expect(await stack.ruleset()).toContain('palisade:profile:public-shields-up');
    } finally {
      await stopStack(stack);
    }
  });
});
