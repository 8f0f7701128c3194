// Strings of the exposure screen.
export const exposure = {
  en: {
    title: 'exposure',
  },
  ja: {
    title: 'exposure',
  },
} as const;
