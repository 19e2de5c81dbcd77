/**
 * CaloMan's sequential training (field-reference.md §4.7): EPL flow → VAE → latent flow, each
 * with early stopping on its validation loss, then the post-hoc response calibration. Handles
 * the time budget, checkpoints (resume continues the same phase, epoch and step) and aborts.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  DataFormatError,
  Rng,
  type FitOptions,
  type FitReport,
  type HistoryRow,
  type NamedTensor,
  type ShowerSource,
} from '@calozoo/core';
import type { Flow } from '@calozoo/flows';
import { calibrationEdges, fitResponseCalibration } from './calibration.js';
import { checkpointName, readLatestCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { CaloManModel } from './model.js';
import { createNetworks } from './networks.js';
import { fitStandardiser, standardise } from './preprocess.js';
import { conditionRows, gatherRows, prepareTrainingData, type TrainingData } from './training-data.js';
import { newPhaseState, runPhase, streamId, type PhaseSpec, type PhaseState } from './trainer.js';

const PHASES = ['epl', 'vae', 'latent-flow'] as const;
const CHUNK = 4096;

/** JSON state of a checkpoint. */
interface FitCheckpointState {
  seed: number;
  phases: PhaseState[];
  history: HistoryRow[];
  latent: { shift: number[]; scale: number[] };
  calibration: unknown;
  /** Next random stream (phase, epoch, step) the trainer draws from. */
  rng: { seed: number; stream: number };
}

function allWeights(model: CaloManModel): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  const flowVars = (prefix: string, f: Flow): void => {
    for (const [k, v] of Object.entries(f.variables())) out[`${prefix}.${k}`] = { dtype: 'F32', shape: [...v.shape], data: new Float32Array(v.dataSync() as Float32Array) };
  };
  flowVars('epl', model.nets.epl);
  for (const [k, t] of Object.entries(model.vaeTensors())) out[`vae.${k}`] = t;
  flowVars('latent-flow', model.nets.latentFlow);
  return out;
}

function setAllWeights(model: CaloManModel, w: Record<string, NamedTensor>, source: string): void {
  const sub = (prefix: string): Record<string, NamedTensor> =>
    Object.fromEntries(Object.entries(w).filter(([k]) => k.startsWith(prefix + '.')).map(([k, t]) => [k.slice(prefix.length + 1), t]));
  const setFlow = (f: Flow, t: Record<string, NamedTensor>): void => {
    for (const [k, v] of Object.entries(f.variables())) if (t[k]) v.assign(tf.tensor(Float32Array.from(t[k].data), v.shape));
  };
  setFlow(model.nets.epl, sub('epl'));
  model.setVaeTensors(sub('vae'), source);
  setFlow(model.nets.latentFlow, sub('latent-flow'));
}

function trainableNamed(f: Flow): Record<string, tf.Variable> {
  return Object.fromEntries(Object.entries(f.variables()).filter(([, v]) => v.trainable));
}

/** Mean of f over `rows` in chunks (f returns a per-chunk sum). */
function chunkedMean(rows: Uint32Array, f: (r: Uint32Array) => number): number {
  let s = 0;
  for (let i = 0; i < rows.length; i += CHUNK) s += f(rows.subarray(i, i + CHUNK));
  return s / rows.length;
}

/** Encodes every shower to the latent vectors the latent flow learns (means or one sample each). */
function latentData(model: CaloManModel, data: TrainingData, seed: number): { z: Float32Array; mu: Float32Array; sigma: Float32Array } {
  const D = model.config.latentDim;
  const L = data.layers;
  const all = Uint32Array.from({ length: data.n }, (_, i) => i);
  const z = new Float32Array(data.n * D);
  const mu = new Float32Array(data.n * D);
  const sigma = new Float32Array(data.n * D);
  const rng = new Rng(seed, streamId(3, 1, 0));
  for (let i = 0; i < data.n; i += CHUNK) {
    const rows = all.subarray(i, i + CHUNK);
    const m = rows.length;
    const [a, b] = tf.tidy(() => {
      const e = model.nets.vae.encode(tf.tensor2d(gatherRows(data.x, data.voxels, rows), [m, data.voxels]), tf.tensor2d(conditionRows(data, rows), [m, 1 + L]));
      return [e.mu.dataSync() as Float32Array, tf.exp(e.logSigma).dataSync() as Float32Array];
    });
    mu.set(a!, i * D);
    sigma.set(b!, i * D);
  }
  const eps = rng.fillNormal(new Float32Array(data.n * D));
  for (let i = 0; i < z.length; i++) z[i] = model.config.latentFlow.fitOn === 'means' ? mu[i] : mu[i] + sigma[i] * eps[i];
  return { z, mu, sigma };
}

