import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/device/tf.js';
import { Activation, ConvTranspose3d, Conv3d, LayerNorm, Sequential } from '../../src/nn/layers.js';
import { OnnxGraphBuilder } from '../../src/onnx/index.js';
import { Rng } from '../../src/rng.js';
import { maxRelDiff, randn, runOnnx } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type T3 = [number, number, number];
interface Case {
  name: string;
  cin: number;
  mid: number;
  cout: number;
  n: T3;
  /** The strided transposed convolution. */
  k: T3;
  s: T3;
  p: T3;
  /** The stride-1 convolution after it: kernel and ONNX pads (begin then end). */
  k2: T3;
  pads2: number[];
  /** Its strides: 1, or the stage's stride (default 1). */
  s2?: T3;
  /** Output padding of the transposed convolution. */
  op?: T3;
}

const CASES: Case[] = [
  { name: 'the photon tail: k4 s2 p1, then k3 into 1 channel', cin: 3, mid: 4, cout: 1, n: [4, 4, 4], k: [4, 4, 4], s: [2, 2, 2], p: [1, 1, 1], k2: [3, 3, 3], pads2: [0, 0, 0, 0, 0, 0] },
  { name: 'uneven pads and an odd output (a trimmed last phase)', cin: 2, mid: 3, cout: 2, n: [3, 4, 3], k: [4, 4, 4], s: [2, 2, 2], p: [1, 1, 1], k2: [2, 3, 2], pads2: [0, 1, 1, 1, 0, 0] },
  { name: 'anisotropic strides (2, 1, 2), padded k3', cin: 2, mid: 3, cout: 3, n: [3, 4, 3], k: [4, 3, 4], s: [2, 1, 2], p: [1, 1, 1], k2: [3, 3, 3], pads2: [1, 1, 1, 1, 1, 1] },
  { name: 'stride 3 with a k5 window over three phases', cin: 2, mid: 2, cout: 1, n: [2, 2, 2], k: [3, 3, 3], s: [3, 3, 3], p: [0, 0, 0], k2: [5, 5, 5], pads2: [2, 2, 2, 2, 2, 2] },
  { name: 'BIB-AE: k3 s2 p1 output_padding 1, then a k2 s2 convolution (a 1×1×1 Conv over the phases)', cin: 3, mid: 4, cout: 3, n: [3, 4, 3], k: [3, 3, 3], s: [2, 2, 2], p: [1, 1, 1], op: [1, 1, 1], k2: [2, 2, 2], pads2: [0, 0, 0, 0, 0, 0], s2: [2, 2, 2] },
  { name: 'a k3 s2 p1 convolution stepping by the stage\'s stride', cin: 2, mid: 3, cout: 2, n: [4, 3, 4], k: [4, 4, 4], s: [2, 2, 2], p: [1, 1, 1], k2: [3, 3, 3], pads2: [1, 1, 1, 1, 1, 1], s2: [2, 2, 2] },
  { name: 'mixed: strides (2, 1, 2), the convolution stepping by 2 in depth only', cin: 2, mid: 3, cout: 2, n: [3, 4, 3], k: [4, 3, 4], s: [2, 1, 2], p: [1, 1, 1], k2: [3, 2, 3], pads2: [1, 0, 1, 0, 1, 1], s2: [2, 1, 1] },
];

const vol = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

