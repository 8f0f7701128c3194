// deriveAppIdentity: which app a process is, by what survives updates and relaunches
// (BRIEF.md §1): Flatpak app id, snap name, AppImage file name, interpreter script, executable.
import { describe, expect, it } from 'vitest';
import { deriveAppIdentity, type ProcessFacts } from '../../shared/runtime/app-identity';
import { AppIdentitySchema } from '../../shared/policy/schema';

const facts = (exe: string | null, cmdline: string[], extra: Partial<ProcessFacts> = {}): ProcessFacts => ({ exe, cmdline, ...extra });
const exe = (path: string) => ({ kind: 'executable', path });
const script = (interpreter: string, scriptPath: string) => ({ kind: 'script', interpreter, script: scriptPath });

describe('deriveAppIdentity: executables', () => {
  it('a plain program is its executable path', () => {
    expect(deriveAppIdentity(facts('/usr/sbin/sshd', ['sshd: /usr/sbin/sshd -D']))).toEqual(exe('/usr/sbin/sshd'));
  });

  it('strips the " (deleted)" the kernel appends after a package update replaced the binary', () => {
    expect(deriveAppIdentity(facts('/usr/bin/syncthing (deleted)', ['syncthing']))).toEqual(exe('/usr/bin/syncthing'));
  });

  it('an unreadable exe with nothing else to go on has no identity', () => {
    expect(deriveAppIdentity(facts(null, ['whatever']))).toBeUndefined();
  });

  it('a path the schema rejects (relative, or not normalised) gives undefined, not an invalid identity', () => {
    expect(deriveAppIdentity(facts('bin/server', []))).toBeUndefined();
    expect(deriveAppIdentity(facts('/opt/../bin/server', []))).toBeUndefined();
  });

  it('every identity it returns satisfies the policy schema', () => {
    const cases: ProcessFacts[] = [
      facts('/usr/bin/python3.11', ['python3', 'srv.py'], { cwd: '/srv' }),
      facts('/usr/bin/firefox', ['firefox']),
      facts('/app/bin/x', [], { flatpakInfo: '[Application]\nname=org.example.App\n' }),
      facts('/snap/lxd/123/bin/lxd', ['lxd']),
      facts('/tmp/.mount_Foo12ab/usr/bin/foo', [], { appImage: '/home/u/Foo.AppImage' }),
    ];
    for (const c of cases) expect(AppIdentitySchema.safeParse(deriveAppIdentity(c)).success).toBe(true);
  });
});

