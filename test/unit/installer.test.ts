// Installing the helper: the command quotes every path so that spaces, quotes, $, backquotes,
// backslashes and newlines reach the script unchanged, both when run by `bash -c` and when
// wrapped the way @vscode/sudo-prompt wraps it; failures are reported plainly; availability
// follows the files and the presence of pkexec/kdesudo.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exec, execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ElevationError, HelperInstaller, explainInstallFailure, forSudoPrompt, installCommand, shellQuote, sudoPromptElevate, type Elevate,
} from '../../electron/main/installer';

let dir: string;
let record: string;
let savedPath: string | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palisade-installer-'));
  record = join(dir, 'argv.bin');
  savedPath = process.env.PATH;
});
afterEach(async () => {
  process.env.PATH = savedPath;
  await rm(dir, { recursive: true, force: true });
});

/** Paths no shell should touch: quotes, spaces, expansions, globs, separators, a newline. */
function hostile(name: string): string {
  return join(dir, `${name} it's "quoted" $HOME \`touch ${dir}/pwned\` $(touch ${dir}/pwned) \\n \\$x ; * & | > < # ~ !x\nline2`);
}

/** A stand-in for install-helper.sh that records its arguments (NUL-separated) and can fail. */
async function fakeScript(path: string, body = ''): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/bash\nprintf '%s\\0' "$@" > ${shellQuote(record)}\n${body}\n`);
}

async function recordedArgs(): Promise<string[]> {
  return (await readFile(record, 'utf8')).split('\0').slice(0, -1);
}

/** Runs the command as given, the way the brief's root shell would: bash -c. */
const bashElevate: Elevate = (command) => new Promise((resolve, reject) => {
  execFile('bash', ['-c', command], { cwd: dir }, (error, _stdout, stderr) => (error ? reject(new ElevationError(error.message, stderr)) : resolve()));
});

/** What @vscode/sudo-prompt does on Linux, minus pkexec: `/bin/sh -c '/bin/bash -c "echo SUDOPROMPT; <command, " escaped>"'`. */
const sudoPromptLikeExec = (command: string, _options: { name: string }, callback: (error?: Error, stdout?: string, stderr?: string) => void) => {
  exec(`/bin/bash -c "echo SUDOPROMPT; ${command.replace(/"/g, '\\"')}"`, { cwd: dir }, (error, stdout, stderr) => callback(error ?? undefined, stdout, stderr));
};

describe('install command', () => {
  it('quotes like a POSIX shell expects', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe("''");
    expect(installCommand({ scriptPath: '/opt/Palisade/install-helper.sh', bundleDir: '/opt/Palisade/helper' })).toBe(`'/bin/bash' '/opt/Palisade/install-helper.sh' '/opt/Palisade/helper'`);
  });

  it('refuses relative paths, which the script could read as options', () => {
    expect(() => installCommand({ scriptPath: '/x/install-helper.sh', bundleDir: '--uninstall' })).toThrow(/absolute/);
    expect(() => installCommand({ scriptPath: 'install-helper.sh', bundleDir: '/b' })).toThrow(/absolute/);
  });

  it('hands hostile paths to the script unchanged through bash -c', async () => {
    const scriptPath = join(hostile('script'), 'install-helper.sh');
    const bundleDir = hostile('bundle');
    const electronBinary = hostile('electron');
    await fakeScript(scriptPath);
    const names: string[] = [];
    const installer = new HelperInstaller({ scriptPath, bundleDir, electronBinary, elevate: (command, name) => { names.push(name); return bashElevate(command, name); } });
    await installer.install();
    expect(await recordedArgs()).toEqual([bundleDir, electronBinary]);
    expect(names).toEqual(['Palisade']);
    expect(await readdir(dir)).not.toContain('pwned');
  });

  it('hands hostile paths to the script unchanged through sudo-prompt\'s double-quoted wrapper', async () => {
    const scriptPath = join(hostile('script'), 'install-helper.sh');
    const bundleDir = hostile('bundle');
    await fakeScript(scriptPath);
    await new HelperInstaller({ scriptPath, bundleDir, elevate: sudoPromptElevate(sudoPromptLikeExec) }).install();
    expect(await recordedArgs()).toEqual([bundleDir]);
    expect(await readdir(dir)).not.toContain('pwned');
    // Without forSudoPrompt, the outer shell would have expanded $HOME and run the backquotes.
    await rm(record);
    const unescaped = installCommand({ scriptPath, bundleDir });
    expect(forSudoPrompt(unescaped)).not.toBe(unescaped);
    await new Promise<void>((resolve) => { sudoPromptLikeExec(unescaped, { name: 'Palisade' }, () => resolve()); });
    expect(await readdir(dir)).toContain('pwned');
  });
});

