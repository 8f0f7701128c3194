// Lock-down of every web contents and of the session (Electron security checklist items 5, 11–14):
// no navigation away from app://palisade, no new windows, no <webview>, no permissions but one,
// no network requests from the page at all (it has nothing to fetch: everything goes through IPC),
// and downloads only of what the page itself made (the policy export).
// Types only from Electron: the shell passes the real objects, tests pass fakes.
import type { Session, WebContents } from 'electron';
import { isTrustedSender } from './trust';

/** What a navigation event carries (Electron's Event<WebContentsWillNavigateEventParams>). */
interface NavigationEvent { url: string; preventDefault(): void }

export function hardenWebContents(contents: WebContents): void {
  const stayInApp = (event: NavigationEvent): void => {
    if (!isTrustedSender(event.url)) event.preventDefault();
  };
  contents.on('will-navigate', stayInApp);
  contents.on('will-frame-navigate', stayInApp);
  contents.on('will-redirect', stayInApp);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** A blob: URL our page made (blob:app://palisade/<uuid>): the policy export it saves. */
export function isOwnBlob(url: string): boolean {
  return url.startsWith('blob:') && isTrustedSender(url.slice('blob:'.length));
}

/**
 * Requests the page may make: to its own scheme, its own blobs, data: URLs (app icons, which the
 * CSP allows as images), and DevTools' own scheme when someone opens it by hand. Nothing on the
 * network.
 */
export function isAllowedRequest(url: string): boolean {
  return isTrustedSender(url) || isOwnBlob(url) || url.startsWith('data:') || url.startsWith('devtools:');
}

/**
 * The one permission granted, and only to our page: writing text to the clipboard (Settings'
 * "Copy" for the applied ruleset; navigator.clipboard.writeText asks for it). Reading the
 * clipboard, notifications (the main process sends those), media, devices… are all refused.
 */
const GRANTED = new Set<string>(['clipboard-sanitized-write']);

export function isGranted(permission: string, origin: string | undefined): boolean {
  return GRANTED.has(permission) && isTrustedSender(origin);
}

export function lockDownSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => callback(isGranted(permission, details.requestingUrl)));
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => isGranted(permission, requestingOrigin));
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequest(details.url) }));
  session.on('will-download', (event, item) => {
    if (!isOwnBlob(item.getURL())) event.preventDefault();
  });
}
