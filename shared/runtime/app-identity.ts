// Which app a process is, from facts the helper reads in /proc. The identity must survive
// updates and relaunches (BRIEF.md §1): Flatpak and Snap apps by their ids, AppImages by file
// name (their mount path changes every launch), interpreted programs by their script, the
// rest by executable path. Pure: the helper does the reading.
import { AppIdentitySchema, type AppIdentity } from '../policy/schema';

export interface ProcessFacts {
  /** /proc/PID/exe; null when unreadable. A trailing " (deleted)" is tolerated. */
  exe: string | null;
  /** argv, as read from /proc/PID/cmdline. */
  cmdline: readonly string[];
  /** /proc/PID/cwd: relative script paths are resolved against it. */
  cwd?: string | undefined;
  /** The cgroup path, or the whole text of /proc/PID/cgroup. */
  cgroup?: string | undefined;
  /** Text of /proc/PID/root/.flatpak-info, present only inside a Flatpak sandbox. */
  flatpakInfo?: string | undefined;
  /** The APPIMAGE environment variable: the path of the AppImage file that was run. */
  appImage?: string | undefined;
}

/** The app a process belongs to, or undefined when no valid identity can be derived. */
export function deriveAppIdentity(facts: ProcessFacts): AppIdentity | undefined {
  const exe = facts.exe === null ? null : stripDeleted(facts.exe);
  const identity = flatpakIdentity(facts) ?? snapIdentity(facts, exe) ?? appImageIdentity(facts, exe) ?? programIdentity(facts, exe);
  if (!identity) return undefined;
  const checked = AppIdentitySchema.safeParse(identity);
  return checked.success ? checked.data : undefined;
}

/** The kernel marks a path whose file was replaced or removed (a package update) this way. */
function stripDeleted(path: string): string {
  return path.endsWith(' (deleted)') ? path.slice(0, -' (deleted)'.length) : path;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Path segments of every hierarchy in a cgroup path or /proc/PID/cgroup text. */
function cgroupSegments(cgroup: string | undefined): string[] {
  if (!cgroup) return [];
  return cgroup.split('\n').flatMap((line) => {
    const path = /^\d+:[^:]*:(.*)$/.exec(line)?.[1] ?? line;
    return path.split('/').filter(Boolean);
  });
}

function flatpakIdentity(facts: ProcessFacts): AppIdentity | undefined {
  const appId = facts.flatpakInfo !== undefined ? flatpakInfoAppId(facts.flatpakInfo) : undefined;
  if (appId) return { kind: 'flatpak', appId };
  // flatpak-run names the scope `app-flatpak-<appid>-<pid>.scope`; app ids may contain '-'.
  for (const segment of cgroupSegments(facts.cgroup)) {
    const fromScope = /^app-flatpak-(.+)-\d+\.scope$/.exec(segment)?.[1];
    if (fromScope) return { kind: 'flatpak', appId: fromScope };
  }
  return undefined;
}

/** `name=` in the `[Application]` group of the keyfile Flatpak writes into every sandbox. */
function flatpakInfoAppId(text: string): string | undefined {
  let group = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      group = header[1] ?? '';
      continue;
    }
    if (group === 'Application' && line.startsWith('name=')) return line.slice('name='.length).trim() || undefined;
  }
  return undefined;
}

function snapIdentity(facts: ProcessFacts, exe: string | null): AppIdentity | undefined {
  // snapd runs apps in `snap.<snap>.<app>-<uuid>.scope` (or `snap.<snap>.<app>.service`) from
  // /snap/<snap>/<revision>/. A parallel install is `<snap>_<key>`: still the same snap.
  const fromCgroup = cgroupSegments(facts.cgroup).map((s) => /^snap\.([^.]+)\./.exec(s)?.[1]).find(Boolean);
  const fromExe = exe === null ? undefined : /^\/snap\/([^/]+)\//.exec(exe)?.[1];
  const name = fromCgroup ?? fromExe;
  return name ? { kind: 'snap', name: name.split('_')[0] ?? name } : undefined;
}

