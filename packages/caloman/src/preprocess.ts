/**
 * CaloMan's preprocessing, each step with its inverse (field-reference.md §4.7): layer energies
 * u_l and the incident-energy context c for the EPL flow, and the within-layer voxel fractions
 * ("normalize_to_epl") with an optional sqrt or logit transform for the VAE.
 */
import type { LayerSlice } from '@calozoo/core';
import { InvalidArgumentError } from '@calozoo/core';

/**
 * How layer energies become EPL-flow inputs: `published` is u = log10((E_l + 0.001)/1e5) − 1
 * (MeV, §4.7); `relative` is u = log10(E_l/E_inc + ε), which removes the trivial scaling with
 * the incident energy so the flow only models the response and its fluctuations.
 */
export type EplTransform = 'published' | 'relative';

/** How within-layer fractions f ∈ [0, 1] become VAE inputs: f, √f or logit(ε + (1 − 2ε)f). */
export type VoxelTransform = 'linear' | 'sqrt' | 'logit';

/** Offset of the published EPL transform, MeV (CaloMan code). */
const EPL_OFFSET_MEV = 0.001;
/** ε of the logit voxel transform (CaloMan's DS2/3 convention). */
export const VOXEL_LOGIT_EPSILON = 1e-6;

/** Per-column affine standardisation x' = (x − shift)/scale. */
export interface Standardiser {
  shift: number[];
  scale: number[];
}

/** Fits per-column shift/scale: mean and standard deviation (`std`) or centre and max |x − centre| (`maxabs`); over `rows` of x only when given (n of them). */
export function fitStandardiser(x: Float32Array, n: number, d: number, kind: 'std' | 'maxabs', rows?: ArrayLike<number>): Standardiser {
  const shift: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < d; j++) {
    let s = 0;
    let s2 = 0;
    let mx = 0;
    for (let i = 0; i < n; i++) {
      const v = x[(rows ? rows[i]! : i) * d + j]!;
      s += v;
      s2 += v * v;
      mx = Math.max(mx, Math.abs(v));
    }
    const mean = s / n;
    if (kind === 'std') {
      const sd = Math.sqrt(Math.max(0, s2 / n - mean * mean));
      shift.push(mean);
      scale.push(sd > 1e-8 ? sd : 1);
    } else {
      shift.push(0);
      scale.push(mx > 1e-8 ? mx : 1);
    }
  }
  return { shift, scale };
}

/** Applies a standardiser in place (`inverse` undoes it); returns the array. */
export function standardise(x: Float32Array, st: Standardiser, inverse = false): Float32Array {
  const d = st.shift.length;
  for (let i = 0; i < x.length; i++) {
    const j = i % d;
    x[i] = inverse ? x[i] * st.scale[j] + st.shift[j] : (x[i] - st.shift[j]) / st.scale[j];
  }
  return x;
}

/** EPL-flow inputs [n, L] from layer energies [n, L] (MeV) and incident energies [n] (MeV); `floor`: the relative transform's (config `eplFloor`). */
export function layerEnergiesToEpl(layerE: ArrayLike<number>, energy: ArrayLike<number>, n: number, L: number, kind: EplTransform, floor: number): Float32Array {
  if (layerE.length !== n * L) throw new InvalidArgumentError(`layerEnergiesToEpl: expected ${n}·${L} layer energies, got ${layerE.length}`);
  const out = new Float32Array(n * L);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < L; l++) {
      const e = Math.max(0, layerE[i * L + l]);
      out[i * L + l] =
        kind === 'published' ? Math.log10((e + EPL_OFFSET_MEV) / 1e5) - 1 : Math.log10(e / energy[i] + floor);
    }
  }
  return out;
}

/** Inverse of `layerEnergiesToEpl`: layer energies (MeV, clipped at 0) from EPL values. */
export function eplToLayerEnergies(u: ArrayLike<number>, energy: ArrayLike<number>, n: number, L: number, kind: EplTransform, floor: number): Float64Array {
  const out = new Float64Array(n * L);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < L; l++) {
      const v = u[i * L + l];
      const e = kind === 'published' ? Math.pow(10, v + 1) * 1e5 - EPL_OFFSET_MEV : (Math.pow(10, v) - floor) * energy[i];
      out[i * L + l] = Number.isFinite(e) ? Math.max(0, e) : 0;
    }
  }
  return out;
}

/** Context of the EPL flow: c = log10(E_inc + 0.001), E_inc in MeV (§4.7). */
export function energyContext(energy: ArrayLike<number>): Float32Array {
  const out = new Float32Array(energy.length);
  for (let i = 0; i < energy.length; i++) out[i] = Math.log10(energy[i] + EPL_OFFSET_MEV);
  return out;
}

