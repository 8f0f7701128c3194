// Rules with an expiry ("allow for 1 hour") end in the kernel on time, whether or not the helper
// is running: the rule also requires its (protocol, ports) to be in a one-rule set whose
// elements time out at the expiry. The helper removes the rule from the policy at the same
// moment (Firewall.dropExpiredRules); after a restart, the remaining time is compiled afresh.
import type { PortRule } from '../policy/schema';
import { range, type NftCommand, type NftExpression } from '../nft/json';
import { ruleProtocolsOf, table } from './matches';

export const untilSetName = (ruleId: string) => `until_${ruleId}`;

/** Whole seconds left before `rule` expires at `now`, or undefined when it has no expiry (or no clock was given). */
export function secondsLeft(rule: Pick<PortRule, 'expires'>, now: string | undefined): number | undefined {
  if (rule.expires === undefined || now === undefined) return undefined;
  return Math.max(1, Math.ceil((Date.parse(rule.expires) - Date.parse(now)) / 1000));
}

export function untilSetCommand(rule: PortRule, seconds: number): NftCommand {
  const ports: NftExpression = rule.ports.from === rule.ports.to ? rule.ports.from : range(rule.ports.from, rule.ports.to);
  const elem = ruleProtocolsOf(rule).map((protocol) => ({ elem: { val: { concat: [protocol, ports] }, timeout: seconds } }));
  return { add: { set: { ...table, name: untilSetName(rule.id), type: ['inet_proto', 'inet_service'], flags: ['interval', 'timeout'], elem } } };
}
