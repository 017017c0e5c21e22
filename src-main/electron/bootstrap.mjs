// Electron entry ("main" in package.json). Loads tsx so the main process runs the TypeScript
// sources directly (like the CLI), and points better-sqlite3 at the copy rebuilt for Electron's
// ABI (scripts/start-electron.mjs builds it into build-electron/), leaving node_modules' copy
// built for plain Node so `npm test` keeps working.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const binding = fileURLToPath(new URL('../../build-electron/better_sqlite3.node', import.meta.url));
if (existsSync(binding)) process.env.VOCAB_TUNER_SQLITE_BINDING ??= binding;
register();
await import('./main.ts');
