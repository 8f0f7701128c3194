// Names and icons of apps as people know them, from the freedesktop .desktop files installed on
// the machine, and the list of installed apps behind "Allow another app…".
//
// Hand-written on purpose: no maintained npm package parses desktop entries (Exec quoting,
// localized keys, Hidden/NoDisplay, TryExec) together with icon themes, and the part Palisade
// needs is small. What matters most is mapping an entry to the identity the helper will derive
// for the running process (shared/runtime/app-identity.ts): the real path of the executable as
// /proc/PID/exe shows it, the script for interpreters (including #! scripts), the Flatpak app
// id, the snap name, the AppImage's file name. Entries that map to nothing are left out.
//
// Parsed entries and directory listings are cached and re-read when a directory's mtime
// changes (package managers add and remove files, which touches the directory).
import { open, readdir, realpath, stat, access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { AppDescription } from '../../shared/ipc/contract';
import { AppIdentitySchema, type AppIdentity } from '../../shared/policy/schema';
import { appDisplayName, appKey } from '../../shared/policy/identity';
import { deriveAppIdentity } from '../../shared/runtime/app-identity';
import type { DesktopAppsPort } from './ports';

export interface DesktopAppsOptions {
  /** XDG data directories, most important first; each may have applications/, icons/, pixmaps/. */
  dataDirs?: string[];
  /** Directories holding icon themes (…/icons), most important first. */
  iconThemeDirs?: string[];
  /** Directories of loose icons (…/pixmaps), tried after the themes. */
  pixmapDirs?: string[];
  /** The locale for localized names: "ja", "ja_JP.UTF-8", "en-GB"… */
  language?: () => string;
  /** Where a bare command in Exec= is looked up, in order. */
  binDirs?: string[];
}

const MAX_ICON_BYTES = 256 * 1024;
/** Icon directories are many and rarely change: looked at again after this long, not on every call. */
const ICON_RECHECK_MS = 5_000;

// ---- XDG locations --------------------------------------------------------------------------

function defaultDataDirs(): string[] {
  const home = homedir();
  const dataHome = process.env.XDG_DATA_HOME || `${home}/.local/share`;
  const dataDirs = (process.env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter((d) => d.startsWith('/'));
  const extra = ['/var/lib/flatpak/exports/share', `${home}/.local/share/flatpak/exports/share`, '/var/lib/snapd/desktop'];
  return [...new Set([dataHome, ...dataDirs, ...extra].map((d) => d.replace(/\/+$/, '')))];
}

/** The locale for messages from the environment, as in LC_MESSAGES=ja_JP.UTF-8. */
export function systemLocale(): string {
  return process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '';
}

const DEFAULT_BIN_DIRS = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin'];

// ---- the desktop entry format ---------------------------------------------------------------

/** `\s \n \t \r \\` are undone; any other backslash stays for the Exec quoting rules. */
function unescapeValue(value: string): string {
  const escapes: Record<string, string> = { s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' };
  return value.replace(/\\(.)/g, (whole, c: string) => escapes[c] ?? whole);
}

/** The keys of the [Desktop Entry] group (`Name`, `Name[ja]`, …), first occurrence wins; undefined if there is no such group. */
export function parseDesktopEntry(text: string): Map<string, string> | undefined {
  const fields = new Map<string, string>();
  let inEntry = false;
  let found = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      inEntry = line.trimEnd() === '[Desktop Entry]';
      found ||= inEntry;
      continue;
    }
    const eq = line.indexOf('=');
    if (!inEntry || eq <= 0) continue;
    const key = line.slice(0, eq).trimEnd();
    if (!fields.has(key)) fields.set(key, unescapeValue(line.slice(eq + 1).trimStart()));
  }
  return found ? fields : undefined;
}

/** `ja_JP.UTF-8@mod` → ja_JP@mod, ja_JP, ja@mod, ja (the spec's matching order). */
function localeKeys(locale: string): string[] {
  const m = /^([A-Za-z]{2,3})(?:[_-]([A-Za-z0-9]+))?(?:\.[^@]*)?(?:@(.+))?$/.exec(locale.trim());
  if (!m?.[1]) return [];
  const lang = m[1].toLowerCase();
  const country = m[2] ? (m[2].length === 2 ? m[2].toUpperCase() : m[2]) : undefined;
  const modifier = m[3];
  const keys: string[] = [];
  if (country && modifier) keys.push(`${lang}_${country}@${modifier}`);
  if (country) keys.push(`${lang}_${country}`);
  if (modifier) keys.push(`${lang}@${modifier}`);
  keys.push(lang);
  return keys;
}

function localized(fields: ReadonlyMap<string, string>, key: string, locale: string): string | undefined {
  for (const l of localeKeys(locale)) {
    const value = fields.get(`${key}[${l}]`);
    if (value) return value;
  }
  return fields.get(key);
}

/**
 * The arguments of an Exec= value (escapes already undone): split on spaces, "double quotes"
 * with \" \` \$ \\ inside, field codes (%f %U %i …) dropped, %% kept as %. Undefined if malformed.
 */
export function splitExec(value: string): string[] | undefined {
  const args: string[] = [];
  let current = '';
  let started = false;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    const next = value.charAt(i + 1);
    if (quoted) {
      if ((c === '\\' && '"`$\\'.includes(next) && next !== '') || (c === '%' && next === '%')) {
        current += next;
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        current += c;
      }
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (started) args.push(current);
      current = '';
      started = false;
    } else if (c === '"') {
      quoted = true;
      started = true;
    } else if (c === '%') {
      // A field code stands for arguments the launcher would fill in: none here.
      if (next === '%') {
        current += '%';
        started = true;
      }
      i++;
    } else if (c === '\\' && next !== '') {
      current += next;
      started = true;
      i++;
    } else {
      current += c;
      started = true;
    }
  }
  if (quoted) return undefined;
  if (started) args.push(current);
  return args;
}

