// Strings of the apps screen.
export const apps = {
  en: {
    title: 'apps',
  },
  ja: {
    title: 'apps',
  },
} as const;