/** Applies a voxel transform to fractions in place. */
export function voxelForward(f: Float32Array, kind: VoxelTransform): Float32Array {
  if (kind === 'linear') return f;
  const eps = VOXEL_LOGIT_EPSILON;
  for (let i = 0; i < f.length; i++) {
    const v = Math.min(1, Math.max(0, f[i]));
    if (kind === 'sqrt') f[i] = Math.sqrt(v);
    else {
      const p = eps + (1 - 2 * eps) * v;
      f[i] = Math.log(p / (1 - p));
    }
  }
  return f;
}

/** Inverse of `voxelForward` in place, giving non-negative fractions. */
export function voxelInverse(x: Float32Array, kind: VoxelTransform): Float32Array {
  const eps = VOXEL_LOGIT_EPSILON;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (kind === 'linear') x[i] = Math.max(0, v);
    else if (kind === 'sqrt') x[i] = v > 0 ? v * v : 0;
    else x[i] = Math.max(0, (1 / (1 + Math.exp(-v)) - eps) / (1 - 2 * eps));
  }
  return x;
}

/**
 * Turns fractions [n, V] into MeV: each layer's fractions are clipped to [lo, hi] (per voxel,
 * the training range), renormalised to sum to one and multiplied by the layer energy; voxels
 * below `thresholdMeV` are then zeroed and, when `keepLayerEnergy`, the survivors rescaled so the
 * layer still carries its energy (CaloChallenge's 1 MeV cut, field-reference.md §1.5).
 * With `hitFloor` (zero-inflated decoders, whose non-zero fractions are drawn hits), a hit is a
 * cell the readout kept, so it is not cut: hits below the threshold are raised to it and, when
 * `keepLayerEnergy`, the layer's energy above m·threshold (m hits) is shared in proportion to each
 * hit's excess over the threshold. A layer with too little energy for its m hits (e < m·threshold)
 * or no excess falls back to the cut and rescale.
 */
export function fractionsToShowers(
  fractions: Float32Array,
  layerE: ArrayLike<number>,
  n: number,
  voxels: number,
  slices: readonly LayerSlice[],
  o: { lo?: Float32Array; hi?: Float32Array; thresholdMeV: number; keepLayerEnergy: boolean; hitFloor?: boolean },
): Float32Array {
  const L = slices.length;
  const t = o.thresholdMeV;
  const out = new Float32Array(n * voxels);
  for (let i = 0; i < n; i++) {
    const row = i * voxels;
    for (let l = 0; l < L; l++) {
      const { start, end } = slices[l];
      const e = Math.max(0, layerE[i * L + l]);
      let s = 0;
      for (let v = start; v < end; v++) {
        let f = Math.max(0, fractions[row + v]);
        // Clipping keeps a hit within the training range; under the hit floor a miss stays a miss.
        if (o.lo && o.hi && (f > 0 || !o.hitFloor)) f = Math.min(o.hi[v], Math.max(o.lo[v], f));
        out[row + v] = f;
        s += f;
      }
      if (!(s > 0) || !(e > 0)) {
        for (let v = start; v < end; v++) out[row + v] = 0;
        continue;
      }
      for (let v = start; v < end; v++) out[row + v] = (out[row + v] / s) * e;
      if (o.hitFloor) {
        let m = 0;
        let excess = 0;
        for (let v = start; v < end; v++) {
          const x = out[row + v];
          if (x > 0) {
            m++;
            excess += Math.max(x, t) - t;
          }
        }
        if (!o.keepLayerEnergy) {
          for (let v = start; v < end; v++) if (out[row + v] > 0) out[row + v] = Math.max(out[row + v], t);
          continue;
        }
        if (m * t <= e && excess > 0) {
          const k = (e - m * t) / excess;
          for (let v = start; v < end; v++) {
            const x = out[row + v];
            if (x > 0) out[row + v] = t + (Math.max(x, t) - t) * k;
          }
          continue;
        }
      }
      let kept = 0;
      for (let v = start; v < end; v++) {
        const x = out[row + v];
        const y = x >= t ? x : 0;
        out[row + v] = y;
        kept += y;
      }
      if (o.keepLayerEnergy && kept > 0 && kept < e) {
        const k = e / kept;
        for (let v = start; v < end; v++) out[row + v] *= k;
      }
    }
  }
  return out;
}

/** Zeroes voxels below `thresholdMeV` in a copy of `values` (`inPlace`: in `values` itself). */
export function thresholded(values: Float32Array, thresholdMeV: number, options: { inPlace?: boolean } = {}): Float32Array {
  const out = options.inPlace ? values : new Float32Array(values);
  if (thresholdMeV > 0) for (let i = 0; i < out.length; i++) if (out[i] < thresholdMeV) out[i] = 0;
  return out;
}

/** The 0/1 voxel→layer membership matrix [voxels, layers], row-major (per-layer sums as one MatMul). */
export function layerMembership(slices: readonly Pick<LayerSlice, 'start' | 'end'>[], voxels: number): Float32Array {
  const L = slices.length;
  const m = new Float32Array(voxels * L);
  slices.forEach(({ start, end }, l) => {
    for (let v = start; v < end; v++) m[v * L + l] = 1;
  });
  return m;
}
