// The language of the main process's own words (tray, notifications): the user's setting, or
// for "system" the first of the desktop's preferred languages Palisade speaks; English otherwise.
// The renderer resolves it the same way (renderer/src/i18n).
import type { Settings } from '../../shared/ipc/contract';
import { MAIN_STRINGS, type MainLanguage } from '../main/strings';

export function resolveMainLanguage(setting: Settings['language'], systemLanguages: readonly string[]): MainLanguage {
  if (setting !== 'system') return setting;
  for (const tag of systemLanguages) {
    const primary = tag.toLowerCase().split(/[-_.@]/)[0] ?? '';
    if (Object.hasOwn(MAIN_STRINGS, primary)) return primary as MainLanguage;
  }
  return 'en';
}
