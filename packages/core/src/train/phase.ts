/**
 * One training phase: the networks a phase trains, the optimisers that train them and the order
 * in which they step, the batches, validation with early stopping and best-weights restore, a
 * deadline, a divergence guard and progress. `runPhase` runs (or continues) one phase; the
 * `train` function in `trainer.ts` runs a model's phases one after another with checkpoints.
 *
 * Every step's randomness is `Rng(seed, streamId(phase, epoch, step + 1))` and every epoch's
 * shuffle `Rng(seed, streamId(phase, epoch, 0))`, so a run resumed from a checkpoint at any step
 * draws exactly what the uninterrupted run would have drawn.
 */
import { Adam, type AdamOptions } from '../optim/adam.js';
import { AbortedError, InvalidArgumentError, TrainingBudgetError } from '../errors.js';
import { float32Values, openSafetensors, tensorValues, writeSafetensors, type NamedTensor, type TensorToWrite } from '../model-dir/safetensors.js';
import { promises as fs } from 'node:fs';
import type { HistoryRow, Logger, ProgressCallback, StopReason } from '../model/interfaces.js';
import { Rng } from '../rng.js';
import { tf } from '../device/tf.js';
import { collectGarbage } from '../device/gc.js';
import { formatDuration } from '../format.js';
import { deferredValues, namedValues } from '../nn/layer.js';
import type { BatchSource } from './batches.js';

/** One Adam optimiser of a phase and the variables it owns. */
export interface OptimizerSpec {
  /** Name (e.g. `main`, `critic`, `generator`), unique in the phase; prefixes its checkpoint state. */
  name: string;
  /** The variables it updates, by stable name. */
  vars: Record<string, tf.Variable>;
  /** Peak learning rate. */
  learningRate: number;
  /** `constant` (default) or `cosine`: annealed to 0 per step over the phase's planned steps. */
  schedule?: 'constant' | 'cosine';
  /**
   * Adam's settings. One ε convention everywhere: TensorFlow's (√v̂ + ε with the bias correction
   * folded into the step size) unless `epsilonMode: 'pytorch'` is asked for by name.
   */
  adam?: Omit<AdamOptions, 'fused'>;
  /**
   * A resetting network (e.g. the resetting critic of field-reference.md §4.2): called before the
   * first step of every epoch to give the variables fresh initial values (draw them from a stream
   * of `epoch`, so that a resumed run repeats them); the optimiser's moments start again at zero.
   */
  resetEachEpoch?(epoch: number): void;
}

/** One update of a training step: an optimiser minimising a loss on the step's batch. */
export interface UpdateSpec<B> {
  /** Name of the loss in history and progress (default: the optimiser's name). */
  name?: string;
  /** Which optimiser takes the gradient. */
  optimizer: string;
  /** The loss of `batch` (called inside a gradient tape); `rng` is the step's random stream. */
  loss(batch: B, rng: Rng): tf.Scalar;
  /** Runs on every `every`-th step only (default 1: every step), e.g. 5 for a generator after 5 critic steps. */
  every?: number;
  /** Runs this many times per step on the same batch (default 1). */
  repeat?: number;
  /**
   * Gradient accumulation: splits the batch into parts whose weighted losses add up to the
   * batch's loss (e.g. slices of rows, weight = slice rows / batch rows). The update then follows
   * the same gradient up to float rounding, but only one part's activations exist at a time.
   * `loss` is called on the parts in order, with the step's one `rng`.
   */
  split?(batch: B): Array<{ batch: B; weight: number }>;
}

/** A validation result: a score (lower is better) and optional numbers to record. */
export type Validation = number | { score: number; values?: Record<string, number> };

