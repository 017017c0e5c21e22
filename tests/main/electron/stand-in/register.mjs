// `node --import ./register.mjs dist-main/electron/main.js`: runs the compiled main process under
// plain Node with `import 'electron'` answered by the stand-in (electron.mjs) instead of the
// npm package (which, outside Electron, only exports the path of a binary that cannot be
// downloaded on the test machines).
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
