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
                'src/domain is pure: import only from src/domain, zod, yaml or croner (move shared types into src/domain).',
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
  ...[
    // Every cached workflow evaluates its own copy of what the workflow code imports: no zod there
    // (docs/steps.md, "No zod in the workflow code"; test/unit/workflows/sandbox-modules.test.ts). Types
    // are fine (erased); a schema needed at run time is require()d lazily (src/workflows/input-check.ts).
    // start.ts and rollback-start.ts are the client's side (CLI, tests): not in the bundle.
    {
      files: ['src/workflows/**/*.ts'],
      ignores: ['src/workflows/start.ts', 'src/workflows/rollback-start.ts'],
      schemas: '(^|/)domain/',
    },
    { files: ['src/domain/*-rules.ts'], ignores: [], schemas: '^\\./' },
  ].map(({ files, ignores, schemas }) => ({
    files,
    ignores,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^zod$|${schemas}(pipeline|promotion|rollback|freeze|evidence|attestation|approval-statement|notify)\\.js$`,
              allowTypeImports: true,
              message:
                'workflow code imports no zod: import the rule from the zod-free *-rules.ts sibling (docs/steps.md, "No zod in the workflow code")',
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
