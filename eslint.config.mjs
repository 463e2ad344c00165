// Lint keeps workflows deterministic and promises awaited.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', 'dist/', 'coverage/', 'test-results/', '**/*.mjs', '**/*.mts', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code (and the domain code it imports) replays deterministically in a sandbox:
    // no I/O, no Node built-ins, no clients. Activities are imported as types only.
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins,
            'pg',
            'pg-copy-streams',
            'nodemailer',
            'express',
            'pino',
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
          ].map((name) => ({
            name,
            message: 'workflows/ and domain/ run in the deterministic workflow sandbox; do this in an activity',
          })),
          patterns: [
            {
              group: ['**/activities', '**/activities/**', '**/platform/**', '**/api/**'],
              allowTypeImports: true,
              message: 'import activities as types only',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
        { name: 'setInterval', message: 'use sleep() in a loop' },
      ],
    },
  },
  {
    // One wait cannot tell a Temporal outage from an accepted, slow Update (platform/temporal.ts).
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='executeUpdate']",
          message: 'use runUpdate() from api/temporal-calls.ts: it bounds acceptance and completion separately',
        },
      ],
    },
  },
);
