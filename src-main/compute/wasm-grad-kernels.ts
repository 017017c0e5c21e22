/**
 * Two gradient kernels the tfjs wasm backend (4.22) lacks, computed on the host:
 * - UnsortedSegmentSum: the gradient of tf.gather (token embeddings in full fine-tuning);
 * - Conv2DBackpropFilter: the gradient of the encoder convolutions' weights.
 * Both are only needed when those weights train (full fine-tuning); LoRA and the other presets
 * never call them. Host loops are O(output) and O(MACs) respectively; measured in `npm run bench`.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmLike {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
}

let registered = false;

export function registerWasmGradKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmLike;
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const xv = b.readSync(x.dataId) as Float32Array;
      const ids = b.readSync(segmentIds.dataId) as Int32Array;
      const inner = x.shape.slice(1).reduce((a, c) => a * c, 1);
      const out = b.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
      const ov = b.typedArrayFromHeap(out) as Float32Array;
      ov.fill(0);
      for (let i = 0; i < ids.length; i++) {
        const s = ids[i];
        if (s < 0 || s >= numSegments) continue;
        const src = i * inner;
        const dst = s * inner;
        for (let j = 0; j < inner; j++) ov[dst + j] += xv[src + j];
      }
      return out;
    },
  });
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmLike;
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as {
        strides: [number, number] | number;
        pad: 'valid' | 'same' | number;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm host kernel): NCHW is not supported');
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
      const xv = b.readSync(x.dataId) as Float32Array;
      const dyv = b.readSync(dy.dataId) as Float32Array;
      const [fh, fw, ci, co] = a.filterShape;
      const out = b.makeOutput(a.filterShape, 'float32');
      const dw = b.typedArrayFromHeap(out) as Float32Array;
      dw.fill(0);
      const { batchSize, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth } = info;
      const padTop = info.padInfo.top;
      const padLeft = info.padInfo.left;
      for (let n = 0; n < batchSize; n++) {
        for (let oh = 0; oh < outHeight; oh++) {
          for (let ow = 0; ow < outWidth; ow++) {
            const dyOff = ((n * outHeight + oh) * outWidth + ow) * co;
            for (let kh = 0; kh < fh; kh++) {
              const ih = oh * strideHeight + kh - padTop;
              if (ih < 0 || ih >= inHeight) continue;
              for (let kw = 0; kw < fw; kw++) {
                const iw = ow * strideWidth + kw - padLeft;
                if (iw < 0 || iw >= inWidth) continue;
                const xOff = ((n * inHeight + ih) * inWidth + iw) * ci;
                const wOff = (kh * fw + kw) * ci * co;
                for (let c = 0; c < ci; c++) {
                  const xval = xv[xOff + c];
                  if (xval === 0) continue;
                  const row = wOff + c * co;
                  for (let o = 0; o < co; o++) dw[row + o] += xval * dyv[dyOff + o];
                }
              }
            }
          }
        }
      }
      return out;
    },
  });
}
