/**
 * Float64 reference implementations in plain JavaScript, and finite differences, against which
 * the TensorFlow.js kernels and gradients are checked. Layout NDHWC, filters [kd, kh, kw, in, out],
 * padding as TensorFlow defines 'same' and 'valid'.
 */
import { expect } from 'vitest';

/** A dense float64 array with its shape. */
export interface Arr {
  data: Float64Array;
  shape: number[];
}

export const arr = (shape: number[], data?: ArrayLike<number>): Arr => ({
  shape,
  data: data ? Float64Array.from(data) : new Float64Array(shape.reduce((a, b) => a * b, 1)),
});

/** Deterministic pseudo-random values in [-1, 1) (an LCG, so tests need no tfjs RNG). */
export function randomArr(shape: number[], seed: number): Arr {
  const a = arr(shape);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < a.data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a.data[i] = s / 2 ** 31 - 1;
  }
  return a;
}

function outSize(n: number, k: number, s: number, pad: 'same' | 'valid'): [number, number] {
  if (pad === 'same') {
    const out = Math.ceil(n / s);
    return [out, Math.floor(Math.max((out - 1) * s + k - n, 0) / 2)];
  }
  return [Math.ceil((n - k + 1) / s), 0];
}

type Visit = (xi: number, wi: number, yi: number) => void;

/** Calls `visit` for every (input, filter, output) index triple of a 3D convolution. */
function eachConv3d(xShape: number[], wShape: number[], s: number, pad: 'same' | 'valid', visit: Visit): number[] {
  const [n, d, h, w, ci] = xShape as [number, number, number, number, number];
  const [kd, kh, kw, , co] = wShape as [number, number, number, number, number];
  const [od, pd] = outSize(d, kd, s, pad);
  const [oh, ph] = outSize(h, kh, s, pad);
  const [ow, pw] = outSize(w, kw, s, pad);
  for (let b = 0; b < n; b++)
    for (let z = 0; z < od; z++)
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++)
          for (let a = 0; a < kd; a++)
            for (let c = 0; c < kh; c++)
              for (let e = 0; e < kw; e++) {
                const iz = z * s + a - pd, iy = y * s + c - ph, ix = x * s + e - pw;
                if (iz < 0 || iz >= d || iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                for (let i = 0; i < ci; i++)
                  for (let o = 0; o < co; o++) {
                    const xi = (((b * d + iz) * h + iy) * w + ix) * ci + i;
                    const wi = (((a * kh + c) * kw + e) * ci + i) * co + o;
                    const yi = (((b * od + z) * oh + y) * ow + x) * co + o;
                    visit(xi, wi, yi);
                  }
              }
  return [n, od, oh, ow, co];
}

/** y = conv3d(x, W) with stride s. */
export function conv3dRef(x: Arr, wt: Arr, s: number, pad: 'same' | 'valid'): Arr {
  const shape = eachConv3d(x.shape, wt.shape, s, pad, () => undefined);
  const y = arr(shape);
  eachConv3d(x.shape, wt.shape, s, pad, (xi, wi, yi) => (y.data[yi]! += x.data[xi]! * wt.data[wi]!));
  return y;
}

/** conv3dTranspose(dy, W, xShape): the adjoint of conv3d(·, W) applied to dy. */
export function conv3dTransposeRef(dy: Arr, wt: Arr, xShape: number[], s: number, pad: 'same' | 'valid'): Arr {
  const x = arr(xShape);
  eachConv3d(xShape, wt.shape, s, pad, (xi, wi, yi) => (x.data[xi]! += dy.data[yi]! * wt.data[wi]!));
  return x;
}

/** ∂/∂W of Σ dy ⊙ conv3d(x, W). */
export function conv3dFilterGradRef(x: Arr, dy: Arr, wShape: number[], s: number, pad: 'same' | 'valid'): Arr {
  const g = arr(wShape);
  eachConv3d(x.shape, wShape, s, pad, (xi, wi, yi) => (g.data[wi]! += x.data[xi]! * dy.data[yi]!));
  return g;
}

/** Central finite differences of a scalar function of a float64 vector (step h). */
export function numericGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  const probe = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    probe[i] = x[i]! + h;
    const up = f(probe);
    probe[i] = x[i]! - h;
    g[i] = (up - f(probe)) / (2 * h);
    probe[i] = x[i]!;
  }
  return g;
}

/** Σ a ⊙ b. */
export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/**
 * Asserts |actual − expected| ≤ atol + rtol · max|expected| elementwise, the float32 tolerance
 * scaled to the size of the values, and reports the worst element.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  const tol = atol + rtol * scale;
  expect(worst, `max abs error ${worst} at ${at} (actual ${actual[at]}, expected ${expected[at]}), tolerance ${tol}`).toBeLessThanOrEqual(tol);
}
