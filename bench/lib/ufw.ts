// ufw, the firewall most Ubuntu/Debian desktops would use instead, run inside a lab namespace
// with its own private /etc/ufw: a mount namespace (unshare -m) binds a scratch copy of the
// configuration over /etc/ufw and /etc/default/ufw, so the host's ufw files and the host's
// ruleset are never touched. ufw's sysctl file is replaced by an empty one: the lab namespace
// keeps its own network sysctls as the lab set them.
import { copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerTeardown } from '../../test/lab/cleanup';
import type { Lab } from '../../test/lab/lab';
import { run } from '../../test/lab/command';

export function ufwAvailable(): string | undefined {
  if (!existsSync('/usr/sbin/ufw')) return 'ufw is not installed (sudo ./dev.sh bench installs it; apt-get install ufw)';
  return undefined;
}

export class UfwInNamespace {
  private readonly dir = mkdtempSync(join(tmpdir(), 'palisade-bench-ufw-'));
  private readonly unregister = registerTeardown(() => rmSync(this.dir, { recursive: true, force: true }));

  constructor(private readonly lab: Lab, private readonly side: 'host' | 'outside' = 'host') {
    cpSync('/etc/ufw', join(this.dir, 'etc-ufw'), { recursive: true });
    // Start from the package's pristine rules, whatever the host's ufw holds.
    for (const f of ['user.rules', 'user6.rules']) copyFileSync(join('/usr/share/ufw', f), join(this.dir, 'etc-ufw', f));
    writeFileSync(join(this.dir, 'sysctl-empty'), '');
    const defaults = readFileSync('/etc/default/ufw', 'utf8').replace(/^IPT_SYSCTL=.*$/m, `IPT_SYSCTL=${join(this.dir, 'sysctl-empty')}`);
    writeFileSync(join(this.dir, 'default-ufw'), defaults);
  }

  /** argv that runs `command` as ufw sees the world: lab namespace, private /etc/ufw and /run. */
  argv(command: string): string[] {
    const script = [
      `mount --bind ${join(this.dir, 'etc-ufw')} /etc/ufw`,
      `mount --bind ${join(this.dir, 'default-ufw')} /etc/default/ufw`,
      'mount -t tmpfs tmpfs /run',
      `exec ${command}`,
    ].join(' && ');
    return this.lab.inNamespace(this.side, ['unshare', '-m', '--propagation', 'private', 'bash', '-c', script]);
  }

  async exec(command: string): Promise<string> {
    return (await run(this.argv(command), { timeoutMs: 600_000 })).stdout;
  }

  /**
   * Writes `count` allow rules into ufw's own rules files, in the format `ufw allow PORT/tcp`
   * writes, then enables ufw: the same state as after `count` ufw allow commands, in a second
   * instead of many minutes.
   */
  async enableWithRules(ports: readonly number[]): Promise<void> {
    for (const [file, family] of [['user.rules', 4], ['user6.rules', 6]] as const) {
      const path = join(this.dir, 'etc-ufw', file);
      const chain = family === 4 ? 'ufw-user-input' : 'ufw6-user-input';
      const any = family === 4 ? '0.0.0.0/0' : '::/0';
      const rules = ports.map((port) => `\n### tuple ### allow tcp ${port} ${any} any ${any} in\n-A ${chain} -p tcp --dport ${port} -j ACCEPT\n`).join('');
      const text = readFileSync(path, 'utf8').replace('### RULES ###\n', `### RULES ###\n${rules}`);
      writeFileSync(path, text);
    }
    await this.exec('ufw --force enable');
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
    this.unregister();
  }
}
