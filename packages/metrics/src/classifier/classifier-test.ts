/**
 * The CaloChallenge classifier two-sample test (field-reference.md §2.4) in TensorFlow.js:
 * a dense network Linear(d→W) → LeakyReLU → [Linear(W→W) → LeakyReLU]×2 → Linear(W→1) is trained
 * with Adam (lr 2e-4, batch 1000, up to 50 epochs) and BCE on logits to tell generated (label 0)
 * from reference (label 1) rows; the epoch with the best test accuracy is kept (training stops
 * at test accuracy 1); isotonic regression fitted on the test split calibrates the
 * probabilities; ROC AUC and JSD = (ln 2 − BCE)/ln 2 are reported on the validation split.
 *
 * Differences from the official script: float32 instead of float64; seeded split, shuffles and
 * initialisation (the official code is unseeded, so only mean ± std over repeated trainings is
 * meaningful — see `repeatedClassifierTest`); Adam ε = 1e-8 as PyTorch. The `fast` protocol
 * (width 256, ≤ 10 epochs, batch 256, lr 1e-3, ≤ 20 000 rows per class) is for quick checks
 * only and is NOT the official protocol; its numbers are not comparable with published ones.
 */
import { AbortedError, InvalidArgumentError, Rng, newPhaseState, runPhase, shuffledRows, tf, type HistoryRow, type ProgressCallback } from '@calozoo/core';
import { fitIsotonic, predictIsotonic } from './isotonic.js';
import type { ClassifierSample } from './inputs.js';
import { DenseNet } from './network.js';
import { accuracy, binaryCrossEntropy, jsdFromBce, logitCrossEntropy, rocAuc, sigmoid } from './roc.js';
import { officialSplitFractions, splitClass, type SplitFractions } from './split.js';

/** Named settings: `official` (§2.4) or `fast` (quick checks, not the official protocol). */
export type ClassifierProtocol = 'official' | 'fast';

/** Hyper-parameters of the classifier test. */
export interface ClassifierSettings {
  /** Hidden width (official 2048). */
  width: number;
  /** Hidden W→W layers after the first (official 2). */
  hiddenLayers: number;
  /** Maximum epochs (official 50). */
  epochs: number;
  /** Batch size (official 1000). */
  batchSize: number;
  /** Adam learning rate (official 2e-4). */
  learningRate: number;
  /** At most this many rows per class are used (official: all). */
  maxRowsPerClass: number;
}

/** The settings of each protocol. */
export const CLASSIFIER_PROTOCOLS: Readonly<Record<ClassifierProtocol, Readonly<ClassifierSettings>>> = {
  official: { width: 2048, hiddenLayers: 2, epochs: 50, batchSize: 1000, learningRate: 2e-4, maxRowsPerClass: Infinity },
  fast: { width: 256, hiddenLayers: 2, epochs: 10, batchSize: 256, learningRate: 1e-3, maxRowsPerClass: 20_000 },
};

/** Progress after each epoch. */
export interface ClassifierEpoch {
  /** Epoch number, from 1. */
  epoch: number;
  /** Mean training BCE of the epoch. */
  trainLoss: number;
  /** Accuracy on the test split. */
  testAccuracy: number;
  /** BCE (on logits) on the test split. */
  testLoss: number;
}

/** Options of `classifierTest`. */
export interface ClassifierTestOptions extends Partial<ClassifierSettings> {
  /** Base settings; individual fields above override them. Default 'official'. */
  protocol?: ClassifierProtocol;
  /** Per-class train/test/val fractions; default the DS2/DS3 0.6/0.2/0.2 (see `officialSplitFractions`). */
  split?: SplitFractions;
  /** Seed of the split, shuffles and initialisation (default 1). */
  seed?: number;
  /** Rows per forward pass when evaluating (default 4096). */
  evalBatch?: number;
  /** Called after every epoch. */
  onEpoch?: (e: ClassifierEpoch) => void;
  /** Progress of the training, in steps (`train:classifier`) and epochs. */
  onProgress?: ProgressCallback;
  /** Stops the training with an AbortedError. */
  signal?: AbortSignal;
}

/** Result of one classifier test. */
export interface ClassifierResult {
  /** ROC AUC of the calibrated probabilities on the validation split (the reported number). */
  auc: number;
  /** JSD estimate (ln 2 − BCE)/ln 2 of the calibrated probabilities on the validation split. */
  jsd: number;
  /** ROC AUC of the uncalibrated probabilities on the validation split. */
  aucUncalibrated: number;
  /** Accuracy of the calibrated probabilities on the validation split. */
  valAccuracy: number;
  /** Best test accuracy, and the epoch (from 1) it was reached in. */
  bestTestAccuracy: number;
  /** Epoch of the kept weights. */
  bestEpoch: number;
  /** Per-epoch history. */
  history: ClassifierEpoch[];
  /** 'official', 'fast', or 'custom' when settings were overridden. */
  protocol: ClassifierProtocol | 'custom';
  /** Settings used. */
  settings: ClassifierSettings;
  /** Rows per class in train/test/val. */
  sizes: { train: number; test: number; val: number };
  /** Seed used. */
  seed: number;
  /** TensorFlow.js backend that ran it. */
  backend: string;
}

