// The lab bridge: the renderer in an ordinary browser window, served over loopback HTTP with the
// same typed API the Electron preload gives it, answered by the same main-process handlers.
// Bound to 127.0.0.1 only; every API request must carry the token handed to the browser in the
// page's URL fragment; the Host header must name the loopback address (no DNS rebinding).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { EventChannel, EventPayload } from '../../shared/ipc/contract';
import { dispatchInvoke, type InvokeHandlers } from './dispatch';
import { SECURITY_HEADERS } from './csp';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.map': 'application/json', '.woff2': 'font/woff2',
};
const MAX_BODY = 8 * 1024 * 1024;

export interface BridgeOptions {
  handlers: InvokeHandlers;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  port?: number;
}

export class BridgeServer {
  private readonly token = randomBytes(32).toString('hex');
  private readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private port = 0;

  constructor(private readonly opts: BridgeOptions) {
    this.server = createServer((req, res) => { void this.handle(req, res); });
  }

  /** Starts listening on 127.0.0.1; the URL carries the token in its fragment. */
  async start(): Promise<{ url: string; origin: string; token: string }> {
    await new Promise<void>((done, fail) => {
      this.server.once('error', fail);
      this.server.listen(this.opts.port ?? 0, '127.0.0.1', () => done());
    });
    this.port = (this.server.address() as AddressInfo).port;
    const origin = `http://127.0.0.1:${this.port}`;
    return { url: `${origin}/#token=${this.token}`, origin, token: this.token };
  }

  /** Pushes an event to every open page. */
  send<E extends EventChannel>(event: E, payload: EventPayload<E>): void {
    const line = `${JSON.stringify({ event, payload })}\n`;
    for (const res of this.streams) res.write(line);
  }

  async close(): Promise<void> {
    for (const res of this.streams) res.end();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private authorised(req: IncomingMessage): boolean {
    const given = /^Bearer ([0-9a-f]+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${this.port}` && host !== `localhost:${this.port}`) return this.reply(res, 421, 'wrong host');
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname.startsWith('/api/')) {
      res.setHeader('cache-control', 'no-store');
      if (!this.authorised(req)) return this.reply(res, 401, 'missing or wrong token');
      if (url.pathname === '/api/invoke' && req.method === 'POST') return this.invoke(req, res);
      if (url.pathname === '/api/events' && req.method === 'GET') return this.events(req, res);
      return this.reply(res, 404, 'no such API');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.reply(res, 405, 'method not allowed');
    return this.serveStatic(url.pathname, res);
  }

  private async invoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) {
      body += String(chunk);
      if (body.length > MAX_BODY) return this.reply(res, 413, 'request too large');
    }
    let message: { channel?: unknown; args?: unknown };
    try {
      message = JSON.parse(body) as { channel?: unknown; args?: unknown };
    } catch {
      return this.reply(res, 400, 'not JSON');
    }
    const response = await dispatchInvoke(this.opts.handlers, message.channel, message.args);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(response));
  }

  private events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write('\n');
    this.streams.add(res);
    const heartbeat = setInterval(() => res.write('\n'), 15_000);
    req.once('close', () => { clearInterval(heartbeat); this.streams.delete(res); });
  }

  private async serveStatic(pathname: string, res: ServerResponse): Promise<void> {
    const root = resolve(this.opts.staticDir);
    const file = resolve(join(root, normalize(decodeURIComponent(pathname === '/' ? '/index.html' : pathname))));
    if (file !== root && !file.startsWith(root + sep)) return this.reply(res, 404, 'not found');
    try {
      const content = await readFile(file);
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
      res.end(content);
    } catch {
      this.reply(res, 404, 'not found');
    }
  }

  private reply(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(text);
  }
}
