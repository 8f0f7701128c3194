// The policy store: a broken file falls back to the last good copy (then the defaults) and says
// exactly what is wrong, without touching it; a save is validated and atomic, even when the
// writer is killed with SIGKILL at an arbitrary moment.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { PolicyStore, jsonSyntaxErrorOffset, type LoadResult } from '../../electron/helper/policy-store';
import { PolicyValidationError, parsePolicy, parsePolicyText, validatePolicy } from '../../shared/policy/validate';
import { defaultPolicy } from '../../shared/policy/defaults';
import type { Policy } from '../../shared/policy/schema';
import { policyInput } from '../support/arbitraries';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const STORE_MODULE = join(REPO_ROOT, 'electron/helper/policy-store.ts');

let dir: string;
let policyPath: string;
const liveWriters = new Set<ChildProcess>();
let lastGoodPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palisade-store-'));
  policyPath = join(dir, 'etc/palisade/policy.json');
  lastGoodPath = `${policyPath}.last-good`;
});
afterEach(async () => {
  // A failed crash test may leave writers running in the other lanes: stop them first.
  await Promise.all([...liveWriters].map((child) => new Promise((done) => { child.once('close', done); child.kill('SIGKILL'); })));
  await rm(dir, { recursive: true, force: true });
});

const withRule = (id: string, port: number): Policy =>
  parsePolicy({ version: 1, portRules: [{ id, action: 'allow', protocol: 'tcp', ports: { from: port, to: port }, profiles: ['private'] }] });

const prettyJson = (policy: Policy) => `${JSON.stringify(policy, null, 2)}\n`;
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
const tempFilesIn = async (path: string) => (await readdir(path)).filter((name) => name.includes('.tmp-'));

/** Writes the two files as an administrator (or a crash) could have left them. */
async function givenFiles(files: { main?: string; lastGood?: string }): Promise<void> {
  await mkdir(join(dir, 'etc/palisade'), { recursive: true });
  if (files.main !== undefined) await writeFile(policyPath, files.main);
  if (files.lastGood !== undefined) await writeFile(lastGoodPath, files.lastGood);
}

