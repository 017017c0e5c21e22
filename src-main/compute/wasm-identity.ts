/**
 * Identity on the tfjs wasm backend (4.22) without a copy.
 *
 * WHY: while a gradient tape records, tfjs clones (Identity) every input it saves for the backward
 * pass, and the stock wasm Identity copies the buffer. In a decoder-LoRA step of whisper-tiny
 * that was 864 copies and ~0.7 s of kernel time (the [8·1500, 384] encoder output alone 52 times).
 * Tensor data is immutable in tfjs (Variable.assign swaps the data id, it never writes into it),
 * so sharing the buffer with a reference count is what the cpu backend's Identity and the wasm
 * Reshape already do.
 */
import * as tf from '@tensorflow/tfjs-core';

interface RefCounted {
  incRef(dataId: object): void;
}

let registered = false;

export function registerWasmSharedIdentity(): void {
  if (registered) return;
  const stock = tf.getKernel('Identity', 'wasm');
  if (!stock) return;
  registered = true;
  const kernelFunc = ({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return (stock.kernelFunc as unknown as (a: object) => tf.TensorInfo)({ inputs, backend });
    (backend as RefCounted).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ ...stock, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}
