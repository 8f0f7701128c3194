// One way in for every request from a renderer, whichever transport brought it (Electron IPC or
// the lab bridge): the channel must exist, the payload must match its schema, and errors come
// back as values with a code the UI can act on.
import type { z } from 'zod';
import {
  INVOKE, isInvokeChannel, type InvokeChannel, type InvokeResult, type IpcError, type IpcResponse, type ParsedInvokeArgs,
} from '../../shared/ipc/contract';
import { formatPath } from '../../shared/policy/validate';
import { FirewallError } from '../client/firewall-client';

export type InvokeHandlers = { [C in InvokeChannel]: (args: ParsedInvokeArgs<C>) => Promise<InvokeResult<C>> };

/** A failure a handler reports on purpose, with the code the renderer gets. */
export class IpcFailure extends Error {
  constructor(readonly code: IpcError['code'], message: string) {
    super(message);
    this.name = 'IpcFailure';
  }
}

function toIpcError(err: unknown): IpcError {
  if (err instanceof IpcFailure) return { code: err.code, message: err.message };
  if (err instanceof FirewallError) return { code: err.code, message: err.message };
  return { code: 'failed', message: (err as Error)?.message ?? String(err) };
}

export async function dispatchInvoke(handlers: InvokeHandlers, channel: unknown, payload: unknown): Promise<IpcResponse<unknown>> {
  if (!isInvokeChannel(channel)) return { ok: false, error: { code: 'invalid-args', message: `unknown channel ${JSON.stringify(channel)}` } };
  const parsed = (INVOKE[channel].args as z.ZodType).safeParse(payload ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${formatPath(i.path) || '(arguments)'}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'invalid-args', message: `${channel}: ${issues}` } };
  }
  try {
    const handler = handlers[channel] as (args: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (err) {
    return { ok: false, error: toIpcError(err) };
  }
}
