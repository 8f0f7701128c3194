import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'test-results/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The renderer runs in a browser: React's rules of hooks apply.
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    // Plain CommonJS programs run as-is by Node (lab listeners, launchers).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Only the thin shell may load Electron: under plain Node, loading the electron package tries to
    // download the binary, and everything else is tested in Node.
    files: ['**/*.{ts,tsx,mjs,cjs,js}'],
    ignores: ['electron/shell/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'only electron/shell/ imports electron' }], patterns: [{ group: ['electron/*'], message: 'only electron/shell/ imports electron' }] }] },
  },
  {
    // The pure core must stay free of I/O: it runs in the helper, the CLI and the renderer.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['fs', 'fs/promises', 'child_process', 'net', 'dgram', 'os', 'path', 'electron', 'dbus-next'].map((name) => ({ name, message: 'shared/ is pure: no I/O, no Node or Electron APIs.' })),
        patterns: [{ group: ['node:*'], message: 'shared/ is pure: no I/O, no Node or Electron APIs.' }],
      }],
      'no-restricted-globals': ['error', 'process', 'require', '__dirname'],
    },
  },
);
