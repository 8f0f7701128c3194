// Strings of the settings screen.
export const settings = {
  en: {
    title: 'settings',
  },
  ja: {
    title: 'settings',
  },
} as const;
