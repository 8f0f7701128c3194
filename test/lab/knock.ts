// Port knocks from the lab's outside namespace: one packet per knock (test/lab/knocker.cjs).
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab';

const KNOCKER_SCRIPT = fileURLToPath(new URL('./knocker.cjs', import.meta.url));

export interface Knock {
  protocol: 'tcp' | 'udp';
  port: number;
  /** Wait this long before sending this knock. */
  delayMs?: number;
}

/** Sends the knocks in order to `target` (an address of the host namespace), from the outside namespace. */
export async function sendKnocks(lab: Lab, target: string, knocks: readonly Knock[]): Promise<void> {
  const { stdout } = await lab.exec('outside', [process.execPath, KNOCKER_SCRIPT, JSON.stringify({ target, knocks })], { timeoutMs: 120_000 });
  const sent = (JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { sent?: number }).sent;
  if (sent !== knocks.length) throw new Error(`knocker sent ${sent} of ${knocks.length} knocks to ${target}`);
}
