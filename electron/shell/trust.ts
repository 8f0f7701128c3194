// Who may talk to the main process: only our own page, served from app://palisade/, in the main
// frame of our own window. No Electron import here, so the rules are unit-tested in plain Node.

export const APP_SCHEME = 'app';
export const APP_HOST = 'palisade';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** Where the window starts: the renderer's index.html. */
export const APP_START_URL = `${APP_ORIGIN}/`;

/**
 * Whether a URL is one of our pages. Compared part by part rather than with URL.origin, which
 * Node (unlike Chromium, where the scheme is registered as standard) reports as "null" for
 * custom schemes.
 */
export function isTrustedSender(url: string | undefined | null): boolean {
  if (typeof url !== 'string' || url === '') return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}

/** The parts of Electron's WebFrameMain the check reads. */
export interface FrameLike {
  readonly url: string;
  readonly parent: unknown;
  readonly processId: number;
  readonly routingId: number;
}

/** The parts of an IpcMainInvokeEvent the check reads. */
export interface InvokeEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame: FrameLike | null;
}

/** The parts of our window the check reads. */
export interface WindowLike {
  isDestroyed(): boolean;
  readonly webContents: { readonly id: number; readonly mainFrame: FrameLike };
}

/**
 * An IPC request is trusted when it comes from our window's web contents, from its main frame
 * (not a subframe, which the CSP forbids anyway), and that frame shows one of our pages.
 */
export function isTrustedInvoke(event: InvokeEventLike, window: WindowLike | undefined): boolean {
  const frame = event.senderFrame;
  if (!frame || !window || window.isDestroyed()) return false;
  const main = window.webContents.mainFrame;
  return event.sender.id === window.webContents.id
    && frame.parent === null
    && frame.processId === main.processId
    && frame.routingId === main.routingId
    && isTrustedSender(frame.url);
}
