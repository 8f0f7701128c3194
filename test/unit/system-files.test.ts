// The helper's system files (build/linux/): each one checked by the tool that will read it on a
// real system (xmllint against the DTDs, dbus-daemon, polkitd, systemd-analyze, bash), the
// installer run into a temporary prefix, and the bus policy enforced by a real dbus-daemon:
// root may own org.palisade.Firewall1, nobody else may, and anyone may call its interfaces.
// Tools that are not installed are reported in the output and their checks skipped, except
// xmllint (Debian package libxml2-utils), which is required.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const LINUX = join(REPO_ROOT, 'build/linux');
const FILES = {
  busPolicy: join(LINUX, 'org.palisade.Firewall1.conf'),
  polkitActions: join(LINUX, 'org.palisade.firewall.policy'),
  unit: join(LINUX, 'palisaded.service'),
  busActivation: join(LINUX, 'org.palisade.Firewall1.service'),
  installer: join(LINUX, 'install-helper.sh'),
};
const BUS_NAME = 'org.palisade.Firewall1';

const BUSCONFIG_DTD = '/usr/share/xml/dbus-1/busconfig.dtd'; // Debian: libdbus-1-dev
const POLICYCONFIG_DTD = '/usr/share/polkit-1/policyconfig-1.dtd'; // Debian: polkitd
const DISTRO_BUS_POLICY = '/usr/share/dbus-1/system.conf';
const DISTRO_POLKIT_ACTIONS = '/usr/share/polkit-1/actions/org.freedesktop.policykit.policy';

interface Run { code: number | null; stdout: string; stderr: string }

function run(command: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Run {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000, ...opts });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const installed = (tool: string) => run('sh', ['-c', `command -v ${tool}`]).code === 0;


