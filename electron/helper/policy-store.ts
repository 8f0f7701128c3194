// The helper's policy file. Reads are forgiving (a broken file falls back to the last good copy,
// then to the defaults, and says exactly what is wrong); writes are strict (only a valid policy,
// and only atomically: a crash leaves the old or the new file, never a mix).
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Policy } from '../../shared/policy/schema';
import { PolicyValidationError, validatePolicy, type ValidationIssue } from '../../shared/policy/validate';
import { defaultPolicy } from '../../shared/policy/defaults';

export const DEFAULT_POLICY_PATH = '/etc/palisade/policy.json';

const FILE_MODE = 0o644;
const DIRECTORY_MODE = 0o755;

/** What is wrong with one file, in words an administrator can act on. */
export interface LoadProblem {
  file: string;
  reason: string;
  /** Every validation issue, when the file is JSON but not a valid policy. */
  issues?: ValidationIssue[];
}

export interface LoadResult {
  policy: Policy;
  source: 'file' | 'last-good' | 'default';
  /** Why the main file was not used; absent when it was, and on a first start (no files at all). */
  problem?: LoadProblem;
  /** Why the last good copy was not used either, when it was needed (source 'default'). */
  lastGoodProblem?: LoadProblem;
}

export interface PolicyStoreOptions {
  /** Where the copy of the last successfully saved policy lives; default `${path}.last-good`. */
  lastGoodPath?: string;
  /** Told when the last good copy could not be written after the main file was (the save stands). */
  warn?: (message: string) => void;
}

type ReadOutcome =
  | { kind: 'ok'; policy: Policy }
  | { kind: 'missing'; problem: LoadProblem }
  | { kind: 'bad'; problem: LoadProblem };

export class PolicyStore {
  readonly lastGoodPath: string;
  /** Saves run one at a time, so the main file and the last good copy are written in order. */
  private pending: Promise<void> = Promise.resolve();

  private readonly warn: (message: string) => void;

  constructor(readonly path: string, opts: PolicyStoreOptions = {}) {
    this.lastGoodPath = opts.lastGoodPath ?? `${path}.last-good`;
    this.warn = opts.warn ?? (() => undefined);
  }

  /** Never writes: a broken file stays as it is, for the administrator to inspect and fix. */
  async load(): Promise<LoadResult> {
    const main = await readPolicyFile(this.path);
    if (main.kind === 'ok') return { policy: main.policy, source: 'file' };
    const lastGood = await readPolicyFile(this.lastGoodPath);
    if (lastGood.kind === 'ok') return { policy: lastGood.policy, source: 'last-good', problem: main.problem };
    // Neither file exists: a first start, nothing to report.
    if (main.kind === 'missing' && lastGood.kind === 'missing') return { policy: defaultPolicy(), source: 'default' };
    return { policy: defaultPolicy(), source: 'default', problem: main.problem, lastGoodProblem: lastGood.problem };
  }

  /**
   * Validates, then replaces the main file and then the last good copy, each atomically.
   * Resolves once the main file, the commit point, is on disk: when it cannot be written the
   * save fails and neither file changed. When only the copy cannot be, the save stands and
   * `warn` is told. A crash before the copy leaves the previous good policy there, still good.
   */
  save(policy: Policy): Promise<void> {
    const committed = this.pending.then(() => this.writeMain(policy));
    // The copy follows the commit without holding up the caller; the next save waits for it.
    this.pending = committed.then((text) => this.writeLastGood(text), () => undefined);
    return committed.then(() => undefined);
  }

  /** Resolves once every save so far has finished, the last good copy included. */
  async settled(): Promise<void> {
    await this.pending;
  }

  private async writeMain(policy: Policy): Promise<string> {
    const checked = validatePolicy(policy);
    if (!checked.ok) throw new PolicyValidationError(checked.issues);
    // What is written is what load() will return: defaults filled in, nothing else.
    const text = `${JSON.stringify(checked.value, null, 2)}\n`;
    await writeFileAtomically(this.path, text);
    return text;
  }

  /** Only a policy that made it into the main file becomes the last good one. */
  private async writeLastGood(text: string): Promise<void> {
    await writeFileAtomically(this.lastGoodPath, text)
      .catch((err: unknown) => this.warn(`the last good copy ${this.lastGoodPath} could not be written: ${(err as Error).message}`));
  }
}

async function readPolicyFile(file: string): Promise<ReadOutcome> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing', problem: { file, reason: 'the file does not exist (ENOENT)' } };
    return { kind: 'bad', problem: { file, reason: `cannot read the file: ${(err as Error).message}` } };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { kind: 'bad', problem: { file, reason: describeSyntaxError((err as Error).message, text) } };
  }
  const checked = validatePolicy(json);
  if (checked.ok) return { kind: 'ok', policy: checked.value };
  const list = checked.issues.map((i) => `${i.path || '(document)'}: ${i.message}`).join('; ');
  const count = `${checked.issues.length} ${checked.issues.length === 1 ? 'problem' : 'problems'}`;
  return { kind: 'bad', problem: { file, reason: `not a valid policy (${count}): ${list}`, issues: checked.issues } };
}

/**
 * V8's JSON errors give a position only for some mistakes ("Unexpected token" has none), and an
 * administrator opening the file in an editor wants a line and column, so we find it ourselves.
 */
