// An unprivileged system user for tests that check what non-root callers may do.
import { spawnSync } from 'node:child_process';

export const TEST_USER = 'paltest';

/** Creates the user when missing (no home, no login shell); left in place for later runs. */
export function ensureTestUser(): void {
  if (spawnSync('id', ['-u', TEST_USER]).status === 0) return;
  const result = spawnSync('useradd', ['--system', '-M', '-s', '/usr/sbin/nologin', TEST_USER], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`could not create the test user ${TEST_USER}: ${result.stderr}`);
}
