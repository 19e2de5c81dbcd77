/**
 * A differentiable op with several outputs and a hand-written gradient: `tf.customGrad` allows
 * one output only. The forward function runs as one tape entry (tfjs-core records nothing while
 * an op runs, so its intermediate results cost no tape nodes, saved copies or backward kernels),
 * and the backward function receives every output's gradient at once. Built on the engine's
 * `runKernelFunc`, which `tf.customGrad` itself calls (tfjs-core 4.x; private in its typings).
 */
import { tf } from './tf.js';

/** Saves tensors for the backward pass (kept until the gradient has been computed; a no-op when nothing is recorded). */
export type SaveForBackward = (tensors: tf.Tensor[]) => void;

interface KernelFuncEngine {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: SaveForBackward) => tf.Tensor[];
    backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor | tf.Tensor[];
}

/** Whether this tfjs-core has the engine entry point `customOp` needs. */
export function customOpAvailable(): boolean {
  return typeof (tf.engine() as unknown as Partial<KernelFuncEngine>).runKernelFunc === 'function';
}

/**
 * Runs `forward` as one differentiable op over `inputs`; `backward` gets the gradients of all
 * outputs (in order; zeros for an unused output) and the saved tensors, and returns the gradient
 * of each input that has one (missing inputs get zeros).
 */
export function customOp<K extends string>(
  inputs: Record<K, tf.Tensor>,
  forward: (save: SaveForBackward) => tf.Tensor[],
  backward: (dys: tf.Tensor[], saved: tf.Tensor[]) => Partial<Record<K, tf.Tensor>>,
): tf.Tensor[] {
  const engine = tf.engine() as unknown as KernelFuncEngine;
  const names = Object.keys(inputs) as K[];
  const out = engine.runKernelFunc({
    forwardFunc: (_backend, save) => forward(save),
    backwardsFunc: (dy, saved) => {
      // The engine tidies each input's gradient thunk, not this function: run the whole backward
      // in one tidy so that its intermediates are freed now, not when the whole gradient is done
      // (a spline flow's training step held every coupling's ~50 backward intermediates at once).
      const g = tf.tidy(() => {
        const r = backward(Array.isArray(dy) ? dy : [dy], saved);
        return names.map((k) => r[k] ?? tf.zerosLike(inputs[k]));
      });
      const map: Record<string, () => tf.Tensor> = {};
      names.forEach((k, i) => (map[k] = () => g[i]!));
      return map;
    },
    inputs,
  });
  return Array.isArray(out) ? out : [out];
}
