// The palisade command line: what people type is parsed here (ports, profiles, durations,
// on/off words), and every usage mistake ends with exit code 2 and a helpful line *before* the
// CLI ever touches the system bus. Proof: the bus address points at a socket that does not exist,
// so any connection attempt would turn into exit 1 "cannot reach the system bus".
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import {
  UsageError, formatDuration, formatKnocks, formatPortSpec, formatRates, onOff, parseCount, parseDuration, parseKnocks, parsePortSpec, parseProfiles, parseRates,
} from '../../electron/cli/args';
import { EXIT, main } from '../../electron/cli/main';
import {
  COMMANDS, limitOption, logLimit, parseEssentials, portRuleOptions, presetRule, presetSummary, scanDetectionOptions, type CommandContext, type Flags,
} from '../../electron/cli/commands';
import {
  formatApps, formatDecider, formatDropLine, formatDropLog, formatExposure, formatHits, formatRules, formatStatus, formatTimeLeft, withHits,
} from '../../electron/cli/format';
import { FirewallClient, FirewallError } from '../../electron/client/firewall-client';
import type { MethodArgs, MethodName, MethodResult, SignalName, SignalPayload, Status } from '../../shared/dbus/contract';
import type { PolicyEditInput } from '../../shared/policy/edits';
import { PRESETS, SSH_BRUTE_FORCE_LIMIT } from '../../shared/policy/presets';
import { parsePolicy } from '../../shared/policy/validate';
import type { DropEntry, HitCounts } from '../../shared/runtime/droplog';
import type { Policy, PolicyInput, PortRange, RuleProtocol } from '../../shared/policy/schema';

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
      // Knocking, limits, outbound rules, presets (issue 5).
      [['port', 'allow', '22', '--knock', '7001/tcp,,7002'], 'is not a knock sequence'],
      [['port', 'allow', '22', '--knock', '7001/sctp'], '"7001/sctp" is not a knock'],
      [['port', 'allow', '22', '--knock', '70000'], 'knock port 70000 is out of range'],
      [['port', 'allow', '22', '--knock', '1,2,3,4,5,6,7,8,9'], 'at most 8 knocks'],
      [['port', 'allow', '22', '--knock', '7001', '--knock-window', '2h'], '--knock-window can be at most 1h, not 2h'],
      [['port', 'allow', '22', '--knock', '7001', '--knock-open', 'soon'], '"soon" is not a duration'],
      [['port', 'allow', '22', '--knock-window', '10s'], '--knock-window goes with --knock'],
      [['port', 'allow', '22', '--knock-open', '10s'], '--knock-open goes with --knock'],
      [['port', 'allow', '22', '--limit', '3'], '"3" is not a rate: use COUNT/DURATION'],
      [['port', 'allow', '22', '--limit', '0/10s'], 'the count must be from 1 to 100000'],
      [['port', 'allow', '22', '--limit', '3/10x'], '"10x" is not a duration'],
      [['port', 'allow', '22', '--limit', '3/2d'], 'can be at most 1d, not 2d'],
      [['port', 'allow', '22', '--limit', '3/10s', '--limit-block', '8d'], '--limit-block can be at most 7d, not 8d'],
      [['port', 'allow', '22', '--limit', 'off'], '"off" is not a rate'],
      [['port', 'allow', '22', '--limit-block', '30m'], '--limit-block goes with --limit'],
      [['port', 'block', '22', '--knock', '7001'], '--knock only goes with "port allow"'],
      [['port', 'block', '22', '--limit', '3/10s'], '--limit only goes with "port allow"'],
      [['port', 'allow', '53', '--out', '--from', '10.0.0.0/8'], '--from makes no sense with --out'],
      [['port', 'allow', '53', '--to', '10.0.0.0/8'], '--to goes with --out'],
      [['port', 'allow', '53', '--out', '--always-open'], '--always-open only applies to connections coming in; leave out --out'],
      [['port', 'allow', '53', '--out', '--knock', '7001'], '--knock only applies to connections coming in'],
      [['port', 'allow', '53', '--out', '--limit', '3/10s'], '--limit only applies to connections coming in'],
      [['port', 'block', '25', '--out', '--always-open'], '--always-open only goes with "port allow"'],
      [['port', 'allow', '--preset', 'ftp'], 'unknown preset "ftp": the presets are ssh (SSH with brute-force protection)'],
      [['port', 'block', '--preset', 'ssh'], '--preset only goes with "port allow"'],
      [['port', 'allow', '2222', '--preset', 'ssh'], '--preset ssh names its port itself; leave out "2222"'],
      [['port', 'allow', '--preset', 'ssh', '--limit', '1/1m'], 'cannot be combined with --limit'],
      [['port', 'allow', '--preset', 'ssh', '--out'], 'cannot be combined with --out'],
      [['port', 'allow', '--preset', 'ssh', '--profile', 'work'], 'unknown profile "work"'],
      [['port', 'allow', '--preset', 'ssh', '--for', 'ever'], '"ever" is not a duration'],
      // Apps with limits.
      [['app', 'block', '/usr/bin/sshd', '--limit', '3/10s'], '--limit only goes with "app allow"'],
      [['app', 'allow', '/usr/bin/sshd', '--limit-block', '30m'], '--limit-block goes with --limit'],
      [['app', 'allow', '/usr/bin/sshd', '--limit', 'off', '--limit-block', '30m'], '--limit-block makes no sense with --limit off'],
      [['app', 'allow', '/usr/bin/sshd', '--limit', 'lots'], '"lots" is not a rate'],
      [['app', 'limit', '/usr/bin/sshd', 'never'], '"never" is not a rate'],
      [['app', 'limit', '/usr/bin/sshd', '3/10s', '--limit', '4/30m'], '"app limit" takes the rates as an argument'],
      // Profile settings.
      [['scan-detection', 'maybe'], 'expected "on" or "off", not "maybe"'],
      [['scan-detection', 'on', '--ports', '1'], '--ports must be from 2 to 10000, not 1'],
      [['scan-detection', 'on', '--ports', 'many'], '--ports needs a whole number, not "many"'],
      [['scan-detection', 'on', '--within', '2h'], '--within can be at most 1h'],
      [['scan-detection', 'on', '--block', '8d'], '--block can be at most 7d'],
      [['scan-detection', 'on', '--profile', 'work'], 'unknown profile "work"'],
      [['anti-spoofing', 'yes'], 'expected "on" or "off", not "yes"'],
      [['outbound', 'deny'], 'expected "allow" or "block", not "deny"'],
      [['outbound', 'on'], 'expected "allow" or "block", not "on"'],
      [['essentials', 'smtp', 'on'], 'unknown essential "smtp": use dns, dhcp, ntp'],
      [['essentials', 'dns', 'maybe'], 'expected "on" or "off", not "maybe"'],
      // The drop log.
      [['log', '--limit', '0'], '--limit must be from 1 to 10000, not 0'],
      [['log', '--limit', '10001'], '--limit must be from 1 to 10000'],
      [['log', '--limit', '5', '--limit', '6'], 'give --limit once'],
      [['log', '--follow', '--limit', 'all'], '--limit needs a whole number, not "all"'],
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
      'scan-detection': [[], ['on', 'off']],
      'anti-spoofing': [[], ['on', 'off']],
      outbound: [[], ['allow', 'block']],
      essentials: [[], ['dns'], ['dns', 'on', 'off']],
      log: [['extra']],
    };

    it('"app limit" needs the app and the rates, and at most two words of app', async () => {
      expectUsage(await run('app', 'limit'), /usage/);
      expectUsage(await run('app', 'limit', '/usr/bin/sshd'), /usage/);
      expectUsage(await run('app', 'limit', 'python3', '/opt/x.py', '3/10s', 'extra'), /usage/);
    });

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

    it('the help explains the issue 5 options: knocking, limits, outbound, the preset, the log', async () => {
      const { out } = await run('--help');
      for (const option of ['--knock', '--knock-window', '--knock-open', '--limit', '--limit-block', '--out', '--to', '--preset ssh', '--follow', '--ports', '--within', '--block', 'app limit']) {
        expect(out).toContain(option);
      }
      expect(out).toContain(presetSummary('ssh'));
      expect(out).toContain('Durations: 90s, 10m, 1h, 2d');
    });
  });

  describe('with the system bus unreachable', () => {
    const reads = [['status'], ['apps'], ['rules'], ['sockets', '--listening'], ['exposure'], ['ruleset'], ['prompts'], ['network', 'list'], ['status', '--json'], ['log'], ['log', '--json'], ['log', '--follow']];
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

// ---------------------------------------------------------------------------------------------
// Issue 5: knocking, limits, outbound rules, presets, profile protections, the drop log, hit counts

describe('formatDuration', () => {
  it.each([[1, '1s'], [45, '45s'], [60, '1m'], [90, '90s'], [600, '10m'], [1800, '30m'], [3600, '1h'], [5400, '90m'], [86400, '1d'], [90000, '25h'], [604800, '7d']])('%i s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('property: parseDuration reads back what formatDuration writes', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 30 * 86400 }), (seconds) => {
      expect(parseDuration(formatDuration(seconds))).toBe(seconds);
    }), { numRuns: 1000 });
  });
});

