/**
 * ONNX export of CaloMan's generation networks and the onnxruntime sessions that run them.
 *
 * Two graphs (the split is where CaloMan's per-shower preprocessing sits):
 * - `onnx/layer-energies.onnx`: the EPL flow's sampling pass, noise [b, L] + context [b, 1] → u [b, L]
 *   (standardised EPL values);
 * - `onnx/generator.onnx`: the latent flow's sampling pass, the latent de-standardisation and the
 *   VAE decoder, condition y [b, 1 + L] + noise [b, D] → mean [b, V] (voxel values before the
 *   inverse voxel transform).
 * Between and after them JavaScript does the O(b·V) glue the networks do not: EPL inversion and
 * clipping, the response calibration (a quantile lookup), the condition vector, the inverse voxel
 * transform, clipping to the training range, per-layer renormalisation and the threshold.
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
  type OnnxExportMetadata,
  type OrtSession,
} from '@calozoo/core';
import type { CaloManModel } from './model.js';
import { CALOMAN_VERSION } from './version.js';

/** Opset of the exported graphs. */
export const ONNX_OPSET = 17;
/** Version of the `onnx/` layout written by `exportCaloManOnnx`. */
export const ONNX_FORMAT_VERSION = 1;
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
  g.output(model.nets.vae.decodeOnnx(g, z, y), 'mean');
  return { layerEnergies, generator: g };
}

/** SHA-256 over the model directory's weight and config files (missing files count as empty). */
export async function weightsDigest(dir: string): Promise<string> {
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
        inputs: { condition: ['batch', 1 + L], noise: ['batch', D] },
        outputs: { mean: ['batch', V] },
        description: 'latent flow sampling (condition y = [context, u_1 … u_L]) → de-standardised latent → VAE decoder mean (transformed voxel fractions)',
      },
    },
    glue: 'JavaScript (CaloManModel.generate): noise from calozoo Rng, EPL inversion, clipping and response calibration, the condition vector, inverse voxel transform, clip to the training range, per-layer renormalisation to the sampled layer energies and the threshold (config.json preprocessing holds every constant).',
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
}

/**
 * Opens sessions on the export in `dir` when it exists and matches the weight files, else on
 * graphs built in memory from the model's current weights.
 */
export async function openCaloManSessions(model: CaloManModel, dir: string | null, threads?: number): Promise<CaloManSessions> {
  let files = false;
  if (dir) {
    const meta = await readJson<Partial<OnnxExportMetadata>>(path.join(dir, ONNX_FILES.metadata)).catch(() => null);
    files = meta?.format === 'calozoo-onnx' && meta.formatVersion === ONNX_FORMAT_VERSION && meta.weightsDigest === (await weightsDigest(dir));
  }
  const o = threads ? { threads } : {};
  if (files) {
    const layerEnergies = await createOrtSession(path.join(dir!, ONNX_FILES.layerEnergies), o);
    const generator = await createOrtSession(path.join(dir!, ONNX_FILES.generator), o);
    return { layerEnergies, generator, source: 'files', threads: generator.threads };
  }
  const g = buildCaloManGraphs(model);
  const layerEnergies = await createOrtSession(g.layerEnergies.toBytes(), o);
  const generator = await createOrtSession(g.generator.toBytes(), o);
  return { layerEnergies, generator, source: 'memory', threads: generator.threads };
}
