// Typed translation keys: English is the reference (test/unit/renderer-i18n.test.ts keeps the
// Japanese in step). Apart from the data, so code outside the renderer can read the dictionaries.
import type { NAMESPACES } from './namespaces';

type Namespaces = typeof NAMESPACES;

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'common';
    resources: { [K in keyof Namespaces]: Namespaces[K]['en'] };
  }
}
