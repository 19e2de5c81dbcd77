/**
 * ONNX export of CaloMan's generation networks; core's `ModelSessions` runs and exports them (`calomanSessions`).
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
import { ModelSessions, OnnxGraphBuilder, type OnnxValue } from '@calozoo/core';
import { VOXEL_LOGIT_EPSILON, layerMembership } from './preprocess.js';
import type { CaloManModel } from './model.js';
import { drawsHits } from './vae.js';

/** Opset of the exported graphs. */
const ONNX_OPSET = 17;
/** Files of an export, relative to the model directory. */
export const ONNX_FILES = {
  layerEnergies: 'onnx/layer-energies.onnx',
  generator: 'onnx/generator.onnx',
  metadata: 'onnx/metadata.json',
} as const;

/** The generator graph of a model's current weights: latent flow, latent de-standardisation, decoder, shower assembly. */
function buildGenerator(model: CaloManModel): OnnxGraphBuilder {
  const L = model.slices.length;
  const D = model.config.latentDim;
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
  const layers = membershipOnnx(g, model);
  if (dec.hitProbability) {
    // Zero-inflated likelihood (ConditionalVae.sample): a hit when u < p, its value folded
    // (|mean + k·σ·ε|), else 0; a layer without hits gets one at its largest p·|mean|.
    const u = g.input('hitNoise', 'float32', ['batch', model.geometry.voxels]);
    const drawn = g.where(g.less(u, dec.hitProbability), g.abs(mean), 0);
    const empty = g.cast(g.equal(g.matMul(drawn, layers.M), 0), 'float32');
    const q = g.mul(dec.hitProbability, g.abs(dec.mean));
    const layerMax = g.concat(model.slices.map((s) => g.reduceMax(g.slice(q, [s.start], [s.end], [1]), [1], true)), 1);
    const top = g.and(g.equal(q, g.matMul(layerMax, layers.MT)), g.greater(q, 0));
    mean = g.add(drawn, g.mul(g.matMul(empty, layers.MT), g.where(top, q, 0)));
  }
  g.output(assembleShowersOnnx(g, model, mean, layerE, layers), 'showers');
  return g;
}

/** The constant voxel→layer membership matrix M [V, L] and its transpose MT [L, V]. */
function membershipOnnx(g: OnnxGraphBuilder, model: CaloManModel): { M: OnnxValue; MT: OnnxValue } {
  const V = model.geometry.voxels;
  const L = model.slices.length;
  const member = layerMembership(model.slices, V);
  const memberT = new Float32Array(L * V);
  for (let v = 0; v < V; v++) for (let l = 0; l < L; l++) memberT[l * V + v] = member[v * L + l]!;
  return { M: g.constant(member, [V, L], 'voxel_to_layer'), MT: g.constant(memberT, [L, V], 'layer_to_voxel') };
}

/** The two generation graphs of a model, built from its current weights. */
export function buildCaloManGraphs(model: CaloManModel): { layerEnergies: OnnxGraphBuilder; generator: OnnxGraphBuilder } {
  return { layerEnergies: model.nets.epl.onnxSampler(ONNX_OPSET), generator: buildGenerator(model) };
}

/**
 * `voxelInverse` + `fractionsToShowers` (preprocess.ts) as graph ops: per-layer sums and their
 * broadcast back to voxels are MatMuls with the constant voxel→layer membership matrix.
 */