describe('parseKnocks', () => {
  it('reads ports with their protocols, in order; a knock without a protocol is TCP', () => {
    expect(parseKnocks('7001/tcp,7002/udp,7003/tcp')).toEqual([{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }, { protocol: 'tcp', port: 7003 }]);
    expect(parseKnocks('7001')).toEqual([{ protocol: 'tcp', port: 7001 }]);
    expect(parseKnocks(' 7001/UDP , 7001/tcp ')).toEqual([{ protocol: 'udp', port: 7001 }, { protocol: 'tcp', port: 7001 }]);
    expect(parseKnocks('1,2,3,4,5,6,7,8')).toHaveLength(8);
  });

  const bad: [string, string][] = [
    ['', 'is not a knock sequence'],
    ['7001,', 'is not a knock sequence'],
    ['7001-7003', '"7001-7003" is not a knock: use PORT/tcp or PORT/udp, one port each'],
    ['7001/icmp', 'is not a knock'],
    ['knock', 'is not a knock'],
    ['0/tcp', 'knock port 0 is out of range (1–65535)'],
    ['65536', 'knock port 65536 is out of range'],
    ['1,2,3,4,5,6,7,8,9', 'a knock sequence has at most 8 knocks, not 9'],
  ];
  it.each(bad)('%j is a UsageError: %s', (text, says) => {
    const err = thrown(() => parseKnocks(text));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(says);
  });

  it('property: formatKnocks and parseKnocks round-trip', () => {
    const knock = fc.record({ protocol: fc.constantFrom('tcp' as const, 'udp' as const), port: fc.integer({ min: 1, max: 65535 }) });
    fc.assert(fc.property(fc.array(knock, { minLength: 1, maxLength: 8 }), (sequence) => {
      expect(parseKnocks(formatKnocks(sequence))).toEqual(sequence);
    }));
  });
});

