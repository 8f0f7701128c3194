// The helper's D-Bus front door under abuse: every method of the contract gets malformed calls
// (no argument, wrong signatures, non-JSON, JSON of the wrong shape, unknown keys, wrong field
// types, 5 MB strings) and must answer each with InvalidArgs naming the method and the problem,
// without crashing and without changing anything. Also the standard interfaces (Introspectable,
// Properties, Peer), unknown methods, and callers without rights.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import dbus, { type MessageBus } from 'dbus-next';
import { build } from 'esbuild';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack } from '../support/stack';
import { TEST_USER } from '../support/test-user';
import {
  BUS_NAME, DBUS_ERRORS, INTERFACE_NAME, METHODS, OBJECT_PATH, POLKIT_ACTIONS, PROPERTIES,
  type MethodArgs, type MethodName, type Status,
} from '../../shared/dbus/contract';
import packageJson from '../../package.json' with { type: 'json' };

const { Message, Variant } = dbus;
const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

// ---- raw calls -----------------------------------------------------------------------------------

interface RawCall {
  interface: string;
  member: string;
  signature: string;
  body: unknown[];
}

type RawReply = { ok: true; signature: string; body: unknown[] } | { ok: false; name: string; text: string };

async function rawCall(bus: MessageBus, call: RawCall): Promise<RawReply> {
  const msg = new Message({ destination: BUS_NAME, path: OBJECT_PATH, interface: call.interface, member: call.member, signature: call.signature, body: call.body });
  try {
    const reply = await bus.call(msg);
    return { ok: true, signature: reply?.signature ?? '', body: reply?.body ?? [] };
  } catch (err) {
    const e = err as { type?: string; text?: string; message?: string };
    return { ok: false, name: e.type ?? '(no error name)', text: e.text ?? e.message ?? String(err) };
  }
}

const method = (member: MethodName, signature: string, body: unknown[]): RawCall => ({ interface: INTERFACE_NAME, member, signature, body });
const json = (member: MethodName, value: unknown): RawCall => method(member, 's', [JSON.stringify(value)]);

function connect(address: string): Promise<MessageBus> {
  const bus = dbus.sessionBus({ busAddress: address });
  return new Promise((resolve, reject) => {
    bus.once('connect', () => resolve(bus));
    bus.once('error', reject);
  });
}

// ---- a raw client the unprivileged test user can run --------------------------------------------

const RAW_CLIENT_SOURCE = `
import dbus from 'dbus-next';
async function main() {
  const [address, callsJson] = process.argv.slice(2);
  const calls = JSON.parse(callsJson);
  const bus = dbus.sessionBus({ busAddress: address });
  await new Promise((resolve, reject) => { bus.once('connect', resolve); bus.once('error', reject); });
  const results = [];
  for (const c of calls) {
    const body = c.variant ? [...c.body, new dbus.Variant(c.variant[0], c.variant[1])] : c.body;
    try {
      const reply = await bus.call(new dbus.Message({ destination: ${JSON.stringify(BUS_NAME)}, path: ${JSON.stringify(OBJECT_PATH)}, interface: c.interface, member: c.member, signature: c.signature, body }));
      results.push({ ok: true, signature: reply.signature, body: reply.body });
    } catch (err) {
      results.push({ ok: false, name: err.type, text: err.text ?? String(err) });
    }
  }
  console.log(JSON.stringify(results));
  bus.disconnect();
}
main().catch((err) => { console.error(err); process.exit(1); });
`;

async function bundleRawClient(dir: string): Promise<string> {
  const outfile = join(dir, 'raw-client.cjs');
  await build({
    stdin: { contents: RAW_CLIENT_SOURCE, resolveDir: ROOT, loader: 'js', sourcefile: 'raw-client.js' },
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile, logLevel: 'error', external: ['x11', 'usocket'],
  });
  await chmod(outfile, 0o755);
  return outfile;
}

interface UserCall extends RawCall { variant?: [string, unknown] }

