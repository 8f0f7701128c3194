// Strings of the activity screen.
export const activity = {
  en: {
    title: 'activity',
  },
  ja: {
    title: 'activity',
  },
} as const;
