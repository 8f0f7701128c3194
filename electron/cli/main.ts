// `palisade`: the command-line client of the Palisade helper.
// Exit codes: 0 ok, 1 error, 2 usage, 3 not authorized.
import { parseArgs } from 'node:util';
import { FirewallClient, FirewallError } from '../client/firewall-client';
import { COMMANDS, type CommandContext, type Flags } from './commands';
import { UsageError } from './args';
import { IdentityTextError } from '../../shared/policy/identity-text';
import { startTtyAgent } from './polkit-agent';

const CHANGES = new Set(['stealth', 'shields', 'ping', 'firewall', 'scan-detection', 'anti-spoofing', 'outbound', 'essentials', 'app', 'port', 'network', 'policy', 'prompt', 'confirm']);

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
    '',
    'Durations: 90s, 10m, 1h, 2d. Rates (--limit): COUNT/DURATION, at most COUNT new connections',
    'from one source in that time, e.g. 3/10s; several with commas (3/10s,4/30m) or repeated --limit.',
    'A source over a rate is blocked on that rule for --limit-block (default: the longest period).',
    'Knocks (--knock): PORT/tcp or PORT/udp in order, each within --knock-window (default 10s) of',
    'the last; the port then opens for the knocking address for --knock-open (default 30s).',
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
        out: { type: 'boolean', default: false },
        to: { type: 'string', multiple: true, default: [] },
        knock: { type: 'string' },
        'knock-window': { type: 'string' },
        'knock-open': { type: 'string' },
        limit: { type: 'string', multiple: true, default: [] },
        'limit-block': { type: 'string' },
        preset: { type: 'string' },
        follow: { type: 'boolean', short: 'f', default: false },
        ports: { type: 'string' },
        within: { type: 'string' },
        block: { type: 'string' },
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
    out: v.out, to: v.to, limit: v.limit, follow: v.follow,
    ...(v.knock !== undefined ? { knock: v.knock } : {}), ...(v['knock-window'] !== undefined ? { knockWindow: v['knock-window'] } : {}),
    ...(v['knock-open'] !== undefined ? { knockOpen: v['knock-open'] } : {}), ...(v['limit-block'] !== undefined ? { limitBlock: v['limit-block'] } : {}),
    ...(v.preset !== undefined ? { preset: v.preset } : {}), ...(v.ports !== undefined ? { ports: v.ports } : {}),
    ...(v.within !== undefined ? { within: v.within } : {}), ...(v.block !== undefined ? { block: v.block } : {}),
  };
  let connection: Promise<FirewallClient> | undefined;
  const connected = () => (connection ??= FirewallClient.connect());
  const client: CommandContext['client'] = {
    call: async (method, callArgs, opts) => (await connected()).call(method, callArgs, opts),
    on: async (signal, listener) => (await connected()).on(signal, listener),
    watchHelper: async (listener) => (await connected()).watchHelper(listener),
  };
  const stopWatchers: (() => void)[] = [];
  /** SIGINT or SIGTERM (or stdout closing under a pager or `head`) end a command that runs until stopped, with exit 0. */
  const untilStopped = () => new Promise<void>((resolve) => {
    const stop = () => { unhook(); resolve(); };
    const unhook = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stdout.off('error', stop);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.stdout.on('error', stop);
    stopWatchers.push(unhook);
  });
  const agent = interactive && CHANGES.has(command) && process.getuid?.() !== 0 ? await startTtyAgent() : undefined;
  try {
    await entry.run({ client, args, flags, print: io.out, env: process.env, isTTY, untilStopped });
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
    for (const unhook of stopWatchers) unhook();
    if (connection) await connection.then((c) => c.close(), () => undefined);
    agent?.kill();
  }
}
