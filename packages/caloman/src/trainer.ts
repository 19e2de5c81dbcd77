/**
 * The phase loop shared by CaloMan's three networks: shuffled mini-batches, Adam with
 * gradient clipping and per-step cosine annealing, validation after every epoch, early stopping
 * that restores the best weights, and a time budget. Every step's randomness comes from
 * `Rng(seed, stream(phase, epoch, step))`, so a run resumed from a checkpoint at any step draws
 * exactly what the uninterrupted run would have drawn.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Adam, Rng, type HistoryRow, type NamedTensor, type ProgressCallback } from '@calozoo/core';
import type { PhaseTrainingConfig } from './configs.js';

/** What one phase trains and how its loss is computed. */
export interface PhaseSpec {
  /** Phase name: `epl`, `vae` or `latent-flow`. */
  name: string;
  /** Index of the phase (0, 1, 2), part of the random-stream ids. */
  index: number;
  /** Trainable variables by stable name. */
  vars: Record<string, tf.Variable>;
  /** Training rows available. */
  nTrain: number;
  /** Optimisation settings. */
  training: PhaseTrainingConfig;
  /** Mean loss of the training rows `rows` (called inside a gradient tape). */
  batchLoss(rows: Uint32Array, rng: Rng): tf.Scalar;
  /** Validation metric, lower is better. */
  validate(): number;
}

/** Mutable state of a phase, saved in checkpoints. */
export interface PhaseState {
  epoch: number;
  /** Steps already taken in `epoch`. */
  step: number;
  bestValidation: number;
  bestEpoch: number;
  badEpochs: number;
  lossSum: number;
  lossCount: number;
  /** Seconds spent in this phase so far (across resumes). */
  seconds: number;
  done: boolean;
  /**
   * Epochs the cosine schedule anneals over: maxEpochs, or under a time limit the epochs that fit
   * into the phase's budget at the mean speed so far (so the rate reaches 0 in time).
   */
  plannedEpochs?: number;
  stoppedBy?: 'epochs' | 'time' | 'early-stopping' | 'abort';
}

/** A fresh phase state. */
export function newPhaseState(): PhaseState {
  return { epoch: 0, step: 0, bestValidation: Infinity, bestEpoch: -1, badEpochs: 0, lossSum: 0, lossCount: 0, seconds: 0, done: false };
}

/** Hooks the phase loop calls. */
export interface PhaseHooks {
  seed: number;
  maxEpochs: number;
  /** Absolute time (ms since epoch) at which this phase must stop. */
  deadline: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  history: HistoryRow[];
  /** Whether a periodic checkpoint is due now. */
  checkpointDue(): boolean;
  /** Writes a checkpoint (weights, optimizer, best weights, state). */
  checkpoint(state: PhaseState, adam: Adam, best: Record<string, NamedTensor> | null): Promise<void>;
}

/** Random-stream id of (phase, epoch, step); step 0 shuffles, step s + 1 is training step s. */
export function streamId(phase: number, epoch: number, step: number): number {
  return phase * 1e10 + epoch * 1e5 + step;
}

function snapshot(vars: Record<string, tf.Variable>): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = { dtype: 'F32', shape: [...v.shape], data: new Float32Array(v.dataSync() as Float32Array) };
  return out;
}

function restore(vars: Record<string, tf.Variable>, s: Record<string, NamedTensor>): void {
  for (const [k, v] of Object.entries(vars)) if (s[k]) v.assign(tf.tensor(s[k].data as Float32Array, v.shape, 'float32'));
}

/**
 * Runs (or continues) one phase until max epochs, early stopping, the deadline or an abort.
 * @param resume optimizer state and best weights from a checkpoint of this phase
 */
