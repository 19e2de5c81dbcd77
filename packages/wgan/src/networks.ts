/**
 * What the three networks of a WGAN look like to the model, whichever variant builds them: a
 * generator (noise and condition → network values of every voxel, with its ONNX emission), a
 * critic (values and condition → one score) and the energy constrainer (values → the condition).
 * Network values and conditions are those of core's `preprocessing/representation.ts`.
 */
import { Sequential, prefixed, tf, type Layer, type OnnxGraphBuilder, type OnnxValue, type Rng } from '@calozoo/core';
import { frozenBiases, publishedInit } from './init.js';

/** Named layers of one network: variables by stable name, the trained ones, disposal. */
export class NetParts {
  /** Creates the network from its named parts (the prefixes of its variable names). */
  constructor(protected readonly parts: Record<string, Layer>) {}

  /** Every variable, `<part>.<layer>.<name>` (the names in the saved safetensors). */
  variables(): Record<string, tf.Variable> {
    return Object.assign({}, ...Object.entries(this.parts).map(([k, l]) => prefixed(k, l.variables())));
  }

  /** The variables training updates: all but the frozen convolution biases. */
  trainable(): Record<string, tf.Variable> {
    const frozen = frozenBiases(Object.values(this.parts));
    return Object.fromEntries(Object.entries(this.variables()).filter(([, v]) => !frozen.has(v)));
  }

  /** The layers, for initialisation. */
  layers(): Layer[] {
    return Object.values(this.parts);
  }

  /** Draws every weight as the published code does for this network (`publishedInit`, N(0, 0.02)), from `rng` in layer order. */
  initialise(rng: Rng): void {
    publishedInit(this.layers(), rng);
  }

  /** Frees every variable. */
  dispose(): void {
    for (const l of Object.values(this.parts)) l.dispose();
  }
}

/** The generator: z [n, latent] and condition c [n, 1] → network values [n, voxels]. */
export interface GeneratorNet extends NetParts {
  /** Network values [n, voxels] (TF.js). */
  apply(z: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D;
  /** The same in an ONNX graph (z [n, latent], c [n, 1] → [n, voxels]). */
  toOnnx(g: OnnxGraphBuilder, z: OnnxValue, c: OnnxValue): OnnxValue;
}

/** The critic (discriminator): network values [n, voxels] and condition c [n, 1] → score [n, 1] (a logit for BCE). */
export interface CriticNet extends NetParts {
  /** Scores [n, 1]; each depends on its own shower only (no batch statistics). */
  apply(x: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D;
}

/** The energy constrainer: network values [n, voxels] → its estimate of the condition [n, 1]. */
export interface ConstrainerNet extends NetParts {
  /** Condition estimates [n, 1]. */
  apply(x: tf.Tensor2D): tf.Tensor2D;
}

/** The networks of one model. */
export interface WganNetworks {
  /** Noise and condition → showers. */
  generator: GeneratorNet;
  /** Showers and condition → score. */
  critic: CriticNet;
  /** Null when the config disables the constrainer. */
  constrainer: ConstrainerNet | null;
}

/**
 * The head input of a conv critic: [body(cells) ⊕ f ⊕ c] for x = [cells ⊕ f] (the `features`
 * physics features training appends to the `voxels` cells join after the convolutions), or
 * [body(x) ⊕ c] without features.
 */
export function criticHeadInput(x: tf.Tensor2D, c: tf.Tensor2D, voxels: number, features: number, body: (cells: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
  if (features === 0) return tf.concat([body(x), c], 1);
  return tf.concat([body(tf.slice(x, [0, 0], [-1, voxels])), tf.slice(x, [0, voxels], [-1, features]), c], 1);
}

/** The output shape after each layer of `net` for a per-sample input shape (TF.js layout). */
export function layerShapes(net: Sequential, input: readonly number[]): number[][] {
  const out: number[][] = [];
  let s = [...input];
  for (const l of net.layers) {
    s = l.outputShape(s);
    out.push(s);
  }
  return out;
}
