// Blocked attempts, as the drop log reports them: what the kernel logged to Palisade's NFLOG
// group (rate-limited there), with the rule or default that decided.
import { z } from 'zod';
import { DROP_KINDS } from '../compiler/layout';
import { ProfileNameSchema } from '../policy/schema';

export const DropEntrySchema = z.object({
  /** When the kernel logged it (ISO 8601). */
  time: z.string(),
  /** Interface it came in on (inbound) or was to leave by (outbound). */
  interface: z.string(),
  direction: z.enum(['in', 'out']),
  profile: ProfileNameSchema,
  /** What decided: a rule kind, or "default" (nothing allowed it). */
  kind: z.enum(DROP_KINDS),
  /** The port rule or app whose rule decided, when one did. */
  ruleId: z.string().optional(),
  family: z.union([z.literal(4), z.literal(6)]),
  protocol: z.string(),
  source: z.string(),
  sourcePort: z.number().int().optional(),
  destination: z.string(),
  destinationPort: z.number().int().optional(),
});
export type DropEntry = z.infer<typeof DropEntrySchema>;

/** Packets that matched each rule, by rule comment id (counters are carried over when the table is replaced). */
export const HitCountsSchema = z.object({
  /** Port rules, by rule id; with limits also `<id>-over-limit` (connections that went over) and `<id>-limited` (packets refused while blocked). */
  port: z.record(z.string(), z.number().int()),
  /** App rules, by app id (and `<id>-over-limit` / `<id>-limited`), and the shared sets (`<profile>-allowed-apps`, `<profile>-blocked-apps`). */
  app: z.record(z.string(), z.number().int()),
  /** Profile-level rules: `<profile>-spoofed`, `<profile>-scan-blocked`, `<profile>-default-block`, … */
  profile: z.record(z.string(), z.number().int()),
});
export type HitCounts = z.infer<typeof HitCountsSchema>;
