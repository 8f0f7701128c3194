// Processes the benchmarks run in the lab: the prober outside and an app in the host.
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../test/lab/lab';
import { LineProcess } from './line-process';

export const PROBER_SCRIPT = fileURLToPath(new URL('./prober.cjs', import.meta.url));
export const APP_SCRIPT = fileURLToPath(new URL('./app-listener.cjs', import.meta.url));

export function startProber(lab: Lab): Promise<LineProcess> {
  return LineProcess.start(lab.spawn('outside', [process.execPath, PROBER_SCRIPT], { stdin: 'pipe' }));
}

export function startApp(lab: Lab): Promise<LineProcess> {
  return LineProcess.start(lab.spawn('host', [process.execPath, APP_SCRIPT], { stdin: 'pipe' }));
}

/** Asks the prober to report when `port` on `host` first answers as `want`; resolves to that hrtime (ns). */
export async function whenPort(prober: LineProcess, host: string, port: number, want: 'open' | 'refused', timeoutMs = 30_000): Promise<bigint> {
  const answer = prober.next((m) => m.port === port && m.want === want, timeoutMs);
  prober.send({ host, port, want });
  return BigInt((await answer).at as string);
}
