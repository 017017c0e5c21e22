/**
 * The peak of live tensor bytes while a function runs, each data buffer counted once.
 * tf.memory().numBytes counts a buffer once per tensor that shares it (a variable and the value it
 * was assigned, a reshape and its source), so this hooks the engine where buffers appear and go
 * (tfjs-core 4.x internals: Engine.trackTensor and Engine.removeDataId).
 */
import * as tf from '@tensorflow/tfjs-core';

interface EngineHooks {
  trackTensor(t: tf.Tensor, backend: unknown): void;
  removeDataId(dataId: object, backend: unknown): void;
  state: { tensorInfo: WeakMap<object, { bytes: number }> };
}

/**
 * `before` is tf.memory().numBytes when called, so the caller must make sure no two live tensors
 * share a buffer at that moment (then it equals the unique count). Returns bytes.
 */
export async function liveBytesDuring(fn: () => unknown): Promise<{ before: number; peak: number; after: number }> {
  const engine = tf.engine() as unknown as EngineHooks;
  const own = Object.prototype.hasOwnProperty;
  const hadTrack = own.call(engine, 'trackTensor');
  const hadRemove = own.call(engine, 'removeDataId');
  const { trackTensor, removeDataId } = engine;
  const before = tf.memory().numBytes;
  let live = before;
  let peak = before;
  engine.trackTensor = function (t, backend) {
    const fresh = !this.state.tensorInfo.has(t.dataId);
    trackTensor.call(this, t, backend);
    if (fresh) peak = Math.max(peak, (live += this.state.tensorInfo.get(t.dataId)?.bytes ?? 0));
  };
  engine.removeDataId = function (dataId, backend) {
    const info = this.state.tensorInfo.get(dataId);
    removeDataId.call(this, dataId, backend);
    if (info && !this.state.tensorInfo.has(dataId)) live -= info.bytes;
  };
  try {
    await fn();
  } finally {
    if (hadTrack) engine.trackTensor = trackTensor;
    else delete (engine as Partial<EngineHooks>).trackTensor;
    if (hadRemove) engine.removeDataId = removeDataId;
    else delete (engine as Partial<EngineHooks>).removeDataId;
  }
  return { before, peak, after: live };
}
