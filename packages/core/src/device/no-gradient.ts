/**
 * TensorFlow's `stop_gradient` for TensorFlow.js, which has none: `withoutGradient(f)` evaluates
 * `f` inside a custom-gradient op whose only input is a fresh constant. tfjs-core records no tape
 * entries while an op runs, and it prunes every tape node none of whose inputs depends on the
 * tensors being differentiated, so the result is a constant to `tf.grad` and `tf.variableGrads`
 * and nothing is computed for it on the backward pass. Used for the 0/1 masks of a spline's bin
 * search, whose comparisons have zero gradient anyway.
 */
import { tf } from './tf.js';

/** Evaluates `f` off the gradient tape: its tensor is a constant to every gradient (stop_gradient). */
export function withoutGradient<T extends tf.Tensor>(f: () => T): T {
  const anchor = tf.scalar(0);
  const op = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({ value: f(), gradFunc: () => tf.zerosLike(inputs[0] as tf.Tensor) }));
  const out = op(anchor) as T;
  anchor.dispose();
  return out;
}