describe('load', () => {
  it('starts from the defaults on a first start (no files), reports nothing and creates nothing', async () => {
    const result = await new PolicyStore(policyPath).load();
    expect(result).toEqual({ policy: defaultPolicy(), source: 'default' });
    expect(existsSync(join(dir, 'etc'))).toBe(false);
  });

  it('reads a valid file, filling in defaults an administrator left out', async () => {
    await givenFiles({ main: '{ "version": 1, "interfaces": { "eth0": "public" } }' });
    const result = await new PolicyStore(policyPath).load();
    expect(result.source).toBe('file');
    expect(result.problem).toBeUndefined();
    expect(result.policy).toEqual(parsePolicy({ version: 1, interfaces: { eth0: 'public' } }));
  });

  it('falls back to the last good copy on a JSON syntax error, giving the position, and leaves the file alone', async () => {
    const corrupt = '{\n  "version": 1,\n  "apps": [,]\n}\n';
    await givenFiles({ main: corrupt, lastGood: prettyJson(withRule('web', 8080)) });
    const result = await new PolicyStore(policyPath).load();
    expect(result.source).toBe('last-good');
    expect(result.policy).toEqual(withRule('web', 8080));
    expect(result.problem?.file).toBe(policyPath);
    expect(result.problem?.reason).toMatch(/^not valid JSON at line 3, column 12 \(position 29\): Unexpected token ','/);
    expect(result.problem?.issues).toBeUndefined();
    expect(await readFile(policyPath, 'utf8')).toBe(corrupt);
  });

  it('falls back to the last good copy on an invalid document, listing every issue with its path', async () => {
    const invalid = {
      version: 1,
      profiles: { public: { stealth: 'yes' } },
      portRules: [{ id: 'web', action: 'allow', protocol: 'sctp', ports: { from: 9000, to: 80 }, profiles: ['private'] }],
      colour: 'blue',
    };
    const text = JSON.stringify(invalid);
    await givenFiles({ main: text, lastGood: prettyJson(withRule('ssh', 22)) });
    const result = await new PolicyStore(policyPath).load();
    expect(result.source).toBe('last-good');
    expect(result.policy).toEqual(withRule('ssh', 22));
    const expected = validatePolicy(invalid);
    if (expected.ok) throw new Error('the fixture should be invalid');
    expect(expected.issues.length).toBeGreaterThanOrEqual(4);
    expect(result.problem?.issues).toEqual(expected.issues);
    for (const issue of expected.issues) expect(result.problem?.reason).toContain(`${issue.path || '(document)'}: ${issue.message}`);
    expect(result.problem?.reason).toContain(`${expected.issues.length} problems`);
    expect(await readFile(policyPath, 'utf8')).toBe(text);
  });

  it('reports an unreadable file with its errno', async () => {
    await givenFiles({ lastGood: prettyJson(withRule('web', 8080)) });
    await mkdir(policyPath); // reading a directory fails with EISDIR, even as root
    const result = await new PolicyStore(policyPath).load();
    expect(result.source).toBe('last-good');
    expect(result.problem?.reason).toMatch(/^cannot read the file: EISDIR/);
  });

  it('uses the last good copy when the main file has disappeared, and says so', async () => {
    await givenFiles({ lastGood: prettyJson(withRule('web', 8080)) });
    const result = await new PolicyStore(policyPath).load();
    expect(result).toMatchObject({ source: 'last-good', policy: withRule('web', 8080), problem: { file: policyPath, reason: expect.stringContaining('ENOENT') } });
  });

  it('falls back to the defaults when both files are bad, describing both', async () => {
    await givenFiles({ main: '{"version": 2}', lastGood: 'null trailing' });
    const result = await new PolicyStore(policyPath).load();
    // Nothing written or repaired: both files stay for the administrator to look at.
    expect((await readdir(join(dir, 'etc/palisade'))).sort()).toEqual(['policy.json', 'policy.json.last-good']);
    expect(await readFile(policyPath, 'utf8')).toBe('{"version": 2}');
    expect(result.source).toBe('default');
    expect(result.policy).toEqual(defaultPolicy());
    expect(result.problem).toMatchObject({ file: policyPath, issues: [{ path: 'version', message: expect.stringContaining('unsupported policy version') }] });
    expect(result.lastGoodProblem).toMatchObject({ file: lastGoodPath, reason: expect.stringMatching(/^not valid JSON at line 1, column 6 \(position 5\): /) });
  });

  it('falls back to the defaults when the main file is bad and there is no last good copy', async () => {
    await givenFiles({ main: '' });
    const result = await new PolicyStore(policyPath).load();
    expect(result.source).toBe('default');
    expect(result.problem?.reason).toMatch(/^not valid JSON/);
    expect(result.lastGoodProblem?.reason).toContain('ENOENT');
  });

  it('honours a last good copy kept elsewhere', async () => {
    const elsewhere = join(dir, 'var/lib/palisade/policy.json.bak');
    const store = new PolicyStore(policyPath, { lastGoodPath: elsewhere });
    await store.save(withRule('web', 8080));
    await store.settled();
    expect(await readFile(elsewhere, 'utf8')).toBe(prettyJson(withRule('web', 8080)));
    await writeFile(policyPath, '{');
    expect(await store.load()).toMatchObject({ source: 'last-good', policy: withRule('web', 8080) });
  });
});

describe('JSON error location', () => {
  it('points where V8 does whenever V8 gives a position, and finds one for every syntax error', () => {
    const damage = fc.constantFrom('', ',', '"', '}', ']', '\\', 'x', ':', '\n', '{', '[', '\u0001', '-', '.', 'e', '0', 'u');
    fc.assert(fc.property(fc.json(), fc.nat(), damage, fc.boolean(), (json, n, insert, remove) => {
      const at = n % (json.length + 1);
      const text = remove ? json.slice(0, at) + json.slice(at + 1) : json.slice(0, at) + insert + json.slice(at);
      let v8Message: string | undefined;
      try { JSON.parse(text); } catch (err) { v8Message = (err as Error).message; }
      const offset = jsonSyntaxErrorOffset(text);
      if (v8Message === undefined) {
        expect(offset).toBeUndefined();
      } else {
        expect(offset).toBeDefined();
        const v8Position = /at position (\d+)/.exec(v8Message)?.[1];
        if (v8Position !== undefined) expect(offset).toBe(Number(v8Position));
      }
    }), { numRuns: 3000 });
  });
});