describe('install failures', () => {
  it('says the password was not given when the dialog was dismissed', async () => {
    const installer = new HelperInstaller({ scriptPath: '/x/install-helper.sh', bundleDir: '/x', elevate: () => Promise.reject(new Error('User did not grant permission.')) });
    await expect(installer.install()).rejects.toThrow('the administrator password was not given (the dialog was dismissed, or authentication failed)');
    expect(explainInstallFailure(new Error('No polkit authentication agent found.'))).toMatch(/no polkit authentication agent/);
    expect(explainInstallFailure(new Error('Unable to find pkexec or kdesudo.'))).toMatch(/neither pkexec nor kdesudo/);
  });

  it('passes on what the script said when it failed', async () => {
    const scriptPath = join(dir, 'install-helper.sh');
    await fakeScript(scriptPath, 'echo "install-helper: Node.js 18 is too old and no Electron binary was given" >&2; exit 1');
    const installer = new HelperInstaller({ scriptPath, bundleDir: join(dir, 'bundle'), elevate: bashElevate });
    await expect(installer.install()).rejects.toThrow('the install script failed: install-helper: Node.js 18 is too old and no Electron binary was given');
    const viaSudoPrompt = new HelperInstaller({ scriptPath, bundleDir: join(dir, 'bundle'), elevate: sudoPromptElevate(sudoPromptLikeExec) });
    await expect(viaSudoPrompt.install()).rejects.toThrow('the install script failed: install-helper: Node.js 18 is too old');
  });
});

describe('availability', () => {
  async function layout(opts: { script: boolean; bundle: boolean; tool?: 'pkexec' | 'kdesudo' }): Promise<HelperInstaller> {
    const scriptPath = join(dir, 'install-helper.sh');
    const bundleDir = join(dir, 'dist');
    const bin = join(dir, 'bin');
    await mkdir(bundleDir, { recursive: true });
    await mkdir(bin, { recursive: true });
    if (opts.script) await fakeScript(scriptPath);
    if (opts.bundle) await writeFile(join(bundleDir, 'palisaded.cjs'), '');
    if (opts.tool) {
      await writeFile(join(bin, opts.tool), '#!/bin/sh\nexit 127\n');
      await chmod(join(bin, opts.tool), 0o755);
    }
    process.env.PATH = bin;
    return new HelperInstaller({ scriptPath, bundleDir, elevate: bashElevate });
  }

  it('needs the script, the bundle and pkexec or kdesudo on PATH', async () => {
    expect((await layout({ script: true, bundle: true, tool: 'pkexec' })).available()).toBe(true);
    await rm(dir, { recursive: true });
    expect((await layout({ script: true, bundle: true, tool: 'kdesudo' })).available()).toBe(true);
    await rm(dir, { recursive: true });
    expect((await layout({ script: true, bundle: true })).available()).toBe(false);
    await rm(dir, { recursive: true });
    expect((await layout({ script: false, bundle: true, tool: 'pkexec' })).available()).toBe(false);
    await rm(dir, { recursive: true });
    expect((await layout({ script: true, bundle: false, tool: 'pkexec' })).available()).toBe(false);
  });

  it('does not count a pkexec that is not executable', async () => {
    const installer = await layout({ script: true, bundle: true, tool: 'pkexec' });
    await chmod(join(dir, 'bin/pkexec'), 0o644);
    // Root may execute anything with an x bit; with none, nobody can.
    expect(installer.available()).toBe(false);
  });
});