/** What one phase trains and how. */
export interface Phase<B> {
  /** Phase name (history, progress `train:<name>`, checkpoints). */
  name: string;
  /** The optimisers; their variables are disjoint. */
  optimizers: OptimizerSpec[];
  /** The updates of one step, in order. */
  updates: UpdateSpec<B>[];
  /** The batches. */
  data: BatchSource<B>;
  /** Epoch limit. */
  maxEpochs: number;
  /**
   * Validation after each epoch (lower is better); without it the mean loss of the first update is
   * used. A long one should throw `AbortedError` when the run's signal fires: the phase then stops.
   */
  validate?(): Validation | Promise<Validation>;
  /** Stop after this many epochs without improvement (default: never). */
  patience?: number;
  /** Stop at once when the validation score meets a target (stop reason `target`). */
  stopWhen?(score: number): boolean;
  /** Restore the best epoch's weights at the end (default true). */
  restoreBest?: boolean;
  /** Everything the phase changes, for best-weights and rollback snapshots (default: the optimisers' variables). */
  variables?: Record<string, tf.Variable>;
  /** Called with true before training steps and false before validation and at the end (dropout, batch statistics). */
  setTraining?(on: boolean): void;
  /**
   * Divergence test on the losses of a step (by update name); return a reason to stop. Non-finite
   * losses always count as divergence.
   */
  diverged?(losses: Record<string, number>): string | null;
}

/** Mutable state of a phase, saved in checkpoints. */
export interface PhaseState {
  epoch: number;
  /** Steps already taken in `epoch`. */
  step: number;
  bestValidation: number;
  bestEpoch: number;
  badEpochs: number;
  /** Per update: the sum and count of its losses in the running epoch. */
  lossSums: number[];
  lossCounts: number[];
  /** Seconds spent in this phase so far (across resumes). */
  seconds: number;
  done: boolean;
  /**
   * Epochs the schedule anneals over: maxEpochs, or under a deadline the epochs that fit into the
   * phase's time at the mean speed so far (re-planned after every epoch).
   */
  plannedEpochs?: number;
  stoppedBy?: StopReason;
  /** Set when the phase diverged: where, and the epoch whose end it was rolled back to. */
  divergence?: { epoch: number; step: number; reason: string; rolledBackTo: number };
}

/** A fresh phase state. */
export function newPhaseState(): PhaseState {
  return { epoch: 0, step: 0, bestValidation: Infinity, bestEpoch: -1, badEpochs: 0, lossSums: [], lossCounts: [], seconds: 0, done: false };
}

/** What a phase needs from whoever runs it. */
export interface PhaseContext {
  /** Seed of every random stream. */
  seed: number;
  /** Position of the phase in the model's plan, part of the random-stream ids. */
  index: number;
  /** Absolute time (ms since epoch) at which this phase must stop. */
  deadline: number;
  /** Absolute time at which the whole job must stop (for the ETA; default `deadline`). */
  jobDeadline?: number;
  /**
   * With a finite deadline: the epochs this phase must be able to complete (default 0: no check).
   * The phase times steps 2–4 of this run and throws `TrainingBudgetError` when the time left to
   * its deadline cannot fit the steps still needed for that many epochs.
   */
  minEpochs?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  logger?: Logger;
  /** History rows are appended here. */
  history: HistoryRow[];
  /** Whether a periodic checkpoint is due now. */
  checkpointDue(): boolean;
  /** Writes a checkpoint (the phase's optimiser states, best weights and state). */
  checkpoint(state: PhaseState, optimizer: Record<string, TensorToWrite>, best: Record<string, TensorToWrite> | null): Promise<void>;
  /** Optimiser states and best weights from a checkpoint of this phase (read when used). */
  resume?: { optimizer?: Record<string, TensorToWrite>; best?: Record<string, TensorToWrite> };
  /**
   * Where the best epoch's weights are kept while the phase runs (a file it owns, removed at the
   * end); without it they are kept in memory.
   */
  bestFile?: string;
  /**
   * Restores the model's weights from the last checkpoint and returns this phase's state, optimiser
   * states and best weights in it (the divergence rollback target). Without it the phase keeps a
   * copy of its weights and optimiser states in memory at every epoch end instead.
   */
  lastCheckpoint?(): Promise<{ state: PhaseState; optimizer: Record<string, TensorToWrite>; best: Record<string, TensorToWrite> | null }>;
}

/** Random-stream id of (phase, epoch, step); step 0 shuffles, step s + 1 is training step s. */
export function streamId(phase: number, epoch: number, step: number): number {
  return phase * 1e10 + epoch * 1e5 + step;
}

/** Assigns named host tensors to the variables of the same names (missing names are left alone). */
export function restoreVariables(vars: Record<string, tf.Variable>, s: Record<string, TensorToWrite>): void {
  for (const [k, v] of Object.entries(vars)) {
    const t = s[k];
    if (t) tf.tidy(() => v.assign(tf.tensor(float32Values(t), v.shape, 'float32')));
  }
}

