// The renderer's only door to the outside: the typed API of shared/ipc/contract.ts, provided by
// the Electron preload (window.palisade) or, in the lab, by the loopback bridge.
import type { EventChannel, EventPayload, InvokeArgs, InvokeChannel, InvokeResult, IpcError, PalisadeApi } from '../../../shared/ipc/contract';
import { API_GLOBAL } from '../../../shared/ipc/contract';
import { createBridgeApi, readBridgeToken } from './bridge';

export class ApiError extends Error {
  constructor(readonly code: IpcError['code'], message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

let api: PalisadeApi | undefined;

/** Finds the API: the preload's in Electron, the bridge's in the lab; undefined when neither. */
export function connectApi(): PalisadeApi | undefined {
  const preload = (window as unknown as Record<string, PalisadeApi | undefined>)[API_GLOBAL];
  if (preload) return (api = preload);
  const token = readBridgeToken();
  if (token) return (api = createBridgeApi(window.location.origin, token));
  return undefined;
}

/** Sets the API directly (tests). */
export function useApi(custom: PalisadeApi): void {
  api = custom;
}

export async function call<C extends InvokeChannel>(channel: C, args: InvokeArgs<C>): Promise<InvokeResult<C>> {
  if (!api) throw new ApiError('unavailable', 'not connected to the Palisade app');
  const response = await api.invoke(channel, args);
  if (!response.ok) throw new ApiError(response.error.code, response.error.message);
  return response.value;
}

export function subscribe<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return api ? api.on(event, listener) : () => undefined;
}