describe('save', () => {
  it('round-trips any valid policy, as pretty JSON with a trailing newline, and keeps the last good copy', async () => {
    const store = new PolicyStore(policyPath);
    await fc.assert(fc.asyncProperty(policyInput, async (input) => {
      const policy = parsePolicy(input);
      await store.save(policy);
      const loaded = await store.load();
      expect(loaded).toEqual({ policy, source: 'file' } satisfies LoadResult);
      expect(await readFile(policyPath, 'utf8')).toBe(prettyJson(policy));
      await store.settled();
      expect(await readFile(lastGoodPath, 'utf8')).toBe(prettyJson(policy));
    }), { numRuns: 40 });
  });

  it('creates the directory 0755 and the files 0644, whatever the umask, and leaves no temp files', async () => {
    // Workers cannot change the umask, so the check runs in a child with a restrictive one.
    const script = join(dir, 'save-once.mts');
    await writeFile(script, [
      `import { PolicyStore } from ${JSON.stringify(STORE_MODULE)};`,
      'process.umask(0o077);',
      `await new PolicyStore(process.argv[2]).save(JSON.parse(process.argv[3]));`,
    ].join('\n'));
    await runTs(script, [policyPath, JSON.stringify(withRule('web', 8080))]);
    expect(await modeOf(join(dir, 'etc'))).toBe(0o755);
    expect(await modeOf(join(dir, 'etc/palisade'))).toBe(0o755);
    expect(await modeOf(policyPath)).toBe(0o644);
    expect(await modeOf(lastGoodPath)).toBe(0o644);
    expect(await tempFilesIn(join(dir, 'etc/palisade'))).toEqual([]);
    expect(await new PolicyStore(policyPath).load()).toEqual({ policy: withRule('web', 8080), source: 'file' });
  });

  it('refuses an invalid policy with every issue and writes nothing', async () => {
    const store = new PolicyStore(policyPath);
    const invalid = { ...withRule('web', 8080), portRules: [{ ...withRule('web', 8080).portRules[0], ports: { from: 0, to: 70000 } }] } as Policy;
    await expect(store.save(invalid)).rejects.toThrow(PolicyValidationError);
    await expect(store.save(invalid)).rejects.toMatchObject({ issues: [{ path: 'portRules[0].ports.from' }, { path: 'portRules[0].ports.to' }] });
    expect(existsSync(join(dir, 'etc'))).toBe(false);

    await store.save(withRule('ssh', 22));
    await expect(store.save(invalid)).rejects.toThrow(PolicyValidationError);
    await store.settled();
    expect(await readFile(policyPath, 'utf8')).toBe(prettyJson(withRule('ssh', 22)));
    expect(await readFile(lastGoodPath, 'utf8')).toBe(prettyJson(withRule('ssh', 22)));
    expect((await readdir(join(dir, 'etc/palisade'))).sort()).toEqual(['policy.json', 'policy.json.last-good']);
  });

  it('applies concurrent saves in call order', async () => {
    const store = new PolicyStore(policyPath);
    const policies = Array.from({ length: 10 }, (_, i) => withRule(`r${i}`, 1000 + i));
    await Promise.all(policies.map((p) => store.save(p)));
    await store.settled();
    expect((await store.load()).policy).toEqual(policies.at(-1));
    expect(await readFile(lastGoodPath, 'utf8')).toBe(prettyJson(withRule('r9', 1009)));
  });

  it('a main file that cannot be replaced fails the save and leaves both files as they were', async () => {
    const store = new PolicyStore(policyPath);
    await store.save(withRule('ssh', 22));
    // A directory in the main file's place: the rename onto it fails.
    await store.settled();
    await rm(policyPath);
    await mkdir(policyPath);
    await expect(store.save(withRule('web', 8080))).rejects.toThrow(/EISDIR|directory/);
    await store.settled();
    expect(await readFile(lastGoodPath, 'utf8')).toBe(prettyJson(withRule('ssh', 22)));
    expect(await tempFilesIn(join(dir, 'etc/palisade'))).toEqual([]);
  });

  it('a last good copy that cannot be replaced leaves the save standing, and says so', async () => {
    const warnings: string[] = [];
    const store = new PolicyStore(policyPath, { warn: (m) => warnings.push(m) });
    await store.save(withRule('ssh', 22));
    await store.settled();
    await rm(lastGoodPath);
    await mkdir(lastGoodPath);
    await store.save(withRule('web', 8080));
    await store.settled();
    expect(await readFile(policyPath, 'utf8')).toBe(prettyJson(withRule('web', 8080)));
    expect(warnings).toEqual([expect.stringContaining(`the last good copy ${lastGoodPath} could not be written`)]);
  });

  it('removes temp files a killed writer left behind, and never mistakes them for the policy', async () => {
    const store = new PolicyStore(policyPath);
    await store.save(withRule('web', 8080));
    const deadPid = await pidOfExitedProcess();
    const stale = join(dir, `etc/palisade/.policy.json.tmp-${deadPid}-0123456789ab`);
    await writeFile(stale, '{"version": 1, "port');
    expect(await store.load()).toEqual({ policy: withRule('web', 8080), source: 'file' });
    await store.save(withRule('ssh', 22));
    await store.settled();
    expect(await tempFilesIn(join(dir, 'etc/palisade'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Crash safety: a child process saves a long series of different policies and is SIGKILLed at a
// random moment. Before each save it announces the policy's index (and waits until the line is
// in the pipe), so afterwards the parent knows the two states the file may be in.

const WRITER = `
import { readFileSync } from 'node:fs';
import { PolicyStore } from ${JSON.stringify(STORE_MODULE)};
const [target, policiesFile, start] = process.argv.slice(2);
const policies = JSON.parse(readFileSync(policiesFile, 'utf8'));
const store = new PolicyStore(target);
process.umask(0o077);
for (let i = Number(start); ; i = (i + 1) % policies.length) {
  await new Promise((done) => process.stdout.write(i + '\\n', done));
  await store.save(policies[i]);
}
`;

/** Realistic policies of every shape, plus some large ones so a torn write would show. */
function crashTestPolicies(): Policy[] {
  const varied = fc.sample(policyInput, { seed: 20240611, numRuns: 40 }).map((p) => parsePolicy(p));
  const large = [50, 400, 5, 250, 1].map((rules, n) => parsePolicy({
    version: 1,
    portRules: Array.from({ length: rules }, (_, k) => ({
      id: `bulk-${n}-${k}`, action: 'allow', protocol: 'both', ports: { from: 1000 + k, to: 2000 + k }, profiles: ['public'], comment: `rule ${k} `.repeat(n + 1),
    })),
  }));
  // One large policy before every eighth varied one, so sizes grow and shrink from save to save.
  return varied.flatMap((p, i) => {
    const big = i % 8 === 0 ? large[i / 8] : undefined;
    return big ? [big, p] : [p];
  });
}

/** One target file, written by a series of writers that each get killed. */
interface Lane { target: string; mainState: Policy | undefined; lastGoodState: Policy | undefined; next: number }
interface CrashSetup { writer: string; policiesFile: string; policies: Policy[] }

async function killWriterAtRandom(lane: Lane, setup: CrashSetup): Promise<{ announced: number[]; leftTemp: boolean }> {
  const { policies } = setup;
  const child = spawn(process.execPath, ['--import', 'tsx', setup.writer, lane.target, setup.policiesFile, String(lane.next)], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveWriters.add(child);
  let out = '';
  let err = '';
  const exited = new Promise<void>((done) => child.once('close', () => { liveWriters.delete(child); done(); }));
  // Half the kills land at any moment of the loop; the other half a few milliseconds after the
  // writer announced a save, i.e. inside that save, where a torn write would happen.
  const soonAfterSave = Math.random() < 0.5;
  const saves = soonAfterSave ? 1 + Math.floor(Math.random() * 8) : 1;
  await new Promise<void>((done, fail) => {
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.split('\n').length > saves) done(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.once('exit', () => fail(new Error(`writer exited early:\n${err}`)));
  });
  await new Promise((done) => setTimeout(done, Math.random() * (soonAfterSave ? 5 : 120)));
  child.kill('SIGKILL');
  await exited;

  const announced = out.split('\n').filter(Boolean).map(Number);
  const candidates = (before: Policy | undefined, count: number) => [before, ...announced.map((i) => policies[i])].slice(-count);
  const context = `writer ${child.pid} announced ${announced.length} saves`;
  const main = await checkFile(lane.target, candidates(lane.mainState, 2), context);
  // The copy is written after its save returns, so it may still be a save behind the main file.
  const lastGood = await checkFile(`${lane.target}.last-good`, candidates(lane.lastGoodState, 3), context);

  const loaded = await new PolicyStore(lane.target).load();
  if (main.onDisk) expect(loaded, context).toEqual({ policy: main.onDisk, source: 'file' });
  else expect(loaded, context).toEqual({ policy: defaultPolicy(), source: 'default' }); // killed before its first save completed
  lane.mainState = main.onDisk;
  lane.lastGoodState = lastGood.onDisk;
  lane.next = ((announced.at(-1) ?? lane.next) + 1) % policies.length;
  return { announced, leftTemp: main.leftTemp || lastGood.leftTemp };
}

/** The file, if any, parses and is one of the allowed states, mode 0644; at most one temp file of it remains. */
async function checkFile(path: string, allowed: (Policy | undefined)[], context: string): Promise<{ onDisk: Policy | undefined; leftTemp: boolean }> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  let onDisk: Policy | undefined;
  if (text === undefined) {
    expect(allowed, `${path} is missing (${context})`).toContain(undefined);
  } else {
    const parsed = parsePolicyText(text);
    if (!parsed.ok) expect.fail(`${path} is torn or invalid (${context}): ${parsed.issues.map((i) => i.message).join('; ')}`);
    onDisk = parsed.value;
    expect(allowed.some((p) => isDeepStrictEqual(p, onDisk)), `${path} holds a policy that was not the last or previous one (${context})`).toBe(true);
    expect(await modeOf(path)).toBe(0o644);
  }
  const name = path.slice(path.lastIndexOf('/') + 1);
  const temps = (await readdir(join(path, '..')).catch(() => [])).filter((n) => n.startsWith(`.${name}.tmp-`));
  expect(temps.length, `temp files of ${name}: ${temps.join(', ')}`).toBeLessThanOrEqual(1);
  return { onDisk, leftTemp: temps.length > 0 };
}

describe('crash safety', () => {
  it('leaves the old or the new policy, whole, when the writer is SIGKILLed at any moment', async () => {
    const setup: CrashSetup = { writer: join(dir, 'writer.mts'), policiesFile: join(dir, 'policies.json'), policies: crashTestPolicies() };
    await writeFile(setup.policiesFile, JSON.stringify(setup.policies));
    await writeFile(setup.writer, WRITER);
    const LANES = 2;
    const KILLS_PER_LANE = 20;
    // Each lane starts without a directory: the first writer creates it.
    const lanes: Lane[] = Array.from({ length: LANES }, (_, n) => ({
      target: join(dir, `lane-${n}/palisade/policy.json`), mainState: undefined, lastGoodState: undefined, next: n * 11,
    }));
    const outcomes = (await Promise.all(lanes.map(async (lane) => {
      const results = [];
      for (let k = 0; k < KILLS_PER_LANE; k++) results.push(await killWriterAtRandom(lane, setup));
      return results;
    }))).flat();

    const saves = outcomes.reduce((sum, o) => sum + o.announced.length, 0);
    const midWrite = outcomes.filter((o) => o.leftTemp).length;
    console.log(`crash safety: ${outcomes.length} kills over ${saves} saves; ${midWrite} kills landed while a temp file existed`);
    // The kills must have hit writes in progress, or the test proves nothing.
    expect(midWrite).toBeGreaterThan(0);

    // A normal save afterwards cleans up whatever the killed writers left.
    for (const lane of lanes) {
      // save() resolves once the main file is written; the last good copy follows, so wait for it.
      const store = new PolicyStore(lane.target);
      await store.save(withRule('after', 443));
      await store.settled();
      expect(await tempFilesIn(join(lane.target, '..'))).toEqual([]);
    }
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

function runTs(script: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.once('close', (code) => (code === 0 ? done() : fail(new Error(`${script} exited ${code}:\n${err}`))));
  });
}

/** A pid that certainly belongs to no running process (barring reuse in the last millisecond). */
function pidOfExitedProcess(): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn('true');
    child.once('error', fail);
    child.once('exit', () => (child.pid ? done(child.pid) : fail(new Error('no pid'))));
  });
}
