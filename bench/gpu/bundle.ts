/**
 * The JavaScript part of the GPU bundle: esbuild of bench/gpu/entry.ts (tfjs inlined) into
 * `<appDir>/bench.mjs`, plus the PyTorch reference beside it (`<appDir>/torch/*.py`, where
 * bench/torch.ts looks for it). Used by build.ts and by tests/bench/gpu-bundle.test.ts.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * backend.ts reaches @tensorflow/tfjs and webgpu through `createRequire(import.meta.url)`, which
 * esbuild cannot follow: in the bundle that would look for node_modules beside bench.mjs. Drop
 * that local `require` so esbuild sees the plain `require(...)` calls: @tensorflow/tfjs (the
 * gradients) is inlined, and externals (webgpu) go through the banner's `require`, which resolves
 * from the app folder where the webgpu package is shipped. Fails loudly if backend.ts changes shape.
 */
const unshadowRequire: esbuild.Plugin = {
  name: 'unshadow-require',
  setup(b) {
    b.onLoad({ filter: /src-main[\\/]compute[\\/]backend\.ts$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const line = 'const require = createRequire(import.meta.url);';
      if (!src.includes(line)) throw new Error(`${args.path} no longer has "${line}": update bench/gpu/bundle.ts`);
      return { contents: src.replace(line, ''), loader: 'ts' };
    });
  },
};

/** Bundles the benchmark into appDir; returns bench.mjs's size and the number of inputs. */
export async function bundleBenchmark(appDir: string): Promise<{ bytes: number; inputs: number }> {
  mkdirSync(path.join(appDir, 'torch'), { recursive: true });
  const outfile = path.join(appDir, 'bench.mjs');
  const built = await esbuild.build({
    entryPoints: [path.join(HERE, 'entry.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // backend.ts's bare `import '@tensorflow/tfjs-backend-cpu'` is dropped (the package marks that
    // file side-effect free), but @tensorflow/tfjs, inlined, registers the cpu backend anyway.
    logOverride: { 'ignored-bare-import': 'silent' },
    // Not in the bundle: webgpu is shipped as a package (its index.js finds dawn.node beside it);
    // wasm and tfjs-node-gpu are not used on the GPU run (their probes report them unavailable).
    external: ['webgpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node-gpu'],
    banner: { js: "import { createRequire as __vtCreateRequire } from 'node:module'; const require = __vtCreateRequire(import.meta.url);" },
    plugins: [unshadowRequire],
    metafile: true,
  });
  const torchSrc = path.join(HERE, '../torch');
  for (const f of readdirSync(torchSrc).filter((n) => n.endsWith('.py'))) copyFileSync(path.join(torchSrc, f), path.join(appDir, 'torch', f));
  return { bytes: statSync(outfile).size, inputs: Object.keys(built.metafile.inputs).length };
}
