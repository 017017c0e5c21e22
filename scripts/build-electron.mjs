#!/usr/bin/env node
// Bundles the Electron preload into dist-electron/preload.cjs. A sandboxed preload may only
// require('electron'), so the contract's channel lists must be inlined: Vite (already used for the
// renderer) bundles src-main/electron/preload.ts as one CommonJS file with 'electron' external.
import { build } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist-electron',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    lib: { entry: 'src-main/electron/preload.ts', formats: ['cjs'], fileName: () => 'preload.cjs' },
    rollupOptions: { external: ['electron'] },
  },
});
console.error('built dist-electron/preload.cjs');
