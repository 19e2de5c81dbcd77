/**
 * The published initialisation (getting_high `WGAN/wGAN.py` `weights_init`, field-reference.md
 * §4.4), applied after the layers are built as PyTorch's `net.apply(weights_init)` is: conv and
 * linear weights N(0, 0.02), linear biases 0, LayerNorm γ ~ N(1, 0.02) and β 0. The published
 * convolutions have no bias (`bias=False`); core's Conv3d and ConvTranspose3d always carry one, so
 * it is set to 0 here and left out of training (`frozenBiases`), which computes the same function.
 * The §4.5 ResNet critic has an initialisation of its own (`kaimingInit`).
 */
import { Conv3d, ConvTranspose3d, Dense, LayerNorm, Sequential, tf, uniformValues, type Layer, type Rng } from '@calozoo/core';

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

/** A layer made of other layers (a residual block) that lists them. */
interface Composite extends Layer {
  sublayers(): Layer[];
}

const isComposite = (l: Layer): l is Composite => typeof (l as Partial<Composite>).sublayers === 'function';

/** Every layer of `layers`, nested Sequentials and composite layers expanded, in order. */
function flatLayers(layers: Iterable<Layer>): Layer[] {
  const out: Layer[] = [];
  for (const l of layers) {
    if (l instanceof Sequential) out.push(...flatLayers(l.layers));
    else if (isComposite(l)) out.push(...flatLayers(l.sublayers()));
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

/**
 * The initialisation of the §4.5 ResNet critic (neurIPS2021_hadron `criticRes.py`): conv weights
 * Kaiming-normal with fan-out and the ReLU gain, N(0, 2/(C_out·kd·kh·kw)), biases 0 (the published
 * convolutions have none); linear layers PyTorch's default U(±1/√fan_in) for weight and bias.
 */
export function kaimingInit(layers: Iterable<Layer>, rng: Rng): void {
  for (const l of flatLayers(layers)) {
    if (l instanceof Conv3d) {
      const [kd, kh, kw, , out] = l.kernel.shape as number[];
      set(l.kernel, normal(rng, l.kernel.size, 0, Math.sqrt(2 / (out! * kd! * kh! * kw!))));
      set(l.bias, new Float32Array(l.bias.size));
    } else if (l instanceof Dense) {
      const bound = 1 / Math.sqrt(l.inFeatures);
      set(l.kernel, uniformValues(rng, l.kernel.size, bound));
      if (l.bias) set(l.bias, uniformValues(rng, l.bias.size, bound));
    }
  }
}

/** The convolution biases of `layers`: zero and never trained (the published convolutions have none). */
export function frozenBiases(layers: Iterable<Layer>): Set<tf.Variable> {
  const out = new Set<tf.Variable>();
  for (const l of flatLayers(layers)) if (l instanceof Conv3d || l instanceof ConvTranspose3d) out.add(l.bias);
  return out;
}
