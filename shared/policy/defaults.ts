import { POLICY_VERSION, type Policy } from './schema';
import { parsePolicy } from './validate';

/**
 * The policy a fresh install starts with (the brief's defaults): both profiles on, stealth on,
 * shields down, ping answered on Private only, inbound blocked, outbound allowed.
 */
export function defaultPolicy(): Policy {
  return parsePolicy({ version: POLICY_VERSION });
}
