/**
 * Compute backend selection. The same model code runs on every backend; this module decides which
 * one tfjs uses, and explains the choice.
 *
 * Preference order (automatic): tfjs-node-gpu with CUDA → WebGPU on a hardware adapter (Dawn:
 * Vulkan / Metal / D3D12) → wasm → cpu. A software WebGPU adapter (SwiftShader) is correct but
 * slower than wasm on a CPU, so it is only used when asked for by name.
 *
 * Override: `--backend NAME` on the CLI, the `VOCAB_TUNER_BACKEND` env var, or the app setting.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { installLeanBackprop } from './lean-backprop.ts';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface BackendProbe {
  name: BackendName;
  /** Human label, e.g. "tfjs-node-gpu (CUDA)". */
  label: string;
  available: boolean;
  /** Why it is or is not available: the thing a user would need to fix. */
  detail: string;
  /** GPU / adapter name where known. */
  device?: string;
  /** True for hardware acceleration (CUDA or a hardware WebGPU adapter). */
  accelerated: boolean;
}

export interface BackendChoice {
  chosen: BackendName;
  reason: string;
  probes: BackendProbe[];
  /** CPU threads the wasm backend computes with (wasm only). */
  threads?: number;
}

const require = createRequire(import.meta.url);
// tfjs-core's Node bundle registers no gradients; the @tensorflow/tfjs bundle registers all of them
// in the global registry that every backend shares (its ESM files cannot be imported by Node).
require('@tensorflow/tfjs');
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface GpuLike {
  requestAdapter(o?: { powerPreference?: string }): Promise<object | null>;
}

let webgpuAdapterInfo: { device: string; software: boolean } | null | undefined;

