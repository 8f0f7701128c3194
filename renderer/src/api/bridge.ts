// The lab bridge's client: the same PalisadeApi over loopback HTTP. Requests are POSTs to
// /api/invoke, events arrive as newline-delimited JSON on /api/events; every request carries
// the token the bridge put in this page's URL fragment (never sent to a server by the browser).
import type { EventChannel, EventPayload, IpcResponse, PalisadeApi } from '../../../shared/ipc/contract';

/** Reads `#token=…` once and removes it from the address bar. */
export function readBridgeToken(): string | undefined {
  const match = /(?:^#|&)token=([0-9a-f]{32,128})/.exec(window.location.hash);
  if (!match?.[1]) return undefined;
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return match[1];
}

export function createBridgeApi(origin: string, token: string): PalisadeApi {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const listeners = new Map<EventChannel, Set<(payload: never) => void>>();
  let streaming = false;

  async function stream(): Promise<void> {
    for (;;) {
      try {
        const response = await fetch(`${origin}/api/events`, { headers });
        if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffered = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffered += value;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            if (!line.trim()) continue;
            const { event, payload } = JSON.parse(line) as { event: EventChannel; payload: unknown };
            for (const listener of listeners.get(event) ?? []) listener(payload as never);
          }
        }
      } catch {
        // The bridge restarted or the network blinked: try again shortly.
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  return {
    async invoke(channel, args) {
      try {
        const response = await fetch(`${origin}/api/invoke`, { method: 'POST', headers, body: JSON.stringify({ channel, args }) });
        return (await response.json()) as IpcResponse<never>;
      } catch (err) {
        return { ok: false, error: { code: 'unavailable', message: `the lab bridge does not answer: ${(err as Error).message}` } };
      }
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: never) => void);
      listeners.set(event, set);
      if (!streaming) {
        streaming = true;
        void stream();
      }
      return () => { set.delete(listener as (payload: never) => void); };
    },
  };
}
