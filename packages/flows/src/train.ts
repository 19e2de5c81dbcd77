/**
 * Maximum-likelihood training of a `Flow` through core's training engine: Adam on the mean
 * negative log-likelihood, an optional per-step cosine learning-rate schedule, global
 * gradient-norm clipping, a validation split with early stopping (CaloMan's recipe,
 * field-reference.md §4.7), progress events and abort.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AbortedError, ConfigError, InvalidArgumentError, newPhaseState, runPhase, shuffledRows, type HistoryRow, type Rng } from '@calozoo/core';
import type { Flow } from './flow.js';

/** Training rows [n, dim] and optional context rows [n, contextDim], as tensors or row-major arrays. */
export interface FlowData {
  x: tf.Tensor2D | Float32Array;
  context?: tf.Tensor2D | Float32Array;
}

/** One progress event, sent after each epoch. */
export interface FitProgress {
  epoch: number;
  epochs: number;
  steps: number;
  /** Mean training negative log-likelihood over the epoch, nats per sample. */
  trainLoss: number;
  /** Validation negative log-likelihood, nats per sample (NaN without validation). */
  validationLoss: number;
  lr: number;
  bestEpoch: number;
}

/** Options of `fitFlow`. */
export interface FitFlowOptions {
  epochs: number;
  batchSize: number;
  /** Initial learning rate of Adam. */
  lr: number;
  /** Seeds the validation split and the batch order. */
  rng: Rng;
  /** Held-out fraction of `data` (default 0.2) or an explicit validation set; 0 disables validation. */
  validation?: number | FlowData;
  /** Stop after this many epochs without a validation improvement (default: never). */
  earlyStoppingPatience?: number;
  /** 'cosine' anneals the learning rate to 0 per step over all epochs; 'none' keeps it (default). */
  lrSchedule?: 'cosine' | 'none';
  /** Rescale gradients whose global L2 norm exceeds this. */
  clipNorm?: number;
  /** Restore the weights of the best validation epoch at the end (default true). */
  restoreBest?: boolean;
  onProgress?: (p: FitProgress) => void;
  signal?: AbortSignal;
}

/** What `fitFlow` did. */
export interface FitFlowReport {
  epochs: number;
  steps: number;
  bestEpoch: number;
  bestValidationLoss: number;
  stoppedEarly: boolean;
  history: { epoch: number; trainLoss: number; validationLoss: number; lr: number }[];
}

interface Rows {
  x: Float32Array;
  c: Float32Array | null;
  n: number;
}

function toRows(flow: Flow, data: FlowData, what: string): Rows {
  const x = data.x instanceof Float32Array ? data.x : (data.x.dataSync() as Float32Array);
  if (x.length % flow.dim !== 0 || x.length === 0) throw new InvalidArgumentError(`${what}: x has ${x.length} values, not a positive multiple of dim ${flow.dim}`);
  const n = x.length / flow.dim;
  if (!(data.x instanceof Float32Array) && data.x.shape[1] !== flow.dim) throw new InvalidArgumentError(`${what}: x must be [n, ${flow.dim}], got [${data.x.shape}]`);
  let c: Float32Array | null = null;
  if (flow.contextDim > 0) {
    if (!data.context) throw new InvalidArgumentError(`${what}: this flow needs a context of ${flow.contextDim} features per row`);
    c = data.context instanceof Float32Array ? data.context : (data.context.dataSync() as Float32Array);
    if (c.length !== n * flow.contextDim) throw new InvalidArgumentError(`${what}: context has ${c.length} values, expected ${n} × ${flow.contextDim}`);
  } else if (data.context) {
    throw new InvalidArgumentError(`${what}: this flow is unconditional but a context was passed`);
  }
  return { x, c, n };
}

function take(r: Rows, idx: ArrayLike<number>, dim: number, cdim: number): Rows {
  const x = new Float32Array(idx.length * dim);
  const c = r.c ? new Float32Array(idx.length * cdim) : null;
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i];
    x.set(r.x.subarray(j * dim, (j + 1) * dim), i * dim);
    if (c && r.c) c.set(r.c.subarray(j * cdim, (j + 1) * cdim), i * cdim);
  }
  return { x, c, n: idx.length };
}

/** Mean negative log-likelihood (nats per sample) over `r`, in evaluation mode, in chunks. */
function meanNll(flow: Flow, r: Rows, chunk = 4096): number {
  let total = 0;
  for (let s = 0; s < r.n; s += chunk) {
    const m = Math.min(chunk, r.n - s);
    total += tf.tidy(() => {
      const x = tf.tensor2d(r.x.subarray(s * flow.dim, (s + m) * flow.dim), [m, flow.dim]);
      const c = r.c ? tf.tensor2d(r.c.subarray(s * flow.contextDim, (s + m) * flow.contextDim), [m, flow.contextDim]) : undefined;
      return -tf.sum(flow.logProb(x, c)).dataSync()[0];
    });
  }
  return total / r.n;
}

