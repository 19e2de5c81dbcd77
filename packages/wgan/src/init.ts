/**
 * The published initialisation (getting_high `WGAN/wGAN.py` `weights_init`, field-reference.md
 * §4.4), applied after the layers are built as PyTorch's `net.apply(weights_init)` is: conv and
 * linear weights N(0, 0.02), linear biases 0, LayerNorm γ ~ N(1, 0.02) and β 0. The published
 * convolutions have no bias (`bias=False`); core's Conv3d and ConvTranspose3d always carry one, so
 * it is set to 0 here and left out of training (`frozenBiases`), which computes the same function.
 */
import { Conv3d, ConvTranspose3d, Dense, LayerNorm, Sequential, tf, type Layer, type Rng } from '@calozoo/core';

/** Standard deviation of the published weight initialisation. */
const INIT_STD = 0.02;

function normal(rng: Rng, n: number, mean: number, std: number): Float32Array {
  const a = rng.fillNormal(new Float32Array(n)) as Float32Array;
  for (let i = 0; i < n; i++) a[i] = mean + std * a[i]!;
  return a;
}

function set(v: tf.Variable, data: Float32Array): void {
  tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
}

/** Every layer of `layers`, nested Sequentials expanded, in order. */
function flatLayers(layers: Iterable<Layer>): Layer[] {
  const out: Layer[] = [];
  for (const l of layers) {
    if (l instanceof Sequential) out.push(...flatLayers(l.layers));
    else out.push(l);
  }
  return out;
}

/** Re-initialises the layers as the published code does (draws from `rng` in layer order). */
export function publishedInit(layers: Iterable<Layer>, rng: Rng): void {
  for (const l of flatLayers(layers)) {
    if (l instanceof Dense || l instanceof Conv3d || l instanceof ConvTranspose3d) {
      set(l.kernel, normal(rng, l.kernel.size, 0, INIT_STD));
      if (l.bias) set(l.bias, new Float32Array(l.bias.size));
    } else if (l instanceof LayerNorm) {
      set(l.gamma, normal(rng, l.gamma.size, 1, INIT_STD));
      set(l.beta, new Float32Array(l.beta.size));
    }
  }
}

/** The convolution biases of `layers`: zero and never trained (the published convolutions have none). */
export function frozenBiases(layers: Iterable<Layer>): Set<tf.Variable> {
  const out = new Set<tf.Variable>();
  for (const l of flatLayers(layers)) if (l instanceof Conv3d || l instanceof ConvTranspose3d) out.add(l.bias);
  return out;
}