describe('parseRates', () => {
  it('reads COUNT/DURATION, several by commas or repeated options, and a bare unit as one of it', () => {
    expect(parseRates(['3/10s'])).toEqual([{ count: 3, seconds: 10 }]);
    expect(parseRates(['3/10s,4/30m'])).toEqual([{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }]);
    expect(parseRates(['3/10s', '4/30m'])).toEqual([{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }]);
    expect(parseRates(['10/m', '100/H', '5 / 1d'])).toEqual([{ count: 10, seconds: 60 }, { count: 100, seconds: 3600 }, { count: 5, seconds: 86400 }]);
    expect(parseRates(['20/45'])).toEqual([{ count: 20, seconds: 45 }]);
  });

  const bad: [string[], string][] = [
    [[], '--limit needs COUNT/DURATION'],
    [[''], '--limit needs COUNT/DURATION'],
    [['3/10s,'], '--limit needs COUNT/DURATION'],
    [['3'], '"3" is not a rate: use COUNT/DURATION, like 3/10s'],
    [['/10s'], 'is not a rate'],
    [['three/10s'], 'is not a rate'],
    [['0/10s'], '"0/10s": the count must be from 1 to 100000'],
    [['100001/1d'], 'the count must be from 1 to 100000'],
    [['3/0s'], 'a duration must be longer than zero'],
    [['3/2d'], 'the period of "3/2d" can be at most 1d, not 2d'],
    [['3/1w'], '"1w" is not a duration'],
    [['1/1s,2/2s,3/3s,4/4s,5/5s'], 'at most 4 rates in --limit, not 5'],
    [['1/1s,2/2s', '3/3s,4/4s', '5/5s'], 'at most 4 rates'],
  ];
  it.each(bad)('%j is a UsageError: %s', (texts, says) => {
    const err = thrown(() => parseRates(texts));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(says);
  });

  it('property: formatRates and parseRates round-trip', () => {
    const rate = fc.record({ count: fc.integer({ min: 1, max: 100_000 }), seconds: fc.integer({ min: 1, max: 86400 }) });
    fc.assert(fc.property(fc.array(rate, { minLength: 1, maxLength: 4 }), (rates) => {
      expect(parseRates([formatRates(rates)])).toEqual(rates);
    }));
  });
});

describe('parseCount', () => {
  it.each([['2', 2], [' 10 ', 10]])('%j → %i', (text, n) => { expect(parseCount(text, '--ports', 2, 10)).toBe(n); });
  it.each([['1', '--ports must be from 2 to 10, not 1'], ['11', 'not 11'], ['2.5', '--ports needs a whole number, not "2.5"'], ['-3', 'needs a whole number'], ['', 'needs a whole number']])('%j: %s', (text, says) => {
    const err = thrown(() => parseCount(text, '--ports', 2, 10));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(says);
  });
});

/** Flags as main() makes them when none are given. */
function flags(over: Partial<Flags> = {}): Flags {
  return { json: false, from: [], alwaysOpen: false, listening: false, yes: false, interactive: false, out: false, to: [], limit: [], follow: false, ...over };
}

describe('portRuleOptions', () => {
  it('an inbound rule by default, remote networks from --from', () => {
    expect(portRuleOptions(flags({ from: ['10.0.0.0/8'] }), 'allow')).toEqual({ direction: 'in', remote: ['10.0.0.0/8'], alwaysOpen: false });
    expect(portRuleOptions(flags(), 'block')).toEqual({ direction: 'in', remote: [], alwaysOpen: false });
  });

  it('--out: an outbound rule whose remote networks come from --to', () => {
    expect(portRuleOptions(flags({ out: true, to: ['192.0.2.0/24', '2001:db8::/32'] }), 'block')).toEqual({ direction: 'out', remote: ['192.0.2.0/24', '2001:db8::/32'], alwaysOpen: false });
    expect(portRuleOptions(flags({ out: true }), 'allow')).toEqual({ direction: 'out', remote: [], alwaysOpen: false });
  });

  it('--knock alone gets a 10 s window between knocks and 30 s open', () => {
    expect(portRuleOptions(flags({ knock: '7001/tcp,7002/udp,7003/tcp' }), 'allow').knock).toEqual({
      sequence: [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }, { protocol: 'tcp', port: 7003 }], windowSeconds: 10, openSeconds: 30,
    });
  });

  it('--knock-window and --knock-open set the times', () => {
    expect(portRuleOptions(flags({ knock: '7001', knockWindow: '5s', knockOpen: '2m' }), 'allow').knock).toEqual({ sequence: [{ protocol: 'tcp', port: 7001 }], windowSeconds: 5, openSeconds: 120 });
  });

  it('--limit without --limit-block blocks for the longest period; --limit-block says otherwise', () => {
    expect(portRuleOptions(flags({ limit: ['3/10s,4/30m'] }), 'allow').limit).toEqual({ rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 1800 });
    expect(portRuleOptions(flags({ limit: ['3/10s'] }), 'allow').limit).toEqual({ rates: [{ count: 3, seconds: 10 }], blockSeconds: 10 });
    expect(portRuleOptions(flags({ limit: ['3/10s', '4/30m'], limitBlock: '2h' }), 'allow').limit).toEqual({ rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 7200 });
  });

  it('knocking, limits and "always open" together on one inbound allow rule', () => {
    expect(portRuleOptions(flags({ knock: '7001', limit: ['3/10s'], alwaysOpen: true }), 'allow')).toMatchObject({ alwaysOpen: true, knock: { openSeconds: 30 }, limit: { blockSeconds: 10 } });
  });

  // Every inbound-only option against block and against --out.
  const inboundOnly: [string, Partial<Flags>][] = [
    ['--always-open', { alwaysOpen: true }], ['--knock', { knock: '7001' }], ['--limit', { limit: ['3/10s'] }],
    ['--knock-window', { knock: '7001', knockWindow: '5s' }], ['--knock-open', { knock: '7001', knockOpen: '5s' }], ['--limit-block', { limit: ['3/10s'], limitBlock: '5m' }],
  ];
  it.each(inboundOnly)('%s with "port block" or --out is a usage error naming the option', (option, over) => {
    const first = Object.keys(over).length > 1 && option !== '--always-open' ? option.replace(/-(window|open|block)$/, '') : option;
    const blocked = thrown(() => portRuleOptions(flags(over), 'block'));
    expect(blocked).toBeInstanceOf(UsageError);
    expect(blocked.message).toBe(`${first === '--knock' || first === '--limit' ? first : option} only goes with "port allow"`);
    const out = thrown(() => portRuleOptions(flags({ ...over, out: true }), 'allow'));
    expect(out).toBeInstanceOf(UsageError);
    expect(out.message).toMatch(/only applies to connections coming in; leave out --out$/);
  });

  it('--from with --out, and --to without it, are usage errors that say which to use', () => {
    expect(thrown(() => portRuleOptions(flags({ out: true, from: ['10.0.0.0/8'] }), 'allow')).message).toBe('--from makes no sense with --out: an outbound rule is about where connections go; name those networks with --to');
    expect(thrown(() => portRuleOptions(flags({ to: ['10.0.0.0/8'] }), 'block')).message).toBe('--to goes with --out (outbound rules); for connections coming in, use --from');
  });
});