function appImageIdentity(facts: ProcessFacts, exe: string | null): AppIdentity | undefined {
  if (facts.appImage) return { kind: 'appimage', name: basename(facts.appImage) };
  // The AppImage runtime mounts the image at `$TMPDIR/.mount_<prefix><random>` and always sets
  // APPIMAGE for what it starts; a process that dropped its environment is known by the
  // program inside the image, which stays the same across launches.
  if (exe !== null && /\/\.mount_[^/]+\//.test(exe)) return { kind: 'appimage', name: basename(exe) };
  return undefined;
}

function programIdentity(facts: ProcessFacts, exe: string | null): AppIdentity | undefined {
  if (exe === null) return undefined;
  const syntax = interpreterSyntax(basename(exe));
  if (!syntax) return { kind: 'executable', path: exe };
  const script = scriptArgument(syntax, facts.cmdline.slice(1));
  if (script === undefined) return { kind: 'executable', path: exe };
  const cwd = facts.cwd === undefined ? undefined : stripDeleted(facts.cwd);
  const resolved = absolutePath(script, cwd);
  // A relative script with no known cwd cannot be named; calling it the interpreter would
  // lump it together with every other script that interpreter runs.
  return resolved === undefined ? undefined : { kind: 'script', interpreter: exe, script: resolved };
}

/** How an interpreter's command line names the script it runs. */
interface InterpreterSyntax {
  /** Options that take a value: attached (`-Wignore`, `--opt=v`) or as the next argument. */
  withValue: ReadonlySet<string>;
  /** Single-letter options whose value can only be attached (`perl -MFoo`, `ruby -W2`). */
  attachedValue?: ReadonlySet<string>;
  /** Options after which the program is not a file: code on the command line, a module, stdin. */
  noScript: ReadonlySet<string>;
  /** An option whose value is the script (`java -jar app.jar`, `php -f x.php`). */
  scriptOption?: string;
  /** Whether single-letter options combine (`python -uO`, `bash -eu`). */
  clustered: boolean;
  /** Shells also take options with '+' (`+o posix`). */
  plusOptions?: boolean;
  /** Which plain arguments are scripts; java's plain argument is usually a class name. */
  isScript?: (arg: string) => boolean;
}

const set = (...items: string[]): ReadonlySet<string> => new Set(items);

const PYTHON: InterpreterSyntax = {
  clustered: true,
  withValue: set('-W', '-X', '--check-hash-based-pycs'),
  noScript: set('-c', '-m', '-h', '-?', '--help', '-V', '--version', '--help-env', '--help-xoptions', '--help-all'),
};

const NODE: InterpreterSyntax = {
  clustered: false,
  withValue: set(
    '-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--inspect-port', '--debug-port',
    '--title', '--env-file', '--env-file-if-exists', '--input-type', '--watch-path', '--redirect-warnings', '--disable-warning',
    '--openssl-config', '--icu-data-dir', '--dns-result-order', '--unhandled-rejections', '--diagnostic-dir', '--report-dir',
    '--report-directory', '--report-filename', '--report-signal', '--cpu-prof-dir', '--cpu-prof-name', '--heap-prof-dir',
    '--heap-prof-name', '--secure-heap', '--secure-heap-min', '--tls-keylog', '--tls-cipher-list', '--experimental-policy',
    '--trace-event-categories', '--trace-event-file-pattern', '--stack-trace-limit', '--max-http-header-size',
  ),
  noScript: set('-e', '--eval', '-p', '--print', '-pe', '-i', '--interactive', '-h', '--help', '-v', '--version', '--run', '--v8-options'),
};

const PERL: InterpreterSyntax = {
  clustered: true,
  withValue: set('-I'),
  attachedValue: set('-M', '-m', '-i', '-l', '-0', '-C', '-x', '-d', '-D', '-V'),
  noScript: set('-e', '-E', '-v', '-h'),
};

const RUBY: InterpreterSyntax = {
  clustered: true,
  withValue: set('-I', '-r', '-C', '-E', '--encoding', '--external-encoding', '--internal-encoding', '--enable', '--disable'),
  attachedValue: set('-W', '-K', '-T', '-x', '-0', '-F', '-i'),
  noScript: set('-e', '-v', '--version', '-h', '--help'),
};

const PHP: InterpreterSyntax = {
  clustered: false,
  withValue: set('-d', '-c', '-z', '-S', '-t', '-F', '--php-ini', '--define', '--zend-extension'),
  noScript: set('-r', '-R', '-B', '-E', '-a', '--interactive', '-i', '--info', '-m', '--modules', '-v', '--version', '-h', '--help'),
  scriptOption: '-f',
};

const SHELL: InterpreterSyntax = {
  clustered: true,
  plusOptions: true,
  withValue: set('-o', '-O', '+o', '+O', '--rcfile', '--init-file'),
  noScript: set('-c', '-s', '--help', '--version'),
};

const JAVA: InterpreterSyntax = {
  clustered: false,
  withValue: set('-cp', '-classpath', '--class-path', '-p', '--module-path', '--upgrade-module-path', '--add-modules', '--source'),
  noScript: set('-m', '--module', '-version', '--version', '-h', '-help', '--help'),
  scriptOption: '-jar',
  // `java Main` names a class; `java Server.java` runs a single source file (JEP 330).
  isScript: (arg) => arg.endsWith('.java'),
};

/** Versioned binaries (`python3.11`, `php8.2`) are the same interpreter. */
const INTERPRETERS: readonly [RegExp, InterpreterSyntax][] = [
  [/^(python|pypy)\d*(\.\d+)*$/, PYTHON],
  [/^(node|nodejs)\d*$/, NODE],
  [/^perl\d*(\.\d+)*$/, PERL],
  [/^ruby\d*(\.\d+)*$/, RUBY],
  [/^php\d*(\.\d+)*$/, PHP],
  [/^(sh|bash|dash|zsh|ksh|mksh)$/, SHELL],
  [/^java$/, JAVA],
];

function interpreterSyntax(exeName: string): InterpreterSyntax | undefined {
  return INTERPRETERS.find(([pattern]) => pattern.test(exeName))?.[1];
}

/** The script argument of an interpreter command line (argv without argv[0]), if there is one. */
function scriptArgument(syntax: InterpreterSyntax, args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') return nonEmpty(args[i + 1]);
    if (arg === '-') return undefined; // the program comes from stdin
    const isOption = arg.startsWith('-') || (syntax.plusOptions === true && arg.startsWith('+') && arg.length > 1);
    if (!isOption) return (syntax.isScript ?? (() => true))(arg) ? nonEmpty(arg) : undefined;
    const step = !syntax.clustered || arg.startsWith('--') ? wholeOption(syntax, arg, args[i + 1]) : clusteredOptions(syntax, arg, args[i + 1]);
    if (step.kind === 'none') return undefined;
    if (step.kind === 'script') return nonEmpty(step.script);
    if (step.consumesNext) i++;
  }
  return undefined;
}

