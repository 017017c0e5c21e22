// Module resolution hook: 'electron' → the stand-in. Everything else resolves as usual, except
// that the compiled main process must not load tsx or a TypeScript file: that is what compiling
// it is for (Node 20 would refuse a .ts import anyway; tsx would silently allow one).
const STAND_IN = new URL('./electron.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: STAND_IN, shortCircuit: true };
  const r = await next(specifier, context);
  if (/\/node_modules\/tsx\/|\.[cm]?tsx?$/.test(r.url)) throw new Error(`the compiled main process imported ${r.url} (from ${context.parentURL})`);
  return r;
}
