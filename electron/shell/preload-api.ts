// What the preload gives the page, as a function of an ipcRenderer-like object so it is tested
// with a fake. The page gets exactly PalisadeApi: `invoke` for the contract's channels and `on`
// for its events; never ipcRenderer, never an IpcRendererEvent (Electron security checklist
// item 20). Only types come from the contract: the sandboxed preload stays a few lines of JS
// instead of carrying zod and every schema, and the compiler keeps the channel lists in step.
import type { API_GLOBAL, EventChannel, EventPayload, InvokeChannel, IpcResponse, PalisadeApi } from '../../shared/ipc/contract';

/** The one IPC channel requests travel on, and the one events come back on. */
export const INVOKE_IPC = 'palisade:invoke';
export const EVENT_IPC = 'palisade:event';

/** `window.palisade`. */
export const API_NAME: typeof API_GLOBAL = 'palisade';

// Every key of the contract, no more: a channel added to or removed from the contract is a
// compile error here until this list follows.
const INVOKE_ALLOWED: Record<InvokeChannel, true> = {
  'app:info': true, 'helper:state': true, 'helper:install': true,
  'firewall:status': true, 'firewall:policy': true, 'firewall:sockets': true, 'firewall:exposure': true,
  'firewall:ruleset': true, 'firewall:networks': true, 'firewall:prompts': true, 'firewall:change': true,
  'firewall:import': true, 'firewall:confirm': true, 'firewall:answerPrompt': true,
  'apps:describe': true, 'apps:installed': true, 'settings:get': true, 'settings:set': true, 'lab:scan': true,
  'firewall:dropLog': true, 'firewall:hitCounts': true,
};
const EVENTS_ALLOWED: Record<EventChannel, true> = {
  'helper:state': true, 'firewall:status': true, 'firewall:listening': true, 'firewall:prompt': true,
  'firewall:promptClosed': true, 'firewall:newNetwork': true, 'firewall:rolledBack': true, 'firewall:drops': true,
  'settings:changed': true, 'ui:navigate': true,
};

export const PRELOAD_INVOKE_CHANNELS = Object.keys(INVOKE_ALLOWED) as InvokeChannel[];
export const PRELOAD_EVENT_CHANNELS = Object.keys(EVENTS_ALLOWED) as EventChannel[];

const isAllowedInvoke = (channel: unknown): channel is InvokeChannel => typeof channel === 'string' && Object.hasOwn(INVOKE_ALLOWED, channel);
const isAllowedEvent = (event: unknown): event is EventChannel => typeof event === 'string' && Object.hasOwn(EVENTS_ALLOWED, event);

/** The parts of Electron's ipcRenderer used here. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

type Listener = (payload: never) => void;

export function createPreloadApi(ipc: IpcRendererLike): PalisadeApi {
  const listeners = new Map<EventChannel, Set<Listener>>();
  let subscribed = false;

  // One IPC listener for all events; the page's callbacks get the payload and nothing else.
  const onEvent = (_event: unknown, message: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    const { event, payload } = message as { event?: unknown; payload?: unknown };
    if (!isAllowedEvent(event)) return;
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        listener(payload as never);
      } catch (err) {
        console.error(`palisade: a listener for ${event} failed`, err);
      }
    }
  };

  return {
    async invoke(channel, args) {
      if (!isAllowedInvoke(channel)) {
        return { ok: false, error: { code: 'invalid-args', message: `unknown channel ${JSON.stringify(channel)}` } };
      }
      try {
        return (await ipc.invoke(INVOKE_IPC, channel, args)) as IpcResponse<never>;
      } catch (err) {
        return { ok: false, error: { code: 'unavailable', message: `the main process did not answer: ${(err as Error)?.message ?? String(err)}` } };
      }
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      if (!isAllowedEvent(event) || typeof listener !== 'function') return () => undefined;
      const set = listeners.get(event) ?? new Set<Listener>();
      const entry = listener as Listener;
      set.add(entry);
      listeners.set(event, set);
      if (!subscribed) {
        subscribed = true;
        ipc.on(EVENT_IPC, onEvent);
      }
      return () => {
        set.delete(entry);
        if (set.size === 0) listeners.delete(event);
        if (listeners.size === 0 && subscribed) {
          subscribed = false;
          ipc.removeListener(EVENT_IPC, onEvent);
        }
      };
    },
  };
}
