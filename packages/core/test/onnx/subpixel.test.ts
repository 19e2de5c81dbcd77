import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/device/tf.js';
import { OnnxGraphBuilder, readOnnxInfo, subPixelPlan } from '../../src/onnx/index.js';
import { Rng } from '../../src/rng.js';
import { maxRelDiff, randn, runOnnx } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface Case {
  name: string;
  cin: number;
  cout: number;
  k: [number, number, number];
  s: [number, number, number];
  p: [number, number, number];
  op?: [number, number, number];
  n: [number, number, number];
}

const CASES: Case[] = [
  { name: 'WGAN stage k4 s2 p1', cin: 3, cout: 2, k: [4, 4, 4], s: [2, 2, 2], p: [1, 1, 1], n: [4, 4, 4] },
  { name: 'k3 s2 p1 output_padding 1', cin: 2, cout: 3, k: [3, 3, 3], s: [2, 2, 2], p: [1, 1, 1], op: [1, 1, 1], n: [3, 4, 5] },
  { name: 'k4 s2 p0', cin: 2, cout: 2, k: [4, 4, 4], s: [2, 2, 2], p: [0, 0, 0], n: [3, 3, 3] },
  { name: 'k5 s2 p3 (pad beyond the taps)', cin: 2, cout: 1, k: [5, 5, 5], s: [2, 2, 2], p: [3, 3, 3], n: [5, 4, 4] },
  { name: 'k3 s1 p2 (the 32³ → 30³ head)', cin: 3, cout: 1, k: [3, 3, 3], s: [1, 1, 1], p: [2, 2, 2], n: [6, 6, 6] },
  { name: 'anisotropic k(4,3,2) s(2,1,2) p(1,0,0)', cin: 2, cout: 2, k: [4, 3, 2], s: [2, 1, 2], p: [1, 0, 0], n: [3, 4, 3] },
  { name: 'pion stage k(4,2,2) s2 p1', cin: 3, cout: 2, k: [4, 2, 2], s: [2, 2, 2], p: [1, 1, 1], n: [4, 3, 3] },
  { name: 'pion stage k(8,3,3) s(1,2,2) p1', cin: 2, cout: 2, k: [8, 3, 3], s: [1, 2, 2], p: [1, 1, 1], n: [9, 4, 5] },
  { name: 'k3 s3 (no phase overlap)', cin: 2, cout: 2, k: [3, 3, 3], s: [3, 3, 3], p: [0, 0, 0], n: [2, 3, 2] },
  { name: 'k2 s3 p1 (a phase without taps)', cin: 2, cout: 1, k: [2, 2, 2], s: [3, 3, 3], p: [1, 1, 1], n: [3, 2, 3] },
  { name: 'pion stage k(10,4,4) s1 p1 (a deep kernel, few channels: the depth-unfolded Conv)', cin: 3, cout: 2, k: [10, 4, 4], s: [1, 1, 1], p: [1, 1, 1], n: [12, 4, 5] },
  { name: 'pion head k(7,5,5) s1 p1 into 1 channel (depth-unfolded)', cin: 2, cout: 1, k: [7, 5, 5], s: [1, 1, 1], p: [1, 1, 1], n: [9, 5, 4] },
  { name: 'k4 s2 p1 output_padding 1', cin: 2, cout: 2, k: [4, 4, 4], s: [2, 2, 2], p: [1, 1, 1], op: [1, 1, 1], n: [3, 3, 4] },
  { name: 'the generators\' stem: one voxel k4 s1 (the Gemm form)', cin: 5, cout: 3, k: [4, 4, 4], s: [1, 1, 1], p: [0, 0, 0], n: [1, 1, 1] },
  { name: 'one voxel, k(3,2,4) s2 (the Gemm form whatever the stride)', cin: 2, cout: 4, k: [3, 2, 4], s: [2, 2, 2], p: [0, 0, 0], n: [1, 1, 1] },
  { name: 'one voxel with padding (the general form)', cin: 2, cout: 2, k: [4, 4, 4], s: [1, 1, 1], p: [1, 1, 1], n: [1, 1, 1] },
];