describe('presetRule', () => {
  it('--preset ssh is the SSH rule with brute-force protection, on the given profiles', () => {
    const rule = presetRule(flags({ preset: 'ssh' }), ['allow'], ['private', 'public']);
    expect(rule).toEqual({ ...PRESETS.ssh.rule(['private', 'public']), remote: [] });
    expect(rule).toMatchObject({ action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, limit: SSH_BRUTE_FORCE_LIMIT });
  });

  it('keeps --from and --comment; the name is case-insensitive', () => {
    expect(presetRule(flags({ preset: 'SSH', from: ['192.168.0.0/16'], comment: 'admin' }), ['allow'], ['private'])).toMatchObject({ remote: ['192.168.0.0/16'], comment: 'admin', profiles: ['private'] });
  });

  it('presetSummary says what the preset allows', () => {
    expect(presetSummary('ssh')).toBe('SSH with brute-force protection: 22/tcp, limit 3/10s,30m (then blocked 30m)'.replace('3/10s,30m', '3/10s,4/30m'));
  });
});

describe('limitOption', () => {
  it('no --limit keeps what there is (undefined); "off" removes (null) where allowed', () => {
    expect(limitOption(flags(), true)).toBeUndefined();
    expect(limitOption(flags({ limit: ['off'] }), true)).toBeNull();
    expect(limitOption(flags({ limit: ['OFF'] }), true)).toBeNull();
    expect(thrown(() => limitOption(flags({ limit: ['off'] }), false)).message).toContain('"off" is not a rate');
    expect(limitOption(flags({ limit: ['3/10s', '4/30m'], limitBlock: '1h' }), true)).toEqual({ rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 3600 });
  });
});

describe('logLimit, parseEssentials, scanDetectionOptions', () => {
  it('log shows 50 entries, --follow starts with the last 10; --follow --limit 0 shows only new ones', () => {
    expect(logLimit(flags())).toBe(50);
    expect(logLimit(flags({ follow: true }))).toBe(10);
    expect(logLimit(flags({ limit: ['200'] }))).toBe(200);
    expect(logLimit(flags({ follow: true, limit: ['0'] }))).toBe(0);
    expect(thrown(() => logLimit(flags({ limit: ['0'] }))).message).toBe('--limit must be from 1 to 10000, not 0');
  });

  it('essentials: names, lists and "all"', () => {
    expect(parseEssentials('dns')).toEqual(['dns']);
    expect(parseEssentials('DNS, ntp,dns')).toEqual(['dns', 'ntp']);
    expect(parseEssentials('all')).toEqual(['dns', 'dhcp', 'ntp']);
    expect(thrown(() => parseEssentials('dns,,ntp')).message).toContain('unknown essential ""');
  });

  it('scan detection: only the options given', () => {
    expect(scanDetectionOptions({})).toEqual({});
    expect(scanDetectionOptions({ ports: '10', within: '3s', block: '1h' })).toEqual({ ports: 10, withinSeconds: 3, blockSeconds: 3600 });
  });
});

// ---------------------------------------------------------------------------------------------
// Commands against a stand-in for the helper: the edits they send and what they print.

interface FakeHelper {
  ctx: CommandContext;
  calls: { method: MethodName; args: unknown }[];
  edits: () => PolicyEditInput[];
  out: string[];
  emit: (entries: DropEntry[]) => void;
  helperGone: () => void;
  stop: () => void;
}

function policyOf(input: Partial<PolicyInput> = {}): Policy {
  return parsePolicy({ version: 1, ...input });
}

function statusOf(policy: Policy, profiles: ('private' | 'public')[] = ['public']): Status {
  return {
    version: '0.1.0', revision: 7, policy: { path: '/etc/palisade/policy.json', source: 'file' }, profiles: policy.profiles,
    interfaces: profiles.map((profile, i) => ({ name: `eth${i}`, profile, pinned: false, addresses: [`10.0.${i}.5`] })),
    networkSource: 'gateway', resolvers: ['10.0.0.1'], counts: { apps: policy.apps.length, portRules: policy.portRules.length, listening: 0, prompts: 0 },
  };
}

function fakeHelper(argv: string[], opts: { policy?: Policy; hits?: HitCounts | 'unsupported'; log?: DropEntry[]; flags?: Partial<Flags>; inForce?: ('private' | 'public')[] } = {}): FakeHelper {
  const policy = opts.policy ?? policyOf();
  const calls: FakeHelper['calls'] = [];
  const out: string[] = [];
  const listeners = new Set<(e: DropEntry[]) => void>();
  const owners = new Set<(present: boolean) => void>();
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => { stop = resolve; });
  const answers: { [M in MethodName]?: (args: never) => unknown } = {
    GetStatus: () => statusOf(policy, opts.inForce),
    GetPolicy: () => policy,
    GetHitCounts: () => {
      if (opts.hits === 'unsupported') throw new FirewallError('protocol', 'GetHitCounts: unknown method');
      return opts.hits ?? { port: {}, app: {}, profile: {} };
    },
    GetDropLog: (args: { limit: number }) => (opts.log ?? []).slice(-args.limit),
    ChangePolicy: () => ({ revision: 8 }),
  };
  const client: CommandContext['client'] = {
    call: async <M extends MethodName>(method: M, args: MethodArgs<M>) => {
      calls.push({ method, args });
      const answer = answers[method];
      if (!answer) throw new Error(`unexpected call ${method}`);
      return answer(args as never) as MethodResult<M>;
    },
    on: async <S extends SignalName>(signal: S, listener: (payload: SignalPayload<S>) => void) => {
      expect(signal).toBe('DropsLogged');
      const l = listener as unknown as (e: DropEntry[]) => void;
      listeners.add(l);
      return () => { listeners.delete(l); };
    },
    watchHelper: async (listener) => {
      owners.add(listener);
      return () => { owners.delete(listener); };
    },
  };
  const [, ...args] = argv;
  const ctx: CommandContext = { client, args, flags: flags(opts.flags), print: (t) => out.push(t), env: {}, isTTY: false, untilStopped: () => stopped };
  return {
    ctx, calls, out,
    edits: () => calls.filter((c) => c.method === 'ChangePolicy').flatMap((c) => (c.args as { edits: PolicyEditInput[] }).edits),
    emit: (entries) => { for (const l of listeners) l(entries); },
    helperGone: () => { for (const l of owners) l(false); },
    stop,
  };
}

