import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        // Needs root, nft and network namespaces; every test makes its own namespace.
        test: { name: 'kernel', include: ['test/kernel/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 60_000 },
      },
      {
        // The real stack: private bus + polkitd, palisaded in the lab, the CLI, nmap. One file at a
        // time: each starts its own stack, and scans should not compete for the CPU.
        test: { name: 'system', include: ['test/system/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 120_000, fileParallelism: false },
      },
      {
        // The renderer in Debian's Chromium against the lab (and screenshots of every screen).
        test: { name: 'ui', include: ['test/ui/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 180_000, fileParallelism: false },
      },
      {
        // Playwright's _electron against the real app: runs where an Electron binary exists,
        // says why it is skipped where it does not (no download is possible here).
        test: { name: 'electron', include: ['test/electron/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000, fileParallelism: false },
      },
    ],
  },
});
