/**
 * ONNX export of CaloMan's generation networks and the onnxruntime sessions that run them.
 *
 * Two graphs (the split is where CaloMan's per-shower preprocessing sits):
 * - `onnx/layer-energies.onnx`: the EPL flow's sampling pass, noise [b, L] + context [b, 1] → u [b, L]
 *   (standardised EPL values);
 * - `onnx/generator.onnx`: the latent flow's sampling pass, the latent de-standardisation, the
 *   VAE decoder and the shower assembly (inverse voxel transform, clip to the training range,
 *   per-layer renormalisation to the sampled layer energies, threshold, layer-energy rescale),
 *   condition y [b, 1 + L] + noise [b, D] + layer energies [b, L] (MeV) → showers [b, V] (MeV).
 * Between them JavaScript does the O(b·L) glue: EPL inversion and clipping, the response
 * calibration (a quantile lookup per shower) and the condition vector.
 * Noise is drawn in JavaScript from calozoo's Rng in the same order as the TF.js path, so both
 * runtimes give the same showers up to float32 rounding.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  OnnxGraphBuilder,
  createOrtSession,
  readJson,
  writeFileAtomic,
  writeJsonAtomic,
  type Logger,
  type OnnxExportMetadata,
  type OnnxValue,
  type OrtSession,
} from '@calozoo/core';
import { VOXEL_LOGIT_EPSILON } from './preprocess.js';
import type { CaloManModel } from './model.js';
import { CALOMAN_VERSION } from './version.js';

/** Opset of the exported graphs. */
const ONNX_OPSET = 17;
/** Version of the `onnx/` layout written by `exportCaloManOnnx`. */
const ONNX_FORMAT_VERSION = 1;
/** Files of an export, relative to the model directory. */
export const ONNX_FILES = {
  layerEnergies: 'onnx/layer-energies.onnx',
  generator: 'onnx/generator.onnx',
  metadata: 'onnx/metadata.json',
} as const;
/** Files whose bytes define the weights (hashed into `weightsDigest`). */
const WEIGHT_FILES = ['config.json', 'epl/config.json', 'epl/weights.safetensors', 'vae/weights.safetensors', 'latent-flow/config.json', 'latent-flow/weights.safetensors'];

/** The two generation graphs of a model, built from its current weights. */
export function buildCaloManGraphs(model: CaloManModel): { layerEnergies: OnnxGraphBuilder; generator: OnnxGraphBuilder } {
  const L = model.slices.length;
  const D = model.config.latentDim;
  const layerEnergies = model.nets.epl.onnxSampler(ONNX_OPSET);
  const g = new OnnxGraphBuilder({ opset: ONNX_OPSET, name: 'caloman_generator' });
  const y = g.input('condition', 'float32', ['batch', 1 + L]);
  const noise = g.input('noise', 'float32', ['batch', D]);
  const zStd = model.nets.latentFlow.toOnnxSample(g, noise, y);
  const { shift, scale } = model.state.latent;
  const z = g.add(g.mul(zStd, { data: Float32Array.from(scale), shape: [D] }), { data: Float32Array.from(shift), shape: [D] });
  const layerE = g.input('layerEnergies', 'float32', ['batch', L]);
  const dec = model.nets.vae.decodeOnnx(g, z, y);
  let mean = dec.mean;
  const k = model.config.generation.decoderNoise;
  if (k > 0) {
    const eps = g.input('voxelNoise', 'float32', ['batch', model.geometry.voxels]);
    mean = g.add(mean, g.mul(eps, typeof dec.sigma === 'number' ? k * dec.sigma : k === 1 ? dec.sigma : g.mul(dec.sigma, k)));
  }
  g.output(assembleShowersOnnx(g, model, mean, layerE), 'showers');
  return { layerEnergies, generator: g };
}

/**
 * `voxelInverse` + `fractionsToShowers` (preprocess.ts) as graph ops: per-layer sums and their
 * broadcast back to voxels are MatMuls with the constant voxel→layer membership matrix.
 */
function assembleShowersOnnx(g: OnnxGraphBuilder, model: CaloManModel, mean: OnnxValue, layerE: OnnxValue): OnnxValue {
  const V = model.geometry.voxels;
  const L = model.slices.length;
  const member = new Float32Array(V * L);
  const memberT = new Float32Array(L * V);
  model.slices.forEach(({ start, end }, l) => {
    for (let v = start; v < end; v++) {
      member[v * L + l] = 1;
      memberT[l * V + v] = 1;
    }
  });
  const M = g.constant(member, [V, L], 'voxel_to_layer');
  const MT = g.constant(memberT, [L, V], 'layer_to_voxel');
  const kind = model.config.voxelTransform;
  let f: OnnxValue;
  if (kind === 'linear') f = g.relu(mean);
  else if (kind === 'sqrt') {
    const r = g.relu(mean);
    f = g.mul(r, r);
  } else f = g.relu(g.div(g.sub(g.sigmoid(mean), VOXEL_LOGIT_EPSILON), 1 - 2 * VOXEL_LOGIT_EPSILON));
  const { fractionLo: lo, fractionHi: hi } = model.state;
  if (model.config.generation.clipToTrainingRange && lo && hi) f = g.min(g.max(f, { data: lo, shape: [V] }), { data: hi, shape: [V] });
  const e = g.relu(layerE);
  const s = g.matMul(f, M);
  const ok = g.and(g.greater(s, 0), g.greater(e, 0));
  const k = g.where(ok, g.div(e, g.where(ok, s, 1)), 0);
  const x = g.mul(f, g.matMul(k, MT));
  const t = model.config.thresholdMeV;
  let out = g.where(g.greaterOrEqual(x, t), x, 0);
  if (model.config.generation.keepLayerEnergy) {
    const kept = g.matMul(out, M);
    const rescale = g.and(g.greater(kept, 0), g.less(kept, e));
    const r = g.where(rescale, g.div(e, g.where(rescale, kept, 1)), 1);
    out = g.mul(out, g.matMul(r, MT));
  }
  return out;
}

