// The main-process end of the preload's two IPC channels: requests are answered only for our own
// page in our own window (Electron security checklist item 17), then go through the same
// dispatcher the lab bridge uses; events go back to that page only.
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { IpcResponse } from '../../shared/ipc/contract';
import { dispatchInvoke, type InvokeHandlers } from '../main/dispatch';
import type { EventSink } from '../main/handlers';
import { EVENT_IPC, INVOKE_IPC } from './preload-api';
import { isTrustedInvoke, isTrustedSender, type WindowLike } from './trust';

export const FORBIDDEN: IpcResponse<never> = { ok: false, error: { code: 'forbidden', message: 'this page may not use the Palisade API' } };

export interface IpcOptions {
  handlers: InvokeHandlers;
  /** The app window, when there is one. */
  window: () => WindowLike | undefined;
}

/** Answers palisade:invoke; returns a function that stops answering. */
export function registerInvokeHandler(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>, opts: IpcOptions): () => void {
  ipcMain.handle(INVOKE_IPC, async (event: IpcMainInvokeEvent, channel: unknown, args: unknown) => {
    if (!isTrustedInvoke(event, opts.window())) return FORBIDDEN;
    return dispatchInvoke(opts.handlers, channel, args);
  });
  return () => ipcMain.removeHandler(INVOKE_IPC);
}

/** The parts of a window the event sink uses. */
export interface EventTarget {
  isDestroyed(): boolean;
  readonly webContents: { getURL(): string; send(channel: string, ...args: unknown[]): void };
}

/** Sends main → renderer events to the app window, while it shows one of our pages. */
export function createEventSink(window: () => EventTarget | undefined): EventSink {
  return (event, payload) => {
    const target = window();
    if (!target || target.isDestroyed() || !isTrustedSender(target.webContents.getURL())) return;
    target.webContents.send(EVENT_IPC, { event, payload });
  };
}
