// The renderer bundle. Served by the Electron shell from its custom protocol and by the lab
// bridge over loopback HTTP; both set the same strict CSP, so no inline scripts or eval here.
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { RENDERER_CSP } from '../electron/main/csp.ts';

/**
 * The CSP that the app:// protocol and the lab bridge send as a header, also as a <meta> first in
 * <head>: it then holds however the page is loaded, and scanners that read the HTML
 * (electronegativity) see it. frame-ancestors is left out: browsers ignore it in a <meta>.
 */
function cspMeta(): Plugin {
  const content = RENDERER_CSP.split(';').map((d) => d.trim()).filter((d) => d && !d.startsWith('frame-ancestors')).join('; ');
  return {
    name: 'palisade-csp-meta',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react(), cspMeta()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    // Electron's Chromium and Debian's Chromium are both current.
    target: 'chrome120',
    // One bundle read from disk or loopback, never over a network: its size is not a concern.
    chunkSizeWarningLimit: 2048,
  },
});
