/**
 * Conformance checks every bijector must pass (nflows' `TransformTest`, zuko's Jacobian check),
 * as a vitest suite that third-party transforms can run too: shapes and finiteness, the inverse
 * round trip, log|det J| against a float64 finite-difference Jacobian, and compose/invert identities.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@calozoo/core';
import { compose, invert, type Bijector } from './bijector.js';

/** Options of `bijectorConformance`. */
export interface BijectorConformanceOptions {
  dim: number;
  contextDim?: number;
  /** Suite name (defaults to "bijector"). */
  name?: string;
  /** Rows of random inputs, drawn N(0, scale²). */
  batch?: number;
  scale?: number;
  seed?: number;
  /** Extra input rows to check, e.g. bin edges or points in the linear tails. */
  points?: number[][];
  /** Max |inverse(forward(x)) − x| (float32). */
  roundTripTolerance?: number;
  /** Max |logDet − log|det J_fd|| in nats. */
  jacobianTolerance?: number;
  /** Finite-difference step. */
  step?: number;
}

/** log|det A| of a square float64 matrix by LU with partial pivoting. */
export function logAbsDet(a: Float64Array, n: number): number {
  const m = Float64Array.from(a);
  let s = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i * n + k]) > Math.abs(m[p * n + k])) p = i;
    if (p !== k) for (let j = 0; j < n; j++) [m[k * n + j], m[p * n + j]] = [m[p * n + j], m[k * n + j]];
    const piv = m[k * n + k];
    if (piv === 0) return -Infinity;
    s += Math.log(Math.abs(piv));
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k] / piv;
      for (let j = k; j < n; j++) m[i * n + j] -= f * m[k * n + j];
    }
  }
  return s;
}

/**
 * Finite-difference Jacobian log-determinants of `fn` at each row of `x`: central differences at
 * steps h and h/2 combined by Richardson extrapolation (2·D(h/2) − D(h)), which also removes the
 * O(h) error where the second derivative jumps (spline knots). One batched float32 evaluation of
 * all perturbed copies; the Jacobian and its determinant are accumulated in float64.
 */
export function finiteDifferenceLogDets(
  fn: (x: tf.Tensor2D, c?: tf.Tensor2D) => tf.Tensor2D,
  x: number[][],
  context: number[][] | undefined,
  step: number,
): number[] {
  const d = x[0].length;
  const offsets = [step, -step, step / 2, -step / 2];
  const rows: number[][] = [];
  const ctxRows: number[][] = [];
  x.forEach((p, r) => {
    for (let j = 0; j < d; j++) {
      for (const o of offsets) {
        const q = p.slice();
        q[j] += o;
        rows.push(q);
        if (context) ctxRows.push(context[r]);
      }
    }
  });
  const out = tf.tidy(() => fn(tf.tensor2d(rows), context ? tf.tensor2d(ctxRows) : undefined).arraySync());
  return x.map((_, r) => {
    const jac = new Float64Array(d * d);
    for (let j = 0; j < d; j++) {
      const base = (r * d + j) * offsets.length;
      const [p1, m1, p2, m2] = [out[base], out[base + 1], out[base + 2], out[base + 3]];
      for (let i = 0; i < d; i++) {
        const coarse = (p1[i] - m1[i]) / (2 * step);
        const fine = (p2[i] - m2[i]) / step;
        jac[i * d + j] = 2 * fine - coarse;
      }
    }
    return logAbsDet(jac, d);
  });
}

