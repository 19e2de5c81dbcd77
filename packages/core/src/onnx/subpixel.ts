/**
 * Sub-pixel rewrite of a strided 3-D transposed convolution (Shi et al. 2016, "Real-time
 * single image and video super-resolution using an efficient sub-pixel convolutional neural
 * network", arXiv:1609.05158; the equivalence of transposed convolution and sub-pixel
 * convolution is their §2.2 and Shi et al. 2016b, arXiv:1609.07009).
 *
 * Per spatial dimension a transposed convolution with stride S, kernel k, begin pad p reads
 *   y[o] = Σ_{i, t : o = S·i + t − p} x[i] · w[t].
 * Write o = S·m + r with phase r ∈ [0, S). Then t ≡ (r + p) mod S; with t = S·j + s,
 * s = (r + p) mod S and c_r = (r + p − s) / S, i = m + c_r − j, so
 *   y[S·m + r] = Σ_u x[m + u] · w[S·(c_r − u) + s]   (taps with 0 ≤ S·(c_r − u) + s < k),
 * an ordinary stride-1 correlation per phase over the window x[m + lo_r …]. All S³ phases share
 * one Conv whose kernel is the widest phase's window, each phase's taps at the start of its
 * kernel (zero taps only where a phase has fewer), with S³·C_out output channels; phase r's
 * outputs are the Conv's shifted by its window start (a Slice per phase, then a Concat). Putting
 * every phase on one common window instead (the union of the offsets) would multiply the Conv's
 * work by up to (k/S + 1)³/(k/S)³ — 3.4× for the WGAN's k4 s2 stages, whose phases read
 * {m − 1, m} and {m, m + 1}. A Reshape + Transpose interleaves the phases (3-D pixel shuffle), and
 * a Slice trims to the transposed convolution's output size. The result is exact: every product
 * of the original sum appears once, with nothing added.
 */
import { InvalidArgumentError } from '../errors.js';
import { convTransposeOut } from './shapes.js';

/** Geometry of one transposed convolution for `subPixelPlan`. */
export interface SubPixelSpec {
  /** Kernel size per spatial dimension (d, h, w). */
  kernel: readonly [number, number, number];
  /** Stride per spatial dimension. */
  stride: readonly [number, number, number];
  /** Begin pads then end pads, ONNX order `[d_b, h_b, w_b, d_e, h_e, w_e]`. */
  pads: readonly number[];
  /** PyTorch `output_padding` per dimension. */
  outputPadding: readonly [number, number, number];
  /** Input spatial size (d, h, w). */
  input: readonly [number, number, number];
}

/** Per-dimension plan of the equivalent convolution. */
export interface SubPixelDimPlan {
  /** Kernel size of the equivalent Conv: the most taps any phase has. */
  k: number;
  /** Conv begin pad. */
  padBegin: number;
  /** Conv end pad. */
  padEnd: number;
  /** Output length of the Conv along this dimension. */
  convOut: number;
  /** Outputs per phase (M = ⌈out / S⌉); phase r's outputs are Conv outputs offsets[r] … offsets[r] + M − 1. */
  m: number;
  /** Output size of the transposed convolution. */
  out: number;
  /** Stride (number of phases). */
  s: number;
  /** Per phase r: where its M outputs start in the Conv output (its window's shift). */
  offsets: number[];
  /** For phase r and Conv tap q: index of the transposed-conv kernel tap, or −1 (zero). */
  tap: number[][];
}

