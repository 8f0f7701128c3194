// The desktop app's link to the helper, with the D-Bus client replaced at its port: the states
// the UI and the tray show must follow what the helper and polkit do.
import { describe, expect, it } from 'vitest';
import { HelperConnection, type FirewallPort } from '../../electron/main/helper-connection';
import { FirewallError } from '../../electron/client/firewall-client';
import type { HelperState } from '../../shared/ipc/contract';

class FakePort implements FirewallPort {
  present = true;
  refuse: FirewallError | undefined;
  calls: string[] = [];
  private owner: ((present: boolean) => void) | undefined;
  closed = false;

  async call(method: string): Promise<never> {
    this.calls.push(method);
    if (!this.present) throw new FirewallError('unavailable', 'the Palisade helper (org.palisade.Firewall1) is not running');
    if (this.refuse && method !== 'GetStatus') throw this.refuse;
    return {} as never;
  }
  async on(): Promise<() => void> { return () => undefined; }
  async watchHelper(listener: (present: boolean) => void): Promise<() => void> {
    this.owner = listener;
    return () => { this.owner = undefined; };
  }
  setPresent(present: boolean): void {
    this.present = present;
    this.owner?.(present);
  }
  close(): void { this.closed = true; }
}

const settle = () => new Promise((r) => setTimeout(r, 10));

function connection(port: FakePort | (() => Promise<FirewallPort>)) {
  const states: HelperState[] = [];
  const helper = new HelperConnection({ connect: typeof port === 'function' ? port : async () => port, canInstall: () => true, retryMs: 60_000 });
  helper.on('state', (s) => states.push(s));
  return { helper, states };
}

describe('HelperConnection', () => {
  it('is connected once the helper answers', async () => {
    const port = new FakePort();
    const { helper } = connection(port);
    await helper.start();
    expect(helper.state()).toMatchObject({ connection: 'connected', notAuthorized: false, canInstall: true });
    helper.stop();
  });

  it('shows the helper missing the moment its name goes, and connected when it is back', async () => {
    const port = new FakePort();
    const { helper } = connection(port);
    await helper.start();
    port.setPresent(false);
    expect(helper.state()).toMatchObject({ connection: 'missing', error: 'the Palisade helper stopped' });
    await expect(helper.call('GetPolicy', {})).rejects.toMatchObject({ code: 'unavailable' });
    port.setPresent(true);
    await settle();
    expect(helper.state().connection).toBe('connected');
    expect(helper.state().error).toBeUndefined();
    helper.stop();
  });

  it('starts "missing" when the bus answers but the helper does not, and follows it when it appears', async () => {
    const port = new FakePort();
    port.present = false;
    const { helper } = connection(port);
    await helper.start();
    expect(helper.state().connection).toBe('missing');
    expect(port.closed).toBe(false);
    port.setPresent(true);
    await settle();
    expect(helper.state().connection).toBe('connected');
    helper.stop();
  });

  it('is unreachable without a system bus', async () => {
    const { helper } = connection(async () => { throw new Error('cannot reach the system bus (unix:path=/nope): ENOENT'); });
    await helper.start();
    expect(helper.state()).toMatchObject({ connection: 'unreachable', error: expect.stringContaining('cannot reach the system bus') });
    helper.stop();
  });

  it('marks "not authorised" when polkit refuses a change, until a change goes through', async () => {
    const port = new FakePort();
    const { helper, states } = connection(port);
    await helper.start();
    port.refuse = new FirewallError('access-denied', 'not authorized to change the firewall');
    await expect(helper.call('ChangePolicy', { edits: [{ op: 'restoreDefaults' }] })).rejects.toMatchObject({ code: 'access-denied' });
    expect(helper.state().notAuthorized).toBe(true);
    // Reading stays possible and does not clear it: only a successful change shows rights.
    port.refuse = undefined;
    await helper.call('GetPolicy', {});
    expect(helper.state().notAuthorized).toBe(true);
    await helper.call('ChangePolicy', { edits: [{ op: 'restoreDefaults' }] });
    expect(helper.state().notAuthorized).toBe(false);
    expect(states.map((s) => s.notAuthorized)).toEqual([false, true, false]);
    helper.stop();
  });
});