/** Adds N(0, scale²) noise to every trainable variable, so checks do not run at an identity initialisation. */
export function perturbVariables(b: Bijector, rng: Rng, scale = 0.3): void {
  for (const v of Object.values(b.variables?.() ?? {})) {
    if (!v.trainable) continue;
    const noise = rng.fillNormal(new Float32Array(v.size));
    tf.tidy(() => v.assign(tf.add(v, tf.mul(scale, tf.tensor(noise, v.shape)))));
  }
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/**
 * Registers a vitest suite checking `makeBijector`'s output against the bijector contract.
 * Tolerances (float32 forward passes, float64 accumulation): round trip 1e-4 max abs error,
 * log-determinant 1e-2 nats against the Richardson-extrapolated central-difference Jacobian
 * with step 1e-3.
 */
export function bijectorConformance(makeBijector: (rng: Rng) => Bijector | Promise<Bijector>, options: BijectorConformanceOptions): void {
  const { dim, contextDim = 0, batch = 24, scale = 1.5, seed = 1234 } = options;
  const rtTol = options.roundTripTolerance ?? 1e-4;
  const jacTol = options.jacobianTolerance ?? 1e-2;
  const step = options.step ?? 1e-3;
  describe(`${options.name ?? 'bijector'} conformance (dim ${dim}, context ${contextDim})`, () => {
    const rng = new Rng(seed);
    const rows: number[][] = [];
    for (let i = 0; i < batch; i++) rows.push(Array.from({ length: dim }, () => scale * rng.normal()));
    for (const p of options.points ?? []) rows.push(p.slice());
    const ctxRows = contextDim > 0 ? rows.map(() => Array.from({ length: contextDim }, () => rng.normal())) : undefined;
    const n = rows.length;
    const get = async () => {
      const b = await makeBijector(new Rng(seed + 1));
      const x = tf.tensor2d(rows);
      const c = ctxRows ? tf.tensor2d(ctxRows) : undefined;
      return { b, x, c };
    };

    it('returns finite outputs of the right shapes', async () => {
      const { b, x, c } = await get();
      const f = b.forward(x, c);
      expect(f.y.shape).toEqual([n, dim]);
      expect(f.logDet.shape).toEqual([n]);
      const i = b.inverse(x, c);
      expect(i.x.shape).toEqual([n, dim]);
      expect(i.logDet.shape).toEqual([n]);
      for (const t of [f.y, f.logDet, i.x, i.logDet]) for (const v of t.dataSync()) expect(Number.isFinite(v)).toBe(true);
    });

    it(`inverse(forward(x)) ≈ x within ${rtTol} and forward(inverse(y)) ≈ y, with log-dets cancelling`, async () => {
      const { b, x, c } = await get();
      const f = b.forward(x, c);
      const back = b.inverse(f.y, c);
      expect(maxAbsDiff(back.x, x)).toBeLessThan(rtTol);
      expect(maxAbsDiff(tf.add(f.logDet, back.logDet), tf.zeros([n]))).toBeLessThan(10 * rtTol * Math.max(1, dim));
      const i = b.inverse(x, c);
      expect(maxAbsDiff(b.forward(i.x, c).y, x)).toBeLessThan(rtTol);
    });

    it(`forward and inverse log|det J| match a finite-difference Jacobian within ${jacTol} nats`, async () => {
      const { b, x, c } = await get();
      for (const dir of ['forward', 'inverse'] as const) {
        const fn = (v: tf.Tensor2D, cc?: tf.Tensor2D) => (dir === 'forward' ? b.forward(v, cc).y : b.inverse(v, cc).x);
        const fd = finiteDifferenceLogDets(fn, rows, ctxRows, step);
        const ld = (dir === 'forward' ? b.forward(x, c).logDet : b.inverse(x, c).logDet).dataSync();
        fd.forEach((v, r) => {
          expect(Math.abs(v - ld[r]), `${dir} row ${r} [${rows[r].map((q) => q.toFixed(3))}]`).toBeLessThan(jacTol);
        });
      }
    });

    it('satisfies the compose/invert identities', async () => {
      const { b, x, c } = await get();
      const f = b.forward(x, c);
      const inv = invert(b);
      const g = inv.inverse(x, c);
      expect(maxAbsDiff(g.x, f.y)).toBe(0);
      expect(maxAbsDiff(g.logDet, f.logDet)).toBe(0);
      expect(maxAbsDiff(invert(inv).forward(x, c).y, f.y)).toBe(0);
      const id = compose(b, inv).forward(x, c);
      expect(maxAbsDiff(id.y, x)).toBeLessThan(rtTol);
      expect(maxAbsDiff(id.logDet, tf.zeros([n]))).toBeLessThan(10 * rtTol * Math.max(1, dim));
      const twice = compose(b, b).forward(x, c);
      const manual = b.forward(f.y, c);
      expect(maxAbsDiff(twice.y, manual.y)).toBeLessThan(1e-6);
      expect(maxAbsDiff(twice.logDet, tf.add(f.logDet, manual.logDet))).toBeLessThan(1e-4);
    });
  });
}