function assembleShowersOnnx(g: OnnxGraphBuilder, model: CaloManModel, mean: OnnxValue, layerE: OnnxValue, { M, MT }: { M: OnnxValue; MT: OnnxValue }): OnnxValue {
  const V = model.geometry.voxels;
  const kind = model.config.voxelTransform;
  let f: OnnxValue;
  if (kind === 'linear') f = g.relu(mean);
  else if (kind === 'sqrt') {
    const r = g.relu(mean);
    f = g.mul(r, r);
  } else f = g.relu(g.div(g.sub(g.sigmoid(mean), VOXEL_LOGIT_EPSILON), 1 - 2 * VOXEL_LOGIT_EPSILON));
  const { fractionLo: lo, fractionHi: hi } = model.state;
  const hitFloor = drawsHits(model.config.vae.likelihood);
  if (model.config.generation.clipToTrainingRange && lo && hi) {
    const clipped = g.min(g.max(f, { data: lo, shape: [V] }), { data: hi, shape: [V] });
    // Under the hit floor a miss stays a miss (fractionsToShowers).
    f = hitFloor ? g.where(g.greater(f, 0), clipped, 0) : clipped;
  }
  const e = g.relu(layerE);
  const s = g.matMul(f, M);
  const ok = g.and(g.greater(s, 0), g.greater(e, 0));
  const k = g.where(ok, g.div(e, g.where(ok, s, 1)), 0);
  const x = g.mul(f, g.matMul(k, MT));
  const t = model.config.thresholdMeV;
  const keep = model.config.generation.keepLayerEnergy;
  const hit = g.greater(x, 0);
  if (hitFloor && !keep) return g.where(hit, g.max(x, t), 0);
  let out = g.where(g.greaterOrEqual(x, t), x, 0);
  if (keep) {
    const kept = g.matMul(out, M);
    const rescale = g.and(g.greater(kept, 0), g.less(kept, e));
    const r = g.where(rescale, g.div(e, g.where(rescale, kept, 1)), 1);
    out = g.mul(out, g.matMul(r, MT));
  }
  if (!hitFloor) return out;
  // Hit floor: hits raised to the threshold, the energy above m·threshold shared by excess.
  const excess = g.where(hit, g.sub(g.max(x, t), t), 0);
  const m = g.matMul(g.cast(hit, 'float32'), M);
  const total = g.matMul(excess, M);
  const room = g.sub(e, g.mul(m, t));
  const floorOk = g.and(g.greaterOrEqual(room, 0), g.greater(total, 0));
  const share = g.where(floorOk, g.div(room, g.where(floorOk, total, 1)), 0);
  const floored = g.where(hit, g.add(g.mul(excess, g.matMul(share, MT)), t), 0);
  return g.where(g.greater(g.matMul(g.cast(floorOk, 'float32'), MT), 0.5), floored, out);
}

/** Roles of CaloMan's graphs. */
export type CaloManGraph = 'layerEnergies' | 'generator';

/**
 * The model's onnxruntime sessions and ONNX export (core's `ModelSessions` over its two graphs).
 * The generator graph gets the requested intra-op threads; the layer-energy graph (a few kFLOP
 * per shower, ~490 small nodes) always one, since handing its nodes to a second thread costs more
 * than it saves (2026-12-04, 2 cores, one process alternating both settings: 5.6 vs 8.9 µs/shower
 * at batch 100, 3.7 vs 4.0 at 1 000).
 */
export function calomanSessions(model: CaloManModel): ModelSessions<CaloManGraph> {
  return new ModelSessions<CaloManGraph>({
    card: model.card,
    opset: ONNX_OPSET,
    glue: 'JavaScript (CaloManModel.generate), O(batch × layers): noise from calozoo Rng (EPL stream 0, latent stream 1, decoder voxel noise stream 2 when generation.decoderNoise > 0, uniform hit draws stream 3 for the zero-inflated likelihood), EPL inversion and clipping to eplRange, the response calibration (quantile lookup) and the condition vector y; config.json preprocessing holds every constant.',
    // The generation settings the generator graph is built with (decoderNoise also decides its inputs).
    settingsKey: () => {
      const { generation: g, thresholdMeV, voxelTransform } = model.config;
      return JSON.stringify([g.decoderNoise, g.clipToTrainingRange, g.keepLayerEnergy, thresholdMeV, voxelTransform]);
    },
    warn: (message) => model.logger?.warn(message),
    graphs: () => {
      const L = model.slices.length;
      const D = model.config.latentDim;
      const V = model.geometry.voxels;
      return {
        layerEnergies: {
          file: ONNX_FILES.layerEnergies,
          inputs: { noise: ['batch', L], context: ['batch', 1] },
          outputs: { x: ['batch', L] },
          description: 'EPL flow sampling: standard-normal noise and the standardised context log10(E_inc/MeV + 0.001) → standardised EPL values u',
          build: (metadata) => model.nets.epl.onnxSampler(ONNX_OPSET).toBytes(metadata),
          threads: 1,
        },
        generator: {
          file: ONNX_FILES.generator,
          inputs: { condition: ['batch', 1 + L], noise: ['batch', D], layerEnergies: ['batch', L], ...(model.config.generation.decoderNoise > 0 ? { voxelNoise: ['batch', V] } : {}), ...(drawsHits(model.config.vae.likelihood) ? { hitNoise: ['batch', V] } : {}) },
          outputs: { showers: ['batch', V] },
          description: 'latent flow sampling (condition y = [context, u_1 … u_L]) → de-standardised latent → VAE decoder → inverse voxel transform, clip, per-layer renormalisation to layerEnergies (MeV), threshold, rescale → showers (MeV)',
          build: (metadata) => buildGenerator(model).toBytes(metadata),
        },
      };
    },
  });
}
