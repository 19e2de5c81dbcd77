/**
 * `train`: runs a model's training stages one after another (each a `Phase` of gradient steps
 * or a one-off task such as a calibration) with one time budget, resumable checkpoints, abort and
 * divergence handling. A model plugin hands over its stages, how to read and write all its weights
 * and its own JSON state; everything else is here.
 *
 * Time rule (`timeLimitSeconds`): when a stage starts it gets the time left, times its `share`
 * divided by the sum of the shares of the stages not yet done. Time a stage leaves unused (early
 * stopping, fewer epochs) therefore goes to the stages after it, in proportion to their shares.
 */
import { AbortedError, ConfigError, InvalidArgumentError, TrainingBudgetError } from '../errors.js';
import { tf } from '../device/tf.js';
import { collectGarbage } from '../device/gc.js';
import * as path from 'node:path';
import type { TensorToWrite } from '../model-dir/safetensors.js';
import type { FitOptions, HistoryRow, StopReason } from '../model/interfaces.js';
import { checkpointName, readLatestCheckpoint, writeCheckpoint } from './checkpoint.js';
import { formatDuration } from '../format.js';
import { newPhaseState, runPhase, type Phase, type PhaseState } from './phase.js';

/** Measured native TensorFlow speed-up, quoted where a run falls back to a slower backend (caloman/bench/TRAINING.md, 2026-12-05). */
export const NATIVE_SPEEDUP = '5-74x faster than wasm and 31-187x faster than cpu';

/** One stage of a training plan: a phase of gradient steps, or a task run once. */
export interface TrainingStage {
  /** Stage name (unique in the plan). */
  name: string;
  /** Relative share of the time budget (default 1 for a phase, 0 for a task). */
  share?: number;
  /**
   * Builds the phase when its turn comes, after the earlier stages have trained (or were restored).
   * A long preparation should throw `AbortedError` when the run's signal fires: the run then stops.
   */
  phase?(): Phase<any> | Promise<Phase<any>>;
  /** A stage without gradient steps (e.g. a calibration), run once. */
  task?(): void | Promise<void>;
}

/** What a model hands to `train`. */
export interface TrainingPlan {
  /** Name used in log lines, e.g. the plugin name. */
  name: string;
  /** The stages, in order. */
  stages: TrainingStage[];
  /** Every weight of the model, by stable name (written into checkpoints; deferred tensors are read as they are written). */
  weights(): Record<string, TensorToWrite>;
  /** Restores `weights()` output read from `source`. */
  setWeights(w: Record<string, TensorToWrite>, source: string): void;
  /** The model's own JSON state to checkpoint (preprocessing constants, calibration…). */
  state?(): unknown;
  /** Restores `state()` output. */
  setState?(s: unknown): void;
}

/** What one stage did. */
export interface StageSummary {
  epochs: number;
  bestEpoch: number;
  bestValidation: number;
  stoppedBy?: StopReason;
  seconds: number;
}

/** What `train` did. */
export interface TrainingReport {
  /** Per-epoch rows of every phase. */
  history: HistoryRow[];
  /** Wall-clock seconds of this call. */
  seconds: number;
  /** Why training stopped (see `StopReason`). */
  stoppedBy: StopReason;
  /** Per stage. */
  stages: Record<string, StageSummary>;
  /** Where a phase diverged (training stopped there, weights rolled back). */
  divergence?: { stage: string; epoch: number; step: number; reason: string; rolledBackTo: number };
}

/** Options of `train`: `FitOptions` without the validation split, which the plan has made. */
export type TrainOptions = Omit<FitOptions, 'validationFraction'>;

interface CheckpointState {
  seed: number;
  stages: string[];
  phases: PhaseState[];
  history: HistoryRow[];
  plugin: unknown;
}

