/**
 * CaloMan's training plan (field-reference.md §4.7) for core's training engine: EPL flow → VAE →
 * latent flow, each with early stopping on its validation loss, then the post-hoc response
 * calibration. The engine handles the time budget, checkpoints, resume, aborts and divergence.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  AbortedError,
  DataFormatError,
  batchSlices,
  Rng,
  deferredValues,
  prefixed,
  restoreVariables,
  shuffledRows,
  streamId,
  train,
  type FitOptions,
  type FitReport,
  type TensorToWrite,
  type BatchSource,
  type Phase,
  type ShowerSource,
  type TrainingStage,
  type UpdateSpec,
} from '@calozoo/core';
import { calibrationEdges, fitResponseCalibration } from './calibration.js';
import type { PhaseTrainingConfig } from './configs.js';
import type { CaloManModel } from './model.js';
import { createNetworks } from './networks.js';
import { fitStandardiser, standardise } from './preprocess.js';
import { conditionRows, gatherRows, prepareTrainingData, type TrainingData, type VoxelBatch } from './training-data.js';

const CHUNK = 4096;
/**
 * Rows per chunk when whole showers go through the VAE (validation, encoding): about 4 MiB of
 * inputs (the stream's three reused buffers are still held when the latent flow starts to train).
 */
const voxelChunk = (voxels: number): number => Math.max(64, Math.min(CHUNK, Math.floor(2 ** 20 / voxels)));
/**
 * Rows per forward/backward pass of a VAE training step: about 16 MiB of inputs. A batch with more
 * rows is split and its gradient accumulated slice by slice (the same step up to rounding), so
 * that the activations of a DS3 batch stay bounded (103-row slices); DS1 and DS2 batches of 512
 * go whole. Since backward-pass tensors are released early (core `backprop-release.ts`), a
 * whole DS2 batch peaks lower than two 256-row slices (one more full gradient to accumulate):
 * 392 vs 443 MiB above the idle process (`bench/vae-memory.bench.mjs`, 2026-12-05).
 */
const vaePassRows = (voxels: number): number => Math.max(16, Math.floor(2 ** 24 / (4 * voxels)));

/** The model's own state in a checkpoint. */
interface CaloManCheckpointState {
  latent: { shift: number[]; scale: number[] };
  calibration: unknown;
}

/** Every weight for a checkpoint, read tensor by tensor as it is written. */
function allWeights(model: CaloManModel): Record<string, TensorToWrite> {
  return {
    ...deferredValues(model.nets.epl.variables(), 'epl'),
    ...prefixed('vae', { ...deferredValues(model.nets.vae.params.named()), ...model.vaeBuffers() }),
    ...deferredValues(model.nets.latentFlow.variables(), 'latent-flow'),
  };
}

function setAllWeights(model: CaloManModel, w: Record<string, TensorToWrite>, source: string): void {
  const sub = (prefix: string): Record<string, TensorToWrite> =>
    Object.fromEntries(Object.entries(w).filter(([k]) => k.startsWith(prefix + '.')).map(([k, t]) => [k.slice(prefix.length + 1), t]));
  restoreVariables(model.nets.epl.variables(), sub('epl'));
  model.setVaeTensors(sub('vae'), source);
  restoreVariables(model.nets.latentFlow.variables(), sub('latent-flow'));
}

/** Mean of f over `rows` in chunks (f returns a per-chunk sum). */
function chunkedMean(rows: Uint32Array, f: (r: Uint32Array) => number): number {
  let s = 0;
  for (let i = 0; i < rows.length; i += CHUNK) s += f(rows.subarray(i, i + CHUNK));
  return s / rows.length;
}

/** Encodes every shower to the latent vectors the latent flow learns (means or one sample each); stops when `signal` fires. */
async function latentData(model: CaloManModel, data: TrainingData, seed: number, signal?: AbortSignal): Promise<{ z: Float32Array; mu: Float32Array; sigma: Float32Array }> {
  const D = model.config.latentDim;
  const L = data.layers;
  const z = new Float32Array(data.n * D);
  const mu = new Float32Array(data.n * D);
  const sigma = new Float32Array(data.n * D);
  const rng = new Rng(seed, streamId(3, 1, 0));
  for await (const { rows, x } of data.x.inOrder('all', voxelChunk(data.voxels))) {
    if (signal?.aborted) throw new AbortedError('caloman: latent encoding interrupted');
    const m = rows.length;
    const [a, b] = tf.tidy(() => {
      const e = model.nets.vae.encode(tf.tensor2d(x, [m, data.voxels]), tf.tensor2d(conditionRows(data, rows), [m, 1 + L]));
      return [e.mu.dataSync() as Float32Array, tf.exp(e.logSigma).dataSync() as Float32Array];
    });
    mu.set(a!, rows[0]! * D);
    sigma.set(b!, rows[0]! * D);
  }
  // The noise is drawn in row blocks (the same numbers as one draw of n·D), not as a second n·D array.
  const eps = new Float32Array(CHUNK * D);
  for (let i0 = 0; i0 < z.length; i0 += eps.length) {
    const e = rng.fillNormal(eps.subarray(0, Math.min(eps.length, z.length - i0)));
    for (let i = 0; i < e.length; i++) z[i0 + i] = model.config.latentFlow.fitOn === 'means' ? mu[i0 + i]! : mu[i0 + i]! + sigma[i0 + i]! * e[i]!;
  }
  return { z, mu, sigma };
}

