/**
 * A faster BatchMatMul for the tfjs wasm backend (4.22), wrapped around the stock kernel.
 *
 * WHY: the stock kernel sends a product to XNNPACK only when it is a single 2-D product with
 * neither operand transposed; everything else (transposeB, which every PyTorch-layout linear
 * layer uses; transposeA, which gradients use; batched attention over heads) runs a scalar
 * triple loop that is 10–30× slower. Profiling the tiny encoder on wasm put 27 s of its 35 s in
 * that loop (`npm run bench -- --profile`). This wrapper rewrites every large product into
 * untransposed 2-D products the fast path takes:
 *   - transposeA: the operand is transposed once (the wasm Transpose kernel, O(size));
 *   - transposeB: either B is transposed (cost N·K), or, when A has few rows (decoding one token,
 *     the vocabulary projection), the product is swapped, C = (B·Aᵀ)ᵀ, so the big B is read as
 *     stored and only the small A and C move (cost M·(K+N));
 *   - batch dims (attention heads): one 2-D product per batch entry, copied into one output.
 * Results equal the stock kernel's up to float summation order (the conformance tests hold).
 * Small products (< SMALL multiply-adds) keep the stock kernel: the copies would cost more.
 * XNNPACK runs single-threaded here (the stock kernel passes no thread pool).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Multiply-adds below which the stock kernel is used unchanged. */
const SMALL = 1 << 16;

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
  disposeData(dataId: object): boolean;
}

type KernelFn = (args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) => tf.TensorInfo;

let wrapped = false;

export function registerWasmFastMatMul(): void {
  if (wrapped) return;
  const stock = tf.getKernel('BatchMatMul', 'wasm');
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if (!stock || !transposeKernel) return; // wasm backend not imported: nothing to improve
  wrapped = true;
  const stockFn = stock.kernelFunc as unknown as KernelFn;
  const transposeFn = transposeKernel.kernelFunc as unknown as KernelFn;

  const kernelFunc: KernelFn = (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stockFn(args);
    const backend = args.backend as WasmBackendLike;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
    const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
    const batch = Math.max(batchA, batchB);
    const plain = !transposeA && !transposeB && batch === 1;
    // General broadcasting ([2,1]×[1,3]) and the cases the stock kernel already does well stay stock.
    if (plain || batch * m * n * k < SMALL || (batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) {
      return stockFn(args);
    }
    const outBatchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const temps: tf.TensorInfo[] = [];
    const temp = (t: tf.TensorInfo) => (temps.push(t), t);
    const t2d = (x: tf.TensorInfo) => temp(transposeFn({ inputs: { x }, backend, attrs: { perm: [1, 0] } }));
    /** The i-th [rows, cols] matrix of x: the tensor itself (reshaped) when x holds one. */
    const matrix = (x: tf.TensorInfo, count: number, i: number, rows: number, cols: number): tf.TensorInfo => {
      if (count === 1) return { dataId: x.dataId, shape: [rows, cols], dtype: x.dtype };
      const out = temp(backend.makeOutput([rows, cols], 'float32'));
      const size = rows * cols;
      // Fetch views after makeOutput: growing the wasm heap detaches older views.
      const src = backend.typedArrayFromHeap(x) as Float32Array;
      (backend.typedArrayFromHeap(out) as Float32Array).set(src.subarray(i * size, (i + 1) * size));
      return out;
    };
    const mm = (x: tf.TensorInfo, y: tf.TensorInfo) =>
      temp(stockFn({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } }));
    /** One 2-D product [m, n] from stored matrices a2 ([k,m] if transposeA) and b2 ([n,k] if transposeB). */
    const product = (a2: tf.TensorInfo, b2: tf.TensorInfo): tf.TensorInfo => {
      if (!transposeB) return mm(transposeA ? t2d(a2) : a2, b2);
      const swapCost = m * (k + n) + (transposeA ? 0 : m * k);
      if (swapCost < n * k) {
        // Cᵀ = B·Aᵀ: B [n,k] is already the left operand; Aᵀ [k,m] is small.
        const cT = mm(b2, transposeA ? a2 : t2d(a2)); // [n, m]
        return t2d(cT);
      }
      return mm(transposeA ? t2d(a2) : a2, t2d(b2));
    };
    try {
      const aRows = transposeA ? k : m;
      const aCols = transposeA ? m : k;
      const bRows = transposeB ? n : k;
      const bCols = transposeB ? k : n;
      const outShape = [...outBatchShape, m, n];
      if (batch === 1) {
        const c = product(matrix(a, 1, 0, aRows, aCols), matrix(b, 1, 0, bRows, bCols));
        temps.splice(temps.indexOf(c), 1); // the result is returned, not freed
        return { dataId: c.dataId, shape: outShape, dtype: 'float32' };
      }
      const out = backend.makeOutput(outShape, 'float32');
      for (let i = 0; i < batch; i++) {
        const c = product(matrix(a, batchA, i, aRows, aCols), matrix(b, batchB, i, bRows, bCols));
        const dst = backend.typedArrayFromHeap(out) as Float32Array;
        dst.set(backend.typedArrayFromHeap(c) as Float32Array, i * m * n);
        // Free this entry's temporaries now: attention over many heads would otherwise hold them all.
        for (const t of temps.splice(0)) backend.disposeData(t.dataId);
      }
      return out;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...stock, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}