/** Runs (or resumes) the plan's stages; see the module comment for the time rule. */
export async function train(plan: TrainingPlan, options: TrainOptions): Promise<TrainingReport> {
  const started = Date.now();
  const names = plan.stages.map((s) => s.name);
  if (new Set(names).size !== names.length) throw new InvalidArgumentError(`${plan.name}: stage names must be unique, got ${names.join(', ')}`);
  for (const s of plan.stages) if (!s.phase === !s.task) throw new InvalidArgumentError(`${plan.name}: stage ${s.name} needs exactly one of phase() and task()`);
  let seed = options.seed;
  let phases: PhaseState[] = plan.stages.map(() => newPhaseState());
  let history: HistoryRow[] = [];
  let resume: { optimizer?: Record<string, TensorToWrite>; best?: Record<string, TensorToWrite> } | undefined;
  const ckDir = options.checkpointDir;
  if (options.resume && ckDir) {
    const ck = await readLatestCheckpoint<CheckpointState>(ckDir);
    if (ck) {
      if (ck.state.stages.join() !== names.join()) {
        throw new ConfigError(`${ckDir}: the checkpoint has stages [${ck.state.stages.join(', ')}], this ${plan.name} model [${names.join(', ')}]; it was written by another model or version. Start without --resume.`);
      }
      if (ck.state.seed !== seed) options.logger?.warn(`${plan.name}: resuming with the checkpoint's seed ${ck.state.seed} (not ${seed}), so that the run continues exactly`);
      seed = ck.state.seed;
      plan.setWeights(ck.weights, `${ckDir}/latest`);
      phases = ck.state.phases;
      history = ck.state.history;
      plan.setState?.(ck.state.plugin);
      resume = { optimizer: ck.optimizer, best: ck.best ?? undefined };
      collectGarbage();
      const at = phases.findIndex((p) => !p.done);
      options.logger?.info(`${plan.name}: resuming from ${ckDir} at ${at < 0 ? 'the end' : `${names[at]}, epoch ${phases[at]!.epoch + 1}, step ${phases[at]!.step}`}`);
    }
  }

  const every = (options.checkpointEverySeconds ?? 60) * 1000;
  let lastCheckpoint = Date.now();
  const saveCheckpoint = async (optimizer: Record<string, TensorToWrite>, best: Record<string, TensorToWrite> | null): Promise<void> => {
    if (!ckDir) return;
    const state: CheckpointState = { seed, stages: names, phases, history, plugin: plan.state?.() ?? null };
    const total = phases.reduce((a, p) => a + p.epoch, 0);
    await writeCheckpoint(ckDir, checkpointName(total), { state, weights: plan.weights(), optimizer, best });
    lastCheckpoint = Date.now();
  };

  const deadline = options.timeLimitSeconds ? started + options.timeLimitSeconds * 1000 : Infinity;
  const share = (i: number): number => plan.stages[i]!.share ?? (plan.stages[i]!.phase ? 1 : 0);
  const finished = (stoppedBy: StopReason): TrainingReport => {
    const stages = Object.fromEntries(
      names.map((n, i) => [n, { epochs: phases[i]!.epoch, bestEpoch: phases[i]!.bestEpoch, bestValidation: phases[i]!.bestValidation, stoppedBy: phases[i]!.stoppedBy, seconds: phases[i]!.seconds }]),
    );
    const d = phases.findIndex((p) => p.divergence && p.stoppedBy === 'divergence');
    const divergence = d >= 0 ? { stage: names[d]!, ...phases[d]!.divergence! } : undefined;
    return { history, seconds: (Date.now() - started) / 1000, stoppedBy, stages, ...(divergence ? { divergence } : {}) };
  };

  // A fresh run starts with a checkpoint, so that a divergence always has one to roll back to.
  if (ckDir && !resume) await saveCheckpoint({}, null);
  for (let i = 0; i < plan.stages.length; i++) {
    if (phases[i]!.done) continue;
    const stage = plan.stages[i]!;
    // A stop requested while the previous stage ended (or, below, while a phase prepares its data) ends the run here.
    if (options.signal?.aborted) return finished('abort');
    if (stage.task) {
      options.onProgress?.({ phase: stage.name, unit: 'tasks', done: 0, total: 1 });
      const t0 = Date.now();
      await stage.task();
      phases[i] = { ...phases[i]!, done: true, stoppedBy: 'epochs', seconds: (Date.now() - t0) / 1000 };
      options.onProgress?.({ phase: stage.name, unit: 'tasks', done: 1, total: 1 });
      await saveCheckpoint({}, null);
      continue;
    }
    let phase: Phase<unknown>;
    try {
      phase = await stage.phase!();
    } catch (err) {
      if (err instanceof AbortedError && options.signal?.aborted) return finished('abort');
      throw err;
    }
    // Whatever the phase's preparation read (e.g. a pass over the file) is freed before it trains.
    collectGarbage();
    const now = Date.now();
    let rest = 0;
    for (let j = i; j < plan.stages.length; j++) if (!phases[j]!.done) rest += share(j);
    const phaseDeadline = deadline === Infinity ? Infinity : now + (rest > 0 ? ((deadline - now) * share(i)) / rest : deadline - now);
    const maxEpochs = options.epochs ?? phase.maxEpochs;
    const params = phase.optimizers.reduce((a, o) => a + Object.values(o.vars).reduce((b, v) => b + v.size, 0), 0);
    options.logger?.info(`${plan.name}: training ${phase.name} (${params} parameters, ≤ ${maxEpochs} epochs, ${phase.data.steps} steps per epoch)`);
    const runIt = runPhase({ ...phase, maxEpochs }, phases[i]!, {
      seed,
      index: i,
      deadline: phaseDeadline,
      jobDeadline: deadline,
      minEpochs: options.minEpochsPerPhase ?? 1,
      signal: options.signal,
      onProgress: options.onProgress,
      logger: options.logger,
      history,
      resume,
      ...(ckDir ? { bestFile: path.join(ckDir, `best-${stage.name}.safetensors`) } : {}),
      checkpointDue: () => ckDir !== undefined && Date.now() - lastCheckpoint >= every,
      // With checkpoints on disk, a divergence goes back to the last one (no copy kept in memory).
      ...(ckDir
        ? {
            lastCheckpoint: async () => {
              const ck = await readLatestCheckpoint<CheckpointState>(ckDir);
              if (!ck) throw new ConfigError(`${ckDir}: the checkpoint to roll back to has disappeared`);
              plan.setWeights(ck.weights, `${ckDir}/latest`);
              plan.setState?.(ck.state.plugin);
              history.splice(ck.state.history.length);
              return { state: ck.state.phases[i]!, optimizer: ck.optimizer, best: ck.best };
            },
          }
        : {}),
      checkpoint: (state, optimizer, best) => {
        phases[i] = state;
        // A finished phase hands nothing on: its optimiser state and best weights are spent.
        return saveCheckpoint(state.done ? {} : optimizer, state.done ? null : best);
      },
    });
    try {
      phases[i] = await runIt;
    } catch (err) {
      if (!(err instanceof TrainingBudgetError)) throw err;
      // The phase gets share/rest of the time left: that time must cover its need.
      const t = Date.now();
      const suggested = (now - started) / 1000 + (((t - now) / 1000 + err.detail.needSeconds) * rest) / Math.max(1e-9, share(i));
      const native = tf.getBackend().startsWith('tensorflow');
      throw new TrainingBudgetError(
        `${plan.name}: the time limit is too short. ${err.message}. No model was written${ckDir ? ` (checkpoints in ${ckDir})` : ''}. ` +
          `Give a time limit of at least ${formatDuration(suggested * 1.2, { roundUp: true })}${native ? '' : `, or build native TensorFlow (npm run setup:native): it trained CaloMan's networks ${NATIVE_SPEEDUP} (BENCHMARKS.md)`}.`,
        { ...err.detail, suggestedTimeSeconds: suggested * 1.2 },
      );
    }
    resume = undefined;
    const stop = phases[i]!.stoppedBy;
    if (stop === 'abort' || stop === 'divergence') return finished(stop);
  }
  const by = (r: StopReason): boolean => phases.some((p) => p.stoppedBy === r);
  return finished(by('time') ? 'time' : by('early-stopping') ? 'early-stopping' : by('target') ? 'target' : 'epochs');
}
