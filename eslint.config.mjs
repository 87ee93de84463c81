// One lint configuration. The rule that matters most: src/model is pure (no `vscode`), so the
// same model runs in the extension host, the CLI, the webview's host and plain-Node unit tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importCycles from './scripts/lint/importCycles.mjs';

// The editor's features, each a folder of src/: they import the model, the store and the shared
// host helpers (src/*.ts), never each other, so that each can be read, changed and removed alone.
const FEATURES = ['editor', 'graphPanel', 'hitsTree', 'summary', 'walkthrough', 'render', 'recording'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', '.bench/**', '.qemu-cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    plugins: { local: { rules: { 'no-import-cycle': importCycles } } },
    rules: { 'local/no-import-cycle': 'error' },
  },
  ...FEATURES.map((feature) => ({
    files: [`src/${feature}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: FEATURES.filter((f) => f !== feature).flatMap((f) => [`../${f}`, `../${f}/*`, `../../${f}`, `../../${f}/*`]),
              message: 'Features import the model, the store and src/*.ts helpers, never another feature (issue 13).',
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['src/model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/model is pure: it must not import vscode (design.md §3).' }],
          patterns: [{ group: ['../*', '!../model/*'], message: 'src/model imports only from src/model.' }],
        },
      ],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
);