async function callsAsUser(bundle: string, address: string, calls: UserCall[]): Promise<RawReply[]> {
  const { stdout } = await execFileAsync('runuser', ['-u', TEST_USER, '--', process.execPath, bundle, address, JSON.stringify(calls)], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as RawReply[];
}

// ---- the malformed calls -------------------------------------------------------------------------

interface BadCase { what: string; call: RawCall; says: RegExp }

const HUGE = 5 * 1024 * 1024;

/** Mistakes any method can receive. */
function genericCases(m: MethodName): BadCase[] {
  return [
    { what: 'no argument', call: method(m, '', []), says: /one JSON string argument \(signature "s"\), not ""/ },
    { what: 'an int32', call: method(m, 'i', [42]), says: /signature "s"\), not "i"/ },
    { what: 'two strings', call: method(m, 'ss', ['{}', '{}']), says: /signature "s"\), not "ss"/ },
    { what: 'an array of strings', call: method(m, 'as', [['{}']]), says: /signature "s"\), not "as"/ },
    { what: 'a string that is not JSON', call: method(m, 's', ['{not json']), says: /not valid JSON/ },
    { what: 'an empty string', call: method(m, 's', ['']), says: /not valid JSON/ },
    { what: 'a JSON number', call: method(m, 's', ['42']), says: /expected object, received number/ },
    { what: 'a JSON array', call: method(m, 's', ['[]']), says: /expected object, received array/ },
    { what: 'JSON null', call: method(m, 's', ['null']), says: /expected object, received null/ },
    { what: 'a JSON string', call: method(m, 's', ['"{}"']), says: /expected object, received string/ },
    { what: 'an unknown key', call: json(m, { surprise: true }), says: /Unrecognized key: "surprise"/ },
    { what: 'a 5 MB string that is not JSON', call: method(m, 's', ['x'.repeat(HUGE)]), says: /not valid JSON/ },
    { what: 'a 5 MB JSON object with an unknown key', call: json(m, { padding: 'x'.repeat(HUGE) }), says: /Unrecognized key: "padding"/ },
    { what: 'a 5 MB JSON string', call: json(m, 'x'.repeat(HUGE)), says: /expected object, received string/ },
    { what: 'JSON nested a million levels deep', call: method(m, 's', [`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`]), says: /expected object, received array|not valid JSON/ },
  ];
}

const goodRule = { id: 'probe', action: 'allow', protocol: 'tcp', ports: { from: 8080, to: 8080 }, profiles: ['private'] };

