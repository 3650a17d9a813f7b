// Lint rules, including the design's dependency direction: shared -> nothing of ours; models -> shared;
// client and server -> models and shared, never each other; the launcher (npm start) -> server, models and shared,
// and starts the device code (the demo fleet) by path, never by import.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ours = (names) => names.map((n) => ({ group: [`**/${n}/**`, `../${n}/*`, `../../${n}/*`], message: `may not import from ${n}/ (see the design's dependency direction)` }));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'test-artifacts/**', 'data/**', 'out/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...ours(['models', 'client', 'server', 'bench']),
          { group: ['node:*', 'fs', 'path', 'crypto', 'http', 'net'], message: 'shared/ is pure: no I/O' },
          { group: ['@tensorflow/*'], message: 'shared/ has no tfjs' },
        ],
      }],
    },
  },
  {
    files: ['models/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ours(['client', 'server', 'bench']) }] },
  },
  {
    files: ['client/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ours(['server', 'bench']) }] },
  },
  {
    files: ['server/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ours(['client', 'bench']) }] },
  },
  {
    files: ['launcher/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ours(['client', 'bench']) }] },
  },
);