describe('deriveAppIdentity: interpreters and scripts', () => {
  const PY = '/usr/bin/python3.11';
  const NODE = '/usr/bin/node';

  it('python with a script is the script, whichever python binary runs it', () => {
    expect(deriveAppIdentity(facts(PY, ['python3', '/opt/tool/server.py', '--port', '8000']))).toEqual(script(PY, '/opt/tool/server.py'));
    expect(deriveAppIdentity(facts('/usr/bin/python2.7', ['python', '/opt/a.py']))).toEqual(script('/usr/bin/python2.7', '/opt/a.py'));
    expect(deriveAppIdentity(facts('/usr/bin/pypy3', ['pypy3', '/opt/a.py']))).toEqual(script('/usr/bin/pypy3', '/opt/a.py'));
  });

  it('a relative script is resolved against the process cwd and normalised', () => {
    expect(deriveAppIdentity(facts(PY, ['python3', 'server.py'], { cwd: '/opt/tool' }))).toEqual(script(PY, '/opt/tool/server.py'));
    expect(deriveAppIdentity(facts(PY, ['python3', './bin/../server.py'], { cwd: '/opt/tool/' }))).toEqual(script(PY, '/opt/tool/server.py'));
    expect(deriveAppIdentity(facts(PY, ['python3', '//opt//./x.py']))).toEqual(script(PY, '/opt/x.py'));
  });

  it('a relative script with an unknown cwd cannot be named, so there is no identity', () => {
    expect(deriveAppIdentity(facts(PY, ['python3', 'server.py']))).toBeUndefined();
  });

  it('a cwd that was deleted still resolves the script', () => {
    expect(deriveAppIdentity(facts(PY, ['python3', 'x.py'], { cwd: '/srv/app (deleted)' }))).toEqual(script(PY, '/srv/app/x.py'));
  });

  it('skips python options, clustered or with values', () => {
    const expected = script(PY, '/srv/app.py');
    for (const argv of [
      ['python3', '-u', '/srv/app.py'],
      ['python3', '-uO', '/srv/app.py'],
      ['python3', '-OO', '-B', '/srv/app.py'],
      ['python3', '-X', 'dev', '/srv/app.py'],
      ['python3', '-Xutf8', '/srv/app.py'],
      ['python3', '-W', 'ignore', '-u', '/srv/app.py'],
      ['python3', '-uW', 'ignore', '/srv/app.py'],
      ['python3', '-Wignore::DeprecationWarning', '/srv/app.py'],
      ['python3', '--check-hash-based-pycs', 'never', '/srv/app.py'],
      ['python3', '--', '/srv/app.py'],
    ]) {
      expect(deriveAppIdentity(facts(PY, argv)), argv.join(' ')).toEqual(expected);
    }
  });

  it('python -m, -c and stdin have no script: the program is the interpreter', () => {
    for (const argv of [
      ['python3', '-m', 'http.server', '8000'],
      ['python3', '-mhttp.server'],
      ['python3', '-u', '-m', 'http.server'],
      ['python3', '-c', 'import socket'],
      ['python3', '-uc', 'import socket'],
      ['python3', '-'],
      ['python3'],
    ]) {
      expect(deriveAppIdentity(facts(PY, argv)), argv.join(' ')).toEqual(exe(PY));
    }
  });

  it('a shebang script (interpreter options from the #! line, then the script as invoked)', () => {
    expect(deriveAppIdentity(facts(PY, ['/usr/bin/python3', '-u', './serve'], { cwd: '/home/u/bin' }))).toEqual(script(PY, '/home/u/bin/serve'));
  });

  it('skips node options, including ones that take the next argument', () => {
    const expected = script(NODE, '/srv/app/index.js');
    for (const argv of [
      ['node', '/srv/app/index.js'],
      ['node', '--inspect', '/srv/app/index.js'],
      ['node', '--inspect=0.0.0.0:9229', '/srv/app/index.js'],
      ['node', '--max-old-space-size=4096', '--enable-source-maps', '/srv/app/index.js'],
      ['node', '-r', 'dotenv/config', '/srv/app/index.js'],
      ['node', '--require', './tracing.js', '/srv/app/index.js'],
      ['node', '--import', 'tsx', '/srv/app/index.js'],
      ['node', '--env-file', '.env', '/srv/app/index.js'],
      ['node', '--', '/srv/app/index.js'],
    ]) {
      expect(deriveAppIdentity(facts(NODE, argv, { cwd: '/srv/app' })), argv.join(' ')).toEqual(expected);
    }
    expect(deriveAppIdentity(facts('/usr/bin/nodejs', ['nodejs', 'index.js'], { cwd: '/srv/app' }))).toEqual(script('/usr/bin/nodejs', '/srv/app/index.js'));
  });

  it('node -e / -p / -pe and the REPL have no script', () => {
    for (const argv of [['node', '-e', 'require("http")'], ['node', '--eval', 'x'], ['node', '-p', '1'], ['node', '-pe', '1'], ['node'], ['node', '-i']]) {
      expect(deriveAppIdentity(facts(NODE, argv)), argv.join(' ')).toEqual(exe(NODE));
    }
  });

  it('a process that rewrote its title (argv[0] only) is its executable', () => {
    expect(deriveAppIdentity(facts(NODE, ['my-server: worker 3']))).toEqual(exe(NODE));
  });

  it('perl, ruby and php', () => {
    expect(deriveAppIdentity(facts('/usr/bin/perl', ['perl', '-w', '-Mstrict', '-I', 'lib', 'srv.pl'], { cwd: '/opt/p' }))).toEqual(script('/usr/bin/perl', '/opt/p/srv.pl'));
    expect(deriveAppIdentity(facts('/usr/bin/perl', ['perl', '-e', 'print 1']))).toEqual(exe('/usr/bin/perl'));
    expect(deriveAppIdentity(facts('/usr/bin/ruby3.1', ['ruby', '-W0', '-r', 'socket', '/opt/r/app.rb']))).toEqual(script('/usr/bin/ruby3.1', '/opt/r/app.rb'));
    expect(deriveAppIdentity(facts('/usr/bin/ruby3.1', ['ruby', '-e', 'puts 1']))).toEqual(exe('/usr/bin/ruby3.1'));
    expect(deriveAppIdentity(facts('/usr/bin/php8.2', ['php', '-d', 'x=1', '/var/www/worker.php']))).toEqual(script('/usr/bin/php8.2', '/var/www/worker.php'));
    expect(deriveAppIdentity(facts('/usr/bin/php8.2', ['php', '-f', '/var/www/worker.php']))).toEqual(script('/usr/bin/php8.2', '/var/www/worker.php'));
    expect(deriveAppIdentity(facts('/usr/bin/php8.2', ['php', '-S', '0.0.0.0:8000', 'router.php'], { cwd: '/var/www' }))).toEqual(script('/usr/bin/php8.2', '/var/www/router.php'));
    expect(deriveAppIdentity(facts('/usr/bin/php8.2', ['php', '-S', '0.0.0.0:8000', '-t', 'public']))).toEqual(exe('/usr/bin/php8.2'));
    expect(deriveAppIdentity(facts('/usr/bin/php8.2', ['php', '-r', 'echo 1;']))).toEqual(exe('/usr/bin/php8.2'));
  });

  it('shells: a script file, but not -c or stdin', () => {
    expect(deriveAppIdentity(facts('/usr/bin/bash', ['bash', '-eu', '-o', 'pipefail', 'serve.sh'], { cwd: '/opt/s' }))).toEqual(script('/usr/bin/bash', '/opt/s/serve.sh'));
    expect(deriveAppIdentity(facts('/usr/bin/dash', ['sh', '+o', 'posix', '/opt/s/x.sh']))).toEqual(script('/usr/bin/dash', '/opt/s/x.sh'));
    expect(deriveAppIdentity(facts('/usr/bin/bash', ['bash', '-c', 'nc -l 8000']))).toEqual(exe('/usr/bin/bash'));
    expect(deriveAppIdentity(facts('/usr/bin/bash', ['bash', '-s']))).toEqual(exe('/usr/bin/bash'));
    expect(deriveAppIdentity(facts('/usr/bin/bash', ['-bash']))).toEqual(exe('/usr/bin/bash'));
  });

  it('java: -jar names the program, a class name does not, a single source file does', () => {
    const JAVA = '/usr/lib/jvm/java-17-openjdk-amd64/bin/java';
    expect(deriveAppIdentity(facts(JAVA, ['java', '-Xmx1g', '-Dx=y', '-jar', 'server.jar'], { cwd: '/opt/j' }))).toEqual(script(JAVA, '/opt/j/server.jar'));
    expect(deriveAppIdentity(facts(JAVA, ['java', '-cp', 'lib/*', 'org.example.Main']))).toEqual(exe(JAVA));
    expect(deriveAppIdentity(facts(JAVA, ['java', '-m', 'mod/org.example.Main']))).toEqual(exe(JAVA));
    expect(deriveAppIdentity(facts(JAVA, ['java', 'Server.java'], { cwd: '/opt/j' }))).toEqual(script(JAVA, '/opt/j/Server.java'));
  });

  it('names that merely look like interpreters are plain executables', () => {
    expect(deriveAppIdentity(facts('/usr/bin/python-config', ['python-config', 'x']))).toEqual(exe('/usr/bin/python-config'));
    expect(deriveAppIdentity(facts('/usr/bin/node-red', ['node-red', 'flows.json']))).toEqual(exe('/usr/bin/node-red'));
  });

  it('a deleted interpreter binary is still the interpreter', () => {
    expect(deriveAppIdentity(facts('/usr/bin/python3.11 (deleted)', ['python3', '/srv/a.py']))).toEqual(script(PY, '/srv/a.py'));
  });
});