async function runFake(argv: string[], opts: Parameters<typeof fakeHelper>[1] = {}): Promise<FakeHelper> {
  const h = fakeHelper(argv, opts);
  const entry = COMMANDS[argv[0] as string];
  if (!entry) throw new Error(`no command ${argv[0]}`);
  await entry.run(h.ctx);
  return h;
}

describe('port allow|block with the issue 5 options', () => {
  it('--knock and --limit become one inbound allow rule on the profiles in force', async () => {
    const h = await runFake(['port', 'allow', '22/tcp'], { flags: { knock: '7001/tcp,7002/udp,7003/tcp', knockWindow: '5s', knockOpen: '1m', limit: ['3/10s,4/30m'] }, inForce: ['private'] });
    expect(h.edits()).toEqual([{ op: 'addPortRule', rule: {
      action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['private'], direction: 'in', remote: [], alwaysOpen: false,
      knock: { sequence: [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }, { protocol: 'tcp', port: 7003 }], windowSeconds: 5, openSeconds: 60 },
      limit: { rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 1800 },
    } }]);
    expect(h.out.join('\n')).toBe('Allowed 22/tcp on private: knock 7001/tcp,7002/udp,7003/tcp (each within 5s, then open 1m), limit 3/10s,4/30m (then blocked 30m), open while something listens.');
  });

  it('--out --to: an outbound rule (block: on every profile unless --profile says otherwise)', async () => {
    const h = await runFake(['port', 'block', '25/tcp'], { flags: { out: true, to: ['192.0.2.0/24'] } });
    expect(h.edits()).toEqual([{ op: 'addPortRule', rule: { action: 'block', protocol: 'tcp', ports: { from: 25, to: 25 }, profiles: ['private', 'public'], direction: 'out', remote: ['192.0.2.0/24'], alwaysOpen: false } }]);
    expect(h.out.join('\n')).toBe('Blocked outbound connections to 25/tcp on private and public to 192.0.2.0/24.');
  });

  it('--preset ssh sends the preset\'s rule on the --profile profiles, with --for as an expiry', async () => {
    const before = Date.now();
    const h = await runFake(['port', 'allow'], { flags: { preset: 'ssh', profile: 'all', for: '1h' } });
    const [edit] = h.edits() as [Extract<PolicyEditInput, { op: 'addPortRule' }>];
    expect(edit.rule).toMatchObject({ ...PRESETS.ssh.rule(['private', 'public']), remote: [] });
    expect(Date.parse(edit.rule.expires ?? '')).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(h.out.join('\n')).toMatch(/^Allowed 22\/tcp on private and public: SSH with brute-force protection \(limit 3\/10s,4\/30m \(then blocked 30m\), until .+ \(in 1h\)\)\.$/);
  });

  it('port remove by port only removes rules in that direction (--out for outbound ones)', async () => {
    const policy = policyOf({ portRules: [
      { id: 'in53', action: 'allow', protocol: 'udp', ports: { from: 53, to: 53 }, profiles: ['public'] },
      { id: 'out53', direction: 'out', action: 'block', protocol: 'udp', ports: { from: 53, to: 53 }, profiles: ['public'] },
    ] });
    expect((await runFake(['port', 'remove', '53/udp'], { policy })).edits()).toEqual([{ op: 'removePortRule', id: 'in53' }]);
    const out = await runFake(['port', 'remove', '53/udp'], { policy, flags: { out: true } });
    expect(out.edits()).toEqual([{ op: 'removePortRule', id: 'out53' }]);
    expect(out.out.join('')).toBe('Removed out53 (outbound 53/udp).');
  });
});

describe('app allow --limit and app limit', () => {
  const sshd = { kind: 'executable' as const, path: '/usr/sbin/sshd' };

  it('app allow --limit sets the app\'s limits; without --limit the limits stay as they are', async () => {
    const h = await runFake(['app', 'allow', '/usr/sbin/sshd'], { flags: { limit: ['3/10s'], limitBlock: '5m', profile: 'public' } });
    expect(h.edits()).toEqual([{ op: 'setApp', identity: sshd, action: 'allow', profiles: ['public'], limit: { rates: [{ count: 3, seconds: 10 }], blockSeconds: 300 } }]);
    expect(h.out.join('')).toBe('Allowed /usr/sbin/sshd on public, limit 3/10s (then blocked 5m).');
    const keep = await runFake(['app', 'allow', '/usr/sbin/sshd'], { flags: { profile: 'public' } });
    expect(keep.edits()).toEqual([{ op: 'setApp', identity: sshd, action: 'allow', profiles: ['public'] }]);
  });

  it('app allow --limit off removes them', async () => {
    const h = await runFake(['app', 'allow', '/usr/sbin/sshd'], { flags: { limit: ['off'], profile: 'private' } });
    expect(h.edits()).toEqual([{ op: 'setApp', identity: sshd, action: 'allow', profiles: ['private'], limit: null }]);
  });

  it('app limit ID RATES keeps the app\'s profiles; app limit ID off removes the limits', async () => {
    const policy = policyOf({ apps: [{ id: 'app-sshd', name: 'OpenSSH', identity: sshd, action: 'allow', profiles: ['private'] }] });
    const set = await runFake(['app', 'limit', 'app-sshd', '3/10s,4/30m'], { policy });
    expect(set.edits()).toEqual([{ op: 'setApp', identity: sshd, action: 'allow', profiles: ['private'], limit: { rates: [{ count: 3, seconds: 10 }, { count: 4, seconds: 1800 }], blockSeconds: 1800 } }]);
    expect(set.out.join('')).toBe('OpenSSH: limit 3/10s,4/30m (then blocked 30m).');
    const off = await runFake(['app', 'limit', '/usr/sbin/sshd', 'off'], { policy });
    expect(off.edits()).toEqual([{ op: 'setApp', identity: sshd, action: 'allow', profiles: ['private'], limit: null }]);
    expect(off.out.join('')).toBe('OpenSSH: no limits.');
  });

  it('app limit on an unknown or blocked app is a usage error that says what to do', async () => {
    await expect(runFake(['app', 'limit', '/usr/bin/nothing', '3/10s'])).rejects.toThrow(/no app rule for "\/usr\/bin\/nothing" \(see: palisade apps\)/);
    const policy = policyOf({ apps: [{ id: 'app-sshd', identity: sshd, action: 'block', profiles: ['private', 'public'] }] });
    await expect(runFake(['app', 'limit', 'app-sshd', '3/10s'], { policy })).rejects.toThrow(/is blocked; limits apply to allowed apps/);
  });
});