// ---- from an entry to the identity the helper will see ---------------------------------------

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function validIdentity(candidate: unknown): AppIdentity | undefined {
  const parsed = AppIdentitySchema.safeParse(candidate);
  return parsed.success ? parsed.data : undefined;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function fileHead(path: string, bytes = 4096): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await file.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await file.close();
  }
}

const SHELLS = /^(sh|bash|dash|zsh|ksh|mksh)$/;

class ExecResolver {
  constructor(private readonly binDirs: readonly string[]) {}

  /** A command as a launcher finds it: an absolute path as is, a bare name in the bin directories. */
  async locate(command: string): Promise<string | undefined> {
    if (command.startsWith('/')) return (await isExecutableFile(command)) ? command : undefined;
    if (command.includes('/')) return undefined;
    for (const dir of this.binDirs) {
      if (await isExecutableFile(`${dir}/${command}`)) return `${dir}/${command}`;
    }
    return undefined;
  }

  async identity(fields: ReadonlyMap<string, string>): Promise<AppIdentity | undefined> {
    const flatpak = fields.get('X-Flatpak');
    if (flatpak) return validIdentity({ kind: 'flatpak', appId: flatpak });
    const snap = fields.get('X-SnapInstanceName');
    // A parallel install (`name_key`) is the same snap to the helper.
    if (snap) return validIdentity({ kind: 'snap', name: snap.split('_')[0] });
    const argv = splitExec(fields.get('Exec') ?? '');
    if (!argv) return undefined;
    return this.commandIdentity(withoutEnv(argv), fields.get('Path'));
  }

  private async commandIdentity(argv: string[], cwd: string | undefined, depth = 0): Promise<AppIdentity | undefined> {
    const [command, ...args] = argv;
    if (command === undefined || depth > 2) return undefined;
    if (basename(command) === 'flatpak') {
      const run = args.indexOf('run');
      return run < 0 ? undefined : validIdentity({ kind: 'flatpak', appId: args.slice(run + 1).find((a) => !a.startsWith('-')) });
    }
    const snapBin = /^\/snap\/bin\/([^/]+)$/.exec(command)?.[1];
    // /snap/bin/NAME.APP runs app APP of snap NAME.
    if (snapBin) return validIdentity({ kind: 'snap', name: snapBin.split('.')[0]?.split('_')[0] });
    const located = await this.locate(command);
    if (!located) return undefined;
    let real: string;
    try {
      real = await realpath(located);
    } catch {
      return undefined;
    }
    // The AppImage runtime names the app by its file (APPIMAGE), whatever runs inside.
    if (/\.appimage$/i.test(real)) return validIdentity({ kind: 'appimage', name: basename(real) });
    const head = await fileHead(real).catch(() => '');
    if (head.startsWith('#!')) return this.scriptIdentity(real, head, located, args, cwd, depth);
    return deriveAppIdentity({ exe: real, cmdline: [located, ...args], cwd });
  }