/** Objects with the right keys and wrong values, per method (typed: a new method must add its cases). */
const WRONG_FIELDS: Record<MethodName, { what: string; args: unknown; says: RegExp }[]> = {
  GetStatus: [{ what: 'a field it does not take', args: { verbose: true }, says: /Unrecognized key: "verbose"/ }],
  GetPolicy: [{ what: 'a field it does not take', args: { format: 'yaml' }, says: /Unrecognized key: "format"/ }],
  GetRuleset: [{ what: 'a field it does not take', args: { family: 'inet' }, says: /Unrecognized key: "family"/ }],
  ListNetworks: [{ what: 'a field it does not take', args: { active: true }, says: /Unrecognized key: "active"/ }],
  ListPrompts: [{ what: 'a field it does not take', args: { all: 1 }, says: /Unrecognized key: "all"/ }],
  ListSockets: [
    { what: 'listening as a string', args: { listening: 'yes' }, says: /listening: .*expected boolean, received string/ },
    { what: 'listening as null', args: { listening: null }, says: /listening: .*expected boolean, received null/ },
  ],
  GetExposure: [{ what: 'interface as a number', args: { interface: 42 }, says: /interface: .*expected string, received number/ }],
  ChangePolicy: [
    { what: 'an unknown edit', args: { edits: [{ op: 'nope' }] }, says: /edits\[0\]\.op: .*setProfile/ },
    { what: 'port 70000', args: { edits: [{ op: 'addPortRule', rule: { ...goodRule, ports: { from: 70000, to: 70000 } } }] }, says: /edits\[0\]\.rule\.ports\.from: ports end at 65535/ },
    { what: 'port 0', args: { edits: [{ op: 'addPortRule', rule: { ...goodRule, ports: { from: 0, to: 10 } } }] }, says: /edits\[0\]\.rule\.ports\.from: ports start at 1/ },
    { what: 'a port as a string', args: { edits: [{ op: 'addPortRule', rule: { ...goodRule, ports: { from: '80', to: 80 } } }] }, says: /edits\[0\]\.rule\.ports\.from: .*expected number, received string/ },
    { what: 'profile "work"', args: { edits: [{ op: 'setProfile', profile: 'work', settings: { stealth: false } }] }, says: /edits\[0\]\.profile: .*"private"\|"public"/ },
    { what: 'a rule for profile "work"', args: { edits: [{ op: 'addPortRule', rule: { ...goodRule, profiles: ['work'] } }] }, says: /edits\[0\]\.rule\.profiles\[0\]/ },
    { what: 'a setting that does not exist', args: { edits: [{ op: 'setProfile', profile: 'public', settings: { invisible: true } }] }, says: /edits\[0\]\.settings: .*"invisible"/ },
    { what: 'stealth as a string', args: { edits: [{ op: 'setProfile', profile: 'public', settings: { stealth: 'off' } }] }, says: /edits\[0\]\.settings\.stealth: .*expected boolean/ },
    { what: 'a remote that is not an address', args: { edits: [{ op: 'addPortRule', rule: { ...goodRule, remote: ['not-an-address'] } }] }, says: /edits\[0\]\.rule\.remote\[0\]/ },
    { what: 'a relative app path', args: { edits: [{ op: 'setApp', identity: { kind: 'executable', path: 'bin/sh' }, action: 'allow', profiles: ['private'] }] }, says: /edits\[0\]\.identity\.path: must be an absolute path/ },
    { what: 'an interface name with a wildcard', args: { edits: [{ op: 'pinInterface', interface: 'eth*', profile: 'private' }] }, says: /edits\[0\]\.interface: must be a Linux interface name/ },
    { what: 'no edits', args: { edits: [] }, says: /edits: .*>=1/ },
    { what: 'edits as a string', args: { edits: 'all of them' }, says: /edits: .*expected array, received string/ },
    { what: '1001 edits', args: { edits: Array.from({ length: 1001 }, () => ({ op: 'restoreDefaults' })) }, says: /edits: .*<=1000/ },
    { what: 'a confirmation window of 1 s', args: { edits: [{ op: 'restoreDefaults' }], confirmWithin: 1 }, says: /confirmWithin: .*>=5/ },
  ],
  ReplacePolicy: [
    { what: 'no policy', args: {}, says: /policy: / },
    { what: 'a policy that is a number', args: { policy: 42 }, says: /expected object, received number/ },
    { what: 'a policy with port 70000', args: { policy: { version: 1, portRules: [{ ...goodRule, ports: { from: 70000, to: 70000 } }] } }, says: /portRules\[0\]\.ports\.from: ports end at 65535/ },
    { what: 'a policy with profile "work"', args: { policy: { version: 1, profiles: { work: {} } } }, says: /profiles: .*"work"/ },
    { what: 'a policy of version 2', args: { policy: { version: 2 } }, says: /version: unsupported policy version/ },
    { what: 'a confirmation window as a string', args: { policy: { version: 1 }, confirmWithin: 'soon' }, says: /confirmWithin: .*expected number, received string/ },
  ],
  ConfirmChange: [
    { what: 'an id as a number', args: { id: 42 }, says: /id: .*expected string, received number/ },
    { what: 'no id', args: {}, says: /id: .*expected string, received undefined/ },
  ],
  GetDropLog: [
    { what: 'a limit of 0', args: { limit: 0 }, says: /limit: .*>=1/ },
    { what: 'a limit as a string', args: { limit: 'all' }, says: /limit: .*expected number, received string/ },
    { what: 'a limit past the buffer', args: { limit: 1e9 }, says: /limit: .*<=10000/ },
  ],
  GetHitCounts: [{ what: 'a field it does not take', args: { rule: 'x' }, says: /Unrecognized key: "rule"/ }],
  AnswerPrompt: [
    { what: 'a decision that is neither allow nor block', args: { id: 'prompt-1', decision: { action: 'maybe' } }, says: /decision\.action: .*'allow' \| 'block'/ },
    { what: 'an allow for profile "work"', args: { id: 'prompt-1', decision: { action: 'allow', profiles: ['work'] } }, says: /decision\.profiles\[0\]: .*"private"\|"public"/ },
    { what: 'an allow with no profile', args: { id: 'prompt-1', decision: { action: 'allow', profiles: [] } }, says: /decision\.profiles: .*>=1/ },
  ],
};

/** Well-formed arguments for every method (typed against the contract). */
const VALID_ARGS: { [M in MethodName]: MethodArgs<M> } = {
  GetStatus: {},
  GetPolicy: {},
  ListSockets: { listening: true },
  GetExposure: {},
  GetRuleset: {},
  ListNetworks: {},
  ListPrompts: {},
  ChangePolicy: { edits: [{ op: 'setProfile', profile: 'public', settings: { stealth: true } }] },
  ReplacePolicy: { policy: { version: 1 } },
  ConfirmChange: { id: 'change-00000000' },
  AnswerPrompt: { id: 'prompt-00000000', decision: { action: 'block' } },
  GetDropLog: { limit: 5 },
  GetHitCounts: {},
};

