// App names and icons from .desktop files, in a fake XDG tree with real-looking entries: the
// identity each entry maps to is the one the helper derives for the running process (real path
// of the executable, script for interpreters, Flatpak id, snap name, AppImage name), names are
// localized, Hidden/NoDisplay/TryExec are honoured, icons come from hicolor (48/64 px PNG, then
// scalable SVG), other themes and pixmaps as data: URLs, and a changed directory is read again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdir, mkdtemp, realpath, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DesktopApps, parseDesktopEntry, shellExecTargets, splitExec } from '../../electron/main/desktop-apps';
import type { AppIdentity } from '../../shared/policy/schema';
import { appKey } from '../../shared/policy/identity';

let root: string;
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('fake image data')]);
const SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><rect width="48" height="48"/></svg>\n';
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
const png = (marker: string) => Buffer.concat([PNG, Buffer.from(marker)]);
const dataUrlOf = (type: 'png' | 'svg', content: Buffer | string) => `data:image/${type === 'png' ? 'png' : 'svg+xml'};base64,${Buffer.from(content).toString('base64')}`;

const p = (...parts: string[]) => join(root, ...parts);

async function file(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  await chmod(path, mode);
}

const program = (path: string) => file(path, ELF, 0o755);
const script = (path: string, text: string) => file(path, text, 0o755);
const entry = (lines: string[]) => `${lines.join('\n')}\n`;

function apps(language = 'en'): DesktopApps {
  return new DesktopApps({
    dataDirs: [p('home/.local/share'), p('usr/local/share'), p('usr/share'), p('var/lib/flatpak/exports/share'), p('var/lib/snapd/desktop')],
    binDirs: [p('usr/local/bin'), p('usr/bin')],
    language: () => language,
  });
}

