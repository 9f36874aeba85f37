import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'examples/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Only the CLI entry point decides the process exit code.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'throw a typed error; src/cli/main.ts exits' },
      ],
    },
  },
  { files: ['src/cli/main.ts', 'scripts/**', 'bin/**'], rules: { 'no-restricted-properties': 'off' } },
  {
    files: ['bin/**', 'scripts/**', 'assets/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
