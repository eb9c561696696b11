// Flat config: typescript-eslint's recommended rules on every TypeScript file.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'docs/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The domain is the shared vocabulary and its rules: pure, so the workflow bundle, the CLI and the
    // worker can all use it. Nothing from activities, workflows, the CLI, Harbor, Temporal or Node I/O.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', '@temporalio/*', 'node:*', 'fs', 'child_process', 'undici'],
              message:
                'src/domain is pure: import only from src/domain, zod or yaml (move shared types into src/domain).',
            },
          ],
        },
      ],
    },
  },
  {
    // Signature verification is computation, not I/O: node:crypto only, and only here (the workflow
    // sandbox has no node:crypto, so workflow code never imports this file).
    files: ['src/domain/sshsig.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', '@temporalio/*', 'node:*', '!node:crypto', 'fs', 'child_process', 'undici'],
              message: 'src/domain is pure: sshsig.ts may import node:crypto, nothing else from Node.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
