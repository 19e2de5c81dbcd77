/**
 * Conversions between TensorFlow.js tensors and the plain `NamedTensor` records that
 * safetensors files hold.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelFormatError } from '../errors.js';
import type { NamedTensor } from './safetensors.js';

/** Copies tensors (float32 or int32) into plain named records, by name. */
export function tensorsToNamed(tensors: Record<string, tf.Tensor>): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype === 'int32') out[name] = { dtype: 'I32', shape: [...t.shape], data: new Int32Array(t.dataSync() as Int32Array) };
    else out[name] = { dtype: 'F32', shape: [...t.shape], data: new Float32Array(t.dataSync() as Float32Array) };
  }
  return out;
}

/** Creates a tensor from a named record, checking the expected shape when given. */
export function namedToTensor(name: string, t: NamedTensor | undefined, expectedShape?: readonly number[], source = '<weights>'): tf.Tensor {
  if (!t) throw new ModelFormatError(`${source}: tensor "${name}" is missing.`);
  if (expectedShape && (expectedShape.length !== t.shape.length || expectedShape.some((s, i) => s !== t.shape[i]))) {
    throw new ModelFormatError(`${source}: tensor "${name}" has shape [${t.shape}], expected [${expectedShape}].`);
  }
  if (t.dtype === 'I32') return tf.tensor(t.data as Int32Array, t.shape, 'int32');
  return tf.tensor(t.dtype === 'F64' ? Float32Array.from(t.data) : (t.data as Float32Array), t.shape, 'float32');
}
