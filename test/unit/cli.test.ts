// The palisade command line: what people type is parsed here (ports, profiles, durations,
// on/off words), and every usage mistake ends with exit code 2 and a helpful line *before* the
// CLI ever touches the system bus. Proof: the bus address points at a socket that does not exist,
// so any connection attempt would turn into exit 1 "cannot reach the system bus".
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { UsageError, formatPortSpec, onOff, parseDuration, parsePortSpec, parseProfiles } from '../../electron/cli/args';
import { EXIT, main } from '../../electron/cli/main';
import { COMMANDS } from '../../electron/cli/commands';
import { FirewallClient } from '../../electron/client/firewall-client';
import type { PortRange, RuleProtocol } from '../../shared/policy/schema';

/** What a call threw (fails the test when it returns). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a UsageError, but the call returned');
}

// ---------------------------------------------------------------------------------------------
// args.ts

describe('parsePortSpec', () => {
  const good: [string, PortRange, RuleProtocol][] = [
    ['8000', { from: 8000, to: 8000 }, 'both'],
    ['8000-8010', { from: 8000, to: 8010 }, 'both'],
    ['22/tcp', { from: 22, to: 22 }, 'tcp'],
    ['5353/udp', { from: 5353, to: 5353 }, 'udp'],
    ['60000-61000/udp', { from: 60000, to: 61000 }, 'udp'],
    ['1', { from: 1, to: 1 }, 'both'],
    ['65535/tcp', { from: 65535, to: 65535 }, 'tcp'],
    ['1-65535', { from: 1, to: 65535 }, 'both'],
    ['22/TCP', { from: 22, to: 22 }, 'tcp'],
    [' 443/tcp ', { from: 443, to: 443 }, 'tcp'],
    ['80-80', { from: 80, to: 80 }, 'both'],
  ];
  it.each(good)('%j', (text, ports, protocol) => {
    expect(parsePortSpec(text)).toEqual({ ports, protocol });
  });

  const bad: [string, string][] = [
    ['', 'is not a port'],
    ['http', 'is not a port'],
    ['22/icmp', 'is not a port'],
    ['22/', 'is not a port'],
    ['/tcp', 'is not a port'],
    ['-22', 'is not a port'],
    ['8000-', 'is not a port'],
    ['80,443', 'is not a port'],
    ['22 tcp', 'is not a port'],
    ['123456', 'is not a port'],
    ['0', 'port 0 is out of range (1–65535)'],
    ['0-10', 'port 0 is out of range'],
    ['65536', 'port 65536 is out of range'],
    ['99999/udp', 'port 99999 is out of range'],
    ['1-70000', 'port 70000 is out of range'],
    ['10-5', 'the range must go from low to high'],
  ];
  it.each(bad)('%j is a UsageError: %s', (text, says) => {
    const err = thrown(() => parsePortSpec(text));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(says);
  });

  it('the "not a port" message shows the forms to use', () => {
    expect(thrown(() => parsePortSpec('http')).message).toBe('"http" is not a port: use PORT, PORT-PORT, and optionally /tcp or /udp (e.g. 8000-8010/tcp)');
  });

  it('property: any text either parses to a valid range or is a UsageError', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\d{1,6}(-\d{1,6})?(\/(tcp|udp|sctp))?$/)), (text) => {
      let result: ReturnType<typeof parsePortSpec> | undefined;
      try {
        result = parsePortSpec(text);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return;
      }
      expect(result.ports.from).toBeGreaterThanOrEqual(1);
      expect(result.ports.to).toBeLessThanOrEqual(65535);
      expect(result.ports.from).toBeLessThanOrEqual(result.ports.to);
    }), { numRuns: 500 });
  });
});

describe('formatPortSpec', () => {
  it('prints a single port or a range with its protocol', () => {
    expect(formatPortSpec({ from: 22, to: 22 }, 'tcp')).toBe('22/tcp');
    expect(formatPortSpec({ from: 8000, to: 8010 }, 'udp')).toBe('8000-8010/udp');
    expect(formatPortSpec({ from: 8000, to: 8000 }, 'both')).toBe('8000/tcp+udp');
  });

  const range = fc.tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }))
    .map(([a, b]): PortRange => ({ from: Math.min(a, b), to: Math.max(a, b) }));

  it('property: parsePortSpec(formatPortSpec(tcp or udp)) gives the same ports and protocol', () => {
    fc.assert(fc.property(range, fc.constantFrom<RuleProtocol>('tcp', 'udp'), (ports, protocol) => {
      expect(parsePortSpec(formatPortSpec(ports, protocol))).toEqual({ ports, protocol });
    }), { numRuns: 500 });
  });

  it('a TCP+UDP rule as "palisade rules" prints it parses back (so it can be pasted into "port remove")', () => {
    const ports = { from: 8000, to: 8010 };
    expect(parsePortSpec(formatPortSpec(ports, 'both'))).toEqual({ ports, protocol: 'both' });
  });
});

describe('parseProfiles', () => {
  const good: [string, string[]][] = [
    ['private', ['private']],
    ['public', ['public']],
    ['private,public', ['private', 'public']],
    ['public,private', ['public', 'private']],
    [' private , public ', ['private', 'public']],
    ['Private', ['private']],
    ['private,private', ['private']],
    ['private,', ['private']],
    ['all', ['private', 'public']],
    [' all ', ['private', 'public']],
  ];
  it.each(good)('%j', (text, expected) => {
    expect(parseProfiles(text)).toEqual(expected);
  });

  it('"all" is case-insensitive like the profile names ("ALL", "All")', () => {
    expect(parseProfiles('ALL')).toEqual(['private', 'public']);
    expect(parseProfiles('All')).toEqual(['private', 'public']);
  });

  const bad: [string, string][] = [
    ['', '--profile needs private, public, or both separated by a comma'],
    [' , ', '--profile needs private, public, or both'],
    ['work', 'unknown profile "work": use private, public or all'],
    ['private,domain', 'unknown profile "domain"'],
  ];
  it.each(bad)('%j is a UsageError: %s', (text, says) => {
    const err = thrown(() => parseProfiles(text));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(says);
  });
});

describe('parseDuration', () => {
  const good: [string, number][] = [
    ['90s', 90], ['10m', 600], ['1h', 3600], ['2d', 172800], ['45', 45], ['1', 1], ['5 m', 300], [' 2H ', 7200], ['0030s', 30],
  ];
  it.each(good)('%j → %i s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  const bad: [string, string][] = [
    ['', 'is not a duration: use e.g. 90s, 10m, 1h or 2d'],
    ['h', 'is not a duration'],
    ['1w', 'is not a duration'],
    ['1.5h', 'is not a duration'],
    ['-5m', 'is not a duration'],
    ['1h30m', 'is not a duration'],
    ['0', 'a duration must be longer than zero'],
    ['0s', 'a duration must be longer than zero'],
    ['0d', 'a duration must be longer than zero'],
  ];
  it.each(bad)('%j is a UsageError: %s', (text, says) => {
    const err = thrown(() => parseDuration(text));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(says);
  });

  it('property: N followed by a unit is N times the unit in seconds', () => {
    const units = { s: 1, m: 60, h: 3600, d: 86400 } as const;
    fc.assert(fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('s', 'm', 'h', 'd' as const), (n, unit) => {
      expect(parseDuration(`${n}${unit}`)).toBe(n * units[unit]);
    }));
  });
});

describe('onOff', () => {
  it('reads the two words', () => {
    expect(onOff('on', 'on', 'off')).toBe(true);
    expect(onOff('off', 'on', 'off')).toBe(false);
    expect(onOff('up', 'up', 'down')).toBe(true);
    expect(onOff('down', 'up', 'down')).toBe(false);
  });

  it('anything else is a UsageError naming both words and what was typed', () => {
    const err = thrown(() => onOff('maybe', 'on', 'off'));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe('expected "on" or "off", not "maybe"');
    expect(thrown(() => onOff('ON', 'on', 'off'))).toBeInstanceOf(UsageError);
    expect(thrown(() => onOff('on', 'up', 'down')).message).toBe('expected "up" or "down", not "on"');
  });

  it('a missing word is a UsageError without a "not …" part', () => {
    const err = thrown(() => onOff(undefined, 'up', 'down'));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe('expected "up" or "down"');
  });
});

// ---------------------------------------------------------------------------------------------
// main.ts

const NO_BUS = 'unix:path=/nonexistent/socket';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('main', () => {
  const saved = new Map<string, string | undefined>();
  let ttyDescriptor: PropertyDescriptor | undefined;
  let connect: ReturnType<typeof vi.spyOn>;

  beforeEach(() => {
    for (const name of ['DBUS_SYSTEM_BUS_ADDRESS', 'SSH_CONNECTION']) saved.set(name, process.env[name]);
    process.env.DBUS_SYSTEM_BUS_ADDRESS = NO_BUS;
    // Not over SSH: otherwise a change would first ask the helper whether it cuts the caller off.
    delete process.env.SSH_CONNECTION;
    // Not a terminal: no pkttyagent is started for changes.
    ttyDescriptor = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
    Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true, writable: true });
    connect = vi.spyOn(FirewallClient, 'connect');
  });

  afterEach(() => {
    connect.mockRestore();
    if (ttyDescriptor) Object.defineProperty(process.stdin, 'isTTY', ttyDescriptor);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
    // Put the environment back exactly: a variable that was unset is unset again.
    const env = process.env;
    for (const [name, value] of saved) {
      if (value !== undefined) env[name] = value;
      else Reflect.deleteProperty(env, name);
    }
  });

  /** A usage error: exit 2, the reason on stderr, nothing on stdout, and no bus connection. */
  function expectUsage(result: Run, says: string | RegExp): void {
    expect(result.err).not.toContain('cannot reach the system bus');
    expect(result.code).toBe(EXIT.usage);
    expect(connect).not.toHaveBeenCalled();
    expect(result.out).toBe('');
    if (typeof says === 'string') expect(result.err).toContain(says);
    else expect(result.err).toMatch(says);
  }

  it('exit codes are 0 ok, 1 error, 2 usage, 3 not authorized', () => {
    expect(EXIT).toEqual({ ok: 0, error: 1, usage: 2, notAuthorized: 3 });
  });

  it('no command: exit 2 with the help on stderr', async () => {
    const result = await run();
    expectUsage(result, 'usage: palisade COMMAND [ARGS] [--json]');
  });

  it('an unknown command: exit 2 naming it', async () => {
    expectUsage(await run('frobnicate'), 'palisade: unknown command "frobnicate"');
  });

  it('an unknown option: exit 2 naming it, with the help', async () => {
    const result = await run('status', '--frobnicate');
    expectUsage(result, '--frobnicate');
    expect(result.err).toContain('usage: palisade COMMAND');
  });

  it('an option missing its value: exit 2', async () => {
    expectUsage(await run('stealth', 'on', '--profile'), '--profile');
  });

  describe('bad values are usage errors', () => {
    const cases: [string[], string][] = [
      [['port', 'allow', '0'], 'port 0 is out of range'],
      [['port', 'allow', '70000/tcp'], 'port 70000 is out of range'],
      [['port', 'block', 'http'], '"http" is not a port'],
      [['port', 'allow', '10-5'], 'the range must go from low to high'],
      [['port', 'allow', '22/tcp', '--profile', 'work'], 'unknown profile "work"'],
      [['port', 'block', '22', '--always-open'], '--always-open only goes with "port allow"'],
      [['port', 'allow', '22', '--profile', 'private', '--for', 'a while'], '"a while" is not a duration'],
      [['port', 'frob', '22'], 'usage: palisade port'],
      [['stealth', 'on', '--profile', 'work'], 'unknown profile "work"'],
      [['stealth', 'maybe'], 'expected "on" or "off", not "maybe"'],
      [['shields', 'on'], 'expected "up" or "down", not "on"'],
      [['ping', 'yes'], 'expected "on" or "off"'],
      [['firewall', 'off', '--profile', ''], '--profile needs private, public'],
      [['app', 'frob', '/usr/bin/firefox'], 'usage: palisade app'],
      [['network', 'set', 'nm:x', 'work'], 'unknown profile "work"'],
      [['network', 'set', 'nm:x', 'private,public'], 'a network has one profile'],
      [['network', 'frob'], 'usage: palisade network'],
      [['policy', 'frob'], 'usage: palisade policy'],
      [['prompt', 'maybe', 'p1'], 'usage: palisade prompt'],
      [['prompt', 'allow', 'p1', '--profile', 'work'], 'unknown profile "work"'],
    ];
    it.each(cases)('palisade %j → 2: %s', async (argv, says) => {
      expectUsage(await run(...argv), says);
    });

    it('an app that is not an app identity is a usage error too (exit 2, saying what to type)', async () => {
      expectUsage(await run('app', 'allow', 'firefox'), 'Use an absolute path, "INTERPRETER SCRIPT", flatpak:ID, snap:NAME or appimage:NAME');
    });
  });

  describe('wrong number of arguments, for every command', () => {
    // Too few and too many for each command; a command added to COMMANDS must be added here.
    const ARITY: Record<string, string[][]> = {
      status: [['extra']],
      stealth: [[], ['on', 'off']],
      shields: [[], ['up', 'down']],
      ping: [[], ['on', 'off']],
      firewall: [[], ['on', 'off']],
      app: [[], ['allow'], ['allow', 'python3', '/opt/x.py', 'extra']],
      apps: [['extra']],
      port: [[], ['allow'], ['allow', '22', '23']],
      rules: [['extra']],
      network: [[], ['list', 'extra'], ['set', 'nm:x'], ['set', 'nm:x', 'private', 'extra'], ['forget'], ['forget', 'a', 'b']],
      sockets: [['extra']],
      exposure: [['extra']],
      ruleset: [['extra']],
      policy: [[], ['export', 'a', 'b'], ['import'], ['import', 'a', 'b']],
      prompts: [['extra']],
      prompt: [[], ['allow'], ['allow', 'p1', 'p2']],
      confirm: [[], ['c1', 'c2']],
    };

    it('the table covers every command', () => {
      expect(Object.keys(ARITY).sort()).toEqual(Object.keys(COMMANDS).sort());
    });

    const cases = Object.entries(ARITY).flatMap(([command, argLists]) => argLists.map((args) => [command, args] as const));
    it.each(cases)('palisade %s %j → 2 without touching the bus', async (command, args) => {
      expectUsage(await run(command, ...args), /usage/);
    });
  });

  describe('--help', () => {
    it.each([['--help'], ['-h'], ['status', '--help']])('palisade %s → 0 and every command\'s help line on stdout', async (...argv) => {
      const result = await run(...argv);
      expect(result.code).toBe(EXIT.ok);
      expect(result.err).toBe('');
      expect(connect).not.toHaveBeenCalled();
      expect(result.out).toContain('usage: palisade COMMAND [ARGS] [--json]');
      for (const entry of Object.values(COMMANDS)) expect(result.out).toContain(entry.help);
    });

    it('the help names the options', async () => {
      const { out } = await run('--help');
      for (const option of ['--json', '--profile', '--confirm-within', '--yes', '--no-ask-password']) expect(out).toContain(option);
    });
  });

  describe('with the system bus unreachable', () => {
    const reads = [['status'], ['apps'], ['rules'], ['sockets', '--listening'], ['exposure'], ['ruleset'], ['prompts'], ['network', 'list'], ['status', '--json']];
    it.each(reads)('palisade %s → 1 with a plain message naming the bus', async (...argv) => {
      const result = await run(...argv);
      expect(result.code).toBe(EXIT.error);
      expect(connect).toHaveBeenCalledTimes(1);
      expect(result.out).toBe('');
      expect(result.err).toMatch(/^palisade: cannot reach the system bus \(unix:path=\/nonexistent\/socket\)/);
      expect(result.err).not.toMatch(/\n\s+at /); // a sentence, not a stack trace
    });

    it('a valid change with --profile given also ends with 1 naming the bus', async () => {
      const result = await run('stealth', 'off', '--profile', 'public');
      expect(result.code).toBe(EXIT.error);
      expect(connect).toHaveBeenCalledTimes(1);
      expect(result.err).toContain('cannot reach the system bus (unix:path=/nonexistent/socket)');
    });
  });
});
