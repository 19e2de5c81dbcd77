/**
 * Silences TensorFlow.js's console warnings (for example "looks like you are running
 * TensorFlow.js in Node.js") and the TensorFlow C library's start-up log lines, unless the
 * user asked for them with `CALOZOO_TF_VERBOSE=1` or `selectTfBackend({ verbose: true })`.
 * Imported for its side effect before any TensorFlow.js package.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Applies the quiet or verbose logging policy; safe to call again. */
export function setTfVerbose(verbose: boolean): void {
  if (verbose) {
    tf.env().set('PROD', false);
    return;
  }
  // TF_CPP_MIN_LOG_LEVEL is read when the TensorFlow C library loads, so it must be set before
  // the native backend is imported; a value the user set themselves is kept.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
  tf.env().set('PROD', true);
}

/** Whether the quiet policy was applied at import (read by `tf.ts` so bundlers keep this module). */
const TF_QUIET_AT_IMPORT = process.env['CALOZOO_TF_VERBOSE'] !== '1';
setTfVerbose(!TF_QUIET_AT_IMPORT);