/** Installs Dawn's navigator.gpu (must happen before the tfjs webgpu backend is imported). */
async function probeWebGpu(): Promise<BackendProbe> {
  const base = { name: 'webgpu' as const, label: 'WebGPU (Dawn)' };
  try {
    if (!process.env.XDG_RUNTIME_DIR) {
      // Dawn's Vulkan loader warns without it; a private dir is enough.
      const dir = join(process.env.TMPDIR ?? '/tmp', `vocab-tuner-xdg-${process.getuid?.() ?? 0}`);
      const { mkdirSync } = await import('node:fs');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      process.env.XDG_RUNTIME_DIR = dir;
    }
    const webgpu = require('webgpu') as { create: (o: string[]) => GpuLike; globals: object };
    Object.assign(globalThis, webgpu.globals);
    let gpu = webgpu.create([]);
    let adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
      // No usable hardware driver: Chromium's SwiftShader gives a correct (slow) software adapter.
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
      gpu = webgpu.create([]);
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    }
    const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    if (!adapter) {
      webgpuAdapterInfo = null;
      return { ...base, available: false, accelerated: false, detail: 'no WebGPU adapter: install a Vulkan driver (libvulkan1 and your GPU vendor\'s ICD)' };
    }
    const info = (adapter as unknown as { info?: Record<string, string> }).info;
    const device = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ').trim() || 'unknown adapter';
    const software = /swiftshader|llvmpipe|software|cpu/i.test(device) || (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
    webgpuAdapterInfo = { device, software };
    return { ...base, available: true, accelerated: !software, device, detail: software ? 'software adapter (correct but slow; wasm is faster on a CPU)' : 'hardware adapter' };
  } catch (e) {
    webgpuAdapterInfo = null;
    return { ...base, available: false, accelerated: false, detail: `the webgpu package failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
}

function probeTfjsNode(): BackendProbe {
  const base = { name: 'tensorflow' as const, label: 'tfjs-node-gpu (CUDA)' };
  try {
    require.resolve('@tensorflow/tfjs-node-gpu');
  } catch {
    return { ...base, available: false, accelerated: false, detail: '@tensorflow/tfjs-node-gpu is not installed (its libtensorflow download failed or was skipped); run `npm install @tensorflow/tfjs-node-gpu` on a machine with CUDA 11.8 + cuDNN 8' };
  }
  return { ...base, available: true, accelerated: true, detail: 'installed; CUDA device is checked when it loads' };
}

function probeWasm(): BackendProbe {
  try {
    require.resolve('@tensorflow/tfjs-backend-wasm');
    return { name: 'wasm', label: 'WebAssembly (CPU)', available: true, accelerated: false, detail: 'always available; ~10x faster than cpu for inference' };
  } catch {
    return { name: 'wasm', label: 'WebAssembly (CPU)', available: false, accelerated: false, detail: '@tensorflow/tfjs-backend-wasm is missing: run `npm install`' };
  }
}

/**
 * `skipWebGpu`: when another backend is named explicitly, WebGPU is not probed (starting Dawn
 * takes time and its Vulkan loader prints warnings about unusable drivers).
 */
export async function probeBackends(opts: { skipWebGpu?: boolean } = {}): Promise<BackendProbe[]> {
  return [
    probeTfjsNode(),
    opts.skipWebGpu
      ? { name: 'webgpu', label: 'WebGPU (Dawn)', available: false, accelerated: false, detail: 'not probed (another backend was requested)' }
      : await probeWebGpu(),
    probeWasm(),
    { name: 'cpu', label: 'pure JavaScript (CPU)', available: true, accelerated: false, detail: 'always available; slowest, supports every gradient' },
  ];
}

/** Reads the override from the environment. */
export function backendFromEnv(): BackendName | 'auto' {
  const v = (process.env.VOCAB_TUNER_BACKEND ?? 'auto').trim().toLowerCase();
  return parseBackendName(v);
}

export function parseBackendName(v: string): BackendName | 'auto' {
  if (v === 'auto' || v === '') return 'auto';
  if (v === 'tfjs-node-gpu' || v === 'cuda' || v === 'tensorflow' || v === 'node') return 'tensorflow';
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
  throw new BackendError(`unknown backend "${v}": use one of auto, ${BACKEND_NAMES.join(', ')} (tfjs-node-gpu is an alias of tensorflow)`);
}

export class BackendError extends Error {
  readonly code = 'BACKEND_UNAVAILABLE';
}

async function activate(name: BackendName): Promise<string | undefined> {
  if (name === 'tensorflow') {
    await import('@tensorflow/tfjs-node-gpu' as string);
    // tfjs-node-gpu silently runs on the CPU when CUDA is missing; report what TF found.
    return undefined;
  }
  if (name === 'webgpu') {
    if (webgpuAdapterInfo === undefined) await probeWebGpu();
    if (!webgpuAdapterInfo) throw new BackendError('WebGPU has no adapter on this machine');
    await import('@tensorflow/tfjs-backend-webgpu');
    return webgpuAdapterInfo.device;
  }
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '');
    wasm.setWasmPaths(dist.endsWith('/') ? dist : dist + '/');
    // tfjs keeps wasm single-threaded under Node; wasm-threads.ts starts the threaded build.
    if (!wasmRegistered) {
      const { registerThreadedWasm, requestedThreads } = await import('./wasm-threads.ts');
      registerThreadedWasm(requestedThreads());
      wasmRegistered = true;
    }
    const { registerWasmGradKernels } = await import('./wasm-grad-kernels.ts');
    registerWasmGradKernels();
    const { registerWasmFastMatMul } = await import('./wasm-matmul.ts');
    registerWasmFastMatMul();
    const { registerWasmSharedIdentity } = await import('./wasm-identity.ts');
    registerWasmSharedIdentity();
    return undefined;
  }
  return undefined;
}

let current: BackendChoice | null = null;
let wasmRegistered = false;

/**
 * Chooses and activates a backend. `prefer` overrides the automatic choice; a named backend that
 * is unavailable is an error (never a silent fallback: the user asked for it).
 */
export async function initBackend(prefer: BackendName | 'auto' = backendFromEnv()): Promise<BackendChoice> {
  if (current && (prefer === 'auto' || prefer === current.chosen)) return current;
  // Frees each gradient and saved activation once used (the backward pass's peak; lean-backprop.ts).
  installLeanBackprop();
  const probes = await probeBackends({ skipWebGpu: prefer !== 'auto' && prefer !== 'webgpu' });
  let chosen: BackendName;
  let reason: string;
  if (prefer !== 'auto') {
    const p = probes.find((x) => x.name === prefer)!;
    if (!p.available) throw new BackendError(`backend ${prefer} was requested but is not available: ${p.detail}`);
    chosen = prefer;
    reason = 'requested (flag, VOCAB_TUNER_BACKEND or setting)';
  } else {
    const accelerated = probes.find((p) => p.available && p.accelerated);
    const fallback = probes.find((p) => p.available && p.name === 'wasm') ?? probes.find((p) => p.name === 'cpu')!;
    chosen = (accelerated ?? fallback).name;
    reason = accelerated ? `${accelerated.label} is the fastest available` : 'no GPU backend is available; wasm is the fastest CPU backend';
  }
  let device: string | undefined;
  try {
    device = await activate(chosen);
    const ok = await tf.setBackend(chosen);
    if (!ok) throw new Error(`tf.setBackend('${chosen}') returned false`);
    await tf.ready();
  } catch (e) {
    if (prefer !== 'auto') throw new BackendError(`backend ${chosen} failed to start: ${(e as Error).message}`);
    reason = `${chosen} failed to start (${(e as Error).message.split('\n')[0]}); fell back to cpu`;
    chosen = 'cpu';
    await tf.setBackend('cpu');
  }
  const probe = probes.find((p) => p.name === chosen)!;
  if (device) probe.device = device;
  current = { chosen, reason, probes };
  if (chosen === 'wasm') {
    const { wasmThreadInfo } = await import('./wasm-threads.ts');
    current.threads = wasmThreadInfo()?.threads;
  }
  return current;
}

/** Test helper: switch backend within one process (used to run one model on several backends). */
export async function switchBackend(name: BackendName): Promise<void> {
  await activate(name);
  if (!(await tf.setBackend(name))) throw new BackendError(`could not switch to ${name}`);
  await tf.ready();
  current = current ? { ...current, chosen: name, reason: 'switched' } : null;
}

export function currentBackend(): BackendName {
  return tf.getBackend() as BackendName;
}
