// i18next for the renderer. Each namespace lives in its own file with English and Japanese side
// by side (test/unit/i18n.test.ts checks both have every key); English is the reference type.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { NAMESPACES, type Language } from './namespaces';

export type { Language };

export async function initI18n(language: Language): Promise<typeof i18next> {
  const resources = Object.fromEntries((['en', 'ja'] as const).map((lng) => [lng, Object.fromEntries(Object.entries(NAMESPACES).map(([ns, dict]) => [ns, dict[lng]]))]));
  await i18next.use(initReactI18next).init({
    resources,
    lng: language,
    fallbackLng: 'en',
    defaultNS: 'common',
    ns: Object.keys(NAMESPACES),
    interpolation: { escapeValue: false }, // React escapes
    returnNull: false,
  });
  document.documentElement.lang = language;
  return i18next;
}

export async function setLanguage(language: Language): Promise<void> {
  await i18next.changeLanguage(language);
  document.documentElement.lang = language;
}

/** "system" → the first system language we have, else English. */
export function resolveLanguage(setting: 'system' | Language, systemLanguages: readonly string[]): Language {
  if (setting !== 'system') return setting;
  const preferred = [...systemLanguages, ...navigator.languages].find((l) => /^(en|ja)\b/i.test(l));
  return preferred?.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}
