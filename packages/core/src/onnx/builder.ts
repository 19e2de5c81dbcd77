/**
 * `OnnxGraphBuilder`: the typed ONNX graph builder model packages use to write their
 * generation networks. Ops are methods (`ops.ts`); this file adds the composite layers:
 * activations by name, `dense`, the 3-D pixel shuffle and the sub-pixel transposed convolution.
 *
 * ```ts
 * const g = new OnnxGraphBuilder({ opset: 17 });
 * const z = g.input('z', 'float32', [null, 41]);
 * const h = g.dense(z, { data: W1, shape: [41, 512] }, { data: b1, shape: [512] }, 'relu');
 * g.output(g.dense(h, W2, b2), 'showers');
 * await writeOnnx('model/onnx/decoder.onnx', g, { props: { plugin: 'caloman' } });
 * ```
 */
import { InvalidArgumentError } from '../errors.js';
import { OnnxOps } from './ops.js';
import { subPixelWeights } from './subpixel.js';
import type { ActivationSpec, OnnxValue, RawTensor, WeightLike } from './types.js';

/** Options of `convTranspose3dSubPixel` (PyTorch `ConvTranspose3d` arguments). */
export interface SubPixelOptions {
  /** Stride per dimension (or one for all); default 2. */
  stride?: number | readonly [number, number, number];
  /** Symmetric padding per dimension (PyTorch `padding`), or ONNX pads of length 6; default 0. */
  padding?: number | readonly number[];
  /** PyTorch `output_padding` per dimension (or one for all); default 0. */
  outputPadding?: number | readonly [number, number, number];
}

const triple = (x: number | readonly number[]): [number, number, number] =>
  typeof x === 'number' ? [x, x, x] : [x[0]!, x[1]!, x[2]!];

/** Typed ONNX graph builder: inputs, initializers, one method per op, composite layers, `toBytes()`. */
export class OnnxGraphBuilder extends OnnxOps {
  /** Applies an activation by name ('linear' returns x unchanged). */
  activation(x: OnnxValue, spec: ActivationSpec = 'linear'): OnnxValue {
    const { name, alpha } = typeof spec === 'string' ? { name: spec, alpha: undefined } : spec;
    switch (name) {
      case 'linear': return x;
      case 'relu': return this.relu(x);
      case 'leakyRelu': return this.leakyRelu(x, alpha ?? 0.2);
      case 'elu': return this.elu(x, alpha ?? 1);
      case 'sigmoid': return this.sigmoid(x);
      case 'tanh': return this.tanh(x);
      case 'softplus': return this.softplus(x);
      case 'exp': return this.exp(x);
      case 'softmax': return this.softmax(x, -1);
      default: throw new InvalidArgumentError(`activation: unknown activation "${String(name)}"`);
    }
  }

  /**
   * Dense layer y = act(x·W + b) with W of shape (in, out) as in TF.js/Keras (a PyTorch
   * `nn.Linear` weight is (out, in): transpose it first). MatMul + Add, so x may have any rank.
   */
  dense(x: OnnxValue, w: WeightLike, b?: WeightLike, activation: ActivationSpec = 'linear'): OnnxValue {
    const W = this.weight(w, 'dense_w');
    const inDim = x.shape?.[x.shape.length - 1];
    if (typeof inDim === 'number' && W.shape && W.shape[0] !== inDim) {
      throw new InvalidArgumentError(`dense: input has ${inDim} features but the kernel is [${W.shape.join(', ')}] (expected [${inDim}, units])`);
    }
    let y = this.matMul(x, W);
    if (b) y = this.add(y, this.weight(b, 'dense_b'));
    return this.activation(y, activation);
  }

  /**
   * 3-D pixel shuffle: (N, C·r³, D, H, W) → (N, C, D·r, H·r, W·r), channel (c, rd, rh, rw)
   * row-major going to voxel (d·r + rd, h·r + rh, w·r + rw); a Reshape, a Transpose and a Reshape.
   */
  pixelShuffle3d(x: OnnxValue, r: number | readonly [number, number, number]): OnnxValue {
    const [rd, rh, rw] = triple(r);
    const s = x.shape;
    if (!s || s.length !== 5 || s.slice(1).some((d) => d === null)) {
      throw new InvalidArgumentError(`pixelShuffle3d: needs a rank-5 input with known C, D, H, W; got [${s?.join(', ') ?? 'unknown'}]`);
    }
    const [c8, d, h, w] = s.slice(1) as number[];
    if (c8! % (rd * rh * rw) !== 0) throw new InvalidArgumentError(`pixelShuffle3d: ${c8} channels are not divisible by ${rd * rh * rw}`);
    const c = c8! / (rd * rh * rw);
    const a = this.reshape(x, [-1, c, rd, rh, rw, d!, h!, w!]);
    const t = this.transpose(a, [0, 1, 5, 2, 6, 3, 7, 4]);
    return this.reshape(t, [-1, c, d! * rd, h! * rh, w! * rw]);
  }