function planDim(k: number, s: number, pb: number, pe: number, op: number, n: number): SubPixelDimPlan {
  const out = convTransposeOut(n, k, s, pb, pe, op, 1)!;
  if (out <= 0) throw new InvalidArgumentError(`convTranspose3dSubPixel: output size ${out} ≤ 0 (input ${n}, kernel ${k}, stride ${s})`);
  const phases = Array.from({ length: s }, (_, r) => {
    const sr = (((r + pb) % s) + s) % s;
    const c = (r + pb - sr) / s;
    const taps = Math.max(0, Math.ceil((k - sr) / s));
    return { sr, c, taps, lo: c - taps + 1 };
  });
  const used = phases.filter((p) => p.taps > 0);
  // Each phase reads its own window x[m + lo_r … m + lo_r + taps_r − 1]: one Conv with the widest
  // window, each phase's taps at the start of its kernel and its outputs shifted by its window.
  const kk = Math.max(1, ...phases.map((p) => p.taps));
  const lowest = used.length ? Math.min(...used.map((p) => p.lo)) : 0;
  const base = Math.min(lowest, 0); // Conv pads are ≥ 0: windows right of the input start stay shifted
  const offsets = phases.map((p) => (p.taps > 0 ? p.lo - base : 0));
  const m = Math.ceil(out / s);
  const padBegin = -base;
  const padEnd = Math.max(0, m + Math.max(...offsets) - 1 + kk - n - padBegin);
  const tap = phases.map((p) => Array.from({ length: kk }, (_, q) => {
    const u = p.lo + q;
    const t = s * (p.c - u) + p.sr;
    return q < p.taps && t >= 0 && t < k ? t : -1;
  }));
  return { k: kk, padBegin, padEnd, convOut: n + padBegin + padEnd - kk + 1, m, out, s, offsets, tap };
}

/** Plans the equivalent Conv per dimension; throws for dilation or groups (not supported). */
export function subPixelPlan(spec: SubPixelSpec): [SubPixelDimPlan, SubPixelDimPlan, SubPixelDimPlan] {
  const dims = [0, 1, 2].map((d) =>
    planDim(spec.kernel[d]!, spec.stride[d]!, spec.pads[d]!, spec.pads[3 + d]!, spec.outputPadding[d]!, spec.input[d]!),
  );
  return dims as [SubPixelDimPlan, SubPixelDimPlan, SubPixelDimPlan];
}

/**
 * Weights (and bias) of the equivalent Conv: from ConvTranspose weights (C_in, C_out, kd, kh, kw)
 * to Conv weights (S_d·S_h·S_w·C_out, C_in, Kd, Kh, Kw), output channel (rd, rh, rw, co) row-major
 * (phase-major: each phase's channels are one block).
 */
export function subPixelWeights(
  w: Float32Array,
  bias: Float32Array | undefined,
  cin: number,
  cout: number,
  spec: SubPixelSpec,
): { weights: Float32Array; weightShape: number[]; bias?: Float32Array; plan: ReturnType<typeof subPixelPlan> } {
  const [kd, kh, kw] = spec.kernel;
  if (w.length !== cin * cout * kd * kh * kw) {
    throw new InvalidArgumentError(`convTranspose3dSubPixel: weights hold ${w.length} values, expected ${cin}×${cout}×${kd}×${kh}×${kw}`);
  }
  const plan = subPixelPlan(spec);
  const [D, H, W] = plan;
  const phases = D.s * H.s * W.s;
  const cOut2 = cout * phases;
  const vol = D.k * H.k * W.k;
  const out = new Float32Array(cOut2 * cin * vol);
  for (let co = 0; co < cout; co++)
    for (let rd = 0; rd < D.s; rd++)
      for (let rh = 0; rh < H.s; rh++)
        for (let rw = 0; rw < W.s; rw++) {
          const oc = ((rd * H.s + rh) * W.s + rw) * cout + co;
          for (let ci = 0; ci < cin; ci++)
            for (let qd = 0; qd < D.k; qd++) {
              const td = D.tap[rd]![qd]!;
              if (td < 0) continue;
              for (let qh = 0; qh < H.k; qh++) {
                const th = H.tap[rh]![qh]!;
                if (th < 0) continue;
                for (let qw = 0; qw < W.k; qw++) {
                  const tw = W.tap[rw]![qw]!;
                  if (tw < 0) continue;
                  out[((oc * cin + ci) * D.k + qd) * H.k * W.k + qh * W.k + qw] = w[(((ci * cout + co) * kd + td) * kh + th) * kw + tw]!;
                }
              }
            }
        }
  const result: { weights: Float32Array; weightShape: number[]; bias?: Float32Array; plan: typeof plan } = {
    weights: out,
    weightShape: [cOut2, cin, D.k, H.k, W.k],
    plan,
  };
  if (bias) result.bias = Float32Array.from({ length: cOut2 }, (_, oc) => bias[oc % cout]!);
  return result;
}
