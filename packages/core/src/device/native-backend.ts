/**
 * tfjs-node's backend as calozoo calls it directly: TensorFlow ops by name (for ops TensorFlow.js
 * has no kernel for, or wraps in several: LeakyReluGrad, L2Loss, resource variables and
 * ResourceApplyAdam) and the data reference count its kernels share.
 */
import { tf } from './tf.js';

/** One attribute of a TensorFlow op, in tfjs-node's binding form. */
export interface NativeOpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** The parts of tfjs-node's `NodeJSKernelBackend` that calozoo uses. */
export interface NativeBackend {
  /** The addon's constants (TF_ATTR_*, TF_FLOAT, …). */
  binding: Record<string, number>;
  executeSingleOutput(name: string, attrs: NativeOpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: NativeOpAttr[], inputs: tf.TensorInfo[], outputs: number): tf.Tensor[];
  incRef(dataId: tf.DataId): void;
}

/** `name` = float32, the type attribute most ops take. */
export function floatAttr(be: NativeBackend, name: string): NativeOpAttr {
  return { name, type: be.binding['TF_ATTR_TYPE']!, value: be.binding['TF_FLOAT']! };
}

/** A boolean attribute `name` = `value`. */
export function boolAttr(be: NativeBackend, name: string, value: boolean): NativeOpAttr {
  return { name, type: be.binding['TF_ATTR_BOOL']!, value };
}

/** Whether the active TF.js backend is native TensorFlow with the op-by-name interface. */
export function nativeOpsAvailable(): boolean {
  if (tf.getBackend() !== 'tensorflow') return false;
  const be = tf.backend() as unknown as Partial<NativeBackend>;
  return typeof be.executeSingleOutput === 'function' && typeof be.executeMultipleOutputs === 'function' && !!be.binding;
}
