// App identities as people type them on the command line, and back: every form the CLI help
// shows parses to the identity it means, what formatAppIdentity prints parses back to the same
// identity, and a mistake is an IdentityTextError that says what to type instead.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IdentityTextError, formatAppIdentity, parseAppIdentity } from '../../shared/policy/identity-text';
import { AppIdentitySchema, type AppIdentity } from '../../shared/policy/schema';

const HINT = 'Use an absolute path, "INTERPRETER SCRIPT", flatpak:ID, snap:NAME or appimage:NAME';

/** What parseAppIdentity threw (fails the test when it returns). */
function errorFor(text: string): Error {
  let value: AppIdentity;
  try {
    value = parseAppIdentity(text);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused, but it parsed to ${JSON.stringify(value)}`);
}

describe('parseAppIdentity', () => {
  const cases: [string, AppIdentity][] = [
    ['/usr/bin/firefox', { kind: 'executable', path: '/usr/bin/firefox' }],
    ['exe:/opt/x', { kind: 'executable', path: '/opt/x' }],
    ['python3 /opt/x.py', { kind: 'script', interpreter: '/usr/bin/python3', script: '/opt/x.py' }],
    ['node /srv/app.js', { kind: 'script', interpreter: '/usr/bin/node', script: '/srv/app.js' }],
    ['/usr/bin/node /srv/app.js', { kind: 'script', interpreter: '/usr/bin/node', script: '/srv/app.js' }],
    ['/usr/local/bin/python3.12 /opt/tool/server.py', { kind: 'script', interpreter: '/usr/local/bin/python3.12', script: '/opt/tool/server.py' }],
    ['script:/usr/bin/python3:/opt/x.py', { kind: 'script', interpreter: '/usr/bin/python3', script: '/opt/x.py' }],
    ['flatpak:org.mozilla.firefox', { kind: 'flatpak', appId: 'org.mozilla.firefox' }],
    ['snap:spotify', { kind: 'snap', name: 'spotify' }],
    ['snap:node-red', { kind: 'snap', name: 'node-red' }],
    ['appimage:Obsidian', { kind: 'appimage', name: 'Obsidian' }],
    ['appimage:My App', { kind: 'appimage', name: 'My App' }],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(parseAppIdentity(text)).toEqual(expected);
  });

  it('ignores surrounding whitespace and extra spaces between interpreter and script', () => {
    expect(parseAppIdentity('  /usr/bin/firefox\n')).toEqual({ kind: 'executable', path: '/usr/bin/firefox' });
    expect(parseAppIdentity('python3 \t  /opt/x.py ')).toEqual({ kind: 'script', interpreter: '/usr/bin/python3', script: '/opt/x.py' });
    expect(parseAppIdentity(' snap:spotify ')).toEqual({ kind: 'snap', name: 'spotify' });
  });

  it('the exe: and script: forms take paths with spaces', () => {
    expect(parseAppIdentity('exe:/opt/My App/run')).toEqual({ kind: 'executable', path: '/opt/My App/run' });
    expect(parseAppIdentity('script:/usr/bin/python3:/home/u/my tool.py')).toEqual({ kind: 'script', interpreter: '/usr/bin/python3', script: '/home/u/my tool.py' });
  });

  it('a path with a colon in it is still a path', () => {
    expect(parseAppIdentity('/opt/a:b/run')).toEqual({ kind: 'executable', path: '/opt/a:b/run' });
  });

  it('every parsed identity passes the schema', () => {
    for (const [text] of cases) expect(AppIdentitySchema.safeParse(parseAppIdentity(text)).success).toBe(true);
  });
});

describe('parseAppIdentity errors', () => {
  const errors: [string, string, string][] = [
    // [input, what the message must explain, …]
    ['bin/firefox', 'relative path', 'must be an absolute path'],
    ['firefox', 'bare command name', 'must be an absolute path'],
    ['python3 x.py', 'relative script', 'must be an absolute path'],
    ['exe:opt/x', 'relative exe: path', 'must be an absolute path'],
    ['/usr/bin/../bin/firefox', 'unnormalised path', 'must be normalised'],
    ['flatpak:bad', 'flatpak id with one part', 'must be a Flatpak application id'],
    ['flatpak:', 'empty flatpak id', 'must be a Flatpak application id'],
    ['snap:UPPER', 'uppercase snap name', 'must be a snap name'],
    ['snap:', 'empty snap name', 'must be a snap name'],
    ['snap:a--b', 'double hyphen in a snap name', 'must be a snap name'],
    ['appimage:a/b', 'appimage name with a slash', 'must be a file name'],
    ['', 'empty text', 'must be an absolute path'],
    ['   ', 'whitespace only', 'must be an absolute path'],
  ];
  it.each(errors)('%s (%s) is an IdentityTextError that says why and what to type', (text, _what, why) => {
    const err = errorFor(text);
    expect(err).toBeInstanceOf(IdentityTextError);
    expect(err.name).toBe('IdentityTextError');
    expect(err.message).toContain(`"${text}" is not an app`);
    expect(err.message).toContain(why);
    expect(err.message).toContain(HINT);
  });

  it('script: with no second colon (no script) is refused, not read as some other script', () => {
    // `script:/usr/bin/python3` names an interpreter and no script at all.
    const err = errorFor('script:/usr/bin/python3');
    expect(err).toBeInstanceOf(IdentityTextError);
    expect(err.message).toContain(HINT);
  });

  it('script: with an empty script is refused', () => {
    expect(errorFor('script:/usr/bin/python3:')).toBeInstanceOf(IdentityTextError);
  });
});

describe('formatAppIdentity', () => {
  const cases: [AppIdentity, string][] = [
    [{ kind: 'executable', path: '/usr/bin/firefox' }, '/usr/bin/firefox'],
    [{ kind: 'script', interpreter: '/usr/bin/python3', script: '/opt/x.py' }, '/usr/bin/python3 /opt/x.py'],
    [{ kind: 'flatpak', appId: 'org.mozilla.firefox' }, 'flatpak:org.mozilla.firefox'],
    [{ kind: 'snap', name: 'spotify' }, 'snap:spotify'],
    [{ kind: 'appimage', name: 'Obsidian' }, 'appimage:Obsidian'],
  ];
  it.each(cases)('%j prints as %s, which parses back to it', (identity, text) => {
    expect(formatAppIdentity(identity)).toBe(text);
    expect(parseAppIdentity(text)).toEqual(identity);
  });

  it('an executable whose path has a space in it parses back to itself', () => {
    const identity: AppIdentity = { kind: 'executable', path: '/opt/My App/run' };
    expect(parseAppIdentity(formatAppIdentity(identity))).toEqual(identity);
  });

  it('a script whose path has a space in it parses back to a script, not an executable', () => {
    const identity: AppIdentity = { kind: 'script', interpreter: '/usr/bin/python3', script: '/home/u/my tool.py' };
    expect(parseAppIdentity(formatAppIdentity(identity))).toEqual(identity);
  });

  // Paths of ordinary file names (no spaces): the common case must always round-trip.
  const segment = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,11}$/);
  const absPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
  const identityArb: fc.Arbitrary<AppIdentity> = fc.oneof(
    absPath.map((path): AppIdentity => ({ kind: 'executable', path })),
    fc.tuple(absPath, absPath).map(([interpreter, script]): AppIdentity => ({ kind: 'script', interpreter, script })),
    fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,8}(\.[A-Za-z_][A-Za-z0-9_-]{0,8}){2,3}$/).map((appId): AppIdentity => ({ kind: 'flatpak', appId })),
    fc.stringMatching(/^[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,6}){0,2}$/).map((name): AppIdentity => ({ kind: 'snap', name })),
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,20}[A-Za-z0-9]$/).map((name): AppIdentity => ({ kind: 'appimage', name })),
  );

  it('property: parse(format(identity)) is the identity, for every kind', () => {
    fc.assert(fc.property(identityArb, (identity) => {
      expect(AppIdentitySchema.safeParse(identity).success).toBe(true);
      expect(parseAppIdentity(formatAppIdentity(identity))).toEqual(identity);
    }), { numRuns: 500 });
  });
});
