// Ready-made rules for what the source articles build by hand. One definition, used by the CLI
// (`palisade port allow --preset ssh`) and the Rules screen ("SSH with brute-force protection").
import type { z } from 'zod';
import type { ProfileName, RateLimit } from './schema';
import type { NewPortRuleSchema } from './edits';

export type NewPortRule = z.input<typeof NewPortRuleSchema>;

/** The source article's SSH limits: at most 3 new connections in 10 seconds and 4 in 30 minutes per source; over that, 30 minutes blocked. */
export const SSH_BRUTE_FORCE_LIMIT: RateLimit = {
  rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }],
  blockSeconds: 1800,
};

export const PRESETS = {
  ssh: {
    title: 'SSH with brute-force protection',
    rule: (profiles: ProfileName[]): NewPortRule => ({
      action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles,
      limit: SSH_BRUTE_FORCE_LIMIT, comment: 'SSH with brute-force protection',
    }),
  },
} as const;

export type PresetName = keyof typeof PRESETS;