export async function runPhase(
  spec: PhaseSpec,
  state: PhaseState,
  hooks: PhaseHooks,
  resume?: { optimizer?: Record<string, NamedTensor>; best?: Record<string, NamedTensor> },
): Promise<PhaseState> {
  const t = spec.training;
  const adam = new Adam(spec.vars, { clipNorm: t.gradClipNorm });
  if (resume?.optimizer) adam.setState(resume.optimizer);
  let best: Record<string, NamedTensor> | null = resume?.best ?? null;
  const batch = Math.min(t.batchSize, spec.nTrain);
  const steps = Math.max(1, Math.floor(spec.nTrain / batch));
  const phaseStart = Date.now() - state.seconds * 1000;
  let t0 = Date.now();
  let lastYield = t0;
  const finish = async (reason: PhaseState['stoppedBy']): Promise<PhaseState> => {
    state.seconds += (Date.now() - t0) / 1000;
    t0 = Date.now();
    if (reason !== 'abort') {
      if (best) restore(spec.vars, best);
      state.done = true;
    }
    state.stoppedBy = reason;
    await hooks.checkpoint(state, adam, best);
    adam.dispose();
    return state;
  };
  try {
    while (state.epoch < (state.plannedEpochs ?? hooks.maxEpochs)) {
      const perm = new Rng(hooks.seed, streamId(spec.index, state.epoch, 0)).permutation(spec.nTrain);
      while (state.step < steps) {
        if (hooks.signal?.aborted) return await finish('abort');
        if (Date.now() >= hooks.deadline) return await finish('time');
        const rows = perm.subarray(state.step * batch, (state.step + 1) * batch);
        const rng = new Rng(hooks.seed, streamId(spec.index, state.epoch, state.step + 1));
        const globalStep = state.epoch * steps + state.step;
        const totalSteps = steps * (state.plannedEpochs ?? hooks.maxEpochs);
        const lr = t.schedule === 'cosine' ? 0.5 * t.learningRate * (1 + Math.cos((Math.PI * Math.min(globalStep, totalSteps)) / totalSteps)) : t.learningRate;
        const loss = adam.minimize(() => spec.batchLoss(rows, rng), lr);
        // Yield to the event loop now and then so that timers, signals and I/O are served.
        if (Date.now() - lastYield > 100) {
          await new Promise((r) => setImmediate(r));
          lastYield = Date.now();
        }
        state.lossSum += loss;
        state.lossCount += 1;
        state.step += 1;
        if (hooks.checkpointDue()) {
          state.seconds += (Date.now() - t0) / 1000;
          t0 = Date.now();
          await hooks.checkpoint(state, adam, best);
        }
      }
      const val = spec.validate();
      const trainLoss = state.lossCount ? state.lossSum / state.lossCount : NaN;
      state.seconds += (Date.now() - t0) / 1000;
      t0 = Date.now();
      hooks.history.push({ phase: spec.name, epoch: state.epoch, trainLoss, validationLoss: val, seconds: state.seconds });
      hooks.onProgress?.({ phase: `train:${spec.name}`, done: state.epoch + 1, total: hooks.maxEpochs, values: { loss: trainLoss, validation: val } });
      if (Number.isFinite(val) && val < state.bestValidation) {
        state.bestValidation = val;
        state.bestEpoch = state.epoch;
        state.badEpochs = 0;
        best = snapshot(spec.vars);
      } else state.badEpochs += 1;
      state.epoch += 1;
      state.step = 0;
      if (Number.isFinite(hooks.deadline)) {
        // Re-planned after every epoch from the mean epoch time so far, since the speed of a
        // shared machine drifts; the schedule then still reaches zero at the deadline.
        const perEpoch = Math.max(1e-3, (Date.now() - phaseStart) / 1000 / state.epoch);
        const more = Math.floor((hooks.deadline - Date.now()) / 1000 / perEpoch);
        state.plannedEpochs = Math.max(state.epoch, Math.min(hooks.maxEpochs, state.epoch + Math.max(0, more)));
      }
      state.lossSum = 0;
      state.lossCount = 0;
      if (state.badEpochs >= t.patience) return await finish('early-stopping');
      if (state.epoch < (state.plannedEpochs ?? hooks.maxEpochs) && hooks.checkpointDue()) await hooks.checkpoint(state, adam, best);
    }
    return await finish('epochs');
  } catch (err) {
    adam.dispose();
    throw err;
  }
}
