#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx, so `npx vocab-tuner` works right after
// `npm install` with no build step. The Electron app uses the compiled output instead.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src-main/cli/main.ts');
const code = await main(process.argv.slice(2));
// The command has finished (serve returns only after Ctrl+C). A compute backend can still hold the
// event loop open — Dawn's WebGPU instance does after a failed command — so leave explicitly, once
// what was written to stdout and stderr has been flushed (pipes are asynchronous on macOS).
await new Promise((resolve) => process.stdout.write('', resolve));
await new Promise((resolve) => process.stderr.write('', resolve));
process.exit(code);
