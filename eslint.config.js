// Lint rules: typescript-eslint's recommended set, plus the few habits we hold to everywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Library code never reads argv/env or exits: only cmd/ and hack/ may (ARCHITECTURE.md).
      'no-restricted-properties': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['pkg/**/*.ts'],
    ignores: ['pkg/**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'pkg/ takes options as arguments; read the environment in cmd/.' },
        { object: 'process', property: 'argv', message: 'pkg/ takes options as arguments; parse argv in cmd/.' },
        { object: 'process', property: 'exit', message: 'pkg/ throws typed errors; cmd/ decides the exit code.' },
      ],
    },
  },
);
