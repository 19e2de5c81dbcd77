/**
 * The one TensorFlow.js instance calozoo uses. Model packages import `tf` from `@calozoo/core`
 * rather than their own copy, so that the backends selected and the kernels and gradients
 * patched here (see `patches.ts`) are the ones they run on.
 *
 * `@tensorflow/tfjs-core` alone registers neither gradients nor chained ops in its Node build;
 * the union package `@tensorflow/tfjs` does, into the same global registries. It is imported
 * after `quiet.ts`, which keeps TensorFlow.js's start-up chatter off the console.
 */
import './quiet.js';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

export { tf };


/**
 * Runs `fn` in a `tf.tidy` scope and returns the values of the tensor it makes. Use this rather
 * than returning `dataSync()` from a tidy: tidy walks whatever its function returns, element by
 * element, looking for tensors, which for a large typed array costs seconds and gigabytes of garbage.
 */
export function tidyValues<T extends Float32Array | Int32Array = Float32Array>(fn: () => tf.Tensor): T {
  let out: T | undefined;
  tf.tidy(() => {
    out = fn().dataSync() as T;
  });
  return out!;
}
