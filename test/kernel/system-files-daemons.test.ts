// The shipped system files as the real daemons read them: the bus policy enforced by
// dbus-daemon on a private system bus, the polkit actions loaded by polkitd. (Their syntax is
// checked in test/unit/system-files.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import dbus from 'dbus-next';
import { PrivateSystemBus } from '../lab/bus';
import { run } from '../lab/command';
import { TEST_USER, ensureTestUser } from '../support/test-user';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const BUS_POLICY = join(REPO_ROOT, 'build/linux/org.palisade.Firewall1.conf');
const POLKIT_ACTIONS = join(REPO_ROOT, 'build/linux/org.palisade.firewall.policy');
const BUS_NAME = 'org.palisade.Firewall1';
const OBJECT_PATH = '/org/palisade/Firewall1';

/** A client that runs as TEST_USER: tries to own the name, or calls each interface given. */
const CLIENT = (dbusNext: string) => `
const dbus = require(${JSON.stringify(dbusNext)});
const [mode, ...interfaces] = process.argv.slice(2);
const outcome = (promise) => promise.then(() => 'ok', (err) => err.type || String(err));
(async () => {
  const bus = dbus.systemBus();
  const result = {};
  if (mode === 'own') {
    result.own = await bus.requestName(${JSON.stringify(BUS_NAME)}, dbus.NameFlag.DO_NOT_QUEUE).then((reply) => 'reply ' + reply, (err) => err.type || String(err));
  } else {
    for (const iface of interfaces) {
      result[iface] = await outcome(bus.call(new dbus.Message({ destination: ${JSON.stringify(BUS_NAME)}, path: ${JSON.stringify(OBJECT_PATH)}, interface: iface, member: 'Ping' })));
    }
  }
  console.log(JSON.stringify(result));
  bus.disconnect();
})().catch((err) => { console.error(err); process.exit(1); });
`;


describe('the bus policy, enforced by dbus-daemon', () => {
  let bus: PrivateSystemBus | undefined;
  let clientDir: string | undefined;
  let rootConnection: dbus.MessageBus | undefined;

  const asTestUser = async (...args: string[]): Promise<Record<string, string>> => {
    if (!bus || !clientDir) throw new Error('no private bus');
    const result = await run(['runuser', '-u', TEST_USER, '--', process.execPath, join(clientDir, 'client.cjs'), ...args], { env: bus.env() });
    return JSON.parse(result.stdout) as Record<string, string>;
  };

  beforeAll(async () => {
    ensureTestUser();
    clientDir = await mkdtemp(join(tmpdir(), 'palisade-client-'));
    await chmod(clientDir, 0o755); // the test user runs the client from here
    await writeFile(join(clientDir, 'client.cjs'), CLIENT(join(REPO_ROOT, 'node_modules/dbus-next')), { mode: 0o644 });
    bus = await PrivateSystemBus.start({ includes: [BUS_POLICY] });
    await chmod(bus.dir, 0o755); // and connects to the socket in here
  });
  afterAll(async () => {
    rootConnection?.disconnect();
    await bus?.stop();
    if (clientDir) await rm(clientDir, { recursive: true, force: true });
  });

  it('does not let a user other than root own the name', async () => {
    expect(await asTestUser('own')).toEqual({ own: 'org.freedesktop.DBus.Error.AccessDenied' });
  });

  it('lets root own the name', async () => {
    if (!bus) throw new Error('no private bus');
    rootConnection = dbus.sessionBus({ busAddress: bus.address });
    const reply = await rootConnection.requestName(BUS_NAME, dbus.NameFlag.DO_NOT_QUEUE);
    expect(reply).toBe(dbus.RequestNameReply.PRIMARY_OWNER);
    // Stand in for the helper: answer every call, so only the bus can refuse one.
    const connection = rootConnection;
    connection.addMethodHandler((msg: InstanceType<typeof dbus.Message>) => {
      connection.send(dbus.Message.newMethodReturn(msg, 's', ['pong']));
      return true;
    });
  });

  it('lets anyone call the helper\'s interface and the standard ones, and nothing else', async () => {
    expect(rootConnection, 'root owns the name (previous test)').toBeDefined();
    const allowed = ['org.palisade.Firewall1', 'org.freedesktop.DBus.Properties', 'org.freedesktop.DBus.Introspectable', 'org.freedesktop.DBus.Peer'];
    const refused = ['org.palisade.Firewall1.Debug', 'org.freedesktop.DBus.ObjectManager', 'com.example.Other'];
    expect(await asTestUser('call', ...allowed, ...refused)).toEqual({
      ...Object.fromEntries(allowed.map((iface) => [iface, 'ok'])),
      ...Object.fromEntries(refused.map((iface) => [iface, 'org.freedesktop.DBus.Error.AccessDenied'])),
    });
  });
});

describe('the polkit actions, read by polkitd', () => {
  let bus: PrivateSystemBus | undefined;

  beforeAll(async () => {
    bus = await PrivateSystemBus.start();
    await bus.startPolkit({ actions: [POLKIT_ACTIONS] });
  }, 30_000);
  afterAll(async () => {
    await bus?.stop();
  });

  it('knows both actions with their implicit authorizations and translations', async () => {
    const env = bus?.env({ LANG: 'C', LC_ALL: 'C' });
    const pkaction = (id: string) => run(['pkaction', '--verbose', '--action-id', id], { env: env ?? process.env }).then((r) => r.stdout);
    const read = await pkaction('org.palisade.firewall.read');
    expect(read).toMatch(/description:\s+Read the firewall settings and status/);
    expect(read).toMatch(/vendor:\s+Palisade/);
    expect(read).toMatch(/icon:\s+security-high/);
    expect(read).toMatch(/implicit any:\s+yes\n\s+implicit inactive:\s+yes\n\s+implicit active:\s+yes/);
    const manage = await pkaction('org.palisade.firewall.manage');
    expect(manage).toMatch(/message:\s+Authentication is required to change the firewall settings/);
    expect(manage).toMatch(/implicit any:\s+auth_admin\n\s+implicit inactive:\s+auth_admin\n\s+implicit active:\s+auth_admin_keep/);
  });
});