/** Independent reference: the definition y[o] = Σ x[i]·w[t] over o = s·i + t − p, in float64. */
function naive(x: Float32Array, w: Float32Array, b: Float32Array, c: Case, out: number[]): Float64Array {
  const [D, H, W] = c.n;
  const y = new Float64Array(c.cout * out[0]! * out[1]! * out[2]!);
  for (let co = 0; co < c.cout; co++) y.fill(b[co]!, co * out[0]! * out[1]! * out[2]!, (co + 1) * out[0]! * out[1]! * out[2]!);
  for (let ci = 0; ci < c.cin; ci++)
    for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) for (let v = 0; v < W; v++) {
      const xv = x[((ci * D + d) * H + h) * W + v]!;
      for (let co = 0; co < c.cout; co++)
        for (let td = 0; td < c.k[0]; td++) for (let th = 0; th < c.k[1]; th++) for (let tw = 0; tw < c.k[2]; tw++) {
          const od = c.s[0] * d + td - c.p[0];
          const oh = c.s[1] * h + th - c.p[1];
          const ow = c.s[2] * v + tw - c.p[2];
          if (od < 0 || oh < 0 || ow < 0 || od >= out[0]! || oh >= out[1]! || ow >= out[2]!) continue;
          y[((co * out[0]! + od) * out[1]! + oh) * out[2]! + ow] += xv * w[((((ci * c.cout + co) * c.k[0] + td) * c.k[1] + th) * c.k[2]) + tw]!;
        }
    }
  return y;
}

