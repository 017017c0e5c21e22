#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx, so `npx vocab-tuner` works right after
// `npm install` with no build step. The Electron app uses the compiled output instead.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