  /**
   * A #! script: the kernel runs its interpreter with the script's path, so the helper sees the
   * interpreter as the exe and the script in argv. A shell wrapper that ends in `exec …/app`
   * (as /usr/bin/chromium is on Debian) is known by what it starts.
   */
  private async scriptIdentity(real: string, head: string, located: string, args: string[], cwd: string | undefined, depth: number): Promise<AppIdentity | undefined> {
    const [interpreter, option] = (head.slice(2).split('\n')[0] ?? '').trim().split(/[ \t]+/, 2);
    if (!interpreter) return undefined;
    const viaEnv = basename(interpreter) === 'env';
    const program = viaEnv ? option : interpreter;
    if (!program || program.startsWith('-')) return undefined;
    const interpreterPath = await this.locate(program);
    if (!interpreterPath) return undefined;
    const exe = await realpath(interpreterPath).catch(() => undefined);
    if (!exe) return undefined;
    if (SHELLS.test(basename(exe))) {
      for (const target of shellExecTargets(await fileHead(real, 64 * 1024))) {
        const identity = await this.commandIdentity([target, ...args], cwd, depth + 1);
        if (identity) return identity;
      }
    }
    const cmdline = [program, ...(viaEnv || option === undefined ? [] : [option]), located, ...args];
    return deriveAppIdentity({ exe, cmdline, cwd });
  }
}

/**
 * The absolute programs a shell wrapper `exec`s, with simple variables filled in from their
 * first plain assignment (`LIBDIR=/usr/lib/$APPNAME` … `exec $LIBDIR/$APPNAME "$@"`).
 */
