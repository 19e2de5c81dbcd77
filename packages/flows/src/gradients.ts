/**
 * tfjs-core's Node bundle registers no gradient functions (the `@tensorflow/tfjs` union package
 * does, into the process-wide registry). Training needs them, so load them once on demand.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Registers tfjs's gradient functions if no one has yet (idempotent, cheap after the first call). */
export async function ensureGradients(): Promise<void> {
  if (tf.getGradient('Mean') != null) return;
  await import('@tensorflow/tfjs');
}