describe('convTranspose3dSubPixel', () => {
  for (const c of CASES) {
    it(`${c.name}: equals ONNX ConvTranspose, the definition and tf.conv3dTranspose`, async () => {
      const rng = new Rng(11);
      const op = c.op ?? [0, 0, 0];
      const w = randn(rng, c.cin * c.cout * c.k[0] * c.k[1] * c.k[2], 0.3);
      const b = randn(rng, c.cout, 0.1);
      const batch = 2;
      const x = randn(rng, batch * c.cin * c.n[0] * c.n[1] * c.n[2]);
      const g = new OnnxGraphBuilder();
      const xin = g.input('x', 'float32', [null, c.cin, ...c.n]);
      const W = { data: w, shape: [c.cin, c.cout, ...c.k] };
      const B = { data: b, shape: [c.cout] };
      const pads = [...c.p, ...c.p];
      const plain = g.convTranspose(xin, W, B, { strides: c.s, pads, outputPadding: op });
      const sub = g.convTranspose3dSubPixel(xin, W, B, { stride: c.s, padding: c.p, outputPadding: op });
      expect(sub.shape).toEqual(plain.shape);
      g.output(plain, 'plain');
      g.output(sub, 'sub');
      const r = await runOnnx(g, { x: { data: x, dims: [batch, c.cin, ...c.n] } });
      const out = plain.shape!.slice(2) as number[];
      expect(r.sub!.dims).toEqual([batch, c.cout, ...out]);
      expect(maxRelDiff(r.sub!.data as Float32Array, r.plain!.data as Float32Array)).toBeLessThan(1e-5);
      const per = c.cin * c.n[0] * c.n[1] * c.n[2];
      const ref = new Float64Array(batch * c.cout * out[0]! * out[1]! * out[2]!);
      for (let i = 0; i < batch; i++) ref.set(naive(x.subarray(i * per, (i + 1) * per), w, b, c, out), (i * ref.length) / batch);
      expect(maxRelDiff(r.sub!.data as Float32Array, ref)).toBeLessThan(1e-5);

      // tf.conv3dTranspose (NDHWC, filter [kd, kh, kw, C_out, C_in]) with 'valid' padding, then crop p (+ output padding) as PyTorch does.
      if (c.s.every((v) => v === c.s[0]) && op.every((v) => v === 0)) {
        const tfOut = tf.tidy(() => {
          const xt = tf.tensor5d(x, [batch, c.cin, ...c.n]).transpose([0, 2, 3, 4, 1]) as tf.Tensor5D;
          const ft = tf.tensor5d(w, [c.cin, c.cout, ...c.k]).transpose([2, 3, 4, 1, 0]) as tf.Tensor5D;
          const full = c.n.map((n, j) => c.s[j]! * (n - 1) + c.k[j]!);
          const y = tf.conv3dTranspose(xt, ft, [batch, full[0]!, full[1]!, full[2]!, c.cout], c.s[0], 'valid');
          const cropped = y.slice([0, c.p[0], c.p[1], c.p[2], 0], [batch, out[0]!, out[1]!, out[2]!, c.cout]);
          return cropped.add(tf.tensor1d(b)).transpose([0, 4, 1, 2, 3]);
        });
        expect(maxRelDiff(r.sub!.data as Float32Array, tfOut.dataSync() as Float32Array)).toBeLessThan(1e-5);
        tfOut.dispose();
      }
    });
  }

  it('depthToSpace (DCR) moves channel (bh·b + bw)·C + c to (c, b·h + bh, b·w + bw) and refuses a channel count that b² does not divide', async () => {
    const [C, Hh, Ww, b] = [2, 2, 3, 2];
    const x = Float32Array.from({ length: b * b * C * Hh * Ww }, (_, i) => i);
    const g = new OnnxGraphBuilder();
    const xin = g.input('x', 'float32', [null, b * b * C, Hh, Ww]);
    const y = g.depthToSpace(xin, b);
    expect(y.shape).toEqual([null, C, b * Hh, b * Ww]);
    g.output(y, 'y');
    const r = await runOnnx(g, { x: { data: x, dims: [1, b * b * C, Hh, Ww] } });
    const want = new Float32Array(C * b * Hh * b * Ww);
    for (let bh = 0; bh < b; bh++) for (let bw = 0; bw < b; bw++) for (let c = 0; c < C; c++) for (let h = 0; h < Hh; h++) for (let w = 0; w < Ww; w++) {
      want[(c * b * Hh + b * h + bh) * b * Ww + b * w + bw] = x[((((bh * b + bw) * C + c) * Hh + h) * Ww) + w]!;
    }
    expect(Array.from(r.y!.data as Float32Array)).toEqual(Array.from(want));
    expect(() => new OnnxGraphBuilder().depthToSpace(new OnnxGraphBuilder().input('x', 'float32', [1, 6, 2, 2]), 2)).toThrow(/DepthToSpace: needs \[N, b²·C, H, W\] with b = 2/);
  });

  it('writes a one-voxel stem without padding as one Gemm, no Conv', async () => {
    const g = new OnnxGraphBuilder();
    const x = g.input('x', 'float32', [null, 5, 1, 1, 1]);
    const y = g.convTranspose3dSubPixel(x, { data: new Float32Array(5 * 3 * 64), shape: [5, 3, 4, 4, 4] }, { data: new Float32Array(3), shape: [3] }, { stride: 1 });
    g.output(y, 'y');
    const { opTypes } = await readOnnxInfo(g.toBytes());
    expect(opTypes).toContain('Gemm');
    expect(opTypes).not.toContain('Conv');
    expect(y.shape).toEqual([null, 3, 4, 4, 4]);
  });

  it('plans the WGAN k4 s2 p1 stage as a 2³ Conv (not 3³) with the second phase shifted by one', () => {
    const [d] = subPixelPlan({ kernel: [4, 4, 4], stride: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1], outputPadding: [0, 0, 0], input: [8, 8, 8] });
    expect(d).toMatchObject({ k: 2, padBegin: 1, padEnd: 1, convOut: 9, m: 8, out: 16, offsets: [0, 1] });
    // Phase 0 reads x[m − 1], x[m] with taps 3, 1; phase 1 reads x[m], x[m + 1] with taps 2, 0.
    expect(d.tap).toEqual([[3, 1], [2, 0]]);
  });

  it('gives a phase with fewer taps zeros at the end of its kernel (k3 s2 p1)', () => {
    const [d] = subPixelPlan({ kernel: [3, 3, 3], stride: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1], outputPadding: [1, 1, 1], input: [4, 4, 4] });
    expect(d).toMatchObject({ k: 2, m: 4, out: 8, offsets: [0, 0] });
    expect(d.tap).toEqual([[1, -1], [2, 0]]);
  });
});
