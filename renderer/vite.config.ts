// The renderer bundle. Served by the Electron shell from its custom protocol and by the lab
// bridge over loopback HTTP; both set the same strict CSP, so no inline scripts or eval here.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
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