export function shellExecTargets(text: string): string[] {
  const vars = new Map<string, string>();
  const expand = (word: string) => word.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => vars.get(a ?? b ?? '') ?? whole);
  const targets: string[] = [];
  for (const line of text.split('\n')) {
    const assignment = /^\s*(?:export\s+)?([A-Za-z_]\w*)=(?:"([^"`\\]*)"|'([^']*)'|([^\s"'`;&|()]*))\s*(?:[#;].*)?$/.exec(line);
    if (assignment?.[1] && !vars.has(assignment[1])) {
      vars.set(assignment[1], assignment[3] ?? expand(assignment[2] ?? assignment[4] ?? ''));
      continue;
    }
    const word = /^\s*exec\s+(?:-a\s+\S+\s+)?("[^"]+"|\S+)/.exec(line)?.[1];
    const target = word === undefined ? undefined : expand(word.replace(/^"(.*)"$/, '$1'));
    if (target?.startsWith('/') && !/[$`*?]/.test(target)) targets.push(target);
  }
  return targets;
}

/** `env A=1 B=2 program args` → `program args`. */
function withoutEnv(argv: string[]): string[] {
  if (argv[0] === undefined || basename(argv[0]) !== 'env') return argv;
  const rest = argv.slice(1);
  while (rest[0] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0])) rest.shift();
  return rest;
}

// ---- icons ----------------------------------------------------------------------------------

interface IconFile {
  path: string;
  type: 'png' | 'svg';
  /** Pixels (times the scale), or 'scalable'. */
  size: number | 'scalable';
  /** In the "apps" context, where app icons belong; an icon of the same name elsewhere comes second. */
  apps: boolean;
}

/** Lower is better: 48/64 px PNG, then scalable SVG, then PNG nearest to 48 px (larger first), then any SVG. */
function iconRank(icon: IconFile): number {
  return sizeRank(icon) + (icon.apps ? 0 : 0.5);
}

function sizeRank(icon: IconFile): number {
  if (icon.type === 'png' && (icon.size === 48 || icon.size === 64)) return icon.size === 48 ? 0 : 1;
  if (icon.type === 'svg' && icon.size === 'scalable') return 2;
  if (icon.type === 'png' && typeof icon.size === 'number') return icon.size > 48 ? 3 + icon.size / 1e5 : 4 + (48 - icon.size) / 1e5;
  return 5;
}

function sizeOf(dirName: string): number | 'scalable' | undefined {
  if (dirName === 'scalable') return 'scalable';
  const m = /^(\d+)(?:x\d+)?(?:@(\d+)x?)?$/.exec(dirName);
  return m ? Number(m[1]) * Number(m[2] ?? 1) : undefined;
}

async function dataUrl(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_ICON_BYTES) return undefined;
    const file = await open(path, 'r');
    let data: Buffer;
    try {
      data = await file.readFile();
    } finally {
      await file.close();
    }
    if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return `data:image/png;base64,${data.toString('base64')}`;
    if (/<svg[\s>]/i.test(data.toString('utf8'))) return `data:image/svg+xml;base64,${data.toString('base64')}`;
    return undefined;
  } catch {
    return undefined;
  }
}

// ---- cached directory reading ---------------------------------------------------------------

/** A value computed from a directory, recomputed when the directory's mtime changes. */
class DirCache<T> {
  private readonly entries = new Map<string, { mtimeMs: number; checkedAt: number; value: Promise<T> }>();

  constructor(private readonly recheckMs = 0) {}

  async get(dir: string, load: (dir: string) => Promise<T>): Promise<T | undefined> {
    const hit = this.entries.get(dir);
    const now = Date.now();
    if (hit && now - hit.checkedAt < this.recheckMs) return hit.value;
    let mtimeMs: number;
    try {
      const info = await stat(dir);
      if (!info.isDirectory()) throw new Error('not a directory');
      mtimeMs = info.mtimeMs;
    } catch {
      this.entries.delete(dir);
      return undefined;
    }
    if (hit && hit.mtimeMs === mtimeMs) {
      hit.checkedAt = now;
      return hit.value;
    }
    const value = load(dir);
    this.entries.set(dir, { mtimeMs, checkedAt: now, value });
    value.catch(() => this.entries.delete(dir));
    return value;
  }
}

async function listDir(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  const dirs: string[] = [];
  for (const e of entries) {
    // Symlinks are common in icon themes and application folders: follow them.
    const kind = e.isSymbolicLink() ? await stat(`${dir}/${e.name}`).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => undefined) : e.isDirectory() ? 'dir' : 'file';
    if (kind === 'dir') dirs.push(e.name);
    else if (kind === 'file') files.push(e.name);
  }
  return { files: files.sort(), dirs: dirs.sort() };
}

// ---- the service ----------------------------------------------------------------------------

interface DesktopEntry {
  file: string;
  fields: ReadonlyMap<string, string>;
  identity: AppIdentity;
  noDisplay: boolean;
  /** Words in Exec=: of two entries for one app, the plain launcher has fewer ("firefox" vs "firefox --private-window"). */
  execWords: number;
}

/** What one .desktop file amounts to: an app, a deletion of the same id elsewhere (Hidden), or nothing usable. */
type ParsedFile = { id: string; entry: DesktopEntry | 'hidden' | undefined };

export class DesktopApps implements DesktopAppsPort {
  private readonly dataDirs: string[];
  private readonly iconThemeDirs: string[];
  private readonly pixmapDirs: string[];
  private readonly language: () => string;
  private readonly resolver: ExecResolver;
  private readonly appDirs = new DirCache<{ parsed: ParsedFile[]; dirs: string[] }>();
  private readonly iconDirs = new DirCache<{ files: string[]; dirs: string[] }>(ICON_RECHECK_MS);
  /** Per call: icons found by name, and the app icons of each theme directory. */
  private readonly icons = new Map<string, Promise<string | undefined>>();
  private readonly themeIndexes = new Map<string, Promise<Map<string, IconFile[]>>>();

  constructor(opts: DesktopAppsOptions = {}) {
    this.dataDirs = opts.dataDirs ?? defaultDataDirs();
    this.iconThemeDirs = opts.iconThemeDirs ?? [`${homedir()}/.icons`, ...this.dataDirs.map((d) => `${d}/icons`)];
    this.pixmapDirs = opts.pixmapDirs ?? this.dataDirs.map((d) => `${d}/pixmaps`);
    this.language = opts.language ?? systemLocale;
    this.resolver = new ExecResolver(opts.binDirs ?? DEFAULT_BIN_DIRS);
  }

  async describe(identities: readonly AppIdentity[]): Promise<AppDescription[]> {
    const byKey = await this.entriesByKey();
    this.forgetIcons();
    return Promise.all(identities.map((identity) => {
      const entry = byKey.get(appKey(identity));
      return entry ? this.description(identity, entry) : { identity, name: appDisplayName(identity) };
    }));
  }

  async installed(): Promise<AppDescription[]> {
    const byKey = await this.entriesByKey();
    this.forgetIcons();
    const shown = [...byKey.values()].filter((e) => !e.noDisplay);
    const described = await Promise.all(shown.map((e) => this.description(e.identity, e)));
    const collator = collatorFor(this.language());
    return described.sort((a, b) => collator.compare(a.name, b.name));
  }

  /** Icon lookups are remembered within a call; directory listings (rechecked by mtime) across calls. */
  private forgetIcons(): void {
    this.icons.clear();
    this.themeIndexes.clear();
  }

  private async description(identity: AppIdentity, entry: DesktopEntry): Promise<AppDescription> {
    const name = localized(entry.fields, 'Name', this.language()) || appDisplayName(identity);
    const iconName = entry.fields.get('Icon');
    const icon = iconName ? await this.icon(iconName) : undefined;
    return { identity, name, ...(icon !== undefined ? { icon } : {}), desktopFile: entry.file };
  }

  /** One entry per app key: a shown entry wins over a NoDisplay one, then the plainer Exec=, then the more important directory. */
  private async entriesByKey(): Promise<Map<string, DesktopEntry>> {
    const seenIds = new Set<string>();
    const byKey = new Map<string, DesktopEntry>();
    for (const dataDir of this.dataDirs) {
      for (const { id, entry } of await this.applications(`${dataDir}/applications`, '')) {
        // The same desktop file id in a less important directory is overridden (or deleted, by Hidden).
        if (seenIds.has(id)) continue;
        seenIds.add(id);
        if (entry === undefined || entry === 'hidden') continue;
        const key = appKey(entry.identity);
        const existing = byKey.get(key);
        if (!existing || preferred(entry, existing)) byKey.set(key, entry);
      }
    }
    return byKey;
  }

  /** The entries of an applications directory and its subdirectories (whose ids get a `sub-` prefix). */
  private async applications(dir: string, idPrefix: string): Promise<ParsedFile[]> {
    const listing = await this.appDirs.get(dir, (d) => this.readApplications(d, idPrefix));
    if (!listing) return [];
    const nested = await Promise.all(listing.dirs.map((sub) => this.applications(`${dir}/${sub}`, `${idPrefix}${sub}-`)));
    return [...listing.parsed, ...nested.flat()];
  }

  private async readApplications(dir: string, idPrefix: string): Promise<{ parsed: ParsedFile[]; dirs: string[] }> {
    const { files, dirs } = await listDir(dir);
    const parsed = await Promise.all(files.filter((f) => f.endsWith('.desktop')).map(async (f) => ({ id: `${idPrefix}${f}`, entry: await this.readEntry(`${dir}/${f}`) })));
    return { parsed, dirs };
  }

  private async readEntry(file: string): Promise<DesktopEntry | 'hidden' | undefined> {
    let fields: Map<string, string> | undefined;
    try {
      const handle = await open(file, 'r');
      try {
        // Desktop files are small; anything huge is not one.
        if ((await handle.stat()).size > 256 * 1024) return undefined;
        fields = parseDesktopEntry(await handle.readFile('utf8'));
      } finally {
        await handle.close();
      }
    } catch {
      return undefined;
    }
    if (!fields) return undefined;
    if (fields.get('Hidden') === 'true') return 'hidden';
    if (fields.get('Type') !== 'Application') return undefined;
    const tryExec = fields.get('TryExec');
    if (tryExec && !(await this.resolver.locate(tryExec))) return undefined;
    const identity = await this.resolver.identity(fields).catch(() => undefined);
    if (!identity) return undefined;
    return { file, fields, identity, noDisplay: fields.get('NoDisplay') === 'true', execWords: splitExec(fields.get('Exec') ?? '')?.length ?? 0 };
  }

  /** The icon as a data: URL, from a path or a name looked up in the themes (hicolor first), then pixmaps. */
  private icon(name: string): Promise<string | undefined> {
    let found = this.icons.get(name);
    if (!found) {
      found = this.findIcon(name);
      this.icons.set(name, found);
    }
    return found;
  }

  private async findIcon(name: string): Promise<string | undefined> {
    if (name.startsWith('/')) return /\.(png|svg)$/i.test(name) ? dataUrl(name) : undefined;
    if (name.includes('/')) return undefined;
    // Icon=firefox.png is against the spec, but common enough.
    const bare = name.replace(/\.(png|svg|xpm)$/i, '');
    for (const theme of await this.themeNames()) {
      const candidates = (await Promise.all(this.iconThemeDirs.map((base) => this.themeIndex(`${base}/${theme}`)))).flatMap((index) => index.get(bare) ?? []);
      candidates.sort((a, b) => iconRank(a) - iconRank(b));
      for (const candidate of candidates) {
        const url = await dataUrl(candidate.path);
        if (url) return url;
      }
    }
    for (const dir of this.pixmapDirs) {
      for (const ext of ['png', 'svg']) {
        const url = await dataUrl(`${dir}/${bare}.${ext}`);
        if (url) return url;
      }
    }
    return undefined;
  }

  /** hicolor, where apps install their icons, then every other theme by name. */
  private async themeNames(): Promise<string[]> {
    const names = new Set<string>();
    for (const base of this.iconThemeDirs) {
      for (const theme of (await this.iconDirs.get(base, listDir))?.dirs ?? []) names.add(theme);
    }
    names.delete('hicolor');
    return ['hicolor', ...[...names].sort()];
  }

  private themeIndex(themeDir: string): Promise<Map<string, IconFile[]>> {
    let index = this.themeIndexes.get(themeDir);
    if (!index) {
      index = this.readThemeIndex(themeDir);
      this.themeIndexes.set(themeDir, index);
    }
    return index;
  }

  /** The icons of one theme directory, laid out THEME/SIZE/CONTEXT/NAME.ext or THEME/CONTEXT/SIZE/NAME.ext. */
  private async readThemeIndex(themeDir: string): Promise<Map<string, IconFile[]>> {
    const index = new Map<string, IconFile[]>();
    const top = await this.iconDirs.get(themeDir, listDir);
    if (!top) return index;
    const leaves: { dir: string; size: number | 'scalable'; context: string }[] = [];
    for (const child of top.dirs) {
      const childSize = sizeOf(child);
      for (const sub of (await this.iconDirs.get(`${themeDir}/${child}`, listDir))?.dirs ?? []) {
        const size = childSize ?? sizeOf(sub);
        if (size !== undefined) leaves.push({ dir: `${themeDir}/${child}/${sub}`, size, context: childSize === undefined ? child : sub });
      }
    }
    for (const leaf of leaves) {
      for (const file of (await this.iconDirs.get(leaf.dir, listDir))?.files ?? []) {
        const m = /^(.+)\.(png|svg)$/.exec(file);
        if (!m?.[1] || !m[2]) continue;
        const icon: IconFile = { path: `${leaf.dir}/${file}`, type: m[2] as IconFile['type'], size: leaf.size, apps: leaf.context === 'apps' };
        index.set(m[1], [...(index.get(m[1]) ?? []), icon]);
      }
    }
    return index;
  }
}

function preferred(candidate: DesktopEntry, existing: DesktopEntry): boolean {
  if (candidate.noDisplay !== existing.noDisplay) return !candidate.noDisplay;
  return candidate.execWords < existing.execWords;
}

function collatorFor(locale: string): Intl.Collator {
  try {
    return new Intl.Collator(localeKeys(locale)[0]?.replace('_', '-').replace(/@.*$/, ''), { sensitivity: 'base' });
  } catch {
    return new Intl.Collator(undefined, { sensitivity: 'base' });
  }
}
