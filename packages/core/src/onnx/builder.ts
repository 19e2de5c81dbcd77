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
import { subPixelPlan, subPixelWeights, type SubPixelDimPlan, type SubPixelSpec } from './subpixel.js';
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

/**
 * A transposed convolution's output left in phase form (`convTranspose3dPhases`): value
 * [n, C, S_d·S_h·S_w, M_d·M_h·M_w] where phase (r_d, r_h, r_w) at (m_d, m_h, m_w) is voxel
 * (S·m + r) of the usual layout. Element-wise ops apply to it as they are.
 */
export interface PhaseForm {
  /** The tensor [n, C, phases, M_d·M_h·M_w]. */
  value: OnnxValue;
  /** Channels C. */
  channels: number;
  /** Stride S per dimension (d, h, w). */
  strides: [number, number, number];
  /** Positions M per phase and dimension; the usual size is S·M. */
  m: [number, number, number];
  /** S_d·S_h·S_w. */
  phases: number;
}

const triple = (x: number | readonly number[]): [number, number, number] =>
  typeof x === 'number' ? [x, x, x] : [x[0]!, x[1]!, x[2]!];

/** The `SubPixelSpec` of a transposed convolution on spatial input `input` with kernel `kernel` and PyTorch's arguments. */
function subPixelSpec(input: [number, number, number], kernel: [number, number, number], options: SubPixelOptions): SubPixelSpec {
  const pad = options.padding ?? 0;
  const pads = typeof pad === 'number' ? [pad, pad, pad, pad, pad, pad] : pad.length === 3 ? [...pad, ...pad] : [...pad];
  return { kernel, stride: triple(options.stride ?? 2), pads, outputPadding: triple(options.outputPadding ?? 0), input };
}