describe('profile protections', () => {
  it('scan-detection on merges the options given with the profile\'s current settings (a nested setting is sent whole)', async () => {
    const policy = policyOf({ profiles: { public: { scanDetection: { enabled: false, ports: 30, withinSeconds: 8, blockSeconds: 600 } } } });
    const h = await runFake(['scan-detection', 'on'], { policy, flags: { block: '2m', profile: 'public' } });
    expect(h.edits()).toEqual([{ op: 'setProfile', profile: 'public', settings: { scanDetection: { enabled: true, ports: 30, withinSeconds: 8, blockSeconds: 120 } } }]);
    expect(h.out.join('')).toBe('Scan detection on for public: a source that touches 30 ports in 8s → blocked 2m (allowed ports included).');
  });

  it('scan-detection off without --profile changes the profiles in force', async () => {
    const h = await runFake(['scan-detection', 'off'], { inForce: ['private', 'public'] });
    expect(h.edits().map((e) => e.op === 'setProfile' && [e.profile, e.settings.scanDetection?.enabled])).toEqual([['private', false], ['public', false]]);
  });

  it('anti-spoofing and outbound set one setting per profile', async () => {
    expect((await runFake(['anti-spoofing', 'off'], { flags: { profile: 'private' } })).edits()).toEqual([{ op: 'setProfile', profile: 'private', settings: { antiSpoofing: false } }]);
    const out = await runFake(['outbound', 'block'], { flags: { profile: 'public' } });
    expect(out.edits()).toEqual([{ op: 'setProfile', profile: 'public', settings: { defaultOutbound: 'block' } }]);
    expect(out.out.join('')).toContain('Outbound connections no rule decides are now blocked on public.');
  });

  it('essentials changes the named ones and keeps the others', async () => {
    const policy = policyOf({ profiles: { public: { defaultOutbound: 'block', outboundEssentials: { dns: true, dhcp: false, ntp: true } } } });
    const h = await runFake(['essentials', 'dns,ntp', 'off'], { policy, flags: { profile: 'public' } });
    expect(h.edits()).toEqual([{ op: 'setProfile', profile: 'public', settings: { outboundEssentials: { dns: false, dhcp: false, ntp: false } } }]);
    expect(h.out.join('')).toBe('Outbound DNS, NTP are no longer an exception on public: while outbound is blocked, only a rule allows them.');
    const note = await runFake(['essentials', 'all', 'on'], { flags: { profile: 'private' } });
    expect(note.out.join('')).toBe('Outbound DNS, DHCP, NTP are allowed on private even while outbound is blocked. (They matter while outbound is blocked by default; it is allowed on private.)');
  });
});

const ENTRY: DropEntry = {
  time: '2026-05-01T10:20:30.000Z', interface: 'h0', direction: 'in', profile: 'public', kind: 'default', family: 4,
  protocol: 'tcp', source: '10.77.0.2', sourcePort: 40000, destination: '10.77.0.1', destinationPort: 23,
};

