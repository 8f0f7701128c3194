// The desktop app's link to the helper: connects, follows the helper's signals, and keeps a
// small state the UI and the tray show — connected, missing (offer to install it), unreachable
// (no system bus), and whether the last change was refused by polkit.
import { EventEmitter } from 'node:events';
import type { HelperState } from '../../shared/ipc/contract';
import type { MethodArgs, MethodName, MethodResult, SignalName, SignalPayload } from '../../shared/dbus/contract';
import { METHODS, SIGNALS } from '../../shared/dbus/contract';
import { FirewallError, type CallOptions } from '../client/firewall-client';

/** The parts of FirewallClient the app uses. */
export interface FirewallPort {
  call<M extends MethodName>(method: M, args: MethodArgs<M>, opts?: CallOptions): Promise<MethodResult<M>>;
  on<S extends SignalName>(signal: S, listener: (payload: SignalPayload<S>) => void): Promise<() => void>;
  watchHelper(listener: (present: boolean) => void): Promise<() => void>;
  close(): void;
}

export interface HelperConnectionOptions {
  connect: () => Promise<FirewallPort>;
  /** Whether the helper can be installed from the app (an installer is available). */
  canInstall: () => boolean;
  /** How long to wait before trying again after the helper went away. */
  retryMs?: number;
}

/** A signal from the helper, as one value: name and payload. */
export type HelperSignal = { [S in SignalName]: { name: S; payload: SignalPayload<S> } }[SignalName];

type Events = {
  state: [HelperState];
  signal: [HelperSignal];
};

export class HelperConnection extends EventEmitter<Events> {
  private client: FirewallPort | undefined;
  private current: HelperState;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private connecting: Promise<void> | undefined;

  constructor(private readonly opts: HelperConnectionOptions) {
    super();
    this.current = { connection: 'connecting', notAuthorized: false, canInstall: opts.canInstall(), installing: false };
  }

  state(): HelperState {
    return this.current;
  }

  private update(patch: Partial<HelperState>): void {
    const next = { ...this.current, canInstall: this.opts.canInstall(), ...patch };
    if (!('error' in patch) && patch.connection === 'connected') delete next.error;
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    this.emit('state', next);
  }

  setInstalling(installing: boolean, error?: string): void {
    this.update({ installing, ...(error !== undefined ? { error } : {}) });
  }

  /** Connects (again); resolves when connected or known to be missing/unreachable. */
  start(): Promise<void> {
    this.stopped = false;
    this.connecting ??= this.connect().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    clearTimeout(this.retryTimer);
    if (this.client) {
      // Already linked to the bus: only check the helper answers (it may just have come back).
      try {
        await this.client.call('GetStatus', {});
        this.update({ connection: 'connected' });
      } catch (err) {
        const missing = err instanceof FirewallError && err.code === 'unavailable';
        this.update({ connection: missing ? 'missing' : 'unreachable', error: (err as Error).message });
        this.scheduleRetry();
      }
      return;
    }
    let client: FirewallPort;
    try {
      client = await this.opts.connect();
    } catch (err) {
      this.update({ connection: 'unreachable', error: (err as Error).message });
      this.scheduleRetry();
      return;
    }
    try {
      for (const name of Object.keys(SIGNALS) as SignalName[]) {
        await client.on(name, (payload) => this.emit('signal', { name, payload } as HelperSignal));
      }
      // The helper stopping or coming back shows at once, not at the next failed call.
      await client.watchHelper((present) => {
        if (present) void this.start();
        else this.update({ connection: 'missing', error: 'the Palisade helper stopped' });
      });
      // The helper answers: it is there.
      this.client = client;
      await client.call('GetStatus', {});
      this.update({ connection: 'connected' });
    } catch (err) {
      // Keep the bus link (and its subscriptions) if the bus answered; the helper is what is missing.
      const missing = err instanceof FirewallError && err.code === 'unavailable';
      if (!missing) {
        client.close();
        this.client = undefined;
      }
      this.update({ connection: missing ? 'missing' : 'unreachable', error: (err as Error).message });
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => { void this.start(); }, this.opts.retryMs ?? 3000);
    this.retryTimer.unref();
  }

  /**
   * Calls the helper. A refusal by polkit marks the app "not authorised" until a change goes
   * through; a helper that went away marks it missing and reconnects.
   */
  async call<M extends MethodName>(method: M, args: MethodArgs<M>, opts: CallOptions = {}): Promise<MethodResult<M>> {
    if (!this.client || this.current.connection !== 'connected') {
      await this.start();
      if (!this.client || this.current.connection !== 'connected') throw new FirewallError('unavailable', this.current.error ?? 'the Palisade helper is not running');
    }
    try {
      const result = await this.client.call(method, args, opts);
      if (METHODS[method].access === 'manage') this.update({ notAuthorized: false });
      return result;
    } catch (err) {
      if (err instanceof FirewallError && err.code === 'access-denied') this.update({ notAuthorized: true });
      if (err instanceof FirewallError && err.code === 'unavailable') {
        this.update({ connection: 'missing', error: err.message });
        this.scheduleRetry();
      }
      throw err;
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.client?.close();
    this.client = undefined;
  }
}