/**
 * The best epoch's weights of a running phase: in a file when the phase has one (no copy of the
 * weights in memory), else in memory.
 */
class BestWeights {
  private memory: Record<string, NamedTensor> | null = null;
  private onDisk = false;

  constructor(private readonly file: string | undefined) {}

  /** Keeps the variables' current values as the best. */
  async keep(vars: Record<string, tf.Variable>): Promise<void> {
    if (this.file) {
      await writeSafetensors(this.file, deferredValues(vars));
      this.onDisk = true;
    } else this.memory = namedValues(vars);
  }

  /** Replaces the best weights by `t` (from a checkpoint; read tensor by tensor), or drops them. */
  async set(t: Record<string, TensorToWrite> | null | undefined): Promise<void> {
    this.memory = null;
    this.onDisk = false;
    if (this.file) {
      if (t) {
        await writeSafetensors(this.file, t);
        this.onDisk = true;
      } else await fs.rm(this.file, { force: true });
    } else if (t) this.memory = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { dtype: v.dtype, shape: v.shape, data: new Float32Array(tensorValues(v)) }]));
  }

  /** The best weights for a checkpoint (read when written), or null. */
  toWrite(): Record<string, TensorToWrite> | null {
    if (this.onDisk) return openSafetensors(this.file!).tensors;
    return this.memory;
  }

  /** Assigns the best weights to the variables (no-op when none are held). */
  restore(vars: Record<string, tf.Variable>): void {
    const t = this.toWrite();
    if (t) restoreVariables(vars, t);
  }

  /** Removes the file (the phase has ended). */
  async dispose(): Promise<void> {
    this.memory = null;
    this.onDisk = false;
    if (this.file) await fs.rm(this.file, { force: true });
  }
}

/** The phase's variables for snapshots: `variables`, or every optimiser's (names prefixed `<optimizer>/`). */
function phaseVariables<B>(phase: Phase<B>): Record<string, tf.Variable> {
  if (phase.variables) return phase.variables;
  const out: Record<string, tf.Variable> = {};
  for (const o of phase.optimizers) for (const [k, v] of Object.entries(o.vars)) out[`${o.name}/${k}`] = v;
  return out;
}

/** Every optimiser's `state` output under `<optimizer>/` prefixes. */
function byOptimizer<T>(adams: Map<string, Adam>, state: (a: Adam) => Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, a] of adams) for (const [k, t] of Object.entries(state(a))) out[`${name}/${k}`] = t;
  return out;
}

/** Optimiser states as copies (the in-memory rollback target). */
const optimizerState = (adams: Map<string, Adam>): Record<string, NamedTensor> => byOptimizer(adams, (a) => a.state());
/** Optimiser states to write into a checkpoint, read tensor by tensor as they are written. */
const optimizerStateToWrite = (adams: Map<string, Adam>): Record<string, TensorToWrite> => byOptimizer(adams, (a) => a.state({ deferred: true }));

function setOptimizerState(adams: Map<string, Adam>, s: Record<string, TensorToWrite>): void {
  for (const [name, a] of adams) {
    const p = `${name}/`;
    a.setState(Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith(p)).map(([k, t]) => [k.slice(p.length), t])));
  }
}

function checkPhase<B>(phase: Phase<B>): void {
  const names = new Set<string>();
  for (const o of phase.optimizers) {
    if (names.has(o.name)) throw new InvalidArgumentError(`phase ${phase.name}: two optimisers are named "${o.name}"`);
    names.add(o.name);
    if (!(o.learningRate > 0)) throw new InvalidArgumentError(`phase ${phase.name}: optimiser ${o.name} needs a learning rate > 0, got ${o.learningRate}`);
  }
  if (phase.updates.length === 0) throw new InvalidArgumentError(`phase ${phase.name}: no updates`);
  for (const u of phase.updates) {
    if (!names.has(u.optimizer)) throw new InvalidArgumentError(`phase ${phase.name}: update ${u.name ?? u.optimizer} names no optimiser of the phase ("${u.optimizer}")`);
    if (!(Number.isInteger(u.every ?? 1) && (u.every ?? 1) >= 1)) throw new InvalidArgumentError(`phase ${phase.name}: every must be a positive integer`);
    if (!(Number.isInteger(u.repeat ?? 1) && (u.repeat ?? 1) >= 1)) throw new InvalidArgumentError(`phase ${phase.name}: repeat must be a positive integer`);
  }
  if (!(Number.isInteger(phase.maxEpochs) && phase.maxEpochs >= 1)) throw new InvalidArgumentError(`phase ${phase.name}: maxEpochs must be a positive integer, got ${phase.maxEpochs}`);
}