/**
 * Trains `flow` by maximum likelihood and returns what happened; the flow is left in evaluation
 * mode with the best validation weights (unless `restoreBest` is false).
 * @throws ConfigError when the loss becomes non-finite (the weights of the last good epoch are kept); AbortedError when `signal` aborts
 */
export async function fitFlow(flow: Flow, data: FlowData, options: FitFlowOptions): Promise<FitFlowReport> {
  const { epochs, batchSize, lr, rng, lrSchedule = 'none', clipNorm, onProgress, signal } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new InvalidArgumentError(`fitFlow: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidArgumentError(`fitFlow: batchSize must be a positive integer, got ${batchSize}`);
  if (!(lr > 0)) throw new InvalidArgumentError(`fitFlow: lr must be > 0, got ${lr}`);
  const all = toRows(flow, data, 'fitFlow data');
  let train = all;
  let val: Rows | null = null;
  const v = options.validation ?? 0.2;
  if (typeof v === 'number') {
    if (!(v >= 0 && v < 1)) throw new InvalidArgumentError(`fitFlow: validation fraction must be in [0, 1), got ${v}`);
    const nVal = Math.floor(v * all.n);
    if (nVal > 0) {
      const perm = rng.permutation(all.n);
      val = take(all, perm.subarray(0, nVal), flow.dim, flow.contextDim);
      train = take(all, perm.subarray(nVal), flow.dim, flow.contextDim);
    }
  } else {
    val = toRows(flow, v, 'fitFlow validation');
  }
  const batches = shuffledRows(train.n, batchSize, { dropLast: false });
  const steps = batches.steps;
  const lrAt = (step: number): number => (lrSchedule === 'cosine' ? 0.5 * lr * (1 + Math.cos((Math.PI * Math.min(step, epochs * steps)) / (epochs * steps))) : lr);
  const history: FitFlowReport['history'] = [];
  const engineHistory: HistoryRow[] = [];
  let bestEpoch = 0;
  let bestScore = Infinity;
  const state = await runPhase(
    {
      name: 'flow',
      optimizers: [{ name: 'main', vars: flow.trainableVariables(), learningRate: lr, schedule: lrSchedule === 'cosine' ? 'cosine' : 'constant', adam: { clipNorm } }],
      updates: [
        {
          optimizer: 'main',
          loss: (rows: Uint32Array) => {
            const b = take(train, rows, flow.dim, flow.contextDim);
            const x = tf.tensor2d(b.x, [b.n, flow.dim]);
            const c = b.c ? tf.tensor2d(b.c, [b.n, flow.contextDim]) : undefined;
            return tf.neg(tf.mean(flow.logProb(x, c))) as tf.Scalar;
          },
        },
      ],
      data: batches,
      maxEpochs: epochs,
      patience: options.earlyStoppingPatience,
      ...(val ? { validate: () => meanNll(flow, val) } : {}),
      restoreBest: options.restoreBest !== false && val !== null,
      variables: flow.variables(),
      setTraining: (on) => flow.setTraining(on),
    },
    newPhaseState(),
    {
      seed: rng.nextUint32(),
      index: 0,
      deadline: Infinity,
      signal,
      history: engineHistory,
      checkpointDue: () => false,
      checkpoint: async () => {},
      onProgress: (e) => {
        if (e.unit !== 'epochs') return;
        const h = engineHistory.at(-1)!;
        const validationLoss = h.validationLoss ?? NaN;
        const score = val ? validationLoss : h.trainLoss;
        if (score < bestScore) {
          bestScore = score;
          bestEpoch = e.done;
        }
        const row = { epoch: e.done, trainLoss: h.trainLoss, validationLoss, lr: lrAt(e.done * steps - 1) };
        history.push(row);
        onProgress?.({ ...row, epochs, steps: e.done * steps, bestEpoch });
      },
    },
  );
  if (state.stoppedBy === 'abort') throw new AbortedError('fitFlow: training was aborted');
  if (state.stoppedBy === 'divergence') {
    const d = state.divergence!;
    throw new ConfigError(`fitFlow: the training loss diverged (${d.reason}) at epoch ${d.epoch + 1}, step ${d.step + 1}; the weights of epoch ${d.rolledBackTo} were kept. Lower lr (now ${lr}) or set clipNorm.`);
  }
  return {
    epochs: history.length,
    steps: history.length * steps,
    bestEpoch,
    bestValidationLoss: val ? bestScore : NaN,
    stoppedEarly: state.stoppedBy === 'early-stopping',
    history,
  };
}
