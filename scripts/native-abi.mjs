// Which Node ABI (NODE_MODULE_VERSION) a compiled native addon was built for, read from the file
// itself: a non-N-API addon (better-sqlite3 is one) exports `node_register_module_v<ABI>`, the
// symbol the runtime looks up when loading it. Reading it before stamping a build catches a module
// compiled against the wrong headers (e.g. the system Node's, via a `nodedir` in the user's npm
// config) instead of finding out when Electron refuses to load it — or never, if it was stamped.
import { readFileSync } from 'node:fs';

/** The ABI number in the addon's registration symbol, or null (an N-API addon has none). */
export function addonAbi(file) {
  const text = readFileSync(file).toString('latin1');
  const m = /node_register_module_v(\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

/** Electron's NODE_MODULE_VERSION, as its npm package records it (node_modules/electron/abi_version). */
export function electronAbi(electronDir) {
  return Number(readFileSync(`${electronDir}/abi_version`, 'utf8').trim());
}