function learningRate(o: OptimizerSpec, globalStep: number, totalSteps: number): number {
  if (o.schedule !== 'cosine') return o.learningRate;
  return 0.5 * o.learningRate * (1 + Math.cos((Math.PI * Math.min(globalStep, totalSteps)) / totalSteps));
}

function scoreOf(v: Validation): { score: number; values?: Record<string, number> } {
  return typeof v === 'number' ? { score: v } : v;
}

/**
 * Runs (or continues) one phase until its epochs are done, early stopping, a target, the
 * deadline, an abort or divergence. On divergence the phase's weights, optimiser states and
 * state go back to the end of the last good epoch (or the phase's start), a checkpoint of that is
 * written, and the state says so (`stoppedBy: 'divergence'`, `done: false`, so `--resume`
 * continues from there, e.g. with a lower learning rate).
 */
export async function runPhase<B>(phase: Phase<B>, state: PhaseState, ctx: PhaseContext): Promise<PhaseState> {
  checkPhase(phase);
  const adams = new Map(phase.optimizers.map((o) => [o.name, new Adam(o.vars, { ...o.adam, fused: 'auto' })]));
  const specs = new Map(phase.optimizers.map((o) => [o.name, o]));
  if (ctx.resume?.optimizer) {
    setOptimizerState(adams, ctx.resume.optimizer);
    collectGarbage();
  }
  const vars = phaseVariables(phase);
  const updateNames = phase.updates.map((u) => u.name ?? u.optimizer);
  const best = new BestWeights(ctx.bestFile);
  await best.set(ctx.resume?.best);
  const steps = phase.data.steps;
  const phaseStart = Date.now() - state.seconds * 1000;
  const stepsAtStart = state.epoch * steps + state.step;
  const startedAt = Date.now();
  let t0 = Date.now();
  let lastYield = t0;
  let lastEvent = 0;
  const tick = (): void => {
    state.seconds += (Date.now() - t0) / 1000;
    t0 = Date.now();
  };
  // The rollback target without checkpoints: weights, optimiser states and phase state at the last good epoch end.
  const inMemory = !ctx.lastCheckpoint;
  let good = inMemory ? { weights: namedValues(vars), optimizer: optimizerState(adams), state: structuredClone(state) } : null;
  const planned = (): number => state.plannedEpochs ?? phase.maxEpochs;
  const eta = (): number => {
    const done = state.epoch * steps + state.step - stepsAtStart;
    const rate = done / Math.max(1e-3, (Date.now() - startedAt) / 1000);
    const left = planned() * steps - (state.epoch * steps + state.step);
    const phaseEta = rate > 0 ? left / rate : Infinity;
    const now = Date.now();
    const untilDeadline = (ctx.deadline - now) / 1000;
    const job = ctx.jobDeadline ?? ctx.deadline;
    // The phase ends at its own deadline at the latest; later phases take the rest of the job's time.
    return Math.min(phaseEta, untilDeadline) + (Number.isFinite(job) ? Math.max(0, (job - Math.max(now, ctx.deadline)) / 1000) : 0);
  };
  // The minimum-epochs check: steps 2–4 of this run are timed (step 1 warms up the kernels); a
  // deadline that comes first decides it on the steps there were.
  const minEpochs = Number.isFinite(ctx.deadline) ? Math.min(ctx.minEpochs ?? 0, phase.maxEpochs) : 0;
  let decided = minEpochs <= 0 || state.epoch >= minEpochs;
  let stepsRun = 0;
  let probeFrom = 0;
  const budgetCheck = (now: number, atDeadline: boolean): void => {
    // Epochs finished within the probe (fewer than 4 steps each) settle it too.
    if (state.epoch >= minEpochs) decided = true;
    if (decided) return;
    if (!atDeadline) {
      stepsRun += 1;
      if (stepsRun === 1) probeFrom = now;
      if (stepsRun < 4) return;
    }
    decided = true;
    const secondsPerStep = stepsRun >= 4 ? (now - probeFrom) / 1000 / 3 : (now - startedAt) / 1000 / Math.max(1, stepsRun);
    const left = Math.max(0, minEpochs * steps - (state.epoch * steps + state.step));
    const needSeconds = left * secondsPerStep;
    const haveSeconds = Math.max(0, (ctx.deadline - now) / 1000);
    if (needSeconds <= haveSeconds && !atDeadline) return;
    throw new TrainingBudgetError(
      `${phase.name}: ${minEpochs} epoch${minEpochs === 1 ? '' : 's'} (${steps} steps each) need about ${formatDuration(needSeconds, { roundUp: true })} more at the measured ${secondsPerStep.toPrecision(3)} s/step on the ${tf.getBackend()} backend, but this phase has ${formatDuration(haveSeconds)} of the time limit left`,
      { phase: phase.name, secondsPerStep, needSeconds, haveSeconds },
    );
  };
  const finish = async (reason: StopReason): Promise<PhaseState> => {
    tick();
    phase.setTraining?.(false);
    if (reason !== 'abort' && reason !== 'divergence') {
      if (phase.restoreBest !== false) {
        best.restore(vars);
        collectGarbage();
      }
      state.done = true;
    }
    state.stoppedBy = reason;
    await ctx.checkpoint(state, optimizerStateToWrite(adams), best.toWrite());
    if (state.done) await best.dispose();
    return state;
  };
  const rollBack = async (epoch: number, step: number, reason: string): Promise<PhaseState> => {
    const seconds = state.seconds + (Date.now() - t0) / 1000;
    t0 = Date.now();
    let target: PhaseState;
    if (good) {
      restoreVariables(vars, good.weights);
      setOptimizerState(adams, good.optimizer);
      target = good.state;
    } else {
      const ck = await ctx.lastCheckpoint!();
      setOptimizerState(adams, ck.optimizer);
      await best.set(ck.best);
      target = ck.state;
    }
    Object.assign(state, structuredClone(target), { seconds, done: false });
    state.divergence = { epoch, step, reason, rolledBackTo: target.epoch };
    const where = good ? `the end of epoch ${target.epoch}` : `the last checkpoint (epoch ${target.epoch}, step ${target.step})`;
    ctx.logger?.warn(`${phase.name}: training diverged at epoch ${epoch + 1}, step ${step + 1} (${reason}); the weights were rolled back to ${where} and training stopped. Lower the learning rate or the gradient-clipping norm and resume.`);
    return finish('divergence');
  };
  try {
    while (state.epoch < planned()) {
      const totalSteps = steps * planned();
      const shuffle = new Rng(ctx.seed, streamId(ctx.index, state.epoch, 0));
      if (state.step === 0) {
        for (const o of phase.optimizers) {
          if (!o.resetEachEpoch) continue;
          o.resetEachEpoch(state.epoch);
          adams.get(o.name)!.setState({});
        }
      }
      phase.setTraining?.(true);
      for await (const batch of phase.data.epoch(state.epoch, state.step, shuffle)) {
        if (state.step >= steps) break;
        if (ctx.signal?.aborted) return await finish('abort');
        if (Date.now() >= ctx.deadline) {
          budgetCheck(Date.now(), true);
          return await finish('time');
        }
        const rng = new Rng(ctx.seed, streamId(ctx.index, state.epoch, state.step + 1));
        const globalStep = state.epoch * steps + state.step;
        const losses: Record<string, number> = {};
        phase.updates.forEach((u, i) => {
          if ((globalStep + 1) % (u.every ?? 1) !== 0) return;
          const o = specs.get(u.optimizer)!;
          const lr = learningRate(o, globalStep, totalSteps);
          for (let r = 0; r < (u.repeat ?? 1); r++) {
            const parts = u.split?.(batch);
            const loss = adams.get(u.optimizer)!.minimize(parts ? parts.map((p) => ({ loss: () => u.loss(p.batch, rng), weight: p.weight })) : () => u.loss(batch, rng), lr);
            losses[updateNames[i]!] = loss;
            state.lossSums[i] = (state.lossSums[i] ?? 0) + loss;
            state.lossCounts[i] = (state.lossCounts[i] ?? 0) + 1;
          }
        });
        const bad = Object.entries(losses).find(([, v]) => !Number.isFinite(v));
        const reason = bad ? `${bad[0]} loss ${bad[1]}` : phase.diverged?.(losses);
        if (reason) return await rollBack(state.epoch, state.step, reason);
        state.step += 1;
        const now = Date.now();
        budgetCheck(now, false);
        if (now - lastEvent >= 250 || state.step === steps) {
          lastEvent = now;
          ctx.onProgress?.({ phase: `train:${phase.name}`, unit: 'steps', done: globalStep + 1, total: totalSteps, etaSeconds: eta(), values: { epoch: state.epoch + 1, ...losses } });
        }
        // Yield to the event loop now and then so that timers, signals and I/O are served.
        if (now - lastYield > 100) {
          await new Promise((r) => setImmediate(r));
          lastYield = Date.now();
        }
        if (ctx.checkpointDue()) {
          tick();
          await ctx.checkpoint(state, optimizerStateToWrite(adams), best.toWrite());
        }
      }
      phase.setTraining?.(false);
      const means = Object.fromEntries(updateNames.map((n, i) => [n, (state.lossSums[i] ?? 0) / (state.lossCounts[i] || NaN)]));
      const trainLoss = means[updateNames[0]!] ?? NaN;
      let v: { score: number; values?: Record<string, number> };
      try {
        v = phase.validate ? scoreOf(await phase.validate()) : { score: trainLoss };
      } catch (err) {
        // A validation that checks the signal (a long one should) stops here; the epoch is validated again on resume.
        if (err instanceof AbortedError && ctx.signal?.aborted) return await finish('abort');
        throw err;
      }
      tick();
      const values = { ...(updateNames.length > 1 ? means : {}), ...v.values };
      ctx.history.push({
        phase: phase.name,
        epoch: state.epoch,
        trainLoss,
        ...(phase.validate ? { validationLoss: v.score } : {}),
        seconds: state.seconds,
        ...(Object.keys(values).length ? { values } : {}),
      });
      if (!Number.isFinite(v.score) && phase.validate) return await rollBack(state.epoch, steps - 1, `validation ${v.score}`);
      if (v.score < state.bestValidation) {
        state.bestValidation = v.score;
        state.bestEpoch = state.epoch;
        state.badEpochs = 0;
        if (phase.restoreBest !== false) await best.keep(vars);
      } else state.badEpochs += 1;
      state.epoch += 1;
      state.step = 0;
      if (Number.isFinite(ctx.deadline)) {
        // Re-planned after every epoch from the mean epoch time so far, since the speed of a
        // shared machine drifts; a cosine schedule then still reaches zero at the deadline.
        const perEpoch = Math.max(1e-3, (Date.now() - phaseStart) / 1000 / state.epoch);
        const more = Math.floor((ctx.deadline - Date.now()) / 1000 / perEpoch);
        state.plannedEpochs = Math.max(state.epoch, Math.min(phase.maxEpochs, state.epoch + Math.max(0, more)));
      }
      state.lossSums = [];
      state.lossCounts = [];
      ctx.onProgress?.({ phase: `train:${phase.name}`, unit: 'epochs', done: state.epoch, total: planned(), etaSeconds: eta(), values: { loss: trainLoss, ...(phase.validate ? { validation: v.score } : {}) } });
      if (inMemory) good = { weights: namedValues(vars), optimizer: optimizerState(adams), state: structuredClone(state) };
      if (phase.stopWhen?.(v.score)) return await finish('target');
      if (state.badEpochs >= (phase.patience ?? Infinity)) return await finish('early-stopping');
      if (state.epoch < planned() && ctx.checkpointDue()) await ctx.checkpoint(state, optimizerStateToWrite(adams), best.toWrite());
    }
    // Ending before maxEpochs means the deadline planned fewer epochs: the time limit stopped it.
    return await finish(planned() < phase.maxEpochs ? 'time' : 'epochs');
  } finally {
    phase.setTraining?.(false);
    for (const a of adams.values()) a.dispose();
  }
}
