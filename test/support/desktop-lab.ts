// The desktop app in the lab, without Electron: the whole stack (test/support/stack.ts), the
// main-process services over the lab's private bus, the loopback bridge serving the renderer
// with them, and "Scan me". Used by `npm run lab` and by the UI tests.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { Stack, type StackOptions } from './stack';
import { LabScanner } from './lab-scanner';
import { serveLabScans } from './lab-service';
import { createMainServices, type MainServices } from '../../electron/main/services';
import { BridgeServer } from '../../electron/main/bridge-server';
import { LabClient } from '../../electron/main/lab-client';
import { dispatchInvoke } from '../../electron/main/dispatch';
import type { InvokeArgs, InvokeChannel, InvokeResult } from '../../shared/ipc/contract';
import packageJson from '../../package.json' with { type: 'json' };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_DIR = join(ROOT, 'dist/renderer');

let built: Promise<unknown> | undefined;

/** Builds the renderer once per process (Vite, about a second). */
export function buildRenderer(): Promise<unknown> {
  built ??= build({ configFile: join(ROOT, 'renderer/vite.config.ts'), logLevel: 'warn' });
  return built;
}

export interface DesktopLab {
  stack: Stack;
  services: MainServices;
  /** Calls a channel as a renderer would: input validated (defaults filled in), errors thrown. */
  invoke<C extends InvokeChannel>(channel: C, args: InvokeArgs<C>): Promise<InvokeResult<C>>;
  bridge: BridgeServer;
  /** The page to open: loopback, with the bridge token in the fragment. */
  url: string;
  origin: string;
  stop(): Promise<void>;
}

export async function startDesktopLab(opts: StackOptions & { systemLanguages?: string[] } = {}): Promise<DesktopLab> {
  await buildRenderer();
  const stack = await Stack.start({ links: 2, ...opts, labServices: true });
  const scans = await serveLabScans(stack.bus.address, new LabScanner(stack.lab, () => stack.client()));
  const services = createMainServices({
    settingsPath: join(stack.dir, 'settings.json'),
    systemBusAddress: stack.bus.address,
    // The same client the Electron app uses in lab mode: Scan over the lab's bus.
    lab: new LabClient(stack.bus.address),
    info: () => ({ version: packageJson.version, labMode: true, trayAvailable: false, systemLanguages: opts.systemLanguages ?? [process.env.LANG ?? 'en'] }),
  });
  await services.start();
  const bridge = new BridgeServer({ handlers: services.handlers, staticDir: RENDERER_DIR });
  const unforward = services.forward((event, payload) => bridge.send(event, payload));
  const { url, origin } = await bridge.start();
  return {
    stack, services, bridge, url, origin,
    async invoke(channel, args) {
      const response = await dispatchInvoke(services.handlers, channel, args);
      if (!response.ok) throw new Error(`${channel}: ${response.error.code}: ${response.error.message}`);
      return response.value as never;
    },
    async stop() {
      unforward();
      await bridge.close();
      await services.stop();
      scans.stop();
      await stack.stop();
    },
  };
}
