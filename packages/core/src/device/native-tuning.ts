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
