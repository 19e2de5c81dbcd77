import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', 'tools/**/*.py'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-console': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          // plugins are imported on demand by the CLI (and their tests import them directly)
          checkDynamicDependenciesExceptions: ['@calozoo/core', '@calozoo/flows', '@calozoo/metrics', '@calozoo/simulator', '@calozoo/caloman', '@calozoo/wgan', '@calozoo/bib-ae'],
          depConstraints: [
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:data', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:flows', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:metrics', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:model', onlyDependOnLibsWithTags: ['scope:core', 'scope:flows'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:core', 'scope:data', 'scope:metrics', 'scope:flows', 'scope:model'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/bench/**/*.ts', 'tools/**/*.ts', 'tools/**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
];