/** The DOCTYPE's public and system identifiers, whitespace normalised. */
function doctypeOf(text: string): { publicId: string; systemId: string } | undefined {
  const match = /<!DOCTYPE\s+\w+\s+PUBLIC\s+"([^"]+)"\s+"([^"]+)"\s*>/.exec(text);
  return match?.[1] && match[2] ? { publicId: match[1], systemId: match[2] } : undefined;
}

// ---------------------------------------------------------------------------------------------

/**
 * Validates through the file's own DOCTYPE, its system identifier mapped to the installed DTD by
 * a catalog (so a DOCTYPE naming the wrong DTD fails, and nothing is fetched from the network).
 */
async function validateAgainstDoctype(file: string, systemId: string, dtd: string, workDir: string): Promise<Run> {
  const catalog = join(workDir, 'catalog.xml');
  await writeFile(catalog, `<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <system systemId="${systemId}" uri="file://${dtd}"/>
</catalog>
`);
  return run('xmllint', ['--noout', '--nonet', '--valid', file], { env: { ...process.env, XML_CATALOG_FILES: catalog } });
}

describe('XML files', () => {
  let workDir: string;

  beforeAll(async () => {
    if (!installed('xmllint')) throw new Error('xmllint is required for these tests: apt-get install libxml2-utils');
    workDir = await mkdtemp(join(tmpdir(), 'palisade-xml-'));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('the polkit actions validate against polkit\'s DTD and use polkit\'s own DOCTYPE', async () => {
    const doctype = doctypeOf(readFileSync(FILES.polkitActions, 'utf8'));
    expect(doctype).toEqual({ publicId: '-//freedesktop//DTD polkit Policy Configuration 1.0//EN', systemId: 'http://www.freedesktop.org/software/polkit/policyconfig-1.dtd' });
    if (existsSync(DISTRO_POLKIT_ACTIONS)) expect(doctype).toEqual(doctypeOf(readFileSync(DISTRO_POLKIT_ACTIONS, 'utf8')));
    if (!existsSync(POLICYCONFIG_DTD)) throw new Error(`${POLICYCONFIG_DTD} is required for this test: apt-get install polkitd (./dev.sh setup installs it)`);
    expect(await validateAgainstDoctype(FILES.polkitActions, doctype?.systemId ?? '', POLICYCONFIG_DTD, workDir)).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('the bus policy validates against the D-Bus DTD, apart from the attributes that DTD has never declared', async () => {
    const doctype = doctypeOf(readFileSync(FILES.busPolicy, 'utf8'));
    // dbus itself spells the public identifier both "D-BUS" (its catalog) and "D-Bus" (system.conf).
    expect(doctype?.publicId).toMatch(/^-\/\/freedesktop\/\/DTD D-BUS Bus Configuration 1\.0\/\/EN$/i);
    expect(doctype?.systemId).toBe('http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd');
    if (existsSync(DISTRO_BUS_POLICY)) expect(doctype?.systemId).toBe(doctypeOf(readFileSync(DISTRO_BUS_POLICY, 'utf8'))?.systemId);
    if (!existsSync(BUSCONFIG_DTD)) throw new Error(`${BUSCONFIG_DTD} is required for this test: apt-get install libdbus-1-dev (./dev.sh setup installs it)`);
    // dbus ships busconfig.dtd unmaintained: <allow>/<deny> declare only send, receive, own,
    // send_to, receive_from and user, so every real policy (the distribution's own included)
    // "fails" on send_destination, send_interface, … Those, and only the ones dbus-daemon(1)
    // documents, are tolerated; any other error (structure, unknown attribute) fails the test.
    const documented = new Set([
      'send_interface', 'send_member', 'send_error', 'send_broadcast', 'send_destination', 'send_destination_prefix', 'send_type', 'send_path',
      'send_requested_reply', 'receive_interface', 'receive_member', 'receive_error', 'receive_sender', 'receive_type', 'receive_path',
      'receive_requested_reply', 'eavesdrop', 'own_prefix', 'group', 'max_fds', 'min_fds',
    ]);
    const result = await validateAgainstDoctype(FILES.busPolicy, doctype?.systemId ?? '', BUSCONFIG_DTD, workDir);
    const errors = result.stderr.split('\n').filter((line) => /error|warning/.test(line));
    const undeclared = (line: string) => /: element (?:allow|deny): validity error : No declaration for attribute (\w+) of element (?:allow|deny)$/.exec(line)?.[1];
    expect(errors.filter((line) => !documented.has(undeclared(line) ?? '')), 'errors the DTD\'s age does not explain').toEqual([]);
    expect(errors.length, 'the policy does use send_destination/send_interface').toBeGreaterThan(0);
  });

  it('the polkit actions say what the brief asks: read for everyone, manage as administrator, in English and Japanese', () => {
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['action', 'description', 'message'].includes(name) });
    type Localised = string | { '#text': string; '@xml:lang': string };
    type Action = { '@id': string; description: Localised[]; message: Localised[]; defaults: Record<string, string> };
    const doc = parser.parse(readFileSync(FILES.polkitActions, 'utf8')) as { policyconfig: { vendor: string; icon_name: string; action: Action[] } };
    const { policyconfig } = doc;
    expect(policyconfig.vendor).toBe('Palisade');
    expect(policyconfig.icon_name).toBe('security-high');
    const byId = new Map(policyconfig.action.map((a) => [a['@id'], a]));
    expect([...byId.keys()]).toEqual(['org.palisade.firewall.read', 'org.palisade.firewall.manage']);
    expect(byId.get('org.palisade.firewall.read')?.defaults).toEqual({ allow_any: 'yes', allow_inactive: 'yes', allow_active: 'yes' });
    expect(byId.get('org.palisade.firewall.manage')?.defaults).toEqual({ allow_any: 'auth_admin', allow_inactive: 'auth_admin', allow_active: 'auth_admin_keep' });
    const languages = (texts: Localised[]) => texts.map((t) => (typeof t === 'string' ? 'en' : t['@xml:lang']));
    for (const action of policyconfig.action) {
      expect(languages(action.description), action['@id']).toEqual(['en', 'ja']);
      expect(languages(action.message), action['@id']).toEqual(['en', 'ja']);
    }
  });

});

// ---------------------------------------------------------------------------------------------

/** A systemd-style key file: section → key → every value given (keys may repeat). */
function parseKeyFile(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line)?.[1];
    if (header) {
      current = new Map();
      sections.set(header, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a key file line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

describe('systemd unit and D-Bus activation file', () => {
  const unit = parseKeyFile(readFileSync(FILES.unit, 'utf8'));
  const values = (section: string, key: string) => unit.get(section)?.get(key) ?? [];
  const words = (section: string, key: string) => values(section, key).flatMap((v) => v.split(/\s+/)).filter(Boolean);

  it('passes systemd-analyze verify (the launcher aside, which only the installer creates)', () => {
    if (!installed('systemd-analyze')) {
      throw new Error('systemd-analyze is required for this test: apt-get install systemd (./dev.sh setup installs it)');
    }
    const result = run('systemd-analyze', ['verify', FILES.unit]);
    const complaints = `${result.stdout}\n${result.stderr}`.split('\n').filter(Boolean);
    const launcherMissing = /palisaded\.service: Command \/usr\/lib\/palisade\/palisaded is not executable/;
    expect(complaints.filter((line) => !launcherMissing.test(line))).toEqual([]);
    if (complaints.length === 0) expect(result.code).toBe(0);
  });

  it('is a D-Bus service started before the network, restarted on failure', () => {
    expect(values('Service', 'Type')).toEqual(['dbus']);
    expect(values('Service', 'BusName')).toEqual([BUS_NAME]);
    expect(values('Service', 'ExecStart')).toEqual(['/usr/lib/palisade/palisaded']);
    expect(values('Service', 'Restart')).toEqual(['on-failure']);
    expect(values('Unit', 'DefaultDependencies')).toEqual(['no']);
    expect(words('Unit', 'Before')).toEqual(expect.arrayContaining(['network-pre.target', 'shutdown.target']));
    expect(words('Unit', 'Wants')).toContain('network-pre.target');
    expect(words('Unit', 'After')).toEqual(expect.arrayContaining(['dbus.socket', 'local-fs.target']));
    expect(words('Unit', 'After')).not.toContain('network-pre.target');
    expect(words('Unit', 'Conflicts')).toEqual(['shutdown.target']);
    expect(words('Install', 'WantedBy')).toEqual(['multi-user.target']);
    expect(words('Install', 'Alias')).toEqual(['dbus-org.palisade.Firewall1.service']);
  });

  it('is hardened without hiding what the helper needs: nft, /proc of every process, homes, /etc/palisade', () => {
    expect(new Set(words('Service', 'CapabilityBoundingSet'))).toEqual(new Set(['CAP_NET_ADMIN', 'CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH']));
    expect(values('Service', 'ProtectSystem')).toEqual(['strict']);
    expect(words('Service', 'ReadWritePaths')).toEqual(['/etc/palisade']);
    expect(values('Service', 'ProtectHome')).toEqual(['read-only']);
    expect(words('Service', 'RestrictAddressFamilies')).toEqual(expect.arrayContaining(['AF_UNIX', 'AF_NETLINK']));
    expect(values('Service', 'NoNewPrivileges')).toEqual(['yes']);
    expect(values('Service', 'ProtectProc')).toEqual([]);
    expect(values('Service', 'ProcSubset')).toEqual([]);
    expect(values('Service', 'PrivateNetwork')).toEqual([]);
    expect(values('Service', 'MemoryDenyWriteExecute')).toEqual([]); // V8 JIT
  });

  it('the activation file hands the name to the unit\'s alias', () => {
    const activation = parseKeyFile(readFileSync(FILES.busActivation, 'utf8')).get('D-BUS Service');
    expect(Object.fromEntries(activation ?? [])).toEqual({
      Name: [BUS_NAME], Exec: ['/bin/false'], User: ['root'], SystemdService: ['dbus-org.palisade.Firewall1.service'],
    });
    expect(words('Install', 'Alias')).toEqual(activation?.get('SystemdService'));
  });
});

// ---------------------------------------------------------------------------------------------

describe('install-helper.sh', () => {
  let dir: string;
  let bundle: string;
  let prefix: string;
  let fakeElectron: string;
  const installer = (...args: string[]) => run('bash', [FILES.installer, ...args]);
  const INSTALLED = {
    '/usr/share/dbus-1/system.d/org.palisade.Firewall1.conf': FILES.busPolicy,
    '/usr/share/polkit-1/actions/org.palisade.firewall.policy': FILES.polkitActions,
    '/usr/lib/systemd/system/palisaded.service': FILES.unit,
    '/usr/share/dbus-1/system-services/org.palisade.Firewall1.service': FILES.busActivation,
  };
  const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
  /** What the dummy helper reports about how it was started. */
  const launch = (...args: string[]) => {
    const result = run(join(prefix, 'usr/lib/palisade/palisaded'), args);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-install-'));
    bundle = join(dir, 'bundle');
    prefix = join(dir, 'root');
    await mkdir(join(bundle, 'lib'), { recursive: true });
    await writeFile(join(bundle, 'palisaded.cjs'), 'console.log(JSON.stringify({ execPath: process.execPath, argv: process.argv.slice(1), runAsNode: process.env.ELECTRON_RUN_AS_NODE ?? null }));\n');
    await writeFile(join(bundle, 'lib/chunk.cjs'), '// part of the bundle\n');
    // Stands in for the app's Electron binary: says how it was called.
    fakeElectron = join(dir, 'Palisade App', 'palisade');
    await mkdir(join(dir, 'Palisade App'));
    await writeFile(fakeElectron, '#!/bin/sh\necho "electron ELECTRON_RUN_AS_NODE=$ELECTRON_RUN_AS_NODE $*"\n', { mode: 0o755 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is valid bash and shellcheck-clean', () => {
    expect(run('bash', ['-n', FILES.installer])).toMatchObject({ code: 0, stderr: '' });
    if (!installed('shellcheck')) {
      throw new Error('shellcheck is required for this test: apt-get install shellcheck (./dev.sh setup installs it)');
    }
    const result = run('shellcheck', [FILES.installer]);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  });

  it('installs every file under --prefix with the right mode, and the launcher runs node palisaded.cjs', async () => {
    const result = installer('--prefix', prefix, bundle, fakeElectron);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('D-Bus and systemd left alone');
    for (const [target, source] of Object.entries(INSTALLED)) {
      expect(await readFile(join(prefix, target), 'utf8'), target).toBe(await readFile(source, 'utf8'));
      expect(await modeOf(join(prefix, target)), target).toBe(0o644);
    }
    const lib = join(prefix, 'usr/lib/palisade');
    expect((await readdir(lib)).sort()).toEqual(['lib', 'palisaded', 'palisaded.cjs']);
    expect(await modeOf(lib)).toBe(0o755);
    expect(await modeOf(join(lib, 'lib'))).toBe(0o755);
    expect(await modeOf(join(lib, 'palisaded.cjs'))).toBe(0o644);
    expect(await modeOf(join(lib, 'lib/chunk.cjs'))).toBe(0o644);
    expect(await modeOf(join(lib, 'palisaded'))).toBe(0o755);

    const started = JSON.parse(launch('--verbose')) as { execPath: string; argv: string[]; runAsNode: string | null };
    expect(started).toEqual({ execPath: '/usr/bin/node', argv: [join(lib, 'palisaded.cjs'), '--verbose'], runAsNode: null });
  });

  it('falls back to the app\'s Electron as Node when there is no usable node', () => {
    const result = installer('--prefix', prefix, '--node', join(dir, 'no-such-node'), bundle, fakeElectron);
    expect(result.code, result.stderr).toBe(0);
    expect(launch('a', 'b c').trim()).toBe(`electron ELECTRON_RUN_AS_NODE=1 ${join(prefix, 'usr/lib/palisade/palisaded.cjs')} a b c`);
  });

  it('says so when it has no runtime at all', () => {
    expect(installer('--prefix', prefix, '--node', join(dir, 'no-such-node'), bundle).code).toBe(0);
    const result = run(join(prefix, 'usr/lib/palisade/palisaded'), []);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no runtime: install Node\.js 20 or newer/);
  });

  it('is idempotent: a reinstall replaces the bundle, dropping files the new one no longer has', async () => {
    await writeFile(join(prefix, 'usr/lib/palisade/stale.cjs'), '');
    for (let i = 0; i < 2; i++) expect(installer('--prefix', prefix, bundle, fakeElectron).code).toBe(0);
    expect((await readdir(join(prefix, 'usr/lib/palisade'))).sort()).toEqual(['lib', 'palisaded', 'palisaded.cjs']);
    expect(JSON.parse(launch()).execPath).toBe('/usr/bin/node');
  });

  it('refuses a bundle without palisaded.cjs, and unknown options, changing nothing', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    const other = join(dir, 'other-root');
    expect(installer('--prefix', other, empty)).toMatchObject({ code: 1, stderr: expect.stringContaining('does not contain palisaded.cjs') });
    expect(installer('--prefix', other, '--frobnicate', bundle)).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown option --frobnicate') });
    expect(installer('--prefix', other).code).toBe(2); // no bundle: usage
    expect(existsSync(other)).toBe(false);
  });

  it('--uninstall removes everything it installed, and can run again', async () => {
    expect(installer('--prefix', prefix, bundle).code).toBe(0);
    for (let i = 0; i < 2; i++) {
      const result = installer('--prefix', prefix, '--uninstall');
      expect(result.code, result.stderr).toBe(0);
    }
    for (const target of Object.keys(INSTALLED)) expect(existsSync(join(prefix, target)), target).toBe(false);
    expect(existsSync(join(prefix, 'usr/lib/palisade'))).toBe(false);
    // Only the empty standard directories remain.
    expect(run('find', [prefix, '-type', 'f']).stdout).toBe('');
  });
});