/** Typed ONNX graph builder: inputs, initializers, one method per op, composite layers, `toBytes()`. */
export class OnnxGraphBuilder extends OnnxOps {
  /**
   * Applies an activation by name ('linear' returns x unchanged). The softmax runs over the
   * channels, as TF.js's over its last axis: axis 1 of [n, features] or of a channels-first
   * [n, C, d, h, w] (opset ≥ 13 for rank > 2, where Softmax is over one axis).
   */
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
      case 'softmax': {
        const rank = x.shape?.length ?? 2;
        if (rank > 2 && this.opset < 13) throw new InvalidArgumentError(`activation: a softmax over the channels of a rank-${rank} input needs opset ≥ 13, this graph uses ${this.opset}`);
        return this.softmax(x, rank > 2 ? 1 : -1);
      }
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
    const r = this.subPixelConv(x, w, b, options);
    if ('value' in r) return r.value;
    const { y, cout, plan: [D, H, W] } = r;
    const phased = this.alignedPhases(y, cout, [D, H, W], 1);
    const z = this.phaseShuffle(phased, cout, [D.s, H.s, W.s], [D.m, H.m, W.m]);
    return this.trimmed(z, [D.m * D.s, H.m * H.s, W.m * W.s], [D.out, H.out, W.out]);
  }

  /**
   * The same transposed convolution left in phase form (`PhaseForm`: no pixel shuffle), for a
   * following stride-1 convolution to read (`conv3dFromPhases`); null where that form does not
   * hold the output exactly: every stride 1, a one-voxel input, or an output the shuffle would trim.
   */
  convTranspose3dPhases(x: OnnxValue, w: RawTensor, b: RawTensor | undefined, options: SubPixelOptions = {}): PhaseForm | null {
    const s = x.shape;
    if (!s || s.length !== 5 || s.slice(2).some((d) => d === null) || (s[2] === 1 && s[3] === 1 && s[4] === 1) || w.shape.length !== 5) return null;
    const spec = subPixelSpec(s.slice(2) as [number, number, number], w.shape.slice(2) as [number, number, number], options);
    if (spec.stride.every((v) => v === 1) || subPixelPlan(spec).some((p) => p.m * p.s !== p.out)) return null;
    const r = this.subPixelConv(x, w, b, options);
    if ('value' in r) return null;
    const { y, cout, plan: [D, H, W] } = r;
    return { value: this.alignedPhases(y, cout, [D, H, W], 2), channels: cout, strides: [D.s, H.s, W.s], m: [D.m, H.m, W.m], phases: D.s * H.s * W.s };
  }

  /**
   * Per-channel layer normalisation (`layerNormalization` over (D, H, W)) of a tensor in phase
   * form: the statistics over a channel's phases and positions, γ and β (D, H, W) rearranged to
   * (phase, position). The result stays in phase form.
   */
  layerNormalizationPhases(p: PhaseForm, gamma: RawTensor, beta: RawTensor, epsilon = 1e-5): PhaseForm {
    const [sd, sh, sw] = p.strides;
    const [md, mh, mw] = p.m;
    const [D, H, W] = [sd * md, sh * mh, sw * mw];
    if (gamma.data.length !== D * H * W || beta.data.length !== D * H * W) throw new InvalidArgumentError(`layerNormalizationPhases: γ and β must hold ${D}×${H}×${W} values, got ${gamma.data.length} and ${beta.data.length}`);
    const place = (v: RawTensor): Float32Array => {
      const out = new Float32Array(D * H * W);
      let j = 0;
      for (let rd = 0; rd < sd; rd++) for (let rh = 0; rh < sh; rh++) for (let rw = 0; rw < sw; rw++)
        for (let a = 0; a < md; a++) for (let c = 0; c < mh; c++) for (let e = 0; e < mw; e++) out[j++] = Number(v.data[((a * sd + rd) * H + c * sh + rh) * W + e * sw + rw]);
      return out;
    };
    const shape = [p.phases, md * mh * mw];
    const value = this.layerNormalization(p.value, { data: place(gamma), shape }, { data: place(beta), shape }, { axis: 2, epsilon });
    return { ...p, value };
  }

  /**
   * A convolution (correlation weights (C_out, C_in, kd, kh, kw), begin/end pads ≥ 0
   * `[d_b, h_b, w_b, d_e, h_e, w_e]`, per dimension stride 1 or the phase form's stride S) of the
   * tensor `p` holds in phase form, written back to the usual layout [n, C_out, D′, H′, W′].
   * Along a stride-1 dimension each output phase reads a window of the input's phases, the output
   * stays in phases and is shuffled at the end, C_out channels only: with the photon generator's
   * last stage (32 channels at 32³ into 1) that replaces the shuffle of 32 channels by one of 1,
   * for (⌈(S + k − 1)/S⌉/k)·S times the direct form's products per dimension (2.4× over three
   * dimensions for k3, S2). Along a dimension with stride S the phases are the input's S
   * neighbours: no extra product and nothing to shuffle (BIB-AE's k2 s2 convolution after a
   * stride-2 stage is a 1×1×1 Conv over the 8 phases).
   */
  conv3dFromPhases(p: PhaseForm, w: RawTensor, b: RawTensor | undefined, pads: readonly number[], strides: readonly [number, number, number] = [1, 1, 1]): OnnxValue {
    if (!(w.data instanceof Float32Array) || w.shape.length !== 5) throw new InvalidArgumentError(`conv3dFromPhases: weights must be float32 (C_out, C_in, kd, kh, kw), got [${w.shape.join(', ')}]`);
    const [cout, cin, ...k] = w.shape as [number, number, number, number, number];
    if (cin !== p.channels) throw new InvalidArgumentError(`conv3dFromPhases: weights expect ${cin} input channels, the phase form holds ${p.channels}`);
    if (pads.length !== 6 || pads.some((v) => !(v >= 0))) throw new InvalidArgumentError(`conv3dFromPhases: pads must be 6 values ≥ 0, got [${pads.join(', ')}]`);
    if (strides.some((v, d) => v !== 1 && v !== p.strides[d])) throw new InvalidArgumentError(`conv3dFromPhases: each stride must be 1 or the phase form's (${p.strides.join(', ')}), got [${strides.join(', ')}]`);
    const dims = [0, 1, 2].map((d) => {
      const s = p.strides[d]!, kk = k[d]!, pb = pads[d]!, m = p.m[d]!;
      // Output phases: S along a stride-1 dimension, 1 where the convolution steps by S.
      const so = strides[d] === 1 ? s : 1;
      const span = s * m + pb + pads[3 + d]! - kk;
      const out = strides[d] === 1 ? span + 1 : Math.floor(span / s) + 1;
      if (out <= 0) throw new InvalidArgumentError(`conv3dFromPhases: output size ${out} ≤ 0 along dimension ${d}`);
      const lo = Math.floor(-pb / s);
      const hi = Math.floor((so - 1 + kk - 1 - pb) / s);
      const ku = hi - lo + 1;
      const q = Math.ceil(out / so);
      const padBegin = -lo;
      const padEnd = Math.max(0, q - 1 + ku - m - padBegin);
      // Output phase r reads input phase ri at window tap u (offset lo + u): original tap t = s·(lo + u) + ri − r + pb.
      const tap = (r: number, ri: number, u: number): number => {
        const t = s * (lo + u) + ri - r + pb;
        return t >= 0 && t < kk ? t : -1;
      };
      return { s, so, ku, q, out, padBegin, padEnd, tap, len: m + padBegin + padEnd - ku + 1 };
    });
    const [Dd, Hd, Wd] = dims as [(typeof dims)[0], (typeof dims)[0], (typeof dims)[0]];
    const P = p.phases;
    const Po = Dd.so * Hd.so * Wd.so;
    const vol = Dd.ku * Hd.ku * Wd.ku;
    const [kd, kh, kw] = k as [number, number, number];
    const wp = new Float32Array(Po * cout * cin * P * vol);
    // Output channel (phase r, co), phase-major; input channel (ci, phase ri), as the phase form holds them.
    for (let rd = 0; rd < Dd.so; rd++) for (let rh = 0; rh < Hd.so; rh++) for (let rw = 0; rw < Wd.so; rw++) {
      const r = (rd * Hd.so + rh) * Wd.so + rw;
      for (let co = 0; co < cout; co++) for (let ci = 0; ci < cin; ci++)
        for (let id = 0; id < Dd.s; id++) for (let ih = 0; ih < Hd.s; ih++) for (let iw = 0; iw < Wd.s; iw++) {
          const ic = ci * P + (id * Hd.s + ih) * Wd.s + iw;
          const base = ((r * cout + co) * cin * P + ic) * vol;
          for (let ud = 0; ud < Dd.ku; ud++) {
            const td = Dd.tap(rd, id, ud);
            if (td < 0) continue;
            for (let uh = 0; uh < Hd.ku; uh++) {
              const th = Hd.tap(rh, ih, uh);
              if (th < 0) continue;
              for (let uw = 0; uw < Wd.ku; uw++) {
                const tw = Wd.tap(rw, iw, uw);
                if (tw < 0) continue;
                wp[base + (ud * Hd.ku + uh) * Wd.ku + uw] = w.data[((co * cin + ci) * kd + td) * kh * kw + th * kw + tw]!;
              }
            }
          }
        }
    }
    const bias = b ? Float32Array.from({ length: Po * cout }, (_, j) => Number(b.data[j % cout])) : undefined;
    const x = this.reshape(p.value, [-1, cin * P, ...p.m]);
    let y = this.conv3d(x, { data: wp, shape: [Po * cout, cin * P, Dd.ku, Hd.ku, Wd.ku] }, bias ? { data: bias, shape: [Po * cout] } : undefined, { pads: [Dd.padBegin, Hd.padBegin, Wd.padBegin, Dd.padEnd, Hd.padEnd, Wd.padEnd] });
    if (dims.some((d) => d.len !== d.q)) y = this.slice(y, [0, 0, 0], [Dd.q, Hd.q, Wd.q], [2, 3, 4]);
    const z = this.phaseShuffle(y, cout, [Dd.so, Hd.so, Wd.so], [Dd.q, Hd.q, Wd.q]);
    return this.trimmed(z, dims.map((d) => d.q * d.so), [Dd.out, Hd.out, Wd.out]);
  }

  /** `z` [n, C, …full] cut to its first `out` positions per spatial dimension (z itself where they agree). */
  private trimmed(z: OnnxValue, full: readonly number[], out: readonly number[]): OnnxValue {
    return full.every((n, k) => n === out[k]) ? z : this.slice(z, [0, 0, 0], out, [2, 3, 4]);
  }

  /**
   * The sub-pixel Conv of `convTranspose3dSubPixel` (before any slice or shuffle), or the whole
   * result (`value`) for a one-voxel input, which is one Gemm.
   */
  private subPixelConv(x: OnnxValue, w: RawTensor, b: RawTensor | undefined, options: SubPixelOptions): { value: OnnxValue } | { y: OnnxValue; cout: number; plan: [SubPixelDimPlan, SubPixelDimPlan, SubPixelDimPlan] } {
    if (!(w.data instanceof Float32Array) || w.shape.length !== 5) {
      throw new InvalidArgumentError(`convTranspose3dSubPixel: weights must be float32 (C_in, C_out, kd, kh, kw), got [${w.shape.join(', ')}]`);
    }
    const s = x.shape;
    if (!s || s.length !== 5 || s.slice(2).some((d) => d === null)) {
      throw new InvalidArgumentError(`convTranspose3dSubPixel: input needs rank 5 with known spatial size; got [${s?.join(', ') ?? 'unknown'}]`);
    }
    const [cin, cout, kd, kh, kw] = w.shape as [number, number, number, number, number];
    if (s[1] !== null && s[1] !== cin) throw new InvalidArgumentError(`convTranspose3dSubPixel: input has ${s[1]} channels, weights expect ${cin}`);
    const spec = subPixelSpec(s.slice(2) as [number, number, number], [kd, kh, kw], options);
    if (s[2] === 1 && s[3] === 1 && s[4] === 1 && spec.pads.every((p) => p === 0) && spec.outputPadding.every((o) => o === 0)) {
      // One input voxel, no cropping (the generators' 1³ → k³ stems): an outer product, out[co, a, b, c] =
      // Σ_ci x[ci]·w[ci, co, a, b, c] + b[co], whatever the stride. One Gemm: ONNX Runtime ran the
      // padded Conv of the general form at 1.1 ms of a 16 ms pion shower.
      const k3 = kd * kh * kw;
      const bias = b ? Float32Array.from({ length: cout * k3 }, (_, j) => (b.data as Float32Array)[Math.floor(j / k3)]!) : undefined;
      const y = this.gemm(this.reshape(x, [-1, cin]), { data: w.data, shape: [cin, cout * k3] }, bias ? { data: bias, shape: [cout * k3] } : undefined);
      return { value: this.reshape(y, [-1, cout, kd, kh, kw]) };
    }
    const bias = b ? (b.data as Float32Array) : undefined;
    const sp = subPixelWeights(w.data, bias, cin, cout, spec);
    const [D, H, W] = sp.plan;
    const pp = [D.padBegin, H.padBegin, W.padBegin, D.padEnd, H.padEnd, W.padEnd];
    const y = this.conv3d(x, { data: sp.weights, shape: sp.weightShape }, sp.bias ? { data: sp.bias, shape: [sp.bias.length] } : undefined, { pads: pp });
    return { y, cout, plan: sp.plan };
  }

  /**
   * Each phase's M outputs of the sub-pixel Conv `y` (they start where its window does: one Slice
   * per phase, then a Concat; one Conv per phase, each on its own M outputs, was slower in ONNX
   * Runtime: 32-channel GEMMs). `axis` 1 keeps the Conv's phase-major channels [n, S³·C, M…];
   * axis 2 gives the phase form [n, C, S³, M_d·M_h·M_w].
   */
  private alignedPhases(y: OnnxValue, cout: number, [D, H, W]: readonly [SubPixelDimPlan, SubPixelDimPlan, SubPixelDimPlan], axis: 1 | 2): OnnxValue {
    const aligned = [D, H, W].every((p) => p.offsets.every((o) => o === 0) && p.convOut === p.m);
    const plane = D.m * H.m * W.m;
    if (aligned && axis === 1) return y;
    if (aligned) return this.transpose(this.reshape(y, [-1, D.s * H.s * W.s, cout, plane]), [0, 2, 1, 3]);
    const parts: OnnxValue[] = [];
    for (let rd = 0; rd < D.s; rd++) for (let rh = 0; rh < H.s; rh++) for (let rw = 0; rw < W.s; rw++) {
      const p = (rd * H.s + rh) * W.s + rw;
      const o = [D.offsets[rd]!, H.offsets[rh]!, W.offsets[rw]!];
      const part = this.slice(y, [p * cout, ...o], [(p + 1) * cout, o[0]! + D.m, o[1]! + H.m, o[2]! + W.m], [1, 2, 3, 4]);
      parts.push(axis === 1 ? part : this.reshape(part, [-1, cout, 1, plane]));
    }
    return parts.length === 1 ? parts[0]! : this.concat(parts, axis);
  }
}
