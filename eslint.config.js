// ESLint (flat config): typescript-eslint for the main process, the renderer and the tests;
// eslint-plugin-svelte for .svelte files; and the layer boundaries as import rules.
//
// Layers, bottom to top: util, compute, audio → whisper, store → tuning, models, eval → jobs →
// cli, ipc → server, electron. A lower layer never imports cli/, server/, electron/ or ipc/ — the
// one exception is `import type` from the IPC contract (shared vocabulary, erased at build time).
// The renderer imports nothing from src-main but types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

/**
 * The few src-main modules the renderer may import values from: pure code with no imports of
 * their own beyond each other and types (the wire codec and limits of the API, shared texts and
 * formatting, the VAD that runs on both sides). Everything else comes over the API.
 */
const RENDERER_SHARED = ['ipc/wire.ts', 'ipc/limits.ts', 'ipc/job-notices.ts', 'util/time.ts', 'audio/vad.ts'];

const LOWER = ['audio', 'whisper', 'tuning', 'store', 'eval', 'models', 'jobs', 'compute', 'util', 'recipe'];
const UPPER = ['cli', 'server', 'electron', 'ipc'];
const upward = (depth) => UPPER.map((d) => `${'../'.repeat(depth)}${d}/**`);

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist-renderer/**', 'dist-main/**', 'dist-main.*/**', 'dist-electron/**', 'dist/**', '.tmp/**', 'bench/torch/**', 'tests/**/stand-in/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // The code base uses `any` deliberately in tests (JSON from the wire) and at a few
      // typed-array boundaries; unused variables prefixed with _ are intentional.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      // `cond && doIt()` and `a ? f() : g()` as statements are used on purpose (event handlers).
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // Style advice, not defects: reported, never blocking.
      'svelte/require-each-key': 'warn',
      'svelte/no-useless-mustaches': 'warn',
      'svelte/prefer-svelte-reactivity': 'warn',
    },
  },
  {
    // TypeScript itself reports undefined names (and knows DOM types such as PermissionName).
    files: ['**/*.ts', '**/*.svelte'],
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['src-renderer/**/*.worklet.js'],
    languageOptions: { globals: { ...globals.audioWorklet } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] }, globals: { ...globals.browser } },
  },
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  // Lower layers of the main process: no import from the layers above them.
  {
    files: LOWER.flatMap((d) => [`src-main/${d}/*.ts`, `src-main/${d}/**/*.ts`]),
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...upward(1), ...upward(2), '!../ipc/contract.ts', '!../../ipc/contract.ts'],
              message: 'A lower layer (audio, whisper, tuning, store, eval, models, jobs, compute, util) must not import cli/, server/, electron/ or ipc/. Move the shared code down (util/, or the layer that owns it).',
            },
            {
              group: ['../ipc/contract.ts', '../../ipc/contract.ts'],
              allowTypeImports: true,
              message: 'Only `import type` from the IPC contract is allowed below ipc/.',
            },
          ],
        },
      ],
    },
  },
  // The renderer runs in a browser sandbox: from src-main it may import types only.
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.svelte'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `src-main/(?!(${RENDERER_SHARED.map((f) => f.replace(/[./]/g, '\\$&')).join('|')})$)`,
              allowTypeImports: true,
              message: `The renderer imports only types from src-main (it runs in the browser; values come over the API), apart from the pure shared modules: ${RENDERER_SHARED.join(', ')}.`,
            },
          ],
        },
      ],
    },
  },
  // Those shared modules stay pure: nothing from Node, no packages, only each other and types.
  {
    files: RENDERER_SHARED.map((f) => `src-main/${f}`),
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(node:|[a-z@])', message: 'This module is also bundled into the renderer (see RENDERER_SHARED in eslint.config.js): it may import only relative modules.' }] }],
    },
  },
);