describe('phase form: a strided transposed convolution read by a stride-1 convolution without a pixel shuffle', () => {
  for (const c of CASES) {
    for (const withNorm of [false, true]) {
      it(`${c.name}${withNorm ? ', LayerNorm per channel and ReLU between' : ''}: equals ONNX ConvTranspose → (LayerNormalization → Relu) → Conv`, async () => {
        const rng = new Rng(5);
        const W1 = { data: randn(rng, c.cin * c.mid * vol(c.k), 0.3), shape: [c.cin, c.mid, ...c.k] };
        const B1 = { data: randn(rng, c.mid, 0.1), shape: [c.mid] };
        const W2 = { data: randn(rng, c.cout * c.mid * vol(c.k2), 0.3), shape: [c.cout, c.mid, ...c.k2] };
        const B2 = { data: randn(rng, c.cout, 0.1), shape: [c.cout] };
        const full = [0, 1, 2].map((d) => (c.n[d]! - 1) * c.s[d]! - 2 * c.p[d]! + c.k[d]! + (c.op?.[d] ?? 0));
        const gamma = { data: Float32Array.from(randn(rng, vol(full), 0.2), (v) => 1 + v), shape: full };
        const beta = { data: randn(rng, vol(full), 0.2), shape: full };
        const g = new OnnxGraphBuilder();
        const x = g.input('x', 'float32', [null, c.cin, ...c.n]);
        // Reference: ONNX's own ConvTranspose, LayerNormalization and Conv in the usual layout.
        const op = c.op ?? [0, 0, 0];
        let r = g.convTranspose(x, W1, B1, { strides: c.s, pads: [...c.p, ...c.p], outputPadding: op });
        if (withNorm) r = g.activation(g.layerNormalization(r, gamma, beta, { axis: 2, epsilon: 1e-5 }), 'relu');
        r = g.conv(r, W2, B2, { pads: c.pads2, strides: c.s2 ?? [1, 1, 1] });
        let p = g.convTranspose3dPhases(x, W1, B1, { stride: c.s, padding: c.p, outputPadding: op });
        expect(p).not.toBeNull();
        if (withNorm) {
          p = g.layerNormalizationPhases(p!, gamma, beta, 1e-5);
          p = { ...p, value: g.activation(p.value, 'relu') };
        }
        const y = g.conv3dFromPhases(p!, W2, B2, c.pads2, c.s2);
        expect(y.shape).toEqual(r.shape);
        g.output(r, 'ref');
        g.output(y, 'phases');
        const batch = 2;
        const out = await runOnnx(g, { x: { data: randn(rng, batch * c.cin * vol(c.n)), dims: [batch, c.cin, ...c.n] } });
        expect(out.phases!.dims).toEqual(out.ref!.dims);
        expect(maxRelDiff(out.phases!.data as Float32Array, out.ref!.data as Float32Array)).toBeLessThan(1e-5);
      });
    }
  }

  it('leaves the form to the usual path where it cannot hold the output: stride 1, one voxel, a trimmed output', () => {
    const g = new OnnxGraphBuilder();
    const w = { data: new Float32Array(2 * 2 * 27), shape: [2, 2, 3, 3, 3] };
    const x = g.input('x', 'float32', [null, 2, 4, 4, 4]);
    expect(g.convTranspose3dPhases(x, w, undefined, { stride: 1 })).toBeNull();
    expect(g.convTranspose3dPhases(g.input('v', 'float32', [null, 2, 1, 1, 1]), w, undefined, { stride: 2 })).toBeNull();
    // k3 s2 p1 on 4: 7 outputs, not 2·4.
    expect(g.convTranspose3dPhases(x, w, undefined, { stride: 2, padding: 1 })).toBeNull();
  });

  it('refuses weights that do not match the phase form, and negative pads', () => {
    const g = new OnnxGraphBuilder();
    const x = g.input('x', 'float32', [null, 2, 4, 4, 4]);
    const p = g.convTranspose3dPhases(x, { data: new Float32Array(2 * 3 * 64), shape: [2, 3, 4, 4, 4] }, undefined, { stride: 2, padding: 1 })!;
    expect(() => g.conv3dFromPhases(p, { data: new Float32Array(2 * 27), shape: [1, 2, 3, 3, 3] }, undefined, [0, 0, 0, 0, 0, 0])).toThrow(/expect 2 input channels, the phase form holds 3/);
    expect(() => g.conv3dFromPhases(p, { data: new Float32Array(3 * 27), shape: [1, 3, 3, 3, 3] }, undefined, [0, 0, -1, 0, 0, 0])).toThrow(/pads must be 6 values ≥ 0/);
    expect(() => g.layerNormalizationPhases(p, { data: new Float32Array(8), shape: [8] }, { data: new Float32Array(8), shape: [8] })).toThrow(/must hold 8×8×8 values/);
    expect(() => g.conv3dFromPhases(p, { data: new Float32Array(3 * 27), shape: [1, 3, 3, 3, 3] }, undefined, [0, 0, 0, 0, 0, 0], [3, 3, 3])).toThrow(/each stride must be 1 or the phase form's \(2, 2, 2\)/);
  });
});

describe('Sequential.toOnnx: the phase form for a strided stage into fewer channels than phases', () => {
  /** The photon generator's last two stages at toy size: ConvT k4 s2 p1 · LN · ReLU · ConvT k3 s1 p2 → `cout` channels, ReLU. */
  function tail(rng: Rng, cout: number): [Sequential, LayerNorm] {
    const up = new ConvTranspose3d(3, 4, 4, rng, { stride: 2, padding: 1 });
    const ln = new LayerNorm(up.outputShape([4, 4, 4, 3]), { perChannel: true });
    const net = new Sequential([
      ['up', up],
      ['ln', ln],
      ['relu', new Activation('relu')],
      ['head', new ConvTranspose3d(4, cout, 3, rng, { stride: 1, padding: 2, activation: 'relu' })],
    ]);
    return [net, ln];
  }

  /**
   * ONNX Runtime's output of `net.toOnnx` against TF.js's `net.apply` (max relative difference),
   * and whether the graph normalised in phase form: its LayerNormalization scale is then
   * (phases, positions), rank 2, instead of (D, H, W).
   */
  async function compare([net, ln]: [Sequential, LayerNorm]): Promise<{ diff: number; phaseForm: boolean }> {
    const rng = new Rng(9);
    // LayerNorm's γ and β away from 1 and 0, so a misplaced phase would show.
    ln.gamma.assign(tf.tensor(Float32Array.from(randn(rng, ln.gamma.size, 0.3), (v) => 1 + v), ln.gamma.shape));
    ln.beta.assign(tf.tensor(randn(rng, ln.beta.size, 0.3), ln.beta.shape));
    const x = randn(rng, 2 * 64 * 3);
    const g = new OnnxGraphBuilder();
    g.output(net.toOnnx(g, g.input('x', 'float32', [null, 3, 4, 4, 4])), 'y');
    const out = await runOnnx(g, { x: { data: x, dims: [2, 3, 4, 4, 4] } });
    // TF.js is channels-last: feed the same values transposed, compare in ONNX's layout.
    const want = tf.tidy(() => tf.transpose(net.apply(tf.transpose(tf.tensor5d(x, [2, 3, 4, 4, 4]), [0, 2, 3, 4, 1])), [0, 4, 1, 2, 3]).dataSync() as Float32Array);
    const model = g.toModelObject() as { graph: { node: { op_type: string; input: string[] }[]; initializer: { name: string; dims: number[] }[] } };
    const norm = model.graph.node.find((n) => n.op_type === 'LayerNormalization')!;
    const scale = model.graph.initializer.find((t) => t.name === norm.input[1])!;
    return { diff: maxRelDiff(out.y!.data as Float32Array, want), phaseForm: scale.dims.length === 2 };
  }

  it('into 1 channel after 8 phases: phase form, the values of TF.js', async () => {
    const { diff, phaseForm } = await compare(tail(new Rng(3), 1));
    expect(phaseForm).toBe(true);
    expect(diff).toBeLessThan(1e-5);
  });

  it('BIB-AE\'s decoder step: ConvT k3 s2 p1 op1 · LN · LeakyReLU · Conv3d k2 s2 into as many channels as phases reads the phases', async () => {
    const rng = new Rng(6);
    const up = new ConvTranspose3d(3, 4, 3, rng, { stride: 2, padding: 1, outputPadding: 1 });
    const ln = new LayerNorm(up.outputShape([4, 4, 4, 3]), { perChannel: true });
    const net = new Sequential([['up', up], ['ln', ln], ['lrelu', new Activation({ name: 'leakyRelu', alpha: 0.2 })], ['down', new Conv3d(4, 8, 2, rng, { stride: 2 })]]);
    const { diff, phaseForm } = await compare([net, ln]);
    expect(phaseForm).toBe(true);
    expect(diff).toBeLessThan(1e-5);
  });

  it('a softmax between (over channels, not per value) keeps the usual path', async () => {
    const rng = new Rng(8);
    const up = new ConvTranspose3d(3, 4, 4, rng, { stride: 2, padding: 1 });
    const ln = new LayerNorm(up.outputShape([4, 4, 4, 3]), { perChannel: true });
    const net = new Sequential([['up', up], ['ln', ln], ['soft', new Activation('softmax')], ['head', new Conv3d(4, 1, 3, rng, { padding: 1 })]]);
    const { diff, phaseForm } = await compare([net, ln]);
    expect(phaseForm).toBe(false);
    expect(diff).toBeLessThan(1e-5);
  });

  it('a strided stage with a softmax of its own keeps the usual path', async () => {
    const rng = new Rng(8);
    const up = new ConvTranspose3d(3, 4, 4, rng, { stride: 2, padding: 1, activation: 'softmax' });
    const ln = new LayerNorm(up.outputShape([4, 4, 4, 3]), { perChannel: true });
    const net = new Sequential([['up', up], ['ln', ln], ['head', new Conv3d(4, 1, 3, rng, { padding: 1 })]]);
    const { diff, phaseForm } = await compare([net, ln]);
    expect(phaseForm).toBe(false);
    expect(diff).toBeLessThan(1e-5);
  });

  it('into 8 channels after 8 phases: the usual path, the same values', async () => {
    const { diff, phaseForm } = await compare(tail(new Rng(3), 8));
    expect(phaseForm).toBe(false);
    expect(diff).toBeLessThan(1e-5);
  });

  it('a Conv3d head reads the phases too, with stride 1 or the stage\'s; with another stride it does not', async () => {
    for (const [stride, fused] of [[1, true], [2, true], [3, false]] as const) {
      const rng = new Rng(4);
      const up = new ConvTranspose3d(3, 4, 4, rng, { stride: 2, padding: 1 });
      const ln = new LayerNorm(up.outputShape([4, 4, 4, 3]), { perChannel: true });
      const net = new Sequential([['up', up], ['ln', ln], ['lrelu', new Activation({ name: 'leakyRelu', alpha: 0.2 })], ['head', new Conv3d(4, 1, 3, rng, { stride, padding: 1 })]]);
      const { diff, phaseForm } = await compare([net, ln]);
      expect(phaseForm).toBe(fused);
      expect(diff).toBeLessThan(1e-5);
    }
  });
});