let firefox: AppIdentity;
let python: string;

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'palisade-desktop-')));
  const share = (...parts: string[]) => p('usr/share', ...parts);

  // Programs: Firefox through a symlink (as Debian does), Python as python3 → python3.11.
  await program(p('usr/lib/firefox-esr/firefox-esr'));
  await mkdir(p('usr/bin'), { recursive: true });
  await symlink(p('usr/lib/firefox-esr/firefox-esr'), p('usr/bin/firefox'));
  await program(p('usr/bin/python3.11'));
  await symlink('python3.11', p('usr/bin/python3'));
  python = p('usr/bin/python3.11');
  firefox = { kind: 'executable', path: p('usr/lib/firefox-esr/firefox-esr') };
  await program(p('usr/bin/syncd'));
  await program(p('usr/lib/chat/chat-bin'));
  // A wrapper as Debian ships /usr/bin/chromium: variables, then exec.
  await script(p('usr/bin/chat'), `#!/bin/sh\nAPPNAME=chat-bin\nLIBDIR="${p('usr/lib/chat')}"\nexport CHAT_HOME=/opt/chat\nif [ -n "$DEBUG" ]; then\n  exec gdb $LIBDIR/$APPNAME\nfi\nexec $LIBDIR/$APPNAME $CHAT_FLAGS "$@"\n`);
  await script(p('usr/local/bin/notes'), '#!/usr/bin/env python3\nimport notes\n');
  await program(p('home/Applications/Obsidian-1.5.3.AppImage'));

  await file(share('applications/firefox-esr.desktop'), entry([
    '[Desktop Entry]', 'Version=1.0', 'Name=Firefox ESR', 'Name[ja]=Firefox ESR (日本語)', 'Name[ja_JP]=ファイアフォックス',
    'GenericName=Web Browser', 'Comment=Browse the World Wide Web', 'Exec=firefox %u', 'Icon=firefox-esr', 'Terminal=false',
    'Type=Application', 'MimeType=text/html;x-scheme-handler/http;', 'StartupNotify=true', 'Categories=Network;WebBrowser;', 'Actions=new-private-window;',
    '', '[Desktop Action new-private-window]', 'Name=New Private Window', 'Exec=firefox --private-window %u', 'Icon=other',
  ]));
  await file(share('applications/firefox-private.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Firefox (private window)', 'Exec=firefox --private-window %u']));
  await file(share('applications/my-tool.desktop'), entry([
    '[Desktop Entry]', 'Type=Application', 'Name=My Tool Server', 'Name[ja]=マイ ツール', `Exec=python3 "/opt/My Tool/server.py" --port 8000`, 'Icon=my-tool',
  ]));
  await file(share('applications/notes.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Notes', 'Exec=notes %F', 'Icon=notes.png']));
  await file(share('applications/chat.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Chat', `Exec=${p('usr/bin/chat')} %U`, 'Icon=chat']));
  await file(share('applications/syncd.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Sync Daemon', 'NoDisplay=true', 'Exec=syncd --daemon', 'Icon=syncd']));
  await file(share('applications/gone.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Gone', 'Hidden=true', 'Exec=syncd']));
  await file(share('applications/vim.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Vim', 'Exec=syncd --vim']));
  await file(share('applications/website.desktop'), entry(['[Desktop Entry]', 'Type=Link', 'Name=Website', 'URL=https://example.org/']));
  await file(share('applications/uninstalled.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Uninstalled', 'Exec=/opt/nowhere/app']));
  await file(share('applications/tryexec.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Needs Helper', 'TryExec=not-installed', 'Exec=syncd --x']));
  await file(share('applications/broken.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Broken', 'Exec="syncd --unterminated']));
  await file(share('applications/obsidian.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Obsidian', `Exec=${p('home/Applications/Obsidian-1.5.3.AppImage')} %u`]));
  await file(share('applications/kde/daemon-ui.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Sync Daemon UI', `Exec=${p('usr/bin/syncd')} --ui`]));

  // The user's own directory overrides and deletes system entries with the same id.
  await file(p('home/.local/share/applications/vim.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Hidden=true']));
  await file(p('home/.local/share/applications/chat.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=My Chat', `Exec=${p('usr/bin/chat')}`, 'Icon=chat']));

  // Flatpak and Snap exports.
  await file(p('var/lib/flatpak/exports/share/applications/org.mozilla.firefox.desktop'), entry([
    '[Desktop Entry]', 'Type=Application', 'Name=Firefox', 'Name[ja]=Firefox (Flatpak)',
    'Exec=/usr/bin/flatpak run --branch=stable --arch=x86_64 --command=firefox --file-forwarding org.mozilla.firefox @@u %u @@',
    'Icon=org.mozilla.firefox', 'X-Flatpak=org.mozilla.firefox',
  ]));
  await file(p('var/lib/flatpak/exports/share/applications/org.gnome.Maps.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Maps', 'Exec=flatpak run org.gnome.Maps']));
  await file(p('var/lib/snapd/desktop/applications/spotify_spotify.desktop'), entry([
    '[Desktop Entry]', 'Type=Application', 'Name=Spotify', 'X-SnapInstanceName=spotify',
    'Exec=env BAMF_DESKTOP_FILE_HINT=/var/lib/snapd/desktop/applications/spotify_spotify.desktop /snap/bin/spotify %U', `Icon=${p('snap/spotify/current/usr/share/spotify/icons/spotify-linux-128.png')}`,
  ]));
  await file(p('var/lib/snapd/desktop/applications/code_code-insiders.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Code - Insiders', 'Exec=env BAMF_DESKTOP_FILE_HINT=x /snap/bin/code.insiders --new-window %F']));

  // Icons: hicolor with PNG sizes and scalable SVG, another theme laid out CONTEXT/SIZE, pixmaps.
  await file(share('icons/hicolor/16x16/apps/firefox-esr.png'), png('16'));
  await file(share('icons/hicolor/48x48/apps/firefox-esr.png'), png('48'));
  await file(share('icons/hicolor/128x128/apps/firefox-esr.png'), png('128'));
  await file(share('icons/hicolor/scalable/apps/firefox-esr.svg'), SVG);
  await file(share('icons/hicolor/scalable/apps/my-tool.svg'), SVG);
  await file(share('icons/hicolor/22x22/apps/my-tool.png'), png('22'));
  await file(share('icons/hicolor/48x48/apps/chat.png'), Buffer.alloc(300 * 1024, 1)); // too big, and not a PNG
  await file(share('icons/hicolor/256x256/apps/chat.png'), png('256'));
  await file(share('icons/Breeze/apps/48/notes.svg'), SVG.replace('rect', 'circle'));
  await file(share('icons/Adwaita/48x48/apps/firefox-esr.png'), png('adwaita')); // hicolor comes first
  await file(share('icons/Adwaita/48x48/devices/syncd.png'), png('device')); // a name in another context
  await file(share('pixmaps/org.gnome.Maps.xpm'), '/* XPM */'); // neither PNG nor SVG
  await file(share('pixmaps/syncd.png'), png('pixmap'));
  await file(p('var/lib/flatpak/exports/share/icons/hicolor/64x64/apps/org.mozilla.firefox.png'), png('flatpak'));
  await file(p('snap/spotify/current/usr/share/spotify/icons/spotify-linux-128.png'), png('snap'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('desktop entry format', () => {
  it('reads the [Desktop Entry] group only, with escapes undone', () => {
    const fields = parseDesktopEntry('# comment\n[Desktop Entry]\nName = A\\sB\\\\C\nName[ja]=ア\nExec=x\n[Desktop Action y]\nName=Other\nExec=y\n');
    expect(fields?.get('Name')).toBe(' B\\C'.replace(' B', 'A B'));
    expect(fields?.get('Name[ja]')).toBe('ア');
    expect(fields?.get('Exec')).toBe('x');
    expect(parseDesktopEntry('[Something Else]\nName=x\n')).toBeUndefined();
  });

  it('splits Exec like a launcher: quotes, escapes, field codes', () => {
    expect(splitExec('firefox %u')).toEqual(['firefox']);
    expect(splitExec('"/opt/My App/app" --title "say \\"hi\\"" %F')).toEqual(['/opt/My App/app', '--title', 'say "hi"']);
    // In the file `\\$` is `\$` after the string escapes, then `$` after the quoting rules.
    expect(splitExec(parseDesktopEntry('[Desktop Entry]\nExec="/bin/app" "50%% \\\\$off" --file=%f %i %c %k\n')?.get('Exec') ?? '')).toEqual(['/bin/app', '50% $off', '--file=']);
    expect(splitExec('""')).toEqual(['']);
    expect(splitExec('"unterminated')).toBeUndefined();
  });

  it('finds what a shell wrapper execs', () => {
    expect(shellExecTargets('#!/bin/sh\nprefix=/usr\nexec ${prefix}/share/app/app.py "$@"\n')).toEqual(['/usr/share/app/app.py']);
    expect(shellExecTargets('#!/bin/sh\nA=chromium\nLIBDIR=/usr/lib/$A\nexec $LIBDIR/$A $FLAGS "$@"\n')).toEqual(['/usr/lib/chromium/chromium']);
    expect(shellExecTargets('#!/bin/sh\nexec "$@"\nexec $UNKNOWN/app\nexec -a name "/opt/My App/app"\n')).toEqual(['/opt/My App/app']);
  });
});

describe('installed apps', () => {
  it('lists every app that maps to an identity, sorted, one per app', async () => {
    const list = await apps().installed();
    expect(list.map((a) => [a.name, a.identity])).toEqual([
      ['Code - Insiders', { kind: 'snap', name: 'code' }],
      ['Firefox', { kind: 'flatpak', appId: 'org.mozilla.firefox' }],
      ['Firefox ESR', firefox],
      ['Maps', { kind: 'flatpak', appId: 'org.gnome.Maps' }],
      ['My Chat', { kind: 'executable', path: p('usr/lib/chat/chat-bin') }],
      ['My Tool Server', { kind: 'script', interpreter: python, script: '/opt/My Tool/server.py' }],
      ['Notes', { kind: 'script', interpreter: python, script: p('usr/local/bin/notes') }],
      ['Obsidian', { kind: 'appimage', name: 'Obsidian-1.5.3.AppImage' }],
      ['Spotify', { kind: 'snap', name: 'spotify' }],
      ['Sync Daemon UI', { kind: 'executable', path: p('usr/bin/syncd') }],
    ]);
    const ff = list.find((a) => a.name === 'Firefox ESR');
    expect(ff?.desktopFile).toBe(p('usr/share/applications/firefox-esr.desktop'));
  });

  it('uses the localized names, most specific locale first', async () => {
    const names = (await apps('ja_JP.UTF-8').installed()).map((a) => a.name);
    expect(names).toContain('ファイアフォックス');
    expect(names).toContain('マイ ツール');
    expect(names).toContain('Firefox (Flatpak)');
    expect((await apps('ja').installed()).map((a) => a.name)).toContain('Firefox ESR (日本語)');
    expect((await apps('de_DE').installed()).map((a) => a.name)).toContain('Firefox ESR');
  });

  it('resolves icons: 48 px PNG over SVG, scalable SVG over other sizes, other themes, pixmaps, absolute paths', async () => {
    const byName = new Map((await apps().installed()).map((a) => [a.name, a.icon]));
    expect(byName.get('Firefox ESR')).toBe(dataUrlOf('png', png('48')));
    expect(byName.get('My Tool Server')).toBe(dataUrlOf('svg', SVG));
    expect(byName.get('My Chat')).toBe(dataUrlOf('png', png('256'))); // the 48 px one is too big and no PNG
    expect(byName.get('Notes')).toBe(dataUrlOf('svg', SVG.replace('rect', 'circle')));
    expect(byName.get('Firefox')).toBe(dataUrlOf('png', png('flatpak')));
    expect(byName.get('Spotify')).toBe(dataUrlOf('png', png('snap')));
    expect(byName.get('Maps')).toBeUndefined();
  });
});

describe('describe', () => {
  it('names identities after the entry with the same app key, or falls back to a derived name', async () => {
    const described = await apps().describe([
      firefox,
      { kind: 'flatpak', appId: 'org.mozilla.firefox' },
      { kind: 'snap', name: 'spotify' },
      // Another Python version runs the same script app.
      { kind: 'script', interpreter: p('usr/bin/python3.12'), script: '/opt/My Tool/server.py' },
      // NoDisplay entries still name what they start.
      { kind: 'executable', path: p('usr/bin/syncd') },
      { kind: 'executable', path: '/usr/sbin/sshd' },
      { kind: 'appimage', name: 'Obsidian-1.5.3.AppImage' },
    ]);
    expect(described.map((d) => d.name)).toEqual(['Firefox ESR', 'Firefox', 'Spotify', 'My Tool Server', 'Sync Daemon UI', 'sshd', 'Obsidian']);
    expect(described[0]).toMatchObject({ identity: firefox, desktopFile: p('usr/share/applications/firefox-esr.desktop'), icon: dataUrlOf('png', png('48')) });
    expect(described[3]?.identity).toEqual({ kind: 'script', interpreter: p('usr/bin/python3.12'), script: '/opt/My Tool/server.py' });
    expect(described[5]).toEqual({ identity: { kind: 'executable', path: '/usr/sbin/sshd' }, name: 'sshd' });
  });

  it('falls back to pixmaps', async () => {
    await program(p('usr/bin/pix'));
    await file(p('usr/share/applications/pix.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Pix', 'Exec=pix', 'Icon=syncd-pixmap']));
    await file(p('usr/share/pixmaps/syncd-pixmap.png'), png('pixmap'));
    expect((await apps().describe([{ kind: 'executable', path: p('usr/bin/pix') }]))[0]?.icon).toBe(dataUrlOf('png', png('pixmap')));
    await rm(p('usr/share/applications/pix.desktop'));
  });

  it('uses a NoDisplay entry when it is the only one for the app', async () => {
    await program(p('usr/bin/lonely'));
    await file(p('usr/share/applications/lonely.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Lonely Service', 'NoDisplay=true', 'Exec=lonely', 'Icon=syncd']));
    const [d] = await apps().describe([{ kind: 'executable', path: p('usr/bin/lonely') }]);
    expect(d).toMatchObject({ name: 'Lonely Service', icon: dataUrlOf('png', png('device')) });
    expect((await apps().installed()).map((a) => a.name)).not.toContain('Lonely Service');
    await rm(p('usr/share/applications/lonely.desktop'));
  });

  it('skips Hidden, Type=Link, uninstalled, TryExec-less and malformed entries', async () => {
    const names = (await apps().installed()).map((a) => a.name);
    for (const name of ['Gone', 'Vim', 'Website', 'Uninstalled', 'Needs Helper', 'Broken', 'Firefox (private window)', 'Chat', 'Sync Daemon']) expect(names).not.toContain(name);
  });
});