// ---------------------------------------------------------------------------------------------

describe('the D-Bus interface under malformed and unauthorised calls', () => {
  let stack: Stack;
  let bus: MessageBus;
  let scratch: string;
  /** What must not change: the file, the kernel, the revision. */
  let baseline: { file: string; ruleset: string; revision: number };

  const snapshot = async () => ({
    file: await readFile(stack.policyPath, 'utf8'),
    ruleset: await stack.ruleset(),
    revision: (JSON.parse(await cliOut(['status', '--json'])) as Status).revision,
  });

  async function cliOut(args: string[]): Promise<string> {
    const res = await stack.cli(args);
    expect(res.code, `palisade ${args.join(' ')}: ${res.stderr}`).toBe(0);
    return res.stdout;
  }

  function expectHelperAlive(): void {
    const helper = stack.helper;
    expect(helper, 'the helper process').toBeDefined();
    expect(helper?.exitCode, `the helper exited; its log:\n${stack.helperLog}`).toBeNull();
    expect(helper?.signalCode, `the helper was killed; its log:\n${stack.helperLog}`).toBeNull();
    expect(stack.helperLog).not.toMatch(/unexpected failure|internal error/);
  }

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'palisade-dbus-robustness-'));
    await chmod(scratch, 0o755);
    stack = await Stack.start({ links: 2, policy: { version: 1 } });
    bus = await connect(stack.bus.address);
    // A policy that is not the default, so "unchanged" means something.
    await cliOut(['port', 'allow', '8080/tcp', '--profile', 'private,public']);
    await cliOut(['app', 'allow', '/usr/bin/python3', '--profile', 'private']);
    await cliOut(['stealth', 'off', '--profile', 'public']);
    baseline = await snapshot();
  });

  afterAll(async () => {
    bus?.disconnect();
    await stack?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('refuses malformed arguments on every method with InvalidArgs naming the method, and survives', async () => {
    let sent = 0;
    for (const m of METHOD_NAMES) {
      const cases = [...genericCases(m), ...WRONG_FIELDS[m].map((w) => ({ what: w.what, call: json(m, w.args), says: w.says }))];
      for (const c of cases) {
        const reply = await rawCall(bus, c.call);
        sent++;
        const label = `${m} with ${c.what}`;
        expect.soft(reply.ok, `${label} was accepted`).toBe(false);
        if (reply.ok) continue;
        expect.soft(reply.name, `${label}: ${reply.text}`).toBe(DBUS_ERRORS.invalidArgs);
        expect.soft(reply.text, `${label}: the message names the method`).toMatch(new RegExp(`^${m}\\b`));
        expect.soft(reply.text, `${label}: the message says what is wrong`).toMatch(c.says);
        // It says what is wrong without echoing megabytes back.
        expect.soft(reply.text.length, `${label}: message of ${reply.text.length} characters`).toBeLessThan(4096);
      }
    }
    expect(sent).toBeGreaterThan(METHOD_NAMES.length * 15);

    // Nothing crashed, nothing changed.
    expectHelperAlive();
    const status = await rawCall(bus, json('GetStatus', {}));
    expect(status.ok).toBe(true);
    expect(await snapshot()).toEqual(baseline);
  });

  it('Introspect lists every method of the contract, each taking and returning one string', async () => {
    const reply = await rawCall(bus, { interface: 'org.freedesktop.DBus.Introspectable', member: 'Introspect', signature: '', body: [] });
    expect(reply.ok).toBe(true);
    if (!reply.ok) return;
    expect(reply.signature).toBe('s');
    const xml = String(reply.body[0]);
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['interface', 'method', 'arg', 'signal', 'property', 'annotation'].includes(name) });
    interface Arg { name?: string; type: string; direction?: string }
    interface Iface { name: string; method?: { name: string; arg?: Arg[] }[]; property?: { name: string; type: string; access: string }[] }
    const doc = parser.parse(xml) as { node: { interface: Iface[] } };
    const ours = doc.node.interface.find((i) => i.name === INTERFACE_NAME);
    expect(ours, xml).toBeDefined();
    const methods = new Map((ours?.method ?? []).map((mm) => [mm.name, mm.arg ?? []]));
    expect([...methods.keys()].sort()).toEqual([...METHOD_NAMES].sort());
    for (const m of METHOD_NAMES) {
      const args = methods.get(m) ?? [];
      expect(args.filter((a) => a.direction === 'in').map((a) => a.type), m).toEqual(['s']);
      expect(args.filter((a) => a.direction === 'out').map((a) => a.type), m).toEqual(['s']);
    }
    expect((ours?.property ?? []).map((p) => [p.name, p.type, p.access]).sort()).toEqual(
      Object.entries(PROPERTIES).map(([name, p]) => [name, p.signature, 'read']).sort());
  });

  it('Properties: GetAll returns Version and Revision, Get works, Set is refused', async () => {
    const revision = (JSON.parse(await cliOut(['status', '--json'])) as Status).revision;
    const all = await rawCall(bus, { interface: 'org.freedesktop.DBus.Properties', member: 'GetAll', signature: 's', body: [INTERFACE_NAME] });
    expect(all.ok, JSON.stringify(all)).toBe(true);
    if (!all.ok) return;
    expect(all.signature).toBe('a{sv}');
    const props = all.body[0] as Record<string, InstanceType<typeof Variant>>;
    expect(Object.keys(props).sort()).toEqual(['Revision', 'Version']);
    expect(props.Version?.signature).toBe('s');
    expect(props.Version?.value).toBe(packageJson.version);
    expect(props.Revision?.signature).toBe('u');
    expect(props.Revision?.value).toBe(revision);

    const one = await rawCall(bus, { interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [INTERFACE_NAME, 'Revision'] });
    expect(one.ok && (one.body[0] as InstanceType<typeof Variant>).value).toBe(revision);
    const missing = await rawCall(bus, { interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [INTERFACE_NAME, 'Nope'] });
    expect(missing.ok ? 'ok' : missing.name).toBe(DBUS_ERRORS.invalidArgs);
    const otherIface = await rawCall(bus, { interface: 'org.freedesktop.DBus.Properties', member: 'GetAll', signature: 's', body: ['org.example.Nope'] });
    expect(otherIface.ok ? 'ok' : otherIface.name).toBe(DBUS_ERRORS.invalidArgs);
    const badSig = await rawCall(bus, { interface: 'org.freedesktop.DBus.Properties', member: 'GetAll', signature: 'i', body: [1] });
    expect(badSig.ok ? 'ok' : badSig.name).toBe(DBUS_ERRORS.invalidArgs);

    const set = await rawCall(bus, { interface: 'org.freedesktop.DBus.Properties', member: 'Set', signature: 'ssv', body: [INTERFACE_NAME, 'Revision', new Variant('u', 9999)] });
    expect(set.ok, 'Properties.Set was accepted').toBe(false);
    if (!set.ok) {
      expect([DBUS_ERRORS.accessDenied, 'org.freedesktop.DBus.Error.PropertyReadOnly']).toContain(set.name);
      expect(set.text).toMatch(/read-only/);
    }
    const after = await rawCall(bus, { interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [INTERFACE_NAME, 'Revision'] });
    expect(after.ok && (after.body[0] as InstanceType<typeof Variant>).value).toBe(revision);
    expectHelperAlive();
  });

  it('an unknown method on org.palisade.Firewall1 gets UnknownMethod', async () => {
    for (const member of ['Frobnicate', 'getStatus', 'GetStatus2']) {
      const reply = await rawCall(bus, { interface: INTERFACE_NAME, member, signature: 's', body: ['{}'] });
      expect(reply.ok ? 'ok' : reply.name, member).toBe(DBUS_ERRORS.unknownMethod);
      if (!reply.ok) expect(reply.text).toContain(member);
    }
    // Members that exist on every JavaScript object are not methods either.
    for (const member of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      const reply = await rawCall(bus, { interface: INTERFACE_NAME, member, signature: 's', body: ['{}'] });
      expect(reply.ok ? 'ok' : reply.name, member).toBe(DBUS_ERRORS.unknownMethod);
    }
    // An interface the object does not have.
    const other = await rawCall(bus, { interface: 'org.example.Nope', member: 'GetStatus', signature: 's', body: ['{}'] });
    expect(other.ok ? 'ok' : other.name).toBe(DBUS_ERRORS.unknownMethod);
    expectHelperAlive();
  });

  it('an unknown method on the standard interfaces gets UnknownMethod, whatever its arguments', async () => {
    const results: string[] = [];
    for (const iface of ['org.freedesktop.DBus.Properties', 'org.freedesktop.DBus.Introspectable', 'org.freedesktop.DBus.Peer']) {
      for (const [signature, body] of [['', []], ['s', ['{}']], ['s', [INTERFACE_NAME]]] as [string, unknown[]][]) {
        const reply = await rawCall(bus, { interface: iface, member: 'Frobnicate', signature, body });
        results.push(`${iface}.Frobnicate(${signature || 'no arguments'}${body.length ? ` ${JSON.stringify(body[0])}` : ''}) -> ${reply.ok ? 'ok' : reply.name}`);
      }
    }
    expect(results.filter((r) => !r.endsWith(`-> ${DBUS_ERRORS.unknownMethod}`))).toEqual([]);
    expectHelperAlive();
  });

  it('every method Introspect advertises on the standard interfaces is answered', async () => {
    const calls: { what: string; call: RawCall; check: (r: RawReply) => void }[] = [
      { what: 'Peer.Ping', call: { interface: 'org.freedesktop.DBus.Peer', member: 'Ping', signature: '', body: [] }, check: (r) => expect(r.ok).toBe(true) },
      {
        what: 'Peer.GetMachineId',
        call: { interface: 'org.freedesktop.DBus.Peer', member: 'GetMachineId', signature: '', body: [] },
        check: (r) => {
          // Like libdbus: the machine's id, or — on a machine that has none — a clear error.
          const id = ['/etc/machine-id', '/var/lib/dbus/machine-id'].map((f) => { try { return readFileSync(f, 'utf8').trim(); } catch { return ''; } }).find((t) => /^[0-9a-f]{32}$/.test(t));
          if (id) expect(r.ok ? String(r.body[0]) : `${r.name}: ${r.text}`).toBe(id);
          else expect(r.ok ? 'ok' : `${r.name}: ${r.text}`).toMatch(/machine id/);
        },
      },
    ];
    for (const c of calls) c.check(await rawCall(bus, c.call));
  });

  it('callers without rights get AccessDenied and change nothing', async () => {
    // A change the unprivileged user would make: public's stealth is off, they try to turn it on.
    const cli = await stack.cli(['stealth', 'on', '--profile', 'public'], { asUser: true });
    expect(cli.code, cli.stdout + cli.stderr).toBe(3);
    expect(cli.stderr).toMatch(/not authorized to change the firewall/);
    expect(cli.stderr).toContain(POLKIT_ACTIONS.manage);

    const bundle = await bundleRawClient(scratch);
    const manage = METHOD_NAMES.filter((m) => METHODS[m].access === 'manage');
    const read = METHOD_NAMES.filter((m) => METHODS[m].access === 'read');
    expect(manage.length).toBeGreaterThan(0);
    const calls: UserCall[] = [
      ...manage.map((m) => json(m, VALID_ARGS[m])),
      { interface: 'org.freedesktop.DBus.Properties', member: 'Set', signature: 'ssv', body: [INTERFACE_NAME, 'Revision'], variant: ['u', 9999] },
      ...read.map((m) => json(m, VALID_ARGS[m])),
      method('ChangePolicy', 's', ['{not json']),
    ];
    const replies = await callsAsUser(bundle, stack.bus.address, calls);
    expect(replies).toHaveLength(calls.length);
    manage.forEach((m, i) => {
      const r = replies[i];
      expect(r?.ok ? 'accepted' : r?.name, `${m} as ${TEST_USER}`).toBe(DBUS_ERRORS.accessDenied);
      if (r && !r.ok) expect(r.text, m).toContain(POLKIT_ACTIONS.manage);
    });
    const set = replies[manage.length];
    expect(set?.ok, 'Properties.Set as the user').toBe(false);
    // Reading is allowed to any local user (org.palisade.firewall.read: allow_any yes).
    read.forEach((m, i) => {
      const r = replies[manage.length + 1 + i];
      expect(r?.ok ? 'ok' : `${r?.name}: ${r?.text}`, `${m} as ${TEST_USER}`).toBe('ok');
    });
    // A malformed call from someone without rights is still refused, one way or the other.
    const malformed = replies[calls.length - 1];
    expect(malformed?.ok).toBe(false);
    if (malformed && !malformed.ok) expect([DBUS_ERRORS.invalidArgs, DBUS_ERRORS.accessDenied]).toContain(malformed.name);

    expectHelperAlive();
    expect(await snapshot()).toEqual(baseline);
  });
});
