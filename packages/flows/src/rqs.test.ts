import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, selectTfBackend } from '@calozoo/core';
import { MIN_BIN_HEIGHT, MIN_BIN_WIDTH, MIN_DERIVATIVE, rqsForward, rqsForwardTaped, rqsInverse, rqsParamCount } from './rqs.js';

/** Independent float64 scalar implementation straight from field-reference.md §4.8. */
function refKnots(raw: number[], K: number, B: number) {
  const sm = (l: number[]) => {
    const m = Math.max(...l);
    const e = l.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  };
  const cum = (l: number[], mn: number) => {
    const s = sm(l).map((p) => mn + (1 - K * mn) * p);
    const out = [-B];
    let c = 0;
    for (let k = 0; k < K - 1; k++) {
      c += s[k];
      out.push(2 * B * c - B);
    }
    out.push(B);
    return out;
  };
  const xk = cum(raw.slice(0, K), MIN_BIN_WIDTH);
  const yk = cum(raw.slice(K, 2 * K), MIN_BIN_HEIGHT);
  const dk = [1, ...raw.slice(2 * K).map((v) => MIN_DERIVATIVE + Math.log1p(Math.exp(v))), 1];
  return { xk, yk, dk };
}
function refForward(x: number, raw: number[], K: number, B: number): [number, number] {
  if (x < -B || x > B) return [x, 0];
  const { xk, yk, dk } = refKnots(raw, K, B);
  let k = 0;
  while (k < K - 1 && x >= xk[k + 1]) k++;
  const w = xk[k + 1] - xk[k];
  const h = yk[k + 1] - yk[k];
  const s = h / w;
  const xi = (x - xk[k]) / w;
  const den = s + (dk[k] + dk[k + 1] - 2 * s) * xi * (1 - xi);
  const y = yk[k] + (h * (s * xi * xi + dk[k] * xi * (1 - xi))) / den;
  const der = (s * s * (dk[k + 1] * xi * xi + 2 * s * xi * (1 - xi) + dk[k] * (1 - xi) ** 2)) / (den * den);
  return [y, Math.log(der)];
}

const K = 5;
const B = 2;
const P = rqsParamCount(K);

function randomRaw(rng: Rng, n: number, f: number, scale = 1.5): Float32Array {
  const a = new Float32Array(n * f * P);
  for (let i = 0; i < a.length; i++) a[i] = scale * rng.normal();
  return a;
}

beforeAll(async () => {
  await selectTfBackend({ backend: 'cpu' });
});

