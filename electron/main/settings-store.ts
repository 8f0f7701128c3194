// The user's app preferences (language, theme, notifications) in a small JSON file in their
// config directory. Reading never fails: a missing file means the defaults, and a file that is
// not valid JSON or holds values this version does not know gives the defaults for what is
// wrong, while the file is left as it is (a newer version, or the user, may have written it).
// Writing is atomic (temp file, fsync, rename), private to the user, and one at a time.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SettingsSchema, type Settings } from '../../shared/ipc/contract';
import type { SettingsPort } from './ports';
import { IpcFailure } from './dispatch';

export const DEFAULT_SETTINGS: Settings = { language: 'system', theme: 'system', notifications: true };

type SettingsPatch = Parameters<SettingsPort['set']>[0];

/** Each field of `value` that is valid, over the defaults. */
function settingsFrom(value: unknown): Settings {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ...DEFAULT_SETTINGS };
  const record = value as Record<string, unknown>;
  const fields = SettingsSchema.shape;
  const pick = <K extends keyof Settings>(key: K): Settings[K] => {
    const parsed = fields[key].safeParse(record[key]);
    return parsed.success ? (parsed.data as Settings[K]) : DEFAULT_SETTINGS[key];
  };
  return { language: pick('language'), theme: pick('theme'), notifications: pick('notifications') };
}

export class SettingsStore extends EventEmitter<{ changed: [Settings] }> implements SettingsPort {
  /** Changes are applied one after another, so two quick ones cannot undo each other. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {
    super();
  }

  async get(): Promise<Settings> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return { ...DEFAULT_SETTINGS };
    }
    try {
      return settingsFrom(JSON.parse(text));
    } catch {
      return { ...DEFAULT_SETTINGS };
    }
  }

  set(patch: SettingsPatch): Promise<Settings> {
    const run = this.queue.then(() => this.apply(patch));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(patch: SettingsPatch): Promise<Settings> {
    const current = await this.get();
    const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const parsed = SettingsSchema.safeParse({ ...current, ...given });
    if (!parsed.success) {
      throw new IpcFailure('invalid-args', `settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const next = parsed.data;
    await this.write(next);
    if (JSON.stringify(next) !== JSON.stringify(current)) this.emit('changed', next);
    return next;
  }

  private async write(settings: Settings): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const file = await open(temp, 'wx', 0o600);
      try {
        await file.writeFile(`${JSON.stringify(settings, null, 2)}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}
