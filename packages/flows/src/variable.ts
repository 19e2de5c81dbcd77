/** Variable creation without leaking the initial tensor (tf.variable shares its data but keeps it alive). */
import * as tf from '@tensorflow/tfjs-core';

/** Creates a variable from `init` and disposes `init` (the variable keeps the data). */
export function makeVariable(init: tf.Tensor, trainable = true): tf.Variable {
  const v = tf.variable(init, trainable);
  init.dispose();
  return v;
}
