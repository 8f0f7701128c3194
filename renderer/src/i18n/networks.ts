// Strings of the networks screen.
export const networks = {
  en: {
    title: 'networks',
  },
  ja: {
    title: 'networks',
  },
} as const;
