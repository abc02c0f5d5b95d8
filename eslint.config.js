// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The CrewAI example's Python venv (made by `make deps`) ships third-party JavaScript.
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'examples/crewai/crew/.venv/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
      // noUncheckedIndexedAccess makes every indexed read optional; a `!` after a read the code has
      // just bounds-checked says more than a redundant runtime check would.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // Process entry points speak to whoever started them on stdout (the one JSON "ready" line).
  { files: ['**/main.ts', 'operator/cli/**'], rules: { 'no-console': 'off' } },
  // TypeScript already knows which names exist (typescript-eslint's own advice).
  { files: ['**/*.ts'], rules: { 'no-undef': 'off' } },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['scripts/**', 'bench/**', 'test/**', '**/*.test.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