/** SHA-256 over the model directory's weight and config files (missing files count as empty). */
async function weightsDigest(dir: string): Promise<string> {
  const h = createHash('sha256');
  for (const f of WEIGHT_FILES) {
    h.update(f);
    h.update(await fs.readFile(path.join(dir, f)).catch(() => Buffer.alloc(0)));
  }
  return h.digest('hex');
}

/** Writes the two graphs and `onnx/metadata.json` into the saved model directory `dir`. */
export async function exportCaloManOnnx(model: CaloManModel, dir: string): Promise<OnnxExportMetadata> {
  const L = model.slices.length;
  const D = model.config.latentDim;
  const V = model.geometry.voxels;
  const graphs = buildCaloManGraphs(model);
  const props = { plugin: 'caloman', pluginVersion: CALOMAN_VERSION, geometry: model.geometry.id };
  await writeFileAtomic(path.join(dir, ONNX_FILES.layerEnergies), graphs.layerEnergies.toBytes({ docString: 'CaloMan EPL flow sampling pass', props }));
  await writeFileAtomic(path.join(dir, ONNX_FILES.generator), graphs.generator.toBytes({ docString: 'CaloMan latent flow + decoder', props }));
  const meta: OnnxExportMetadata = {
    format: 'calozoo-onnx',
    formatVersion: ONNX_FORMAT_VERSION,
    plugin: 'caloman',
    pluginVersion: CALOMAN_VERSION,
    geometry: model.geometry.id,
    opset: ONNX_OPSET,
    weightsDigest: await weightsDigest(dir),
    graphs: {
      layerEnergies: {
        file: ONNX_FILES.layerEnergies,
        inputs: { noise: ['batch', L], context: ['batch', 1] },
        outputs: { x: ['batch', L] },
        description: 'EPL flow sampling: standard-normal noise and the standardised context log10(E_inc/MeV + 0.001) → standardised EPL values u',
      },
      generator: {
        file: ONNX_FILES.generator,
        inputs: { condition: ['batch', 1 + L], noise: ['batch', D], layerEnergies: ['batch', L], ...(model.config.generation.decoderNoise > 0 ? { voxelNoise: ['batch', V] } : {}) },
        outputs: { showers: ['batch', V] },
        description: 'latent flow sampling (condition y = [context, u_1 … u_L]) → de-standardised latent → VAE decoder → inverse voxel transform, clip, per-layer renormalisation to layerEnergies (MeV), threshold, rescale → showers (MeV)',
      },
    },
    glue: 'JavaScript (CaloManModel.generate), O(batch × layers): noise from calozoo Rng (EPL stream 0, latent stream 1, decoder voxel noise stream 2 when generation.decoderNoise > 0), EPL inversion and clipping to eplRange, the response calibration (quantile lookup) and the condition vector y; config.json preprocessing holds every constant.',
  };
  await writeJsonAtomic(path.join(dir, ONNX_FILES.metadata), meta);
  return meta;
}

/** Open onnxruntime sessions of both graphs. */
export interface CaloManSessions {
  layerEnergies: OrtSession;
  generator: OrtSession;
  /** Where the graphs came from: the exported files, or built in memory from the loaded weights. */
  source: 'files' | 'memory';
  threads: number;
  /** `generation.decoderNoise` the generator graph was built for (it decides the graph's inputs). */
  decoderNoise: number;
}

/**
 * Opens sessions on the export in `dir` when it exists and matches the weight files, else on
 * graphs built in memory from the model's current weights. The generator graph gets `threads`
 * intra-op threads; the layer-energy graph (a few kFLOP per shower, ~490 small nodes) always one,
 * since handing its nodes to a second thread costs more than it saves (2026-12-04, 2 cores, one
 * process alternating both settings: 5.6 vs 8.9 µs/shower at batch 100, 3.7 vs 4.0 at 1 000).
 */
export async function openCaloManSessions(model: CaloManModel, dir: string | null, threads?: number, logger?: Logger): Promise<CaloManSessions> {
  let files = false;
  if (dir) {
    const meta = await readJson<Partial<OnnxExportMetadata>>(path.join(dir, ONNX_FILES.metadata)).catch(() => null);
    files = meta?.format === 'calozoo-onnx' && meta.formatVersion === ONNX_FORMAT_VERSION && meta.weightsDigest === (await weightsDigest(dir));
    // An export that no longer matches the weights or config is never used; say so, once per session.
    if (meta && !files) logger?.warn(`caloman: ${path.join(dir, 'onnx')} was exported from other weights or settings than ${dir} has now; generating from graphs built in memory. Run \`calozoo export ${dir}\` to refresh it.`);
  }
  const o = threads ? { threads } : {};
  const one = { threads: 1 };
  if (files) {
    const layerEnergies = await createOrtSession(path.join(dir!, ONNX_FILES.layerEnergies), one);
    const generator = await createOrtSession(path.join(dir!, ONNX_FILES.generator), o);
    return { layerEnergies, generator, source: 'files', threads: generator.threads, decoderNoise: model.config.generation.decoderNoise };
  }
  const g = buildCaloManGraphs(model);
  const layerEnergies = await createOrtSession(g.layerEnergies.toBytes(), one);
  const generator = await createOrtSession(g.generator.toBytes(), o);
  return { layerEnergies, generator, source: 'memory', threads: generator.threads, decoderNoise: model.config.generation.decoderNoise };
}
