import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import patchline from './eslint/layering.js';

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'web/dist', 'dist', 'coverage'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // the layers: core < store < services < faces (and the engine); the agent apart; nothing imports the CLI
    files: ['src/**/*.ts', 'web/src/**/*.{ts,tsx}'],
    plugins: { patchline },
    rules: { 'patchline/layering': 'error', 'patchline/no-queries': 'error' },
  },
  {
    // core is pure: no I/O, no imports from the layers above it
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:fs*',
                'node:net',
                'node:http*',
                'node:child_process',
                'fs',
                'pg',
                'kysely',
                '@electric-sql/*',
              ],
              message: 'core is pure: no I/O',
            },
            {
              group: [
                '**/store/**',
                '**/services/**',
                '**/faces/**',
                '**/engine/**',
                '**/cli/**',
                '**/agent/**',
              ],
              message: 'core imports nothing from the layers above it',
            },
          ],
        },
      ],
    },
  },
);