/** Resolves the protocol and overrides into concrete settings. */
export function classifierSettings(options: ClassifierTestOptions = {}): { settings: ClassifierSettings; protocol: ClassifierProtocol | 'custom' } {
  const base = CLASSIFIER_PROTOCOLS[options.protocol ?? 'official'];
  if (!base) throw new InvalidArgumentError(`unknown classifier protocol "${String(options.protocol)}"; expected official or fast`);
  const settings: ClassifierSettings = { ...base };
  let custom = false;
  for (const k of Object.keys(base) as (keyof ClassifierSettings)[]) {
    const v = options[k];
    if (v !== undefined && v !== base[k]) {
      if (!(v > 0)) throw new InvalidArgumentError(`classifier setting ${k} must be > 0, got ${v}`);
      settings[k] = v;
      custom = true;
    }
  }
  return { settings, protocol: custom ? 'custom' : (options.protocol ?? 'official') };
}

/** Row codes: row·2 + label (label 1 = reference, 0 = generated). */
function encode(split: Uint32Array, label: number): Uint32Array {
  return split.map((r) => r * 2 + label);
}

function concat(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Builds a float32 batch and its labels from row codes. */
function batchOf(ref: ClassifierSample, gen: ClassifierSample, codes: Uint32Array, from: number, to: number): { x: Float32Array; y: Float32Array } {
  const d = ref.d;
  const x = new Float32Array((to - from) * d);
  const y = new Float32Array(to - from);
  for (let k = from; k < to; k++) {
    const label = codes[k] & 1;
    const src = label === 1 ? ref.data : gen.data;
    const o = (codes[k] >>> 1) * d;
    const at = (k - from) * d;
    if (src instanceof Float32Array) x.set(src.subarray(o, o + d), at);
    else for (let j = 0; j < d; j++) x[at + j] = src[o + j];
    y[k - from] = label;
  }
  return { x, y };
}

/** Logits of the network for all rows of `codes`, with their labels. */
function logitsOf(net: DenseNet, ref: ClassifierSample, gen: ClassifierSample, codes: Uint32Array, evalBatch: number): { logits: Float64Array; labels: Float64Array } {
  const logits = new Float64Array(codes.length);
  const labels = new Float64Array(codes.length);
  for (let s = 0; s < codes.length; s += evalBatch) {
    const e = Math.min(codes.length, s + evalBatch);
    const { x, y } = batchOf(ref, gen, codes, s, e);
    const out = tf.tidy(() => net.apply(tf.tensor2d(x, [e - s, ref.d])));
    logits.set(out.dataSync(), s);
    out.dispose();
    labels.set(y, s);
  }
  return { logits, labels };
}

/**
 * Runs the classifier test of `generated` against `reference` (rows = classifier inputs, e.g.
 * from `ClassifierInputBuilder`). Call `selectTfBackend()` first to train on the native backend.
 */
export async function classifierTest(reference: ClassifierSample, generated: ClassifierSample, options: ClassifierTestOptions = {}): Promise<ClassifierResult> {
  if (reference.d !== generated.d) throw new InvalidArgumentError(`classifierTest: reference has ${reference.d} input columns, generated ${generated.d}; build both with the same mode and geometry`);
  const { settings, protocol } = classifierSettings(options);
  const seed = options.seed ?? 1;
  const rng = new Rng(seed);
  const evalBatch = options.evalBatch ?? 4096;
  const n = Math.min(reference.n, generated.n, settings.maxRowsPerClass);
  const fractions = options.split ?? officialSplitFractions('ds2');
  const sr = splitClass(n, fractions, rng);
  const sg = splitClass(n, fractions, rng);
  if (reference.n > n) mapRows(sr, rng.permutation(reference.n));
  if (generated.n > n) mapRows(sg, rng.permutation(generated.n));
  const train = concat(encode(sr.train, 1), encode(sg.train, 0));
  const test = concat(encode(sr.test, 1), encode(sg.test, 0));
  const val = concat(encode(sr.val, 1), encode(sg.val, 0));

  const d = reference.d;
  const sizes = [d, settings.width, ...Array.from({ length: settings.hiddenLayers }, () => settings.width), 1];
  const net = new DenseNet(sizes, rng);
  const history: ClassifierEpoch[] = [];
  const rows: HistoryRow[] = [];
  let best = -Infinity;
  let bestEpoch = 0;
  try {
    const named = net.variables;
    const state = await runPhase(
      {
        name: 'classifier',
        optimizers: [{ name: 'main', vars: named, learningRate: settings.learningRate }],
        updates: [
          {
            optimizer: 'main',
            loss: (codes: Uint32Array) => {
              const { x, y } = batchOf(reference, generated, codes, 0, codes.length);
              const z = net.apply(tf.tensor2d(x, [codes.length, d]));
              // BCE with logits: max(z,0) − z·y + log(1 + exp(−|z|))
              const yt = tf.tensor2d(y, [codes.length, 1]);
              return tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, yt)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as tf.Scalar;
            },
          },
        ],
        data: shuffledRows(train.length, settings.batchSize, { dropLast: false, rows: train }),
        maxEpochs: settings.epochs,
        // The epoch with the best test accuracy is kept; accuracy 1 ends the training.
        validate: () => {
          const t = logitsOf(net, reference, generated, test, evalBatch);
          const acc = accuracy(Array.from(t.logits, sigmoid), t.labels);
          return { score: -acc, values: { testAccuracy: acc, testLoss: logitCrossEntropy(t.logits, t.labels) } };
        },
        stopWhen: (score) => score === -1,
      },
      newPhaseState(),
      {
        seed: rng.nextUint32(),
        index: 0,
        deadline: Infinity,
        signal: options.signal,
        history: rows,
        checkpointDue: () => false,
        checkpoint: async () => {},
        onProgress: (e) => {
          options.onProgress?.(e);
          if (e.unit !== 'epochs') return;
          const h = rows.at(-1)!;
          const rec: ClassifierEpoch = { epoch: e.done, trainLoss: h.trainLoss, testAccuracy: h.values!['testAccuracy']!, testLoss: h.values!['testLoss']! };
          history.push(rec);
          options.onEpoch?.(rec);
        },
      },
    );
    if (state.stoppedBy === 'abort') throw new AbortedError('classifier test: training was aborted');
    best = -state.bestValidation;
    bestEpoch = state.bestEpoch + 1;
    const t = logitsOf(net, reference, generated, test, evalBatch);
    const calibrator = fitIsotonic(Array.from(t.logits, sigmoid), t.labels, { yMin: 1e-6, yMax: 1 - 1e-6 });
    const v = logitsOf(net, reference, generated, val, evalBatch);
    const pv = Float64Array.from(v.logits, sigmoid);
    const calibrated = predictIsotonic(calibrator, pv);
    return {
      auc: rocAuc(calibrated, v.labels),
      jsd: jsdFromBce(binaryCrossEntropy(calibrated, v.labels)),
      aucUncalibrated: rocAuc(pv, v.labels),
      valAccuracy: accuracy(calibrated, v.labels),
      bestTestAccuracy: best,
      bestEpoch,
      history,
      protocol,
      settings,
      sizes: { train: sr.train.length, test: sr.test.length, val: sr.val.length },
      seed,
      backend: tf.getBackend(),
    };
  } finally {
    net.dispose();
  }
}

