// `palisade`: the command-line client of the Palisade helper.
// Exit codes: 0 ok, 1 error, 2 usage, 3 not authorized.
import { parseArgs } from 'node:util';
import { FirewallClient, FirewallError } from '../client/firewall-client';
import { COMMANDS, type Flags } from './commands';
import { UsageError } from './args';
import { IdentityTextError } from '../../shared/policy/identity-text';
import { startTtyAgent } from './polkit-agent';

const CHANGES = new Set(['stealth', 'shields', 'ping', 'firewall', 'app', 'port', 'network', 'policy', 'prompt', 'confirm']);

export const EXIT = { ok: 0, error: 1, usage: 2, notAuthorized: 3 } as const;

function help(): string {
  return [
    'usage: palisade COMMAND [ARGS] [--json]',
    '',
    ...Object.values(COMMANDS).map((c) => `  ${c.help}`),
    '',
    'Options: --json (machine-readable output), --profile private|public|all, --confirm-within 30s',
    '(roll a change back unless confirmed), --yes (no automatic confirmation window over SSH),',
    '--no-ask-password (never ask for a password). Without --profile, a change applies to the',
    'profiles in force on the machine\'s interfaces now; "app block" and "port block" to all.',
  ].join('\n');
}

export async function main(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        profile: { type: 'string' },
        from: { type: 'string', multiple: true, default: [] },
        'always-open': { type: 'boolean', default: false },
        for: { type: 'string' },
        comment: { type: 'string' },
        listening: { type: 'boolean', default: false },
        interface: { type: 'string' },
        'confirm-within': { type: 'string' },
        yes: { type: 'boolean', short: 'y', default: false },
        'no-ask-password': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.err(`palisade: ${(err as Error).message}\n\n${help()}`);
    return EXIT.usage;
  }
  const [command, ...args] = parsed.positionals;
  if (parsed.values.help || !command) {
    (parsed.values.help ? io.out : io.err)(help());
    return parsed.values.help ? EXIT.ok : EXIT.usage;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    io.err(`palisade: unknown command "${command}"\n\n${help()}`);
    return EXIT.usage;
  }
  const v = parsed.values;
  const isTTY = Boolean(process.stdin.isTTY);
  const interactive = isTTY && !v['no-ask-password'];
  const flags: Flags = {
    json: v.json, from: v.from, alwaysOpen: v['always-open'], listening: v.listening, yes: v.yes, interactive,
    ...(v.profile !== undefined ? { profile: v.profile } : {}), ...(v.for !== undefined ? { for: v.for } : {}),
    ...(v.comment !== undefined ? { comment: v.comment } : {}), ...(v.interface !== undefined ? { interface: v.interface } : {}),
    ...(v['confirm-within'] !== undefined ? { confirmWithin: v['confirm-within'] } : {}),
  };
  let connection: Promise<FirewallClient> | undefined;
  const client: Pick<FirewallClient, 'call'> = {
    call: async (method, callArgs, opts) => {
      connection ??= FirewallClient.connect();
      return (await connection).call(method, callArgs, opts);
    },
  };
  const agent = interactive && CHANGES.has(command) && process.getuid?.() !== 0 ? await startTtyAgent() : undefined;
  try {
    await entry.run({ client, args, flags, print: io.out, env: process.env, isTTY });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError || err instanceof IdentityTextError) {
      io.err(`palisade: ${err.message}`);
      return EXIT.usage;
    }
    if (err instanceof FirewallError) {
      io.err(`palisade: ${err.message}`);
      return err.code === 'access-denied' ? EXIT.notAuthorized : EXIT.error;
    }
    io.err(`palisade: ${(err as Error).message ?? String(err)}`);
    return EXIT.error;
  } finally {
    if (connection) await connection.then((c) => c.close(), () => undefined);
    agent?.kill();
  }
}