describe('log', () => {
  const savedTz = process.env.TZ;
  beforeEach(() => { process.env.TZ = 'UTC'; });
  afterEach(() => {
    if (savedTz === undefined) Reflect.deleteProperty(process.env, 'TZ');
    else process.env.TZ = savedTz;
  });

  const limited: DropEntry = { ...ENTRY, time: '2026-05-01T10:20:31.000Z', kind: 'limit', ruleId: 'ssh', destinationPort: 22 };
  const v6: DropEntry = { ...ENTRY, time: '2026-05-01T10:20:32.000Z', family: 6, source: 'fd00:77:0::2', destination: 'fd00:77:0::1', kind: 'scan' };
  const icmp: DropEntry = { ...ENTRY, protocol: 'icmp', sourcePort: undefined as never, destinationPort: undefined as never, kind: 'spoof' };

  it('prints a table of recent blocked attempts, newest last', async () => {
    const h = await runFake(['log'], { log: [ENTRY, limited, v6] });
    expect(h.calls).toEqual([{ method: 'GetDropLog', args: { limit: 50 } }]);
    expect(h.out.join('\n')).toBe([
      'TIME                 INTERFACE  PROFILE  DIR  PROTO  SOURCE → DESTINATION              DECIDED BY',
      '2026-05-01 10:20:30  h0         public   in   tcp    10.77.0.2 → 10.77.0.1:23          default (nothing allowed it)',
      '2026-05-01 10:20:31  h0         public   in   tcp    10.77.0.2 → 10.77.0.1:22          ssh (limit)',
      '2026-05-01 10:20:32  h0         public   in   tcp    fd00:77:0::2 → [fd00:77:0::1]:23  scan detection',
    ].join('\n'));
  });

  it('an empty log says so; --json prints the array as the helper gave it', async () => {
    expect((await runFake(['log'])).out.join('')).toBe('No blocked attempts logged.');
    const h = await runFake(['log'], { log: [ENTRY, limited], flags: { json: true, limit: ['1'] } });
    expect(JSON.parse(h.out.join('\n'))).toEqual([limited]);
  });

  it('what decided, in words', () => {
    expect(formatDecider({ kind: 'block', ruleId: 'rule-1' })).toBe('rule-1 (block rule)');
    expect(formatDecider({ kind: 'out-default' })).toBe('default outbound');
    expect(formatDecider({ kind: 'shields-up' })).toBe('block all incoming');
    expect(formatDropLog([{ ...icmp }])).toContain('10.77.0.2 → 10.77.0.1 ');
  });

  it('--follow --json: the recent ones, then one JSON object per line as drops arrive, until stopped (exit 0)', async () => {
    const h = fakeHelper(['log'], { log: [ENTRY], flags: { follow: true, json: true } });
    const running = COMMANDS.log?.run(h.ctx);
    await vi.waitFor(() => expect(h.out).toHaveLength(1));
    h.emit([limited, v6]);
    h.emit([icmp]);
    expect(h.out.map((line) => JSON.parse(line))).toEqual([ENTRY, limited, v6, icmp]);
    for (const line of h.out) expect(line).not.toContain('\n');
    h.stop();
    await expect(running).resolves.toBeUndefined();
    h.emit([ENTRY]);
    expect(h.out).toHaveLength(4); // unsubscribed
  });

  it('--follow: drops arriving while the history is read are shown once, after it', async () => {
    const h = fakeHelper(['log'], { log: [ENTRY, limited], flags: { follow: true, json: true } });
    const call = h.ctx.client.call;
    h.ctx.client.call = async (method, args, o) => {
      const result = await call(method, args, o);
      if (method === 'GetDropLog') h.emit([limited, v6]); // limited is in the history already
      return result;
    };
    const running = COMMANDS.log?.run(h.ctx);
    await vi.waitFor(() => expect(h.out).toHaveLength(3));
    expect(h.out.map((line) => JSON.parse(line))).toEqual([ENTRY, limited, v6]);
    h.stop();
    await running;
  });

  it('--follow in text: a header and fixed columns; --limit 0 skips the history', async () => {
    const h = fakeHelper(['log'], { log: [ENTRY], flags: { follow: true, limit: ['0'] } });
    const running = COMMANDS.log?.run(h.ctx);
    await vi.waitFor(() => expect(h.out).toHaveLength(1));
    expect(h.calls.filter((c) => c.method === 'GetDropLog')).toEqual([]);
    h.emit([limited]);
    expect(h.out).toEqual([
      'TIME                 INTERFACE  PROFILE  DIR  PROTO  SOURCE → DESTINATION                      DECIDED BY',
      '2026-05-01 10:20:31  h0         public   in   tcp    10.77.0.2 → 10.77.0.1:22                  ssh (limit)',
    ]);
    expect(formatDropLine(['a', 'b'])).toBe(`${'a'.padEnd(19)}  b`);
    h.stop();
    await running;
  });

  it('--follow ends with an error when the helper goes away', async () => {
    const h = fakeHelper(['log'], { flags: { follow: true } });
    const running = COMMANDS.log?.run(h.ctx);
    await vi.waitFor(() => expect(h.out).toHaveLength(1));
    h.helperGone();
    await expect(running).rejects.toThrow('the Palisade helper stopped; there is nothing more to follow');
  });
});

