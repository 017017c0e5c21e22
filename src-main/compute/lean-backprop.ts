/**
 * tfjs's backward pass with each gradient and saved activation freed as soon as it has been used.
 *
 * WHY: tfjs-core 4.x (`Engine.gradients` → `backpropagateGradients`) walks the tape backwards
 * inside one tidy and keeps every intermediate gradient — the gradient of every activation of the
 * forward pass — until the walk ends, and the activations the tape saved for the backward pass
 * until then too. The backward pass therefore peaks at (all activations) + (all their gradients)
 * instead of at the live frontier. On the wasm backend, whose heap is capped at 4 GB and never
 * shrinks, that peak is what decides whether a step runs at all: a full fine-tuning step through
 * whisper-tiny's encoder and decoder peaked at ~3.8 GB of live tensors in the backward pass.
 *
 * What changes: when a tape node's input gradients have been computed, the gradients of its
 * outputs and the tensors it saved are disposed, since nothing else reads them: an output's
 * gradient is complete once its producer is reached (the tape is in topological order, so every
 * consumer of that output was processed before), and a node's saved tensors are its own clones.
 * The tensors saved by ops that are on no path from an x to y are freed before the walk starts.
 * Kept: the gradients asked for (xs), the seed `dy` (the caller's tensor) and any tensor still
 * held under another key (a gradient function may return its `dy` as an input's gradient). Saved
 * tensors are freed early only where tfjs frees them at the end anyway (gradientDepth 0, not
 * higher-order gradients). The arithmetic is unchanged — the same kernels in the same order —
 * so gradients are bit-identical; only the peak memory changes.
 *
 * `getFilteredNodesXToY` and the loop of `backpropagateGradients` follow tfjs-core 4.22's
 * src/tape.ts (Apache License 2.0, Copyright 2017 Google LLC); `gradients` follows
 * src/engine.ts's Engine.gradients. They are not exported by tfjs-core, so they are restated here
 * and the engine's `gradients` is replaced on the engine instance (tf.grads, tf.variableGrads,
 * optimizers and customGrad all go through it).
 */
import * as tf from '@tensorflow/tfjs-core';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
  gradients: Gradients;
}

type Gradients = (f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean) => { value: tf.Tensor; grads: tf.Tensor[] };

/** The tape nodes on a path from some x to y, with inputs not depending on any x pruned (tfjs's own). */
function filteredNodesXToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      for (const o of node.outputs) fromX.add(o.id);
      nodesFromX.add(node.id);
    }
  }
  const leadToY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => leadToY.has(o.id))) {
      for (const input of Object.values(node.inputs)) leadToY.add(input.id);
      if (Object.keys(node.inputs).length > 0) nodesToY.add(node.id);
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, input] of Object.entries(node.inputs)) if (fromX.has(input.id)) inputs[name] = input;
    out.push({ ...node, inputs, outputs: node.outputs });
  }
  return out;
}

/** Walks the tape backwards (tfjs's backpropagateGradients), freeing what each node alone needed. */
function backpropagate(grads: Map<number, tf.Tensor>, tape: TapeNode[], keep: Set<number>, freeSaved: boolean, tidy: <T extends tf.Tensor>(f: () => T) => T): void {
  // How many map entries hold each tensor object: one may be stored under two ids when a
  // gradient function hands its dy on unchanged.
  const holders = new Map<tf.Tensor, number>();
  const hold = (t: tf.Tensor) => holders.set(t, (holders.get(t) ?? 0) + 1);
  const release = (t: tf.Tensor) => {
    const n = (holders.get(t) ?? 1) - 1;
    if (n > 0) holders.set(t, n);
    else holders.delete(t);
    return n;
  };
  // The seed (the caller's dy, or ones) is held twice so that it is never freed here.
  for (const t of grads.values()) {
    hold(t);
    hold(t);
  }
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const inputGradients = node.gradient(dys);
    for (const [inputName, x] of Object.entries(node.inputs)) {
      if (!(inputName in inputGradients)) {
        throw new Error(`Cannot backprop through input ${inputName}. Available gradients found: ${Object.keys(inputGradients)}.`);
      }
      const dx = tidy(() => inputGradients[inputName]());
      if (dx.dtype !== 'float32') {
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${inputName} must have 'float32' dtype, but has '${dx.dtype}'`);
      }
      if (!tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${inputName}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
      }
      const cur = grads.get(x.id);
      if (cur == null) {
        grads.set(x.id, dx);
        hold(dx);
      } else {
        const sum = tf.add(cur, dx);
        grads.set(x.id, sum);
        hold(sum);
        if (release(cur) === 0) cur.dispose();
        // dx itself is left to the enclosing tidy unless it is free-standing (as tfjs leaves it).
        if (!holders.has(dx)) dx.dispose();
      }
    }
    // This node's output gradients are complete and were read only by it; free them.
    for (const o of node.outputs) {
      const g = grads.get(o.id);
      if (g == null || keep.has(o.id)) continue;
      grads.delete(o.id);
      if (release(g) === 0) g.dispose();
    }
    if (freeSaved) for (const t of node.saved ?? []) t.dispose();
  }
}

let installed = false;

/** Replaces the engine's `gradients` with the lean backward pass (idempotent). */
export function installLeanBackprop(): void {
  if (installed) return;
  installed = true;
  const engine = tf.engine() as unknown as EngineInternals;
  const gradients: Gradients = (f, xs, dy, allowNoGradients = false) => {
    tf.util.assert(xs.length > 0, () => 'gradients() received an empty list of xs.');
    if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
    const y = engine.scopedRun(
      () => engine.startTape(),
      () => engine.endTape(),
      () => engine.tidy('forward', f),
    );
    tf.util.assert(y instanceof tf.Tensor, () => 'The result y returned by f() must be a tensor.');
    const tape = filteredNodesXToY(engine.state.activeTape!, xs, y);
    if (!allowNoGradients && tape.length === 0 && xs.length > 0) {
      throw new Error('Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.');
    }
    return engine.tidy('backward', () => {
      const grads = new Map<number, tf.Tensor>();
      grads.set(y.id, dy == null ? tf.ones(y.shape) : dy);
      const topLevel = engine.state.gradientDepth === 0;
      if (topLevel) {
        // Ops off every x → y path (label masks, one-hots, dropout masks, targets computed under
        // the tape) are never differentiated: what they saved can go before the walk starts.
        const onPath = new Set(tape.map((n) => n.id));
        for (const node of engine.state.activeTape!) if (!onPath.has(node.id)) for (const t of node.saved ?? []) t.dispose();
      }
      backpropagate(grads, tape, new Set([y.id, ...xs.map((x) => x.id)]), topLevel, (fn) => engine.tidy(fn));
      const out = xs.map((x) => grads.get(x.id)) as tf.Tensor[];
      if (topLevel) {
        // Not computing higher-order gradients: the tape is done with (as tfjs does).
        for (const node of engine.state.activeTape!) for (const t of node.saved ?? []) t.dispose();
        engine.state.activeTape = null;
      }
      return { value: y, grads: out } as unknown as tf.TensorContainer;
    }) as unknown as ReturnType<Gradients>;
  };
  engine.gradients = gradients;
}