describe('cache', () => {
  it('reads a directory again when its mtime changes, and not otherwise', async () => {
    const service = apps();
    const appsDir = p('usr/share/applications');
    // Whole milliseconds, so that setting the same time again gives the same mtime.
    const then = new Date(Math.floor((await stat(appsDir)).mtimeMs) - 60_000);
    await utimes(appsDir, then, then);
    expect((await service.installed()).map((a) => a.name)).not.toContain('New App');
    // An in-place edit does not touch the directory: the parsed entry stays.
    await file(p('usr/share/applications/notes.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=Notes (edited)', 'Exec=notes']));
    await utimes(appsDir, then, then);
    expect((await service.installed()).map((a) => a.name)).toContain('Notes');
    // A new file changes the directory.
    await program(p('usr/bin/newapp'));
    await file(p('usr/share/applications/newapp.desktop'), entry(['[Desktop Entry]', 'Type=Application', 'Name=New App', 'Exec=newapp']));
    const names = (await service.installed()).map((a) => a.name);
    expect(names).toContain('New App');
    expect(names).toContain('Notes (edited)');
    expect((await service.describe([{ kind: 'executable', path: p('usr/bin/newapp') }]))[0]?.name).toBe('New App');
    expect(appKey({ kind: 'executable', path: p('usr/bin/newapp') })).toBe(`exe:${p('usr/bin/newapp')}`);
  });
});
