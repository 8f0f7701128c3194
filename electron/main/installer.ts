// Installing the helper from the app when it is missing: build/linux/install-helper.sh, run once
// as root with one administrator password. @vscode/sudo-prompt asks for it through pkexec (or
// kdesudo) and the desktop's polkit agent; this is the only place the app elevates anything, and
// what it runs is a fixed script with quoted paths, never text from elsewhere.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { InstallerPort } from './ports';

/** Runs a shell command as root, asking for authentication with `name` in the dialog. */
export type Elevate = (command: string, name: string) => Promise<void>;

export interface HelperInstallerOptions {
  /** install-helper.sh */
  scriptPath: string;
  /** The directory with palisaded.cjs (and its node_modules). */
  bundleDir: string;
  /** The Electron binary the helper runs on (ELECTRON_RUN_AS_NODE) when there is no Node ≥ 20. */
  electronBinary?: string;
  elevate?: Elevate;
}

/** The failure of an elevated command, with what it wrote to stderr. */
export class ElevationError extends Error {
  constructor(message: string, readonly stderr = '') {
    super(message);
    this.name = 'ElevationError';
  }
}

/** POSIX single quotes: safe for any text (spaces, quotes, $, backquotes, newlines). */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command that installs the helper: `/bin/bash SCRIPT BUNDLE_DIR [ELECTRON_BINARY]`, every word quoted. */
export function installCommand(opts: Pick<HelperInstallerOptions, 'scriptPath' | 'bundleDir' | 'electronBinary'>): string {
  const paths = [opts.scriptPath, opts.bundleDir, ...(opts.electronBinary !== undefined ? [opts.electronBinary] : [])];
  for (const path of paths) {
    // Absolute, so that no path can be read as an option of the script.
    if (!path.startsWith('/') || path.includes('\0')) throw new Error(`not an absolute path: ${JSON.stringify(path)}`);
  }
  return ['/bin/bash', ...paths].map(shellQuote).join(' ');
}

/**
 * sudo-prompt runs `/bin/bash -c "<command>"` through /bin/sh and escapes only `"`, so the
 * outer shell would still expand `$`, backquotes and backslashes inside the double quotes:
 * escaping them here hands bash the command exactly as written.
 */
export function forSudoPrompt(command: string): string {
  return command.replace(/[\\$`]/g, '\\$&');
}

type SudoPromptExec = (command: string, options: { name: string }, callback: (error?: Error, stdout?: string | Buffer, stderr?: string | Buffer) => void) => void;

/** Elevation through @vscode/sudo-prompt (loaded only when needed); `exec` can be replaced for tests. */
export function sudoPromptElevate(exec?: SudoPromptExec): Elevate {
  return async (command, name) => {
    const run = exec ?? (await import('@vscode/sudo-prompt')).exec;
    await new Promise<void>((resolve, reject) => {
      run(forSudoPrompt(command), { name }, (error, _stdout, stderr) => {
        if (error) reject(new ElevationError(error.message, String(stderr ?? '')));
        else resolve();
      });
    });
  };
}

// sudo-prompt's own messages for what happened before the command ran.
const NOT_GRANTED = 'User did not grant permission.';
const NO_AGENT = 'No polkit authentication agent found.';
const NO_TOOL = 'Unable to find pkexec or kdesudo.';

/** What went wrong, plainly: the password was not given, no way to ask for it, or the script failed. */
export function explainInstallFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (message === NOT_GRANTED) return 'the administrator password was not given (the dialog was dismissed, or authentication failed)';
  if (message === NO_AGENT) return 'no polkit authentication agent is running in this session, so no administrator password can be asked for';
  if (message === NO_TOOL) return 'neither pkexec nor kdesudo is installed, so no administrator password can be asked for';
  const stderr = err instanceof ElevationError ? err.stderr.trim() : '';
  // The script's last lines say why; child_process's message repeats the whole command first.
  const why = stderr ? stderr.split('\n').slice(-5).join('\n') : message.replace(/^Command failed: [^\n]*\n?/, '').trim() || message;
  return `the install script failed: ${why}`;
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(':').filter((dir) => dir.startsWith('/')).some((dir) => {
    try {
      const path = join(dir, program);
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

export class HelperInstaller implements InstallerPort {
  constructor(private readonly opts: HelperInstallerOptions) {}

  /** The script and the helper bundle are here, and there is a way to ask for a password. */
  available(): boolean {
    return existsSync(this.opts.scriptPath)
      && existsSync(join(this.opts.bundleDir, 'palisaded.cjs'))
      && (onPath('pkexec') || onPath('kdesudo'));
  }

  async install(): Promise<void> {
    const command = installCommand(this.opts);
    const elevate = this.opts.elevate ?? sudoPromptElevate();
    try {
      await elevate(command, 'Palisade');
    } catch (err) {
      throw new Error(explainInstallFailure(err), { cause: err });
    }
  }
}