function describeSyntaxError(v8Message: string, text: string): string {
  const offset = jsonSyntaxErrorOffset(text);
  if (offset === undefined) return `not valid JSON: ${v8Message}`;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `not valid JSON at line ${line}, column ${column} (position ${offset}): ${v8Message}`;
}

// ---------------------------------------------------------------------------------------------
// Where JSON text first goes wrong: a strict RFC 8259 scanner, run only after JSON.parse failed.
// It points where V8 would when V8 gives a position, and finds one when V8 does not.

const WHITESPACE = /[ \t\n\r]*/y;
// eslint-disable-next-line no-control-regex -- JSON forbids raw control characters in strings
const PLAIN_STRING_CHARACTERS = /[^"\\\u0000-\u001f]*/y;
const ESCAPE_CHARACTERS = '"\\/bfnrtu';
const LITERALS = ['true', 'false', 'null'];
const isDigit = (char: string | undefined) => char !== undefined && char >= '0' && char <= '9';
const isHexDigit = (char: string | undefined) => char !== undefined && /^[0-9a-fA-F]$/.test(char);

class SyntaxErrorAt {
  constructor(readonly offset: number) {}
}

export function jsonSyntaxErrorOffset(text: string): number | undefined {
  let at = 0;
  const fail = (): never => { throw new SyntaxErrorAt(at); };
  const skip = (pattern: RegExp) => {
    pattern.lastIndex = at;
    if (pattern.exec(text)) at = pattern.lastIndex;
  };
  const expectChar = (char: string) => { skip(WHITESPACE); if (text[at] !== char) fail(); at++; };
  const string = () => {
    at++; // the opening quote
    for (;;) {
      skip(PLAIN_STRING_CHARACTERS);
      if (text[at] === '"') { at++; return; }
      if (text[at] !== '\\') fail(); // a control character, or the end of the text
      at++;
      if (!ESCAPE_CHARACTERS.includes(text[at] ?? '\0')) fail();
      if (text[at++] === 'u') for (let n = 0; n < 4; n++, at++) if (!isHexDigit(text[at])) fail();
    }
  };
  const digits = () => { if (!isDigit(text[at])) fail(); while (isDigit(text[at])) at++; };
  const number = () => {
    if (text[at] === '-') at++;
    if (text[at] === '0') at++;
    else digits();
    if (text[at] === '.') { at++; digits(); }
    if (text[at] === 'e' || text[at] === 'E') {
      at++;
      if (text[at] === '+' || text[at] === '-') at++;
      digits();
    }
  };
  const literal = (word: string) => { for (const char of word) { if (text[at] !== char) fail(); at++; } };
  /** Items of an array or members of an object, up to and including the closing bracket. */
  const items = (close: string, item: () => void) => {
    skip(WHITESPACE);
    if (text[at] === close) { at++; return; }
    for (;;) {
      item();
      skip(WHITESPACE);
      if (text[at] === ',') { at++; continue; }
      if (text[at] === close) { at++; return; }
      fail();
    }
  };
  const member = () => { skip(WHITESPACE); if (text[at] !== '"') fail(); string(); expectChar(':'); value(); };
  const value = (): void => {
    skip(WHITESPACE);
    const char = text[at];
    const word = LITERALS.find((w) => w[0] === char);
    if (char === '{') { at++; items('}', member); }
    else if (char === '[') { at++; items(']', value); }
    else if (char === '"') string();
    else if (word) literal(word);
    else if (char === '-' || isDigit(char)) number();
    else fail();
  };
  try {
    value();
    skip(WHITESPACE);
    return at < text.length ? at : undefined;
  } catch (err) {
    if (err instanceof SyntaxErrorAt) return err.offset;
    return undefined; // e.g. nesting too deep for the stack: keep V8's message as it is
  }
}

// ---------------------------------------------------------------------------------------------
// Atomic replacement: temp file in the same directory, fsync, rename over the target, fsync the
// directory. Temp names start with a dot and carry the writer's pid, so they can never be taken
// for the real file, and the ones a killed writer left behind can be recognised and removed.

const tempPrefix = (target: string) => `.${basename(target)}.tmp-`;

async function writeFileAtomically(target: string, text: string): Promise<void> {
  const dir = dirname(target);
  await ensureDirectory(dir);
  await removeStaleTemps(target);
  const temp = join(dir, `${tempPrefix(target)}${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const handle = await open(temp, 'wx', FILE_MODE);
    try {
      await handle.chmod(FILE_MODE); // open()'s mode is filtered by the umask
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  // The rename is only durable once the directory entry is.
  await syncDirectory(dir);
}

async function ensureDirectory(dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true, mode: DIRECTORY_MODE });
  if (firstCreated === undefined) return;
  // mkdir's mode is filtered by the umask too; fix every level this call created, and make
  // each new entry durable in its parent, or a crash could lose the directory with the file.
  for (let level = dir; level.length >= firstCreated.length; level = dirname(level)) {
    await chmod(level, DIRECTORY_MODE);
    await syncDirectory(dirname(level));
    if (level === firstCreated) break;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes temp files of `target` whose writer is gone (a kill -9 mid-save); live writers' are kept. */
async function removeStaleTemps(target: string): Promise<void> {
  const prefix = tempPrefix(target);
  const names = await readdir(dirname(target));
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) continue;
    await unlink(join(dirname(target), name)).catch(() => undefined);
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
