// A private system bus for tests: a real dbus-daemon with a configuration the test writes, and
// optionally a real polkitd on it. polkitd reads its actions and rules from fixed paths, so it
// runs in a mount namespace of its own where those paths are bind-mounted from the test's
// directory; the host's /usr/share/polkit-1 and /etc/polkit-1 are never touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import { registerTeardown } from './cleanup';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const POLKITD = '/usr/lib/polkit-1/polkitd';
const POLKIT_BUS_POLICY = '/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf';

export interface PrivateBusOptions {
  /** Bus policy files to include (e.g. build/linux/org.palisade.Firewall1.conf). */
  includes?: string[];
  /** Let any connection own any name (for stand-in services such as NetworkManager). */
  allowAnyOwner?: boolean;
}

export interface PolkitOptions {
  /** polkit action files (.policy) polkitd will know. */
  actions: string[];
  /** JavaScript rules files (.rules), as an administrator would install them. */
  rules?: string[];
}

const busConfig = (socket: string, opts: PrivateBusOptions) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <!-- The stock system bus defaults: nobody owns names or calls methods unless a policy says so. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Peer"/>
  </policy>
${opts.allowAnyOwner ? '  <policy context="mandatory"><allow own="*"/><allow send_type="method_call"/></policy>\n' : ''}${[POLKIT_BUS_POLICY, ...(opts.includes ?? [])].map((f) => `  <include>${f}</include>`).join('\n')}
</busconfig>
`;

function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const source = child[stream];
    if (!source) return reject(new Error(`${what}: no ${stream}`));
    const rl = createInterface({ input: source });
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${seen}`)), 15_000);
    rl.on('line', (line) => {
      seen += `${line}\n`;
      if (pattern.test(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}):\n${seen}`)); });
  });
}

function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}

function killSync(child: ChildProcess | undefined): void {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export class PrivateSystemBus {
  private polkit: ChildProcess | undefined;
  private readonly unregister: () => void;

  private constructor(readonly dir: string, readonly address: string, private readonly daemon: ChildProcess) {
    // Interrupted runs still take the daemons and the directory with them.
    this.unregister = registerTeardown(() => {
      killSync(this.polkit);
      killSync(this.daemon);
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  /** Starts dbus-daemon on a socket in a fresh temporary directory. */
  static async start(opts: PrivateBusOptions = {}): Promise<PrivateSystemBus> {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-bus-'));
    // Unprivileged test users connect too: the socket's directory must be reachable for them.
    await chmod(dir, 0o755);
    const socket = join(dir, 'system_bus_socket');
    await writeFile(join(dir, 'bus.conf'), busConfig(socket, opts));
    const daemon = spawn('dbus-daemon', ['--config-file', join(dir, 'bus.conf'), '--nofork', '--print-address'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await waitForLine(daemon, 'stdout', /^unix:/, 'dbus-daemon');
      return new PrivateSystemBus(dir, line.trim(), daemon);
    } catch (err) {
      await stopProcess(daemon);
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Environment that points clients (dbus-next, pkaction, our CLI) at this bus. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: this.address, ...extra };
  }

  /** Starts the real polkitd on this bus, seeing only the given actions and rules. */
  async startPolkit(opts: PolkitOptions): Promise<void> {
    if (!existsSync(POLKITD)) throw new Error(`${POLKITD} is missing: install the polkitd package`);
    const actions = join(this.dir, 'polkit-actions');
    const rules = join(this.dir, 'polkit-rules');
    await mkdir(actions, { recursive: true });
    await mkdir(rules, { recursive: true });
    for (const f of opts.actions) await copyFile(f, join(actions, f.slice(f.lastIndexOf('/') + 1)));
    for (const f of opts.rules ?? []) await copyFile(f, join(rules, f.slice(f.lastIndexOf('/') + 1)));
    // polkitd drops to the polkitd user: it must be able to read what it is given.
    await Promise.all([chmod(this.dir, 0o755), chmod(actions, 0o755), chmod(rules, 0o755)]);
    const script = [
      'mount --make-rprivate /',
      `mount --bind ${actions} /usr/share/polkit-1/actions`,
      `mount --bind ${rules} /etc/polkit-1/rules.d`,
      // The stock rules directory stays as installed: it only holds the distribution's defaults.
      `exec ${POLKITD}`,
    ].join(' && ');
    this.polkit = spawn('unshare', ['--mount', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: this.env() });
    await waitForLine(this.polkit, 'stdout', /Acquired the name org\.freedesktop\.PolicyKit1/, 'polkitd');
  }

  async stop(): Promise<void> {
    await stopProcess(this.polkit);
    await stopProcess(this.daemon);
    this.unregister();
  }
}
