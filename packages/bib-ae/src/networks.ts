/**
 * What the networks of a BIB-AE look like to the model, whichever variant (dense MLPs for any
 * geometry, the published 3-D convolutions on the ILD 30³ grid) builds them. Network values and
 * conditions are those of core's `preprocessing/representation.ts`: x [n, V] per shower, c [n, 1].
 */
import { prefixed, type Layer, type OnnxGraphBuilder, type OnnxValue, type tf } from '@calozoo/core';

/** Named layers of one network: variables by stable name, the layers (for initialisation), disposal. */
export class Parts {
  /** Creates the network from its named parts (the prefixes of its variable names). */
  constructor(protected readonly parts: Record<string, Layer>) {}

  /** Every variable, `<part>.<layer>.<name>` (the names in the saved safetensors). */
  variables(): Record<string, tf.Variable> {
    return Object.assign({}, ...Object.entries(this.parts).map(([k, l]) => prefixed(k, l.variables())));
  }

  /** The layers, for initialisation. */
  layers(): Layer[] {
    return Object.values(this.parts);
  }

  /** Frees every variable. */
  dispose(): void {
    for (const l of Object.values(this.parts)) l.dispose();
  }
}

/** The encoder: x [n, V] and c [n, 1] → the posterior of the active latent dimensions. */
export interface EncoderNet extends Parts {
  /** μ and log σ² [n, active]. */
  apply(x: tf.Tensor2D, c: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D };
}

/** The decoder: z [n, latent] (active ⊕ noise dimensions) and c [n, 1] → x̂ [n, V]. */
export interface DecoderNet extends Parts {
  /** Network values [n, V] (TF.js). */
  apply(z: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D;
  /** The same in an ONNX graph. */
  toOnnx(g: OnnxGraphBuilder, z: OnnxValue, c: OnnxValue): OnnxValue;
}

/**
 * The data-space "difference" critic (field-reference.md §4.1): a pair (reference x, candidate y)
 * and c → score [n, 1]; real pairs are (x, x), fake pairs (x, x̂). Each score depends on its own
 * row only (no batch statistics), so the gradient penalty is per shower.
 */
export interface DataCriticNet extends Parts {
  /** Scores [n, 1]. `features`: the candidate's physics features, [n, F], for a critic built to see them. */
  apply(reference: tf.Tensor2D, candidate: tf.Tensor2D, c: tf.Tensor2D, features?: tf.Tensor2D): tf.Tensor2D;
}

/**
 * The post-processor: per-cell networks (kernel-size-1 convolutions; the same small network on
 * every cell) conditioned on the shower's energy sum and c; x̂ [n, V], sum [n, 1], c [n, 1] → [n, V].
 */
export interface PostProcessorNet extends Parts {
  /** Refined network values [n, V]. */
  apply(x: tf.Tensor2D, sum: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D;
  /** The same in an ONNX graph. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue, sum: OnnxValue, c: OnnxValue): OnnxValue;
}

/** The latent critic: one latent coordinate at a time, z [m, 1] → score [m, 1] (§4.1). */
export interface LatentCriticNet extends Parts {
  /** Scores [m, 1]. */
  apply(z: tf.Tensor2D): tf.Tensor2D;
}

/** Every network of a model. */
export interface BibAeNetworks {
  encoder: EncoderNet;
  decoder: DecoderNet;
  critic: DataCriticNet;
  /** The resetting critic (`loss.resetCritic` > 0): the critic's architecture, drawn afresh every epoch. */
  resetCritic?: DataCriticNet;
  latentCritic: LatentCriticNet;
  postProcessor: PostProcessorNet;
}
