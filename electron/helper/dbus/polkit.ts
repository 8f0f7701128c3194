// Authorisation through polkit, as firewalld does: CheckAuthorization with the caller's unique
// bus name as subject. polkitd looks up the caller's uid, pid and session itself, so nothing the
// caller says about itself is trusted.
import dbus, { type MessageBus } from 'dbus-next';

export interface AuthorizationResult {
  authorized: boolean;
  /** polkit would have authorised after authentication (no agent, or interaction not allowed). */
  challenge: boolean;
}

export interface Authorizer {
  check(sender: string, action: string, allowInteraction: boolean): Promise<AuthorizationResult>;
}

const POLKIT_NAME = 'org.freedesktop.PolicyKit1';
const POLKIT_PATH = '/org/freedesktop/PolicyKit1/Authority';
const POLKIT_INTERFACE = 'org.freedesktop.PolicyKit1.Authority';
const CHECK_ALLOW_USER_INTERACTION = 1;

interface AuthorityInterface {
  CheckAuthorization(subject: [string, Record<string, dbus.Variant>], action: string, details: Record<string, string>, flags: number, cancellationId: string): Promise<[boolean, boolean, Record<string, string>]>;
}

export class PolkitAuthorizer implements Authorizer {
  constructor(private readonly bus: MessageBus) {}

  private async authority(): Promise<AuthorityInterface | null> {
    const owner = await this.bus.call(new dbus.Message({
      destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus',
      member: 'NameHasOwner', signature: 's', body: [POLKIT_NAME],
    }));
    if (!owner?.body[0]) return null;
    const obj = await this.bus.getProxyObject(POLKIT_NAME, POLKIT_PATH);
    return obj.getInterface(POLKIT_INTERFACE) as unknown as AuthorityInterface;
  }

  private async callerUid(sender: string): Promise<number> {
    const reply = await this.bus.call(new dbus.Message({
      destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus',
      member: 'GetConnectionUnixUser', signature: 's', body: [sender],
    }));
    return Number(reply?.body[0]);
  }

  async check(sender: string, action: string, allowInteraction: boolean): Promise<AuthorizationResult> {
    const authority = await this.authority();
    if (!authority) {
      // Without polkit only root may do anything (firewalld's fallback as well).
      return { authorized: (await this.callerUid(sender)) === 0, challenge: false };
    }
    const subject: [string, Record<string, dbus.Variant>] = ['system-bus-name', { name: new dbus.Variant('s', sender) }];
    const [authorized, challenge] = await authority.CheckAuthorization(subject, action, {}, allowInteraction ? CHECK_ALLOW_USER_INTERACTION : 0, '');
    return { authorized, challenge };
  }
}