/** Replaces the indices of a split by `perm[index]` (a random subset of a larger sample). */
function mapRows(s: { train: Uint32Array; test: Uint32Array; val: Uint32Array }, perm: Uint32Array): void {
  for (const a of [s.train, s.test, s.val]) for (let i = 0; i < a.length; i++) a[i] = perm[a[i]];
}

/** Mean and standard deviation of repeated classifier tests. */
export interface RepeatedClassifierResult {
  /** Mean AUC. */
  auc: number;
  /** Standard deviation (ddof 1) of the AUC. */
  aucStd: number;
  /** Mean JSD. */
  jsd: number;
  /** Standard deviation (ddof 1) of the JSD. */
  jsdStd: number;
  /** The individual runs. */
  runs: ClassifierResult[];
}

/**
 * Repeats the test `runs` times with seeds seed, seed+1, … and reports mean ± std, as the
 * CaloChallenge paper does over 10 trainings (§2.4 step 6).
 */
export async function repeatedClassifierTest(reference: ClassifierSample, generated: ClassifierSample, runs: number, options: ClassifierTestOptions = {}): Promise<RepeatedClassifierResult> {
  if (!(Number.isInteger(runs) && runs >= 1)) throw new InvalidArgumentError(`runs must be a positive integer, got ${runs}`);
  const out: ClassifierResult[] = [];
  for (let k = 0; k < runs; k++) out.push(await classifierTest(reference, generated, { ...options, seed: (options.seed ?? 1) + k }));
  const stat = (f: (r: ClassifierResult) => number): [number, number] => {
    const v = out.map(f);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const s = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0;
    return [m, s];
  };
  const [auc, aucStd] = stat((r) => r.auc);
  const [jsd, jsdStd] = stat((r) => r.jsd);
  return { auc, aucStd, jsd, jsdStd, runs: out };
}
