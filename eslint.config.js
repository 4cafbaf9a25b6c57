// ESLint flat config. The workflows/ override is the determinism boundary: workflow
// code may import only @temporalio/workflow, @temporalio/common, zod and types,
// as the SDK's own bundler expects (sdk-typescript packages/worker/src/workflow/bundler.ts).
const tseslint = require('typescript-eslint');
const importX = require('eslint-plugin-import-x');
const { builtinModules } = require('node:module');

module.exports = tseslint.config(
  // The generated and the git-ignored (scratch, the dev stack's state) are not ours to lint.
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'coverage/**',
      '.scratch/**',
      '.clo/**',
      'test-artifacts/**',
      'bin/**',
      '*.js',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({
            name,
            message: 'Workflow code must be deterministic: no Node built-ins (do I/O in an activity).',
          })),
          patterns: [
            { group: ['undici', 'undici/*'], message: 'No network I/O in workflows; call an activity.' },
            {
              group: [
                '@temporalio/activity',
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/testing',
              ],
              message: 'Workflows import only @temporalio/workflow (and @temporalio/common).',
            },
            {
              group: ['**/activities/**', '**/activities', '!**/activities/index'],
              message: 'Workflows may only `import type` from activities.',
              allowTypeImports: true,
            },
            {
              group: ['**/temporal.config', '**/client/**', '**/worker/**'],
              message: 'Workflows do no I/O.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() or condition() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use a loop with sleep() from @temporalio/workflow.' },
        { name: 'fetch', message: 'No network I/O in workflows; call an activity.' },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