describe('rational-quadratic spline', () => {
  it('matches an independent float64 implementation, inside and in the tails', () => {
    const rng = new Rng(1);
    const n = 400;
    const raw = randomRaw(rng, n, 1);
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i++) xs[i] = -3 + (6 * i) / (n - 1);
    const { y, logDet } = rqsForward(tf.tensor2d(xs, [n, 1]), tf.tensor3d(raw, [n, 1, P]), { bins: K, tailBound: B });
    const yv = y.dataSync();
    const lv = logDet.dataSync();
    for (let i = 0; i < n; i++) {
      const [ry, rl] = refForward(xs[i], Array.from(raw.subarray(i * P, (i + 1) * P)), K, B);
      expect(Math.abs(yv[i] - ry)).toBeLessThan(1e-5);
      expect(Math.abs(lv[i] - rl)).toBeLessThan(1e-4);
    }
  });

  it('maps every x-knot to its y-knot and inverts there (bin edges)', () => {
    const rng = new Rng(2);
    const raw = Array.from(randomRaw(rng, 1, 1));
    const { xk, yk } = refKnots(raw, K, B);
    const n = xk.length;
    const rawT = tf.tensor3d(Array.from({ length: n }, () => raw).flat(), [n, 1, P]);
    const { y } = rqsForward(tf.tensor2d(xk, [n, 1]), rawT, { bins: K, tailBound: B });
    const yv = y.dataSync();
    for (let k = 0; k < n; k++) expect(Math.abs(yv[k] - yk[k])).toBeLessThan(1e-5);
    const { x } = rqsInverse(tf.tensor2d(yk, [n, 1]), rawT, { bins: K, tailBound: B });
    const xv = x.dataSync();
    for (let k = 0; k < n; k++) expect(Math.abs(xv[k] - xk[k])).toBeLessThan(1e-4);
  });

  it('inverse(forward(x)) = x with opposite log-derivatives, including extreme parameters', () => {
    const rng = new Rng(3);
    const n = 2000;
    const raw = randomRaw(rng, n, 1, 3);
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i++) xs[i] = 2.5 * (2 * rng.uniform() - 1);
    const r = tf.tensor3d(raw, [n, 1, P]);
    const f = rqsForward(tf.tensor2d(xs, [n, 1]), r, { bins: K, tailBound: B });
    const inv = rqsInverse(f.y, r, { bins: K, tailBound: B });
    const xv = inv.x.dataSync();
    const fl = f.logDet.dataSync();
    const s = tf.add(f.logDet, inv.logDet).dataSync();
    let checked = 0;
    for (let i = 0; i < n; i++) {
      expect(Number.isFinite(xv[i]) && Number.isFinite(s[i])).toBe(true);
      // Where dy/dx < e^-5 the float32 resolution of y alone moves x by more than 1e-4.
      if (fl[i] < -5) continue;
      checked++;
      expect(Math.abs(xv[i] - xs[i])).toBeLessThan(1e-4);
      // log g′ varies on the scale of the narrowest bin (≥ 2B·1e-3), so a 1e-4 error in x moves it ~1e-3.
      expect(Math.abs(s[i])).toBeLessThan(5e-3);
    }
    expect(checked).toBeGreaterThan(0.6 * n);
  });

  it('is strictly increasing', () => {
    const raw = randomRaw(new Rng(4), 1, 1, 3);
    const n = 1000;
    const xs = Float32Array.from({ length: n }, (_, i) => -B + (2 * B * i) / (n - 1));
    const rawT = tf.tile(tf.tensor3d(raw, [1, 1, P]), [n, 1, 1]) as tf.Tensor3D;
    const yv = rqsForward(tf.tensor2d(xs, [n, 1]), rawT, { bins: K, tailBound: B }).y.dataSync();
    for (let i = 1; i < n; i++) expect(yv[i]).toBeGreaterThan(yv[i - 1]);
  });

  it('has finite gradients when every input lies in the tails or on a knot (nflows #23, #87)', () => {
    const raw = tf.variable(tf.tensor3d(randomRaw(new Rng(5), 4, 1), [4, 1, P]));
    for (const xs of [
      [-5, 7, -2.0000001, 1e6],
      [-B, B, 0, -B],
    ]) {
      const x = tf.variable(tf.tensor2d(xs, [4, 1]));
      const g = tf.grads((xx: tf.Tensor, rr: tf.Tensor) => {
        const f = rqsForward(xx as tf.Tensor2D, rr as tf.Tensor3D, { bins: K, tailBound: B });
        const i = rqsInverse(f.y, rr as tf.Tensor3D, { bins: K, tailBound: B });
        return tf.add(tf.sum(tf.add(f.y, f.logDet)), tf.sum(tf.add(i.x, i.logDet)));
      })([x, raw]);
      for (const t of g) for (const v of t.dataSync()) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('hand-written gradient: same values and gradients as the taped spline, and as float64 finite differences', () => {
    const rng = new Rng(8);
    for (const [bins, logitScale] of [[K, 1], [K, 0.3], [1, 1], [2, 0.5]] as const) {
      const p = rqsParamCount(bins);
      const n = 64, f = 3;
      const o = { bins, tailBound: B, logitScale };
      const xs = Float32Array.from({ length: n * f }, () => 3 * rng.normal());
      xs.set([-B, B, 0, 2.5, -7], 0);
      const raw = Float32Array.from({ length: n * f * p }, () => 1.5 * rng.normal());
      const r1 = tf.tensor2d(Float32Array.from({ length: n * f }, () => rng.normal()), [n, f]);
      const r2 = tf.tensor2d(Float32Array.from({ length: n * f }, () => rng.normal()), [n, f]);
      const loss = (fn: typeof rqsForward) => (xx: tf.Tensor, rr: tf.Tensor) => {
        const out = fn(xx as tf.Tensor2D, rr as tf.Tensor3D, o);
        return tf.add(tf.sum(tf.mul(r1, out.y)), tf.sum(tf.mul(r2, out.logDet)));
      };
      const x = tf.tensor2d(xs, [n, f]), rawT = tf.tensor3d(raw, [n, f, p]);
      const a = rqsForward(x, rawT, o), b = rqsForwardTaped(x, rawT, o);
      expect(Array.from(a.y.dataSync())).toEqual(Array.from(b.y.dataSync()));
      expect(Array.from(a.logDet.dataSync())).toEqual(Array.from(b.logDet.dataSync()));
      const [gx, gr] = tf.grads(loss(rqsForward))([x, rawT]);
      const [tx, tr] = tf.grads(loss(rqsForwardTaped))([x, rawT]);
      for (const [mine, ref] of [[gx!, tx!], [gr!, tr!]] as const) {
        const m = mine.dataSync(), rf = ref.dataSync();
        const scale = Math.max(...Array.from(rf, Math.abs));
        for (let i = 0; i < m.length; i++) expect(Math.abs(m[i]! - rf[i]!)).toBeLessThan(2e-5 * scale + 1e-6);
      }
    }
    // Float64 finite differences of the reference implementation, one row at a time (logit scale 1).
    const rows = 6;
    const raw = randomRaw(rng, rows, 1);
    const xs = Float32Array.from([-1.7, -0.3, 0.05, 0.9, 1.6, 3.1]);
    const [gx, gr] = tf.grads((xx: tf.Tensor, rr: tf.Tensor) => {
      const out = rqsForward(xx as tf.Tensor2D, rr as tf.Tensor3D, { bins: K, tailBound: B });
      return tf.add(tf.sum(out.y), tf.sum(tf.mul(0.5, out.logDet)));
    })([tf.tensor2d(xs, [rows, 1]), tf.tensor3d(raw, [rows, 1, P])]);
    const gxv = gx!.dataSync(), grv = gr!.dataSync();
    const h = 1e-6;
    for (let i = 0; i < rows; i++) {
      const row = Array.from(raw.subarray(i * P, (i + 1) * P), Number);
      const val = (x: number, r: number[]) => { const [y, l] = refForward(x, r, K, B); return y + 0.5 * l; };
      expect(gxv[i]).toBeCloseTo((val(xs[i]! + h, row) - val(xs[i]! - h, row)) / (2 * h), 3);
      for (let j = 0; j < P; j++) {
        const up = row.slice(), dn = row.slice();
        up[j] += h;
        dn[j] -= h;
        expect(Math.abs(grv[i * P + j]! - (val(xs[i]!, up) - val(xs[i]!, dn)) / (2 * h))).toBeLessThan(2e-3);
      }
    }
  });

  it('rejects parameters of the wrong shape', () => {
    expect(() => rqsForward(tf.zeros([2, 1]) as tf.Tensor2D, tf.zeros([2, 1, 7]) as tf.Tensor3D, { bins: K, tailBound: B })).toThrow(/shape \[n, f, 14\]/);
  });
});