type OptionStep = { kind: 'none' } | { kind: 'script'; script: string | undefined } | { kind: 'option'; consumesNext: boolean };

/** `--name`, `--name=value`, or an unclustered `-name` (node, php, java). */
function wholeOption(syntax: InterpreterSyntax, arg: string, next: string | undefined): OptionStep {
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg : arg.slice(0, eq);
  if (syntax.noScript.has(name)) return { kind: 'none' };
  if (name === syntax.scriptOption) return { kind: 'script', script: eq < 0 ? next : arg.slice(eq + 1) };
  return { kind: 'option', consumesNext: eq < 0 && syntax.withValue.has(name) };
}

/** `-uO`, `-Wignore`, `-W ignore`, `-eu`, `+o posix`. */
function clusteredOptions(syntax: InterpreterSyntax, arg: string, next: string | undefined): OptionStep {
  const sign = arg.charAt(0);
  for (let j = 1; j < arg.length; j++) {
    const option = sign + arg.charAt(j);
    const rest = arg.slice(j + 1);
    if (syntax.noScript.has(option)) return { kind: 'none' };
    if (option === syntax.scriptOption) return { kind: 'script', script: rest || next };
    if (syntax.withValue.has(option)) return { kind: 'option', consumesNext: rest === '' };
    if (syntax.attachedValue?.has(option)) break;
  }
  return { kind: 'option', consumesNext: false };
}

function nonEmpty(text: string | undefined): string | undefined {
  return text ? text : undefined;
}

/** `path` made absolute against `cwd` and normalised lexically (no `.`, `..` or `//`). */
function absolutePath(path: string, cwd: string | undefined): string | undefined {
  let full: string;
  if (path.startsWith('/')) full = path;
  else if (cwd?.startsWith('/')) full = `${cwd}/${path}`;
  else return undefined;
  const segments: string[] = [];
  for (const segment of full.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}`;
}