describe('rules and apps with hit counts', () => {
  const now = new Date('2026-05-01T10:00:00Z');
  const policy = policyOf({
    portRules: [
      { id: 'ssh', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['public'], limit: SSH_BRUTE_FORCE_LIMIT, comment: 'SSH with brute-force protection' },
      { id: 'knocked', action: 'allow', protocol: 'tcp', ports: { from: 2222, to: 2222 }, profiles: ['private', 'public'], knock: { sequence: [{ protocol: 'tcp', port: 7001 }, { protocol: 'udp', port: 7002 }], windowSeconds: 10, openSeconds: 30 } },
      { id: 'smtp-out', direction: 'out', action: 'block', protocol: 'tcp', ports: { from: 25, to: 25 }, profiles: ['public'], remote: ['192.0.2.0/24'] },
      { id: 'web', action: 'allow', protocol: 'both', ports: { from: 8000, to: 8010 }, profiles: ['private'], alwaysOpen: true, expires: '2026-05-01T11:00:00Z', remote: ['10.0.0.0/8'] },
    ],
    apps: [
      { id: 'app-sshd', name: 'OpenSSH', identity: { kind: 'executable', path: '/usr/sbin/sshd' }, action: 'allow', profiles: ['public'], limit: { rates: [{ count: 5, seconds: 60 }], blockSeconds: 600 } },
      { id: 'app-web', name: 'Web', identity: { kind: 'executable', path: '/usr/bin/web' }, action: 'allow', profiles: ['private'] },
    ],
  });
  const hits: HitCounts = {
    port: { ssh: 12, 'ssh-over-limit': 2, 'ssh-limited': 9, knocked: 3, 'smtp-out': 4 },
    app: { 'app-sshd': 5, 'app-sshd-limited': 1, 'private-allowed-apps': 40, 'public-allowed-apps': 0, 'private-blocked-apps': 2 },
    profile: { 'public-spoofed': 1 },
  };

  it('withHits puts packets (and for limits, over-limit and blocked) beside each rule', () => {
    const view = withHits(policy, hits);
    expect(view.portRules.map((r) => [r.id, r.hits])).toEqual([
      ['ssh', { packets: 12, overLimit: 2, blocked: 9 }], ['knocked', { packets: 3 }], ['smtp-out', { packets: 4 }], ['web', null],
    ]);
    expect(view.apps.map((a) => [a.id, a.hits])).toEqual([['app-sshd', { packets: 5, overLimit: 0, blocked: 1 }], ['app-web', null]]);
    expect(view.sharedHits).toEqual({ 'private-allowed-apps': 40, 'public-allowed-apps': 0, 'private-blocked-apps': 2 });
    expect(withHits(policy, null).portRules.every((r) => r.hits === null)).toBe(true);
    expect(formatHits(null)).toBe('-');
    expect(formatHits({ packets: 0, overLimit: 0, blocked: 0 })).toBe('0 (0 over limit, 0 blocked)');
  });

  it('rules shows direction, hits, knocking, limits and expiry', () => {
    const text = formatRules(withHits(policy, hits), now);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ID +DIR +ACTION +PORTS +PROFILES +REMOTE +HITS +OPTIONS$/);
    expect(lines[1]).toMatch(/^ssh +in +allow +22\/tcp +public +any +12 \(2 over limit, 9 blocked\) +limit 3\/10s,4\/30m \(then blocked 30m\), "SSH with brute-force protection"$/);
    expect(lines[2]).toMatch(/^knocked +in +allow +2222\/tcp +private,public +any +3 +knock 7001\/tcp,7002\/udp \(each within 10s, then open 30s\)$/);
    expect(lines[3]).toMatch(/^smtp-out +out +block +25\/tcp +public +to 192\.0\.2\.0\/24 +4$/);
    expect(lines[4]).toMatch(/^web +in +allow +8000-8010\/tcp\+udp +private +from 10\.0\.0\.0\/8 +- +always open, until .+ \(in 1h\)$/);
    expect(formatTimeLeft('2026-05-01T09:00:00Z', now)).toBe('expired');
    expect(formatTimeLeft('2026-05-01T10:00:45Z', now)).toBe('in 45s');
    expect(formatTimeLeft('2026-05-01T10:30:00Z', now)).toBe('in 30m');
    expect(formatTimeLeft('2026-05-01T10:59:50Z', now)).toBe('in 1h');
    expect(formatTimeLeft('2026-05-02T10:00:00Z', now)).toBe('in 24h');
    expect(formatTimeLeft('2026-05-08T10:00:00Z', now)).toBe('in 7d');
  });

  it('rules --json is the policy with "hits" on every rule', async () => {
    const h = await runFake(['rules'], { policy, hits, flags: { json: true } });
    const printed = JSON.parse(h.out.join('\n')) as { portRules: { id: string; hits: unknown }[] };
    expect(printed.portRules.find((r) => r.id === 'ssh')?.hits).toEqual({ packets: 12, overLimit: 2, blocked: 9 });
    expect(h.calls.map((c) => c.method).sort()).toEqual(['GetHitCounts', 'GetPolicy']);
  });

  it('a helper without hit counts still lists the rules (hits "-")', async () => {
    const h = await runFake(['rules'], { policy, hits: 'unsupported' });
    expect(h.out.join('\n')).toMatch(/^ssh +in +allow +22\/tcp +public +any +- +limit/m);
  });

  it('apps shows hits and limits, and the shared counts of apps without limits', () => {
    const text = formatApps(withHits(policy, hits));
    expect(text).toMatch(/^ID +APP +PRIVATE +PUBLIC +HITS +LIMIT +IDENTITY$/m);
    expect(text).toMatch(/^app-sshd +OpenSSH +- +allow +5 \(0 over limit, 1 blocked\) +5\/1m \(then blocked 10m\) +\/usr\/sbin\/sshd$/m);
    expect(text).toMatch(/^app-web +Web +allow +- +- +- +\/usr\/bin\/web$/m);
    expect(text).toContain('Apps without limits are counted together: accepted for allowed apps private 40, public 0; dropped for blocked apps private 2, public 0.');
  });
});

describe('status', () => {
  it('shows anti-spoofing, scan detection, default outbound and the essentials per profile', () => {
    const policy = policyOf({ profiles: {
      private: { scanDetection: { enabled: true, ports: 20, withinSeconds: 5, blockSeconds: 600 } },
      public: { antiSpoofing: false, defaultOutbound: 'block', outboundEssentials: { dns: true, dhcp: false, ntp: true } },
    } });
    const text = formatStatus(statusOf(policy));
    expect(text).toMatch(/^PROFILE +FIREWALL +STEALTH +BLOCK ALL +PING +INBOUND +OUTBOUND +NOTIFY$/m);
    expect(text).toMatch(/^public +on +on +off +off +block +block +on$/m);
    expect(text).toMatch(/^PROFILE +ANTI-SPOOFING +SCAN DETECTION +OUTBOUND ESSENTIALS$/m);
    expect(text).toMatch(/^private +on +20 ports in 5s → blocked 10m +dns,dhcp,ntp \(not needed: outbound allowed\)$/m);
    expect(text).toMatch(/^public +off +off +dns,ntp$/m);
    expect(text).toContain('DNS allowed to the configured resolvers: 10.0.0.1.');
  });
});

describe('exposure', () => {
  it('says which ports open after knocking and which are rate limited', () => {
    const text = formatExposure([{
      interface: 'h1', profile: 'public', ping: false, unlistedPort: { tcp: 'filtered', udp: 'open|filtered' },
      ports: [
        { address: '10.77.1.1', port: 2222, protocol: 'tcp', state: 'filtered', reason: { kind: 'knock-required', ruleId: 'k' }, listening: true, profile: 'public', afterKnock: 'open' },
        { address: '10.77.1.1', port: 8080, protocol: 'tcp', state: 'open', reason: { kind: 'allow-rule', ruleId: 'web' }, listening: true, profile: 'public', rateLimited: { owner: 'port', id: 'web', rates: [{ count: 3, seconds: 10 }], blockSeconds: 60 } },
      ],
    }] as MethodResult<'GetExposure'>);
    expect(text).toMatch(/^10\.77\.1\.1 +2222\/tcp +filtered +knock-required k, listening, open after knocking$/m);
    expect(text).toMatch(/^10\.77\.1\.1 +8080\/tcp +open +allow-rule web, listening, rate limited 3\/10s$/m);
  });
});
