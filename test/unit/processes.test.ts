// Socket → process attribution against a fake /proc tree: fd links "socket:[INODE]", exe and cwd
// links, NUL-separated cmdline, status Uid lines. The fd walk is the expensive part, so it must
// happen only for inodes the cache cannot place, and a cached holder that exited is dropped.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessAttributor } from '../../electron/helper/sockets/processes';

interface FakeProcess {
  pid: number;
  exe?: string;
  cmdline?: string[];
  uid?: number;
  cwd?: string;
  /** fd number → link target */
  fds?: Record<number, string>;
  environ?: string[];
  cgroup?: string;
  /** Contents of ROOT/.flatpak-info (the process's root becomes a directory of its own). */
  flatpakInfo?: string;
}

let dir: string;
let procRoot: string;
let passwdPath: string;

/** A process that opens another socket. */
function addFd(pid: number, fd: number, target: string): void {
  symlinkSync(target, join(procRoot, String(pid), 'fd', String(fd)));
}

function addProcess(p: FakeProcess): void {
  const base = join(procRoot, String(p.pid));
  mkdirSync(join(base, 'fd'), { recursive: true });
  if (p.exe) symlinkSync(p.exe, join(base, 'exe'));
  if (p.cwd) symlinkSync(p.cwd, join(base, 'cwd'));
  writeFileSync(join(base, 'cmdline'), (p.cmdline ?? []).map((a) => `${a}\0`).join(''));
  const uid = p.uid ?? 0;
  writeFileSync(join(base, 'status'), `Name:\tx\nState:\tS (sleeping)\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t0\t0\t0\t0\n`);
  writeFileSync(join(base, 'environ'), (p.environ ?? ['PATH=/usr/bin']).map((e) => `${e}\0`).join(''));
  writeFileSync(join(base, 'cgroup'), p.cgroup ?? '0::/user.slice/user-1000.slice/session-2.scope\n');
  const root = join(dir, `root-${p.pid}`);
  mkdirSync(root);
  if (p.flatpakInfo !== undefined) writeFileSync(join(root, '.flatpak-info'), p.flatpakInfo);
  symlinkSync(root, join(base, 'root'));
  for (const [fd, target] of Object.entries(p.fds ?? {})) symlinkSync(target, join(base, 'fd', fd));
}

