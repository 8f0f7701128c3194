// A private session bus for tests: a real dbus-daemon with a configuration written here, a
// stand-in notification server (org.freedesktop.Notifications, Desktop Notifications
// Specification 1.2) and a stand-in StatusNotifierWatcher with a registered host, so an app finds
// a tray and registers its icon there. Nothing of the user's own session is touched; interrupted
// runs take the daemon and its directory with them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { interface as dbusInterface, NameFlag, RequestNameReply, sessionBus, type MessageBus, type Variant } from 'dbus-next';
import { registerTeardown } from '../lab/cleanup';

const CONFIG = (socket: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

export interface Notified {
  id: number;
  appName: string;
  icon: string;
  summary: string;
  body: string;
  /** [key, label] pairs. */
  actions: [string, string][];
  hints: Record<string, Variant>;
  timeout: number;
}

export class FakeNotificationServer extends dbusInterface.Interface {
  readonly notified: Notified[] = [];
  readonly closed: number[] = [];
  /** What GetCapabilities answers; drop 'actions' to stand in for a server without buttons. */
  capabilities = ['actions', 'body'];
  private nextId = 1;

  constructor() {
    super('org.freedesktop.Notifications');
  }

  Notify(appName: string, _replaces: number, icon: string, summary: string, body: string, actions: string[], hints: Record<string, Variant>, timeout: number): number {
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < actions.length; i += 2) pairs.push([actions[i] ?? '', actions[i + 1] ?? '']);
    const id = this.nextId++;
    this.notified.push({ id, appName, icon, summary, body, actions: pairs, hints, timeout });
    return id;
  }

  CloseNotification(id: number): void {
    this.closed.push(id);
    this.NotificationClosed(id, 3);
  }

  GetCapabilities(): string[] {
    return this.capabilities;
  }

  GetServerInformation(): string[] {
    return ['fake', 'palisade-tests', '1.0', '1.2'];
  }

  /** The user clicks a button, or the notification itself for "default"; the server then closes it. */
  click(id: number, key: string): void {
    this.ActionInvoked(id, key);
    this.NotificationClosed(id, 2);
  }

  ActionInvoked(id: number, key: string): [number, string] {
    return [id, key];
  }

  NotificationClosed(id: number, reason: number): [number, number] {
    return [id, reason];
  }
}
FakeNotificationServer.configureMembers({
  methods: {
    Notify: { inSignature: 'susssasa{sv}i', outSignature: 'u' },
    CloseNotification: { inSignature: 'u' },
    GetCapabilities: { outSignature: 'as' },
    GetServerInformation: { outSignature: 'ssss' },
  },
  signals: { ActionInvoked: { signature: 'us' }, NotificationClosed: { signature: 'uu' } },
});

/** A StatusNotifierWatcher (KDE's protocol, which Electron's Linux tray speaks) with a host. */
export class FakeStatusNotifierWatcher extends dbusInterface.Interface {
  readonly items: string[] = [];
  IsStatusNotifierHostRegistered = true;
  ProtocolVersion = 0;

  constructor() {
    super('org.kde.StatusNotifierWatcher');
  }

  get RegisteredStatusNotifierItems(): string[] {
    return this.items;
  }

  RegisterStatusNotifierItem(service: string): void {
    this.items.push(service);
    this.StatusNotifierItemRegistered(service);
  }

  RegisterStatusNotifierHost(_service: string): void {
    // The host is us.
  }

  StatusNotifierItemRegistered(service: string): string {
    return service;
  }
}
FakeStatusNotifierWatcher.configureMembers({
  properties: {
    IsStatusNotifierHostRegistered: { signature: 'b', access: 'read' },
    ProtocolVersion: { signature: 'i', access: 'read' },
    RegisteredStatusNotifierItems: { signature: 'as', access: 'read' },
  },
  methods: {
    RegisterStatusNotifierItem: { inSignature: 's' },
    RegisterStatusNotifierHost: { inSignature: 's' },
  },
  signals: { StatusNotifierItemRegistered: { signature: 's' } },
});

export class PrivateSessionBus {
  private readonly buses: MessageBus[] = [];
  private readonly unregister: () => void;

  private constructor(readonly address: string, private readonly daemon: ChildProcess, private readonly dir: string) {
    this.unregister = registerTeardown(() => {
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
  }

  static async start(): Promise<PrivateSessionBus> {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-session-bus-'));
    await writeFile(join(dir, 'session.conf'), CONFIG(join(dir, 'bus')));
    const daemon = spawn('dbus-daemon', ['--nofork', '--print-address', `--config-file=${join(dir, 'session.conf')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    daemon.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('dbus-daemon did not print its address')), 15_000);
      createInterface({ input: daemon.stdout as NodeJS.ReadableStream }).once('line', (line) => { clearTimeout(timer); resolve(line.trim()); });
      daemon.once('error', (err) => { clearTimeout(timer); reject(err); });
      daemon.once('exit', (code) => { clearTimeout(timer); reject(new Error(`dbus-daemon exited (${code}): ${stderr}`)); });
    });
    return new PrivateSessionBus(address, daemon, dir);
  }

  async connect(): Promise<MessageBus> {
    const bus = sessionBus({ busAddress: this.address });
    await new Promise<void>((resolve, reject) => { bus.once('connect', () => resolve()); bus.once('error', reject); });
    this.buses.push(bus);
    return bus;
  }

  /** Exports `object` at `path` under the well-known `name`, on a connection of its own. */
  async serve<T extends dbusInterface.Interface>(name: string, path: string, object: T): Promise<T> {
    const bus = await this.connect();
    bus.export(path, object);
    const reply = await bus.requestName(name, NameFlag.DO_NOT_QUEUE);
    if (reply !== RequestNameReply.PRIMARY_OWNER) throw new Error(`could not own ${name} on the private session bus`);
    return object;
  }

  async stop(): Promise<void> {
    for (const bus of this.buses.splice(0)) bus.disconnect();
    await new Promise<void>((resolve) => {
      if (this.daemon.exitCode !== null || this.daemon.signalCode !== null) return resolve();
      this.daemon.once('exit', () => resolve());
      this.daemon.kill('SIGTERM');
    });
    this.unregister();
  }
}
