/**
 * Gradient checkpointing for tfjs: run a block without keeping its intermediates for the backward
 * pass, and recompute them when its gradient is needed (Chen et al. 2016; torch.utils.checkpoint).
 *
 * WHY: training through Whisper's encoder keeps, per block, the attention scores, their scaled
 * copy and the softmax ([B, H, 1500, 1500] each: 72 MB at base for one clip) plus the MLP
 * activations, for every block at once, and the wasm heap is 4 GB and never shrinks. With this,
 * only each block's input is kept; the block's intermediates exist for one block at a time, in
 * the backward pass. The price is one more forward of the recomputed blocks.
 *
 * How it works in tfjs: `tf.customGrad` runs its forward below the tape (the engine records only
 * the outermost kernel), so nothing inside is saved; its gradient function re-runs the block under
 * a fresh tape and differentiates it with respect to the block input and the trainable tensors the
 * block reads (LoRA factors, or the weights themselves in full fine-tuning). Those tensors are
 * passed as inputs of the custom op so that the outer tape routes their gradients to the
 * optimizer's variables.
 */
import * as tf from '@tensorflow/tfjs-core';

/** State that must be the same in the recomputation as in the forward (dropout seeds). */
export interface ReplayState {
  get(): number;
  set(s: number): void;
}

interface EngineState {
  activeTape: unknown[] | null;
  gradientDepth: number;
}

const engineState = (): EngineState => (tf.engine() as unknown as { state: EngineState }).state;

/** True while a gradient tape is recording (inside tf.grads / variableGrads). */
export function taping(): boolean {
  return engineState().gradientDepth > 0;
}

/**
 * y = block(x), differentiable in x and `params`, with the block's intermediates recomputed in
 * the backward pass. `block` must be a pure function of x and the current values of `params`
 * (and of `replay`'s state, restored for the recomputation). Shapes are the block's own.
 */
export function recomputed<T extends tf.Tensor>(block: (x: T) => T, x: T, params: tf.Tensor[], replay?: ReplayState): T {
  const seed = replay?.get();
  const op = tf.customGrad((...args: (tf.Tensor | ((s: tf.Tensor[]) => void))[]) => {
    const save = args[args.length - 1] as (s: tf.Tensor[]) => void;
    const input = args[0] as T;
    // tidy: the block's intermediates are freed now; only its output leaves.
    const value = tf.tidy(() => block(input));
    save([input]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const outer = engineState().activeTape;
        const after = replay?.get();
        if (replay && seed !== undefined) replay.set(seed);
        try {
          // A nested gradient during the outer backward pass: tfjs clears `activeTape` when a
          // top-level gradients() call ends, so the outer one is put back afterwards.
          const { grads } = tf.engine().gradients(() => block(saved[0] as T), [saved[0], ...params], dy, true);
          return grads.map((g, i) => g ?? tf.zerosLike(i === 0 ? saved[0] : params[i - 1]));
        } finally {
          engineState().activeTape = outer;
          if (replay && after !== undefined) replay.set(after);
        }
      },
    };
  });
  return op(x, ...params) as T;
}