/** The phase settings of a config as a phase of the engine, over one optimiser `main`. */
function phaseOf<B>(name: string, vars: Record<string, tf.Variable>, t: PhaseTrainingConfig, rest: Pick<Phase<B>, 'data' | 'validate' | 'setTraining'> & Pick<UpdateSpec<B>, 'loss' | 'split'>): Phase<B> {
  return {
    name,
    optimizers: [{ name: 'main', vars, learningRate: t.learningRate, schedule: t.schedule, adam: { clipNorm: t.gradClipNorm } }],
    updates: [{ optimizer: 'main', loss: rest.loss, ...(rest.split ? { split: rest.split } : {}) }],
    data: rest.data,
    maxEpochs: t.maxEpochs,
    patience: t.patience,
    validate: rest.validate,
    setTraining: rest.setTraining,
  };
}

/**
 * Trains `model` on `source` (see the module comment); re-initialises the networks from
 * `options.seed` unless resuming, in which case the checkpoint's weights are restored.
 */
export async function fitCaloMan(model: CaloManModel, source: ShowerSource, options: FitOptions): Promise<FitReport> {
  const cfg = model.config;
  const seed = options.seed;
  if (source.voxels !== model.geometry.voxels) {
    throw new DataFormatError(`caloman.fit: the training showers have ${source.voxels} voxels, but geometry "${model.geometry.id}" has ${model.geometry.voxels}. Pass showers of that geometry.`);
  }
  const { data, prep } = await prepareTrainingData(source, model.geometry, cfg, {
    seed,
    validationFraction: options.validationFraction ?? 0.2,
    memoryBudgetBytes: (options.memoryBudgetMiB ?? 1024) * 2 ** 20,
  });
  const nTrain = data.trainRows.length;
  const L = data.layers;
  const V = data.voxels;
  const D = cfg.latentDim;
  options.logger?.info(`caloman: ${nTrain} training and ${data.validationRows.length} validation showers, ${L} layers, ${V} voxels${data.x.streamed ? ' (voxels streamed from the file)' : ''}`);

  model.dispose();
  model.nets = createNetworks(cfg, model.geometry, seed);
  model.state.epl = prep.epl;
  model.state.eplRange = prep.eplRange;
  model.state.context = prep.context;
  model.state.fractionLo = data.fractionLo;
  model.state.fractionHi = data.fractionHi;
  model.state.calibration = null;

  const valNoise = new Rng(seed, 5).fillNormal(new Float32Array(data.validationRows.length * D)) as Float32Array;
  const batches = (t: PhaseTrainingConfig): BatchSource<Uint32Array> => shuffledRows(nTrain, t.batchSize, { rows: data.trainRows });

  const epl = (): Phase<Uint32Array> => {
    const flow = model.nets.epl;
    const nll = (rows: Uint32Array): tf.Scalar => {
      const m = rows.length;
      return tf.neg(tf.mean(flow.logProb(tf.tensor2d(gatherRows(data.u, L, rows), [m, L]), tf.tensor2d(gatherRows(data.c, 1, rows), [m, 1])))) as tf.Scalar;
    };
    return phaseOf('epl', flow.trainableVariables(), cfg.epl.training, {
      data: batches(cfg.epl.training),
      loss: nll,
      validate: () => chunkedMean(data.validationRows, (r) => tf.tidy(() => nll(r).dataSync()[0]! * r.length)),
      setTraining: (on) => flow.setTraining(on),
    });
  };

  const vae = (): Phase<VoxelBatch> => {
    const net = model.nets.vae;
    const loss = ({ rows, x }: VoxelBatch, eps: Float32Array): tf.Scalar => {
      const m = rows.length;
      return net.loss(tf.tensor2d(x, [m, V]), tf.tensor2d(conditionRows(data, rows), [m, 1 + L]), tf.tensor2d(eps, [m, D]), cfg.vae.beta, cfg.vae.freeBits).loss;
    };
    return phaseOf('vae', net.params.named(), cfg.vae.training, {
      data: data.x.training(cfg.vae.training.batchSize),
      loss: (b, rng) => loss(b, rng.fillNormal(new Float32Array(b.rows.length * D)) as Float32Array),
      split: ({ rows, x }) =>
        batchSlices(rows.length, vaePassRows(V)).map(({ start, end, weight }) => ({ batch: { rows: rows.subarray(start, end), x: x.subarray(start * V, end * V) }, weight })),
      validate: async () => {
        let s = 0;
        let i = 0;
        for await (const b of data.x.inOrder('validation', voxelChunk(V))) {
          if (options.signal?.aborted) throw new AbortedError('caloman: VAE validation interrupted');
          s += tf.tidy(() => loss(b, valNoise.subarray(i * D, (i + b.rows.length) * D)).dataSync()[0]!) * b.rows.length;
          i += b.rows.length;
        }
        return s / i;
      },
    });
  };

  // Latent flow: data are the (standardised) encodings of the trained VAE, recomputed on resume.
  // Validation (and the standardiser) use one fixed draw; with fitOn 'samples' every training
  // step draws fresh z ~ q(z | x, y), so the flow sees the posterior, not one sample of it.
  const latentFlow = async (): Promise<Phase<Uint32Array>> => {
    const { z, mu, sigma } = await latentData(model, data, seed, options.signal);
    const st = fitStandardiser(z, nTrain, D, cfg.inputScaling, data.trainRows);
    model.state.latent = st;
    standardise(z, st);
    const flow = model.nets.latentFlow;
    const nllOf = (zRows: Float32Array, rows: Uint32Array): tf.Scalar => {
      const m = rows.length;
      return tf.neg(tf.mean(flow.logProb(tf.tensor2d(zRows, [m, D]), tf.tensor2d(conditionRows(data, rows), [m, 1 + L])))) as tf.Scalar;
    };
    const fresh = (rows: Uint32Array, rng: Rng): Float32Array => {
      const out = new Float32Array(rows.length * D);
      const eps = rng.fillNormal(new Float32Array(rows.length * D));
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]! * D;
        for (let j = 0; j < D; j++) out[i * D + j] = (mu[r + j]! + sigma[r + j]! * eps[i * D + j]! - st.shift[j]!) / st.scale[j]!;
      }
      return out;
    };
    return phaseOf('latent-flow', flow.trainableVariables(), cfg.latentFlow.training, {
      data: batches(cfg.latentFlow.training),
      loss: (rows, rng) => nllOf(cfg.latentFlow.fitOn === 'samples' ? fresh(rows, rng) : gatherRows(z, D, rows), rows),
      validate: () => chunkedMean(data.validationRows, (r) => tf.tidy(() => nllOf(gatherRows(z, D, r), r).dataSync()[0]! * r.length)),
      setTraining: (on) => flow.setTraining(on),
    });
  };

  // The response calibration: sampled against true E_dep / E_inc per energy bin, on the training split.
  const calibrate = (): void => {
    const rows = data.trainRows;
    const energy = Float32Array.from(rows, (r) => data.energy[r]!);
    const rData = Float64Array.from(rows, (r) => data.deposited[r]! / data.energy[r]!);
    const rModel = new Float64Array(rows.length);
    const rng = new Rng(seed, streamId(3, 0, 0));
    // 2 000 showers per inverse pass, not 10 000: the spline flow's intermediates grow with the rows
    // (its training step: +191 MB at 1 024 rows, +335 MB at 2 048), and one DS2 run's peak fell here.
    for (let i = 0; i < rows.length; i += 2_000) {
      const e = energy.subarray(i, i + 2_000);
      const le = model.sampleLayerEnergies(e, rng, false);
      for (let j = 0; j < e.length; j++) {
        let s = 0;
        for (let l = 0; l < L; l++) s += le[j * L + l]!;
        rModel[i + j] = s / e[j]!;
      }
    }
    const edges = calibrationEdges(energy, cfg.discreteEnergiesMeV.length ? cfg.discreteEnergiesMeV : null, cfg.calibration.bins);
    model.state.calibration = fitResponseCalibration({ r: rData, energy }, { r: rModel, energy }, edges, cfg.calibration.quantiles);
  };

  const stages: TrainingStage[] = [
    { name: 'epl', share: cfg.timeShares.epl, phase: epl },
    { name: 'vae', share: cfg.timeShares.vae, phase: vae },
    { name: 'latent-flow', share: cfg.timeShares.latentFlow, phase: latentFlow },
  ];
  if (cfg.calibration.enabled) stages.push({ name: 'calibrate', task: calibrate });
  const r = await train(
    {
      name: 'caloman',
      stages,
      weights: () => allWeights(model),
      setWeights: (w, source) => setAllWeights(model, w, source),
      state: (): CaloManCheckpointState => ({ latent: model.state.latent, calibration: model.state.calibration }),
      setState: (s) => {
        const c = s as CaloManCheckpointState;
        model.state.latent = c.latent;
        model.state.calibration = (c.calibration as typeof model.state.calibration) ?? null;
      },
    },
    options,
  );
  const report: FitReport = { history: r.history, seconds: r.seconds, stoppedBy: r.stoppedBy, trainSize: nTrain, validationSize: data.validationRows.length };
  if (r.stoppedBy === 'abort' || r.stoppedBy === 'divergence') return report;
  model.state.training = {
    seed,
    trainSize: report.trainSize,
    validationSize: report.validationSize,
    seconds: report.seconds,
    stoppedBy: report.stoppedBy,
    phases: Object.fromEntries(
      Object.entries(r.stages)
        .filter(([name]) => name !== 'calibrate')
        .map(([name, p]) => [name, { epochs: p.epochs, bestEpoch: p.bestEpoch, bestValidation: p.bestValidation, stoppedBy: p.stoppedBy }]),
    ),
    finishedAt: new Date().toISOString(),
  };
  return report;
}