  /**
   * 3-D convolution (weights (C_out, C_in, kd, kh, kw), float32) laid out for ONNX Runtime's CPU
   * kernels: one Conv, or — where few output channels meet a deep kernel (kd·C_out ≤ 128, kd > 1,
   * depth stride 1) — a Conv with kernel (1, kh, kw) and kd·C_out output channels whose kd blocks,
   * each shifted by its depth tap, are summed. The same products, with a kd times smaller im2col
   * buffer: a skinny Conv (C_out 1–10 with kernels 7–10 deep, as in the 48×25×25 pion generator)
   * is bound by writing and reading that buffer, not by its arithmetic.
   */
  conv3d(x: OnnxValue, w: RawTensor, b: RawTensor | undefined, o: { strides?: readonly number[]; pads?: readonly number[] } = {}): OnnxValue {
    if (!(w.data instanceof Float32Array) || w.shape.length !== 5) throw new InvalidArgumentError(`conv3d: weights must be float32 (C_out, C_in, kd, kh, kw), got [${w.shape.join(', ')}]`);
    const [cout, cin, kd, kh, kw] = w.shape as [number, number, number, number, number];
    const strides = o.strides ?? [1, 1, 1];
    const pads = o.pads ?? [0, 0, 0, 0, 0, 0];
    const depth = x.shape?.[2];
    const unfold = kd > 1 && kd * cout <= 128 && strides[0] === 1 && typeof depth === 'number';
    if (!unfold) return this.conv(x, this.constant(w.data, w.shape, 'conv3d_w'), b ? this.constant(b.data as Float32Array, [cout], 'conv3d_b') : undefined, { strides, pads });
    const area = kh * kw;
    const w2 = new Float32Array(w.data.length);
    for (let co = 0; co < cout; co++)
      for (let ci = 0; ci < cin; ci++)
        for (let a = 0; a < kd; a++) w2.set(w.data.subarray(((co * cin + ci) * kd + a) * area, ((co * cin + ci) * kd + a + 1) * area), ((a * cout + co) * cin + ci) * area);
    // The bias rides on the first block only, so the sum adds it once.
    const bias = b ? new Float32Array(kd * cout) : undefined;
    if (bias && b) bias.set(b.data as Float32Array, 0);
    const z = this.conv(x, this.constant(w2, [kd * cout, cin, 1, kh, kw], 'conv3d_unfolded_w'), bias ? this.constant(bias, [kd * cout], 'conv3d_unfolded_b') : undefined, { strides, pads });
    const dOut = depth + pads[0]! + pads[3]! - kd + 1;
    let y: OnnxValue | undefined;
    for (let a = 0; a < kd; a++) {
      const block = this.slice(z, [a * cout, a], [(a + 1) * cout, a + dOut], [1, 2]);
      y = y ? this.add(y, block) : block;
    }
    return y!;
  }

  /**
   * The phase-major pixel shuffle of the sub-pixel form: channel (rd, rh, rw, co) at (m_d, m_h, m_w)
   * → voxel (S·m + r) of channel co; x [n, S_d·S_h·S_w·C, M_d, M_h, M_w] → [n, C, S_d·M_d, S_h·M_h, S_w·M_w].
   * With S_h = S_w it is a DepthToSpace over (h, w) between two transposes of contiguous blocks:
   * ONNX Runtime ran the equivalent 8-D Transpose 2.4× slower (32 channels at 16³: 6.9 against 2.9 ms).
   */
  private phaseShuffle(x: OnnxValue, c: number, [sd, sh, sw]: readonly [number, number, number], [md, mh, mw]: readonly [number, number, number]): OnnxValue {
    if (sd * sh * sw === 1) return x;
    const out = [-1, c, sd * md, sh * mh, sw * mw];
    if (sh !== sw) return this.reshape(this.transpose(this.reshape(x, [-1, sd, sh, sw, c, md, mh, mw]), [0, 4, 5, 1, 6, 2, 7, 3]), out);
    let t = x;
    if (sh > 1) {
      // [n, rd, (rh, rw), (c, m_d), (m_h, m_w)] → [n, rd, (c, m_d), (rh, rw), (m_h, m_w)], then (h, w) by DepthToSpace.
      t = this.transpose(this.reshape(t, [-1, sd, sh * sw, c * md, mh * mw]), [0, 1, 3, 2, 4]);
      t = this.depthToSpace(this.reshape(t, [-1, sh * sw, mh, mw]), sh);
    }
    // [n, rd, (c, m_d), plane] → [n, (c, m_d), rd, plane].
    if (sd > 1) t = this.transpose(this.reshape(t, [-1, sd, c * md, sh * mh * sw * mw]), [0, 2, 1, 3]);
    return this.reshape(t, out);
  }

