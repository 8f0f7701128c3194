// Strings of the rules screen.
export const rules = {
  en: {
    title: 'rules',
  },
  ja: {
    title: 'rules',
  },
} as const;
