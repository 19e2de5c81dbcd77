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
    // Tests, benchmarks and scripts may print, and may use the simulator and the metrics (their
    // devDependencies) to make data and score models; library code may not.
    files: ['**/*.test.ts', '**/test/**/*.{ts,mjs}', '**/bench/**/*.{ts,mjs}', '**/scripts/**/*.{ts,mjs}', 'tools/**/*.ts', 'tools/**/*.mjs'],
    plugins: { '@nx': nx },
    rules: {
      'no-console': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: ['../../../vitest.shared.js', '../../vitest.shared.js', '../../../tools/bench-native/cpu-peak.mjs', '../../../../tools/bench-native/cpu-peak.mjs', '../../../tools/bench-native/child.mjs', '../../../tools/bench-native/generate-bench.mjs', '../../../tools/bench-native/train-bench.mjs'],
          depConstraints: [
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:data', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:flows', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:metrics', onlyDependOnLibsWithTags: ['scope:core', 'scope:data'] },
            { sourceTag: 'scope:model', onlyDependOnLibsWithTags: ['scope:core', 'scope:flows', 'scope:data', 'scope:metrics'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:core', 'scope:data', 'scope:metrics', 'scope:flows', 'scope:model'] },
          ],
        },
      ],
    },
  },
];
