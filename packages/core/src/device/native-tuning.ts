/**
 * Settings of the native TensorFlow C library (tfjs-node) that calozoo applies before loading
 * it. They are read from the environment when the library loads, so `selectTfBackend` sets them
 * just before importing `@tensorflow/tfjs-node`; a value the user set themselves is kept.
 *
 * `TF_ENABLE_ONEDNN_OPTS=1`: the TensorFlow 2.21 CPU build leaves its oneDNN kernels off by
 * default on CPUs it does not recognise as Intel (here an AMD EPYC), and then runs 3D
 * convolutions and their gradients through Eigen contractions, 1–9× slower: measured on 2 cores,
 * the 16 → 1-channel 32³ conv3d of a WGAN generator at batch 32 took 212 / 808 / 587 ms (forward
 * / input gradient / filter gradient) without oneDNN and 104 / 86 / 104 ms with it, and the whole
 * 30³ WGAN-GP training step went from 8.8 to the figures in tools/bench-native/RESULTS.md.
 * oneDNN's FusedBatchNorm accepts only rank-4 inputs; `native-kernels.ts` reshapes other ranks.
 */

import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from '../errors.js';

/** Environment defaults for the native TensorFlow C library (see the module comment). */
export const NATIVE_TF_ENV: Readonly<Record<string, string>> = Object.freeze({
  TF_ENABLE_ONEDNN_OPTS: '1',
});

/** Sets each `NATIVE_TF_ENV` variable the environment lacks; returns the ones it set. */
export function applyNativeTfEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const applied: Record<string, string> = {};
  for (const [name, value] of Object.entries(NATIVE_TF_ENV)) {
    if (env[name] === undefined || env[name] === '') {
      env[name] = value;
      applied[name] = value;
    }
  }
  return applied;
}

/**
 * The intra-op thread count asked for: `threads`, else `CALOZOO_TF_THREADS`, else undefined
 * (TensorFlow's default).
 * @throws InvalidArgumentError for a count that is not a positive integer.
 */
export function requestedNativeThreads(threads: number | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const fromEnv = env['CALOZOO_TF_THREADS'];
  const wanted = threads ?? (fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : undefined);
  if (wanted !== undefined && (!Number.isInteger(wanted) || wanted < 1)) {
    const source = threads !== undefined ? 'selectTfBackend: threads' : 'environment variable CALOZOO_TF_THREADS';
    throw new InvalidArgumentError(`${source} must be a positive integer, got "${threads ?? fromEnv}"`);
  }
  return wanted;
}

/**
 * Sets `TF_NUM_INTRAOP_THREADS` to `wanted` (when given) before the native library loads; returns
 * the count it will run with (TensorFlow's default, one per core, when neither is set).
 */
export function applyNativeThreads(wanted: number | undefined, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  if (wanted !== undefined) env['TF_NUM_INTRAOP_THREADS'] = String(wanted);
  const set = Number(env['TF_NUM_INTRAOP_THREADS']);
  return Number.isInteger(set) && set > 0 ? set : cores;
}
