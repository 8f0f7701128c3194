// What the figures were measured on, for the report.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, release } from 'node:os';
import { readFileSync } from 'node:fs';

const version = (argv: string[], pattern: RegExp): string => {
  try {
    const out = execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return pattern.exec(out)?.[1] ?? out.trim().split('\n')[0] ?? '?';
  } catch (err) {
    // Some tools (wrk) print their version and exit non-zero.
    const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    return pattern.exec(out)?.[1] ?? 'not installed';
  }
};

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  os: string;
  tools: Record<string, string>;
}

export function describeMachine(): Machine {
  const osRelease = (() => {
    try { return /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '?'; } catch { return '?'; }
  })();
  return {
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    os: osRelease,
    tools: {
      node: process.version,
      nft: version(['nft', '--version'], /nftables v(\S+)/),
      ufw: version(['ufw', 'version'], /ufw (\S+)/),
      iptables: version(['iptables', '--version'], /(v\S+ \(\w+\))/),
      wrk: version(['wrk', '--version'], /wrk (\S+)/),
      ss: version(['ss', '--version'], /(iproute2-\S+)/),
      chromium: version(['chromium', '--version'], /Chromium (\S+)/),
    },
  };
}
