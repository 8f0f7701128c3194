// The busy machine the UI benchmark looks at: the desktop lab (real helper, private bus with
// polkitd, main-process services, the loopback bridge serving the built renderer) and 10,000
// real TCP/UDP sockets in the lab's host namespace, held by four programs as a desktop would
// have them: a "server" with listeners and inbound connections, a "resolver" with UDP sockets,
// a "browser" with outbound connections. Their peers run in the lab's outside namespace.
import { copyFileSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { startDesktopLab, type DesktopLab } from '../../test/support/desktop-lab';
import { registerTeardown } from '../../test/lab/cleanup';
import type { LabSide } from '../../test/lab/lab';
import type { PolicyInput } from '../../shared/policy/schema';

const HOLDER = fileURLToPath(new URL('./ui-socket-holder.cjs', import.meta.url));

interface Endpoints { address: string; from: number; count: number }
interface HolderConfig {
  tcpListen?: Endpoints[];
  udpBind?: Endpoints[];
  connect?: { address: string; ports: [number, number]; count: number }[];
  closeAcceptedPerSecond?: number;
  udpChurnPerSecond?: number;
}

/** The sockets in the host namespace, by holder; they add up to SOCKETS. */
const SERVER: HolderConfig = {
  tcpListen: [{ address: '0.0.0.0', from: 21000, count: 1200 }, { address: '::', from: 22500, count: 300 }, { address: '127.0.0.1', from: 24000, count: 100 }],
};
const RESOLVER: HolderConfig = {
  udpBind: [{ address: '0.0.0.0', from: 23000, count: 300 }, { address: '127.0.0.1', from: 23500, count: 100 }],
  udpChurnPerSecond: 10,
};
const BROWSER: HolderConfig = {
  connect: [
    { address: '10.77.0.2', ports: [443, 443], count: 4000 },
    { address: 'fd00:77:0::2', ports: [443, 443], count: 1500 },
    { address: '10.77.1.2', ports: [8443, 8443], count: 1500 },
  ],
};
/** Inbound: other hosts connected to the server's ports that a rule allows. */
const INBOUND = 1000;
export const SOCKETS = 1600 + 400 + 7000 + INBOUND;

/** The browser's peers; they close 50 connections a second while churning (the browser opens new ones). */
const REMOTE_SERVERS: HolderConfig = {
  tcpListen: [{ address: '10.77.0.2', from: 443, count: 1 }, { address: 'fd00:77:0::2', from: 443, count: 1 }, { address: '10.77.1.2', from: 8443, count: 1 }],
  closeAcceptedPerSecond: 50,
};
const REMOTE_CLIENTS: HolderConfig = { connect: [{ address: '10.77.0.1', ports: [21000, 21099], count: INBOUND }] };

export interface UiWorld {
  lab: DesktopLab;
  /** Sockets the holders reported; the table should show this many (give or take churn). */
  sockets: number;
  /** Starts or stops churn: 10 UDP sockets a second come and go, 50 connections a second are replaced. */
  churn(on: boolean): void;
  /** Counts the events the bridge sends the page, by channel, from now until the returned function is called. */
  countEvents(): () => Record<string, number>;
  stop(): Promise<void>;
}

interface Holder { child: ChildProcess; sockets: number }

export async function startUiWorld(log: (message: string) => void): Promise<UiWorld> {
  const scripts = mkdtempSync(join(tmpdir(), 'palisade-bench-ui-'));
  const removeScripts = registerTeardown(() => rmSync(scripts, { recursive: true, force: true }));
  // Each program a file of its own: a distinct app to the firewall, as on a real desktop.
  const script = (name: string) => {
    const path = join(scripts, `${name}.cjs`);
    copyFileSync(HOLDER, path);
    return path;
  };
  const node = realpathSync(process.execPath);
  const paths = { server: script('server'), resolver: script('resolver'), browser: script('browser'), remote: script('remote'), clients: script('clients') };
  const policy: PolicyInput = {
    version: 1,
    interfaces: { h0: 'private', h1: 'public' },
    apps: [
      { id: 'bench-server', identity: { kind: 'script', interpreter: node, script: paths.server }, action: 'allow', profiles: ['private'] },
      { id: 'bench-resolver', identity: { kind: 'script', interpreter: node, script: paths.resolver }, action: 'allow', profiles: ['private', 'public'] },
    ],
    portRules: [
      { id: 'bench-inbound', action: 'allow', protocol: 'tcp', ports: { from: 21000, to: 21099 }, profiles: ['private'] },
      { id: 'bench-blocked', action: 'block', protocol: 'tcp', ports: { from: 22500, to: 22599 }, profiles: ['public'] },
    ],
  };
  let lab: DesktopLab | undefined;
  try {
    log('ui: starting the desktop lab (helper, bus, polkitd, bridge)');
    // The helper polls listening sockets at its shipped interval (250 ms), not the test stack's faster one.
    lab = await startDesktopLab({ policy, pollIntervalMs: 'default' });
    const started = lab;
    const hold = (side: LabSide, path: string, config: HolderConfig) => startHolder(started, side, node, path, config);
    log(`ui: opening ${SOCKETS.toLocaleString('en-US')} sockets in the lab's host namespace`);
    const holders: Holder[] = [await hold('outside', paths.remote, REMOTE_SERVERS)];
    holders.push(...(await Promise.all([hold('host', paths.server, SERVER), hold('host', paths.resolver, RESOLVER), hold('host', paths.browser, BROWSER)])));
    holders.push(await hold('outside', paths.clients, REMOTE_CLIENTS));
    const inHost = holders.slice(1, 4).reduce((sum, h) => sum + h.sockets, 0) + INBOUND;
    return {
      lab: started,
      sockets: inHost,
      churn(on) {
        for (const h of holders) h.child.stdin?.write(on ? 'churn\n' : 'calm\n');
      },
      countEvents() {
        const counts: Record<string, number> = {};
        const stopCounting = started.services.forward((event) => { counts[event] = (counts[event] ?? 0) + 1; });
        return () => {
          stopCounting();
          return counts;
        };
      },
      async stop() {
        try {
          await started.stop();
        } finally {
          removeScripts();
        }
      },
    };
  } catch (err) {
    await lab?.stop();
    removeScripts();
    throw err;
  }
}

/** Starts a holder and waits until its sockets are open. */
async function startHolder(lab: DesktopLab, side: LabSide, node: string, script: string, config: HolderConfig): Promise<Holder> {
  // Node raises its soft file limit to the hard one by itself: 7,000 sockets fit the usual limits.
  const child = lab.stack.lab.spawn(side, [node, script], {
    env: { ...process.env, PALISADE_HOLDER: JSON.stringify(config) },
    stdin: 'pipe',
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.once('line', (first) => { rl.close(); resolve(first); });
    child.once('exit', (code) => reject(new Error(`socket holder ${script} exited (${code}): ${stderr.trim()}`)));
  });
  const status = JSON.parse(line) as { ready: boolean; sockets?: number; error?: string };
  if (!status.ready) throw new Error(`socket holder ${script} failed: ${status.error}`);
  return { child, sockets: status.sockets ?? 0 };
}
