// Runs a command and collects its output; the lab's only way of touching the system.
import { execFile } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(readonly argv: readonly string[], readonly result: CommandResult) {
    super(`${argv.join(' ')} failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
    this.name = 'CommandError';
  }
}

export function run(argv: readonly string[], opts: { input?: string; allowFailure?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty command');
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000, ...(opts.env ? { env: opts.env } : {}) }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : (child.exitCode ?? 1)) : 0;
      const result = { code, stdout: String(stdout), stderr: String(stderr) };
      if (code !== 0 && !opts.allowFailure) reject(new CommandError(argv, result));
      else resolve(result);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}