  /**
   * ConvTranspose3d (weights (C_in, C_out, kd, kh, kw), PyTorch/ONNX layout) rewritten exactly as
   * Conv3d with S³·C_out channels + a shifted slice per phase + pixel shuffle + slice (see `subpixel.ts`). Much faster in
   * onnxruntime than its ConvTranspose for 3-D. Input spatial dimensions must be known.
   */
  convTranspose3dSubPixel(x: OnnxValue, w: RawTensor, b: RawTensor | undefined, options: SubPixelOptions = {}): OnnxValue {
    if (!(w.data instanceof Float32Array) || w.shape.length !== 5) {
      throw new InvalidArgumentError(`convTranspose3dSubPixel: weights must be float32 (C_in, C_out, kd, kh, kw), got [${w.shape.join(', ')}]`);
    }
    const s = x.shape;
    if (!s || s.length !== 5 || s.slice(2).some((d) => d === null)) {
      throw new InvalidArgumentError(`convTranspose3dSubPixel: input needs rank 5 with known spatial size; got [${s?.join(', ') ?? 'unknown'}]`);
    }
    const [cin, cout, kd, kh, kw] = w.shape as [number, number, number, number, number];
    if (s[1] !== null && s[1] !== cin) throw new InvalidArgumentError(`convTranspose3dSubPixel: input has ${s[1]} channels, weights expect ${cin}`);
    const pad = options.padding ?? 0;
    const pads = typeof pad === 'number' ? [pad, pad, pad, pad, pad, pad] : pad.length === 3 ? [...pad, ...pad] : [...pad];
    const outputPadding = triple(options.outputPadding ?? 0);
    if (s[2] === 1 && s[3] === 1 && s[4] === 1 && pads.every((p) => p === 0) && outputPadding.every((o) => o === 0)) {
      // One input voxel, no cropping (the generators' 1³ → k³ stems): an outer product, out[co, a, b, c] =
      // Σ_ci x[ci]·w[ci, co, a, b, c] + b[co], whatever the stride. One Gemm: ONNX Runtime ran the
      // padded Conv of the general form at 1.1 ms of a 16 ms pion shower.
      const k3 = kd * kh * kw;
      const bias = b ? Float32Array.from({ length: cout * k3 }, (_, j) => (b.data as Float32Array)[Math.floor(j / k3)]!) : undefined;
      const y = this.gemm(this.reshape(x, [-1, cin]), { data: w.data, shape: [cin, cout * k3] }, bias ? { data: bias, shape: [cout * k3] } : undefined);
      return this.reshape(y, [-1, cout, kd, kh, kw]);
    }
    const spec = {
      kernel: [kd, kh, kw] as [number, number, number],
      stride: triple(options.stride ?? 2),
      pads,
      outputPadding,
      input: s.slice(2) as [number, number, number],
    };
    const bias = b ? (b.data as Float32Array) : undefined;
    const sp = subPixelWeights(w.data, bias, cin, cout, spec);
    const [D, H, W] = sp.plan;
    const pp = [D.padBegin, H.padBegin, W.padBegin, D.padEnd, H.padEnd, W.padEnd];
    const y = this.conv3d(x, { data: sp.weights, shape: sp.weightShape }, sp.bias ? { data: sp.bias, shape: [sp.bias.length] } : undefined, { pads: pp });
    const dims = [D, H, W];
    // Each phase's outputs start where its window does: one Slice per phase (channel block, shift), then a Concat.
    // (One Conv per phase, each on its own M outputs, was slower in ONNX Runtime: 32-channel GEMMs.)
    const aligned = dims.every((p) => p.offsets.every((o) => o === 0) && p.convOut === p.m);
    let phased = y;
    if (!aligned) {
      const parts: OnnxValue[] = [];
      for (let rd = 0; rd < D.s; rd++) for (let rh = 0; rh < H.s; rh++) for (let rw = 0; rw < W.s; rw++) {
        const p = (rd * H.s + rh) * W.s + rw;
        const o = [D.offsets[rd]!, H.offsets[rh]!, W.offsets[rw]!];
        parts.push(this.slice(y, [p * cout, ...o], [(p + 1) * cout, o[0]! + D.m, o[1]! + H.m, o[2]! + W.m], [1, 2, 3, 4]));
      }
      phased = parts.length === 1 ? parts[0]! : this.concat(parts, 1);
    }
    const z = this.phaseShuffle(phased, cout, [D.s, H.s, W.s], [D.m, H.m, W.m]);
    const full = [D.m * D.s, H.m * H.s, W.m * W.s];
    const out = [D.out, H.out, W.out];
    return full.every((n, k) => n === out[k]) ? z : this.slice(z, [0, 0, 0], out, [2, 3, 4]);
  }
}
