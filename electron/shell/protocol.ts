// app://palisade/: the renderer's files from dist/renderer, with the same CSP and security headers
// the lab bridge sends. Registered as a standard, secure scheme (so the page has a real origin,
// a secure context and fetch), instead of file:// (Electron security checklist item 18).
// Plain Node apart from the types, so the handler is tested with real Request objects.
import type { CustomScheme } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { SECURITY_HEADERS } from '../main/csp';
import { APP_HOST, APP_SCHEME } from './trust';

export const APP_SCHEMES: CustomScheme[] = [
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.map': 'application/json',
  '.woff2': 'font/woff2', '.ico': 'image/x-icon',
};

export function contentType(file: string): string {
  return MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` an app:// URL names, or undefined when it names none: another host, a
 * path that leaves the root (also when encoded: %2e%2e, %2f), a NUL byte, or a malformed URL.
 */
export function resolveAppPath(root: string, url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return undefined;
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return undefined;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return undefined;
  if (pathname === '' || pathname.endsWith('/')) pathname += 'index.html';
  const base = resolve(root);
  const file = resolve(base, `.${pathname.startsWith('/') ? '' : '/'}${pathname}`);
  return file.startsWith(base + sep) ? file : undefined;
}

function reply(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' } });
}

/** The protocol.handle() handler for app://. */
export function createAppHandler(root: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'method not allowed');
    const file = resolveAppPath(root, request.url);
    if (!file) return reply(404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return reply(404, 'not found');
    }
    const headers = { ...SECURITY_HEADERS, 'content-type': contentType(file), 'cache-control': 'no-cache' };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}