/**
 * Trains `model` on `source` (see the module comment); re-initialises the networks from
 * `options.seed` unless resuming, in which case the checkpoint's weights are restored.
 */
export async function fitCaloMan(model: CaloManModel, source: ShowerSource, options: FitOptions): Promise<FitReport> {
  const started = Date.now();
  const cfg = model.config;
  const seed = options.seed;
  if (source.voxels !== model.geometry.voxels) {
    throw new DataFormatError(`caloman.fit: the training showers have ${source.voxels} voxels, but geometry "${model.geometry.id}" has ${model.geometry.voxels}. Pass showers of that geometry.`);
  }
  const showers = await source.readRange(0, source.n);
  const { data, prep } = prepareTrainingData(showers, model.geometry, cfg, seed, options.validationFraction ?? 0.2);
  const nTrain = data.trainRows.length;
  const L = data.layers;
  const V = data.voxels;
  const D = cfg.latentDim;
  options.logger?.info(`caloman: ${nTrain} training and ${data.validationRows.length} validation showers, ${L} layers, ${V} voxels`);

  model.dispose();
  model.nets = createNetworks(cfg, model.geometry, seed);
  model.state.epl = prep.epl;
  model.state.eplRange = prep.eplRange;
  model.state.context = prep.context;
  model.state.fractionLo = data.fractionLo;
  model.state.fractionHi = data.fractionHi;
  model.state.calibration = null;

  let phases: PhaseState[] = PHASES.map(() => newPhaseState());
  let history: HistoryRow[] = [];
  let resumeOpt: Record<string, NamedTensor> | undefined;
  let resumeBest: Record<string, NamedTensor> | undefined;
  let calibrationDone = false;
  const ckDir = options.checkpointDir;
  if (options.resume && ckDir) {
    const ck = await readLatestCheckpoint<FitCheckpointState>(ckDir);
    if (ck) {
      setAllWeights(model, ck.weights, `${ckDir}/latest`);
      phases = ck.state.phases;
      history = ck.state.history;
      model.state.latent = ck.state.latent;
      resumeOpt = ck.optimizer;
      resumeBest = ck.best ?? undefined;
      calibrationDone = ck.state.calibration != null;
      model.state.calibration = (ck.state.calibration as typeof model.state.calibration) ?? null;
      options.logger?.info(`caloman: resuming from ${ckDir} at phase ${PHASES[phases.findIndex((p) => !p.done)] ?? 'calibration'}`);
    }
  }

  const every = (options.checkpointEverySeconds ?? 60) * 1000;
  let lastCheckpoint = Date.now();
  const totalEpochs = (): number => phases.reduce((a, p) => a + p.epoch, 0);
  const saveCheckpoint = async (current: number, optimizer: Record<string, NamedTensor>, best: Record<string, NamedTensor> | null): Promise<void> => {
    if (!ckDir) return;
    const p = phases[current];
    const state: FitCheckpointState = {
      seed,
      phases,
      history,
      latent: model.state.latent,
      calibration: model.state.calibration,
      rng: { seed, stream: streamId(current, p.epoch, p.step + 1) },
    };
    await writeCheckpoint(ckDir, checkpointName(totalEpochs()), { state, weights: allWeights(model), optimizer, best });
    lastCheckpoint = Date.now();
  };

  const deadline = options.timeLimitSeconds ? started + options.timeLimitSeconds * 1000 : Infinity;
  const shares = [cfg.timeShares.epl, cfg.timeShares.vae, cfg.timeShares.latentFlow];
  const valEps = new Rng(seed, 5);
  const valNoise = rngMatrix(valEps, data.validationRows.length, D);

  const specFor = (p: number): PhaseSpec => {
    if (p === 0) {
      const flow = model.nets.epl;
      const nll = (rows: Uint32Array, map?: Uint32Array): tf.Scalar => {
        const m = rows.length;
        return tf.neg(tf.mean(flow.logProb(tf.tensor2d(gatherRows(data.u, L, rows, map), [m, L]), tf.tensor2d(gatherRows(data.c, 1, rows, map), [m, 1])))) as tf.Scalar;
      };
      return {
        name: 'epl', index: 0, vars: trainableNamed(flow), nTrain, training: cfg.epl.training,
        batchLoss: (rows) => nll(rows, data.trainRows),
        validate: () => chunkedMean(data.validationRows, (r) => tf.tidy(() => nll(r).dataSync()[0] * r.length)),
      };
    }
    if (p === 1) {
      const vae = model.nets.vae;
      const loss = (rows: Uint32Array, eps: Float32Array, map?: Uint32Array): tf.Scalar => {
        const m = rows.length;
        return vae.loss(tf.tensor2d(gatherRows(data.x, V, rows, map), [m, V]), tf.tensor2d(conditionRows(data, rows, map), [m, 1 + L]), tf.tensor2d(eps, [m, D]), cfg.vae.beta).loss;
      };
      return {
        name: 'vae', index: 1, vars: vae.params.named(), nTrain, training: cfg.vae.training,
        batchLoss: (rows, rng) => loss(rows, rng.fillNormal(new Float32Array(rows.length * D)) as Float32Array, data.trainRows),
        validate: () => {
          let s = 0;
          const rows = data.validationRows;
          for (let i = 0; i < rows.length; i += CHUNK) {
            const r = rows.subarray(i, i + CHUNK);
            s += tf.tidy(() => loss(r, valNoise.subarray(i * D, (i + r.length) * D)).dataSync()[0]) * r.length;
          }
          return s / rows.length;
        },
      };
    }
    // Latent flow: data are the (standardised) encodings of the trained VAE, recomputed on resume.
    // Validation (and the standardiser) use one fixed draw; with fitOn 'samples' every training
    // step draws fresh z ~ q(z | x, y), so the flow sees the posterior, not one sample of it.
    const { z, mu, sigma } = latentData(model, data, seed);
    const zTrain = gatherRows(z, D, data.trainRows);
    const st = fitStandardiser(zTrain, nTrain, D, cfg.inputScaling);
    model.state.latent = st;
    standardise(z, st);
    const flow = model.nets.latentFlow;
    const nllOf = (zRows: Float32Array, rows: Uint32Array, map?: Uint32Array): tf.Scalar => {
      const m = rows.length;
      return tf.neg(tf.mean(flow.logProb(tf.tensor2d(zRows, [m, D]), tf.tensor2d(conditionRows(data, rows, map), [m, 1 + L])))) as tf.Scalar;
    };
    const fresh = (rows: Uint32Array, rng: Rng): Float32Array => {
      const out = new Float32Array(rows.length * D);
      const eps = rng.fillNormal(new Float32Array(rows.length * D));
      for (let i = 0; i < rows.length; i++) {
        const r = data.trainRows[rows[i]] * D;
        for (let j = 0; j < D; j++) out[i * D + j] = (mu[r + j] + sigma[r + j] * eps[i * D + j] - st.shift[j]) / st.scale[j];
      }
      return out;
    };
    return {
      name: 'latent-flow', index: 2, vars: trainableNamed(flow), nTrain, training: cfg.latentFlow.training,
      batchLoss: (rows, rng) => nllOf(cfg.latentFlow.fitOn === 'samples' ? fresh(rows, rng) : gatherRows(z, D, rows, data.trainRows), rows, data.trainRows),
      validate: () => chunkedMean(data.validationRows, (r) => tf.tidy(() => nllOf(gatherRows(z, D, r), r).dataSync()[0] * r.length)),
    };
  };

  for (let p = 0; p < PHASES.length; p++) {
    if (phases[p].done) continue;
    const spec = specFor(p);
    const now = Date.now();
    const restShares = shares.slice(p).reduce((a, b) => a + b, 0);
    const phaseDeadline = deadline === Infinity ? Infinity : now + ((deadline - now) * shares[p]) / restShares;
    const maxEpochs = options.epochs ?? spec.training.maxEpochs;
    options.logger?.info(`caloman: training ${spec.name} (${Object.values(spec.vars).reduce((a, v) => a + v.size, 0)} parameters, ≤ ${maxEpochs} epochs)`);
    const flow = p === 0 ? model.nets.epl : p === 2 ? model.nets.latentFlow : null;
    flow?.setTraining(true);
    phases[p] = await runPhase(spec, phases[p], {
      seed, maxEpochs, deadline: phaseDeadline, signal: options.signal, onProgress: options.onProgress, history,
      checkpointDue: () => ckDir !== undefined && Date.now() - lastCheckpoint >= every,
      checkpoint: (state, adam, best) => {
        phases[p] = state;
        // A finished phase hands nothing to the next one: its optimizer state and best weights are spent.
        return saveCheckpoint(p, state.done ? {} : adam.state(), state.done ? null : best);
      },
    }, { optimizer: resumeOpt, best: resumeBest });
    flow?.setTraining(false);
    resumeOpt = undefined;
    resumeBest = undefined;
    if (phases[p].stoppedBy === 'abort') return report(history, started, 'abort', data);
  }

  if (!calibrationDone && cfg.calibration.enabled) {
    options.onProgress?.({ phase: 'calibrate', done: 0, total: 1 });
    const rows = data.trainRows;
    const energy = Float32Array.from(rows, (r) => data.energy[r]);
    const rData = Float64Array.from(rows, (r) => {
      let s = 0;
      for (let l = 0; l < L; l++) s += data.layerEnergy[r * L + l];
      return s / data.energy[r];
    });
    const rModel = new Float64Array(rows.length);
    const rng = new Rng(seed, streamId(3, 0, 0));
    for (let i = 0; i < rows.length; i += 10_000) {
      const e = energy.subarray(i, i + 10_000);
      const le = model.sampleLayerEnergies(e, rng, false);
      for (let j = 0; j < e.length; j++) {
        let s = 0;
        for (let l = 0; l < L; l++) s += le[j * L + l];
        rModel[i + j] = s / e[j];
      }
    }
    const edges = calibrationEdges(energy, cfg.discreteEnergiesMeV.length ? cfg.discreteEnergiesMeV : null, cfg.calibration.bins);
    model.state.calibration = fitResponseCalibration({ r: rData, energy }, { r: rModel, energy }, edges, cfg.calibration.quantiles);
    options.onProgress?.({ phase: 'calibrate', done: 1, total: 1 });
    await saveCheckpoint(2, {}, null);
  }

  const stoppedBy = phases.some((p) => p.stoppedBy === 'time') ? 'time' : phases[1].stoppedBy === 'early-stopping' ? 'early-stopping' : 'epochs';
  const r = report(history, started, stoppedBy, data);
  model.state.training = {
    seed,
    trainSize: r.trainSize,
    validationSize: r.validationSize,
    seconds: r.seconds,
    stoppedBy: r.stoppedBy,
    phases: Object.fromEntries(PHASES.map((name, i) => [name, { epochs: phases[i].epoch, bestEpoch: phases[i].bestEpoch, bestValidation: phases[i].bestValidation, stoppedBy: phases[i].stoppedBy }])),
    finishedAt: new Date().toISOString(),
  };
  return r;
}

function rngMatrix(rng: Rng, n: number, d: number): Float32Array {
  return rng.fillNormal(new Float32Array(n * d)) as Float32Array;
}

function report(history: HistoryRow[], started: number, stoppedBy: FitReport['stoppedBy'], data: TrainingData): FitReport {
  return { history, seconds: (Date.now() - started) / 1000, stoppedBy, trainSize: data.trainRows.length, validationSize: data.validationRows.length };
}
