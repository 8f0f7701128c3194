// The settings file: defaults when it is missing or broken (and a broken file is left alone),
// validated and atomic writes, private permissions, and a 'changed' event.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, SettingsStore } from '../../electron/main/settings-store';
import type { Settings } from '../../shared/ipc/contract';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palisade-settings-'));
  path = join(dir, 'config/Palisade/settings.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SettingsStore', () => {
  it('gives the defaults when there is no file, without creating one', async () => {
    expect(DEFAULT_SETTINGS).toEqual({ language: 'system', theme: 'system', notifications: true });
    expect(await new SettingsStore(path).get()).toEqual(DEFAULT_SETTINGS);
    await expect(stat(path)).rejects.toThrow();
  });

  it('falls back to the defaults for a corrupt or invalid file and leaves the file untouched', async () => {
    await mkdir(join(dir, 'config/Palisade'), { recursive: true });
    for (const text of ['{ not json', '[]', 'null', '"ja"', '{"language":"fr","theme":"neon","notifications":"yes"}']) {
      await writeFile(path, text);
      expect(await new SettingsStore(path).get(), text).toEqual(DEFAULT_SETTINGS);
      expect(await readFile(path, 'utf8')).toBe(text);
    }
  });

  it('keeps the valid fields of a partly invalid file', async () => {
    await mkdir(join(dir, 'config/Palisade'), { recursive: true });
    await writeFile(path, JSON.stringify({ language: 'ja', theme: 'neon', future: 1 }));
    expect(await new SettingsStore(path).get()).toEqual({ language: 'ja', theme: 'system', notifications: true });
  });

  it('writes a change atomically, 0600 in a 0700 directory, and announces it', async () => {
    const store = new SettingsStore(path);
    const seen: Settings[] = [];
    store.on('changed', (s) => seen.push(s));
    expect(await store.set({ language: 'ja' })).toEqual({ ...DEFAULT_SETTINGS, language: 'ja' });
    expect(await store.set({ theme: 'dark', notifications: undefined })).toEqual({ language: 'ja', theme: 'dark', notifications: true });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ language: 'ja', theme: 'dark', notifications: true });
    expect(await new SettingsStore(path).get()).toEqual({ language: 'ja', theme: 'dark', notifications: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'config/Palisade'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(dir, 'config/Palisade'))).toEqual(['settings.json']);
    expect(seen).toEqual([{ ...DEFAULT_SETTINGS, language: 'ja' }, { language: 'ja', theme: 'dark', notifications: true }]);
    // Setting what is already there is no change.
    await store.set({ theme: 'dark' });
    expect(seen).toHaveLength(2);
  });

  it('refuses invalid values and keeps the file as it was', async () => {
    const store = new SettingsStore(path);
    await store.set({ notifications: false });
    const before = await readFile(path, 'utf8');
    await expect(store.set({ language: 'fr' } as never)).rejects.toMatchObject({ code: 'invalid-args' });
    await expect(store.set({ notifications: 'no' } as never)).rejects.toThrow(/notifications/);
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(await readdir(join(dir, 'config/Palisade'))).toEqual(['settings.json']);
  });

  it('replaces a corrupt file on the next change', async () => {
    await mkdir(join(dir, 'config/Palisade'), { recursive: true });
    await writeFile(path, '{ broken');
    expect(await new SettingsStore(path).set({ theme: 'light' })).toEqual({ ...DEFAULT_SETTINGS, theme: 'light' });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ ...DEFAULT_SETTINGS, theme: 'light' });
  });

  it('applies quick successive changes one after another, losing none', async () => {
    const store = new SettingsStore(path);
    await Promise.all([store.set({ language: 'en' }), store.set({ theme: 'dark' }), store.set({ notifications: false })]);
    expect(await store.get()).toEqual({ language: 'en', theme: 'dark', notifications: false });
  });

  it('reports a directory it cannot write to', async () => {
    await writeFile(join(dir, 'config'), 'a file where a directory should be');
    await expect(new SettingsStore(path).set({ theme: 'dark' })).rejects.toThrow();
    expect(await new SettingsStore(path).get()).toEqual(DEFAULT_SETTINGS);
  });
});