const removeProcess = (pid: number) => rmSync(join(procRoot, String(pid)), { recursive: true });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-proc-'));
  procRoot = join(dir, 'proc');
  mkdirSync(procRoot);
  passwdPath = join(dir, 'passwd');
  writeFileSync(passwdPath, 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n');
  // Things in /proc that are not processes, and a process with no fd access (a kernel thread).
  mkdirSync(join(procRoot, 'net'));
  writeFileSync(join(procRoot, 'uptime'), '1.0 1.0\n');
  mkdirSync(join(procRoot, '2'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const attributor = () => new ProcessAttributor({ procRoot, passwdPath });

describe('ProcessAttributor', () => {
  it('finds the holder of a socket inode and reads who it is', async () => {
    addProcess({
      pid: 4242, exe: '/usr/bin/python3.11', cmdline: ['python3', '-u', 'server.py', '--port', '8000'], uid: 1000, cwd: '/srv/tool',
      fds: { 0: '/dev/null', 1: 'pipe:[999]', 3: 'socket:[123]', 4: 'anon_inode:[eventpoll]' },
    });
    const found = await attributor().attribute([123]);
    expect(found.get(123)).toEqual({
      process: { pid: 4242, exe: '/usr/bin/python3.11', cmdline: ['python3', '-u', 'server.py', '--port', '8000'], uid: 1000, user: 'alice' },
      app: { kind: 'script', interpreter: '/usr/bin/python3.11', script: '/srv/tool/server.py' },
    });
  });

  it('a known inode is not looked for again; a new one in a known holder or a new process spares the walk; elsewhere it walks', async () => {
    addProcess({ pid: 10, exe: '/usr/sbin/sshd', cmdline: ['sshd'], fds: { 3: 'socket:[500]', 4: 'socket:[501]' } });
    const a = attributor();
    await a.attribute([500]);
    expect(a.scans).toBe(1);
    await a.attribute([500]);
    await a.attribute([500, 501]); // found by the first walk too
    expect(a.scans).toBe(1);
    // A process started since the walk (a higher pid) and a holder that opens another socket.
    addProcess({ pid: 11, exe: '/usr/bin/socat', cmdline: ['socat'], fds: { 5: 'socket:[600]' } });
    expect((await a.attribute([600])).get(600)?.process.pid).toBe(11);
    addFd(10, 7, 'socket:[502]');
    expect((await a.attribute([502])).get(502)?.process.pid).toBe(10);
    expect(a.scans).toBe(1);
    // An older process that held no socket before: only the walk of every process finds it.
    addProcess({ pid: 5, exe: '/usr/bin/old', cmdline: ['old'], fds: { 3: 'socket:[650]' } });
    expect((await a.attribute([650])).get(650)?.process.pid).toBe(5);
    expect(a.scans).toBe(2);
  });

  it('a cached holder that exited is dropped, and the socket is looked for again', async () => {
    addProcess({ pid: 20, exe: '/usr/bin/daemon', cmdline: ['daemon'], fds: { 3: 'socket:[700]' } });
    const a = attributor();
    expect((await a.attribute([700])).get(700)?.process.pid).toBe(20);
    removeProcess(20);
    addProcess({ pid: 21, exe: '/usr/bin/daemon', cmdline: ['daemon', '--child'], fds: { 3: 'socket:[700]' } });
    expect((await a.attribute([700])).get(700)?.process.pid).toBe(21);
    expect(a.scans).toBe(1); // pid 21 started after the walk: read first, no second walk
    removeProcess(21);
    expect((await a.attribute([700])).has(700)).toBe(false);
  });

  it('an inode no process holds is looked for once, not on every lookup', async () => {
    addProcess({ pid: 30, exe: '/usr/bin/x', cmdline: ['x'], fds: { 3: 'socket:[800]' } });
    const a = attributor();
    expect((await a.attribute([999])).size).toBe(0);
    await a.attribute([999]);
    await a.attribute([999, 800]);
    expect(a.scans).toBe(1);
    a.forget([999]);
    await a.attribute([999]);
    expect(a.scans).toBe(2);
  });

  it('inode 0 (TIME_WAIT and request sockets) has no holder and costs no walk', async () => {
    const a = attributor();
    expect((await a.attribute([0])).size).toBe(0);
    expect(a.scans).toBe(0);
  });

  it('retainOnly drops what a complete socket list no longer has', async () => {
    addProcess({ pid: 40, exe: '/usr/bin/x', cmdline: ['x'], fds: { 3: 'socket:[901]', 4: 'socket:[902]' } });
    const a = attributor();
    await a.attribute([901, 902]);
    a.retainOnly(new Set([901]));
    await a.attribute([901]);
    expect(a.scans).toBe(1);
    // Looked for again, in the holder still known: found without a walk.
    expect((await a.attribute([902])).get(902)?.process.pid).toBe(40);
    expect(a.scans).toBe(1);
  });

  it('a socket shared after fork is credited to the parent; init yields to the service it activated', async () => {
    addProcess({ pid: 1, exe: '/usr/lib/systemd/systemd', cmdline: ['/sbin/init'], fds: { 40: 'socket:[1001]', 41: 'socket:[1002]' } });
    addProcess({ pid: 300, exe: '/usr/sbin/nginx', cmdline: ['nginx: master process'], fds: { 6: 'socket:[1002]' } });
    addProcess({ pid: 301, exe: '/usr/sbin/nginx', cmdline: ['nginx: worker process'], uid: 33, fds: { 6: 'socket:[1002]' } });
    const found = await attributor().attribute([1001, 1002]);
    expect(found.get(1001)?.process.pid).toBe(1);
    expect(found.get(1002)?.process.pid).toBe(300);
  });

  it('a uid missing from passwd has no user name; the name appears once passwd changes', async () => {
    addProcess({ pid: 50, exe: '/usr/bin/x', cmdline: ['x'], uid: 1234, fds: { 3: 'socket:[1100]' } });
    const a = attributor();
    expect((await a.attribute([1100])).get(1100)?.process.user).toBeNull();
    writeFileSync(passwdPath, 'root:x:0:0::/root:/bin/sh\nbob:x:1234:1234::/home/bob:/bin/sh\n');
    addProcess({ pid: 51, exe: '/usr/bin/x', cmdline: ['x'], uid: 1234, fds: { 3: 'socket:[1101]' } });
    expect((await a.attribute([1101])).get(1101)?.process.user).toBe('bob');
  });

  it('an unreadable exe is null; the process is still reported', async () => {
    addProcess({ pid: 60, cmdline: [], fds: { 3: 'socket:[1200]' } });
    expect((await attributor().attribute([1200])).get(1200)).toEqual({ process: { pid: 60, exe: null, cmdline: [], uid: 0, user: 'root' } });
  });

  it('reads the app from .flatpak-info, APPIMAGE and the cgroup', async () => {
    addProcess({ pid: 70, exe: '/app/bin/telegram', cmdline: ['telegram'], fds: { 3: 'socket:[1300]' }, flatpakInfo: '[Application]\nname=org.telegram.desktop\n' });
    addProcess({ pid: 71, exe: '/tmp/.mount_KeePasAbc/usr/bin/keepassxc', cmdline: ['keepassxc'], fds: { 3: 'socket:[1301]' }, environ: ['HOME=/home/u', 'APPIMAGE=/home/u/KeePassXC.AppImage'] });
    addProcess({ pid: 72, exe: '/usr/bin/x', cmdline: ['x'], fds: { 3: 'socket:[1302]' }, cgroup: '0::/user.slice/user-1000.slice/user@1000.service/app.slice/snap.spotify.spotify-abc.scope\n' });
    const found = await attributor().attribute([1300, 1301, 1302]);
    expect(found.get(1300)?.app).toEqual({ kind: 'flatpak', appId: 'org.telegram.desktop' });
    expect(found.get(1301)?.app).toEqual({ kind: 'appimage', name: 'KeePassXC.AppImage' });
    expect(found.get(1302)?.app).toEqual({ kind: 'snap', name: 'spotify' });
  });

  it('a .flatpak-info that is a FIFO or a symlink is not read (it lives in the process\'s own filesystem)', async () => {
    addProcess({ pid: 80, exe: '/usr/bin/x', cmdline: ['x'], fds: { 3: 'socket:[1400]' } });
    execFileSync('mkfifo', [join(dir, 'root-80', '.flatpak-info')]);
    addProcess({ pid: 81, exe: '/usr/bin/y', cmdline: ['y'], fds: { 3: 'socket:[1401]' } });
    writeFileSync(join(dir, 'elsewhere'), '[Application]\nname=org.evil.Spoof\n');
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'root-81', '.flatpak-info'));
    const found = await attributor().attribute([1400, 1401]);
    expect(found.get(1400)?.app).toEqual({ kind: 'executable', path: '/usr/bin/x' });
    expect(found.get(1401)?.app).toEqual({ kind: 'executable', path: '/usr/bin/y' });
  });

  it('isAlive follows the process directory', () => {
    addProcess({ pid: 90, exe: '/usr/bin/x', cmdline: ['x'] });
    const a = attributor();
    expect(a.isAlive(90)).toBe(true);
    removeProcess(90);
    expect(a.isAlive(90)).toBe(false);
  });
});