describe('deriveAppIdentity: sandboxed and bundled apps', () => {
  it('Flatpak: the app id from .flatpak-info, whatever runs inside the sandbox', () => {
    const info = '[Application]\nname=org.telegram.desktop\nruntime=runtime/org.freedesktop.Platform/x86_64/23.08\n\n[Instance]\ninstance-id=123\n';
    expect(deriveAppIdentity(facts('/app/bin/telegram', ['telegram'], { flatpakInfo: info }))).toEqual({ kind: 'flatpak', appId: 'org.telegram.desktop' });
    expect(deriveAppIdentity(facts('/usr/bin/python3', ['python3', '/app/x.py'], { flatpakInfo: info }))).toEqual({ kind: 'flatpak', appId: 'org.telegram.desktop' });
  });

  it('Flatpak: only the [Application] group names the app', () => {
    const runtimeOnly = '[Runtime]\nname=org.freedesktop.Platform\n';
    expect(deriveAppIdentity(facts('/usr/bin/bash', ['bash'], { flatpakInfo: runtimeOnly }))).toEqual(exe('/usr/bin/bash'));
  });

  it('Flatpak: the app id from the systemd scope when .flatpak-info is unreadable (ids may contain "-")', () => {
    const cgroup = '0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-flatpak-com.example.my-app-12345.scope\n';
    expect(deriveAppIdentity(facts('/app/bin/x', [], { cgroup }))).toEqual({ kind: 'flatpak', appId: 'com.example.my-app' });
  });

  it('Flatpak: an id the schema rejects gives undefined', () => {
    expect(deriveAppIdentity(facts('/app/bin/x', [], { flatpakInfo: '[Application]\nname=notanid\n' }))).toBeUndefined();
  });

  it('Snap: the snap name from the executable path or the snap scope; a parallel-install key is dropped', () => {
    expect(deriveAppIdentity(facts('/snap/firefox/4090/usr/lib/firefox/firefox', ['firefox']))).toEqual({ kind: 'snap', name: 'firefox' });
    expect(deriveAppIdentity(facts('/usr/bin/python3', ['python3', 'x.py'], { cgroup: '/user.slice/user-1000.slice/user@1000.service/app.slice/snap.code.code-1f2e3d4c.scope' }))).toEqual({ kind: 'snap', name: 'code' });
    expect(deriveAppIdentity(facts('/snap/lxd_test/123/bin/lxd', ['lxd']))).toEqual({ kind: 'snap', name: 'lxd' });
    expect(deriveAppIdentity(facts('/usr/sbin/x', [], { cgroup: '0::/system.slice/snap.lxd.daemon.service' }))).toEqual({ kind: 'snap', name: 'lxd' });
  });

  it('a full /proc/PID/cgroup text works as well as a bare path', () => {
    const text = '12:pids:/user.slice\n0::/user.slice/user-1000.slice/user@1000.service/app.slice/snap.spotify.spotify-abc.scope\n';
    expect(deriveAppIdentity(facts('/usr/bin/x', [], { cgroup: text }))).toEqual({ kind: 'snap', name: 'spotify' });
  });

  it('an ordinary desktop scope says nothing about the app', () => {
    const cgroup = '0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope';
    expect(deriveAppIdentity(facts('/usr/lib/firefox/firefox', ['firefox'], { cgroup }))).toEqual(exe('/usr/lib/firefox/firefox'));
  });

  it('AppImage: the file name from APPIMAGE, not the per-launch mount path', () => {
    const a = deriveAppIdentity(facts('/tmp/.mount_KeePasAbC123/usr/bin/keepassxc', ['keepassxc'], { appImage: '/home/u/Apps/KeePassXC-2.7.6-x86_64.AppImage' }));
    const b = deriveAppIdentity(facts('/tmp/.mount_KeePasXyZ789/usr/bin/keepassxc', ['keepassxc'], { appImage: '/home/u/Apps/KeePassXC-2.7.6-x86_64.AppImage' }));
    expect(a).toEqual({ kind: 'appimage', name: 'KeePassXC-2.7.6-x86_64.AppImage' });
    expect(b).toEqual(a);
  });

  it('AppImage: without APPIMAGE, a program inside an AppImage mount is named by that program', () => {
    expect(deriveAppIdentity(facts('/tmp/.mount_FooAppQwErTy/usr/bin/foo', ['foo']))).toEqual({ kind: 'appimage', name: 'foo' });
  });

  it('AppImage: an interpreter inside the image is still the AppImage', () => {
    expect(deriveAppIdentity(facts('/tmp/.mount_ToolAbc/usr/bin/python3', ['python3', 'main.py'], { appImage: '/opt/Tool.AppImage', cwd: '/tmp' })))
      .toEqual({ kind: 'appimage', name: 'Tool.AppImage' });
  });
});
