// Every string of the window exists in English and Japanese, with the same placeholders.
import { describe, expect, it } from 'vitest';
import { NAMESPACES } from '../../renderer/src/i18n/namespaces';

type Tree = { [key: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of leaves(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe.each(Object.entries(NAMESPACES))('namespace %s', (_name, dict) => {
  const en = leaves(dict.en as unknown as Tree);
  const ja = leaves(dict.ja as unknown as Tree);

  it('has the same keys in English and Japanese', () => {
    expect([...ja.keys()].sort()).toEqual([...en.keys()].sort());
  });

  it('uses the same placeholders in both, and no empty strings', () => {
    for (const [key, text] of en) {
      expect({ key, placeholders: placeholders(ja.get(key) ?? '') }).toEqual({ key, placeholders: placeholders(text) });
      expect(text.trim(), key).not.toBe('');
      expect((ja.get(key) ?? '').trim(), key).not.toBe('');
    }
  });

  it('is translated: Japanese strings are not just English copies (names and codes aside)', () => {
    const copies = [...en].filter(([key, text]) => ja.get(key) === text && /[a-z]{4,}\s+[a-z]{3,}/i.test(text));
    expect(copies.map(([key]) => key)).toEqual([]);
  });
});
