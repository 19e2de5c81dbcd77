import { expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { forEachBackend } from '../testing/backends.js';
import { tf } from '../device/tf.js';
import { nativeOpsAvailable } from '../device/native-backend.js';
import { Adam, type AdamOptions } from './adam.js';

/** Adam in float64 JavaScript: Kingma & Ba's Algorithm 1, ε placed as `mode` says, optional clipping. */
function referenceAdam(x0: number[][], grads: number[][][], lrs: number[], o: { mode: 'tensorflow' | 'pytorch'; clip: number }): number[][] {
  const x = x0.map((a) => [...a]);
  const m = x0.map((a) => a.map(() => 0));
  const v = x0.map((a) => a.map(() => 0));
  grads.forEach((gs, s) => {
    const t = s + 1;
    const norm = Math.sqrt(gs.flat().reduce((acc, g) => acc + g * g, 0));
    const k = o.clip > 0 && norm > o.clip ? o.clip / norm : 1;
    const c1 = 1 - 0.9 ** t;
    const c2 = 1 - 0.999 ** t;
    gs.forEach((g, i) =>
      g.forEach((gj0, j) => {
        const gj = gj0 * k;
        m[i]![j] = 0.9 * m[i]![j]! + 0.1 * gj;
        v[i]![j] = 0.999 * v[i]![j]! + 0.001 * gj * gj;
        const step = o.mode === 'pytorch' ? ((lrs[s]! / c1) * m[i]![j]!) / (Math.sqrt(v[i]![j]! / c2) + 1e-8) : ((lrs[s]! * Math.sqrt(c2)) / c1) * (m[i]![j]! / (Math.sqrt(v[i]![j]!) + 1e-8));
        x[i]![j] = x[i]![j]! - step;
      }),
    );
  });
  return x;
}

/** Random starting values and gradients for two variables (shapes [3, 4] and [5]) over `steps` steps. */
function problem(seed: number, steps: number): { x0: number[][]; grads: number[][][]; lrs: number[] } {
  const rng = new Rng(seed);
  const draw = (n: number, s: number) => Array.from({ length: n }, () => s * rng.normal());
  return {
    x0: [draw(12, 1), draw(5, 1)],
    // Tiny gradients too, where ε matters, and large ones, where clipping does.
    grads: Array.from({ length: steps }, (_, s) => [draw(12, s % 2 ? 3 : 1e-6), draw(5, s % 2 ? 3 : 1e-6)]),
    lrs: Array.from({ length: steps }, (_, s) => 0.01 * (1 + s)),
  };
}

/** Runs `steps` Adam updates through the class with the given options; returns the final values. */
function run(p: ReturnType<typeof problem>, options: AdamOptions): { values: number[][]; norms: number[]; adam: Adam; vars: Record<string, tf.Variable> } {
  const vars = { a: tf.variable(tf.tensor2d(p.x0[0]!, [3, 4])), b: tf.variable(tf.tensor1d(p.x0[1]!)) };
  const adam = new Adam(vars, options);
  const norms = p.grads.map((g, s) => {
    const grads = { a: tf.tensor2d(g[0]!, [3, 4]), b: tf.tensor1d(g[1]!) };
    const n = adam.apply(grads, p.lrs[s]!);
    tf.dispose(Object.values(grads));
    return n;
  });
  return { values: [Array.from(vars.a.dataSync()), Array.from(vars.b.dataSync())], norms, adam, vars };
}

const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((r, i) => r.map((x, j) => Math.abs(x - b[i]![j]!))));

await forEachBackend((backend) => {
  for (const mode of ['tensorflow', 'pytorch'] as const) {
    it(`follows Kingma & Ba with ε in the ${mode} form and global-norm clipping (float64 reference)`, () => {
      const p = problem(3, 6);
      const expected = referenceAdam(p.x0, p.grads, p.lrs, { mode, clip: 2 });
      const got = run(p, { epsilonMode: mode, clipNorm: 2 });
      expect(got.adam.fused).toBe(backend === 'tensorflow');
      expect(maxDiff(got.values, expected)).toBeLessThan(2e-5);
      // The tiny-gradient steps are where the two ε forms differ; make sure the test can tell them apart.
      const other = referenceAdam(p.x0, p.grads, p.lrs, { mode: mode === 'pytorch' ? 'tensorflow' : 'pytorch', clip: 2 });
      expect(maxDiff(other, expected)).toBeGreaterThan(1e-3);
      expect(got.norms[1]).toBeCloseTo(Math.sqrt(p.grads[1]!.flat().reduce((s, g) => s + g * g, 0)), 3);
      got.adam.dispose();
      tf.dispose(Object.values(got.vars));
    });
  }

  it('checkpoints: state() and setState() continue the same trajectory, also across the two paths', () => {
    const p = problem(5, 4);
    const whole = run(p, { clipNorm: 1 });
    const first = run({ ...p, grads: p.grads.slice(0, 2), lrs: p.lrs.slice(0, 2) }, { clipNorm: 1 });
    const saved = first.adam.state();
    expect(saved['step']!.data[0]).toBe(2);
    for (const fused of nativeOpsAvailable() ? [true, false] : [false]) {
      const vars = { a: tf.variable(tf.tensor2d(first.values[0]!, [3, 4])), b: tf.variable(tf.tensor1d(first.values[1]!)) };
      const resumed = new Adam(vars, { clipNorm: 1, fused });
      resumed.setState(saved);
      p.grads.slice(2).forEach((g, s) => resumed.apply({ a: tf.tensor2d(g[0]!, [3, 4]), b: tf.tensor1d(g[1]!) }, p.lrs[s + 2]!));
      expect(maxDiff([Array.from(vars.a.dataSync()), Array.from(vars.b.dataSync())], whole.values)).toBeLessThan(1e-6);
      resumed.dispose();
    }
    for (const r of [whole, first]) r.adam.dispose();
  });

  it('notices weights assigned from outside between steps (restored weights, data-dependent initialisation)', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const adam = new Adam({ w });
    adam.apply({ w: tf.tensor1d([1, 1]) }, 0.1);
    w.assign(tf.tensor1d([10, 20]));
    adam.apply({ w: tf.tensor1d([1, 1]) }, 0.1);
    // Second step of Adam with constant gradients moves each weight by lr (bias-corrected m/√v = 1).
    expect(Array.from(w.dataSync())).toEqual([expect.closeTo(9.9, 5), expect.closeTo(19.9, 5)]);
    adam.dispose();
  });

  it('minimize: returns the loss and takes the float64 reference step on its analytic gradient, leaving no tensor', () => {
    // loss = Σ c·a² + Σ b  →  ∂/∂a = 2c·a, ∂/∂b = 1; the variables' TF.js names are not the stable names.
    const c = [0.5, -1, 2];
    const x0 = [[1, 2, -3], [4]];
    const a = tf.variable(tf.tensor1d(x0[0]!));
    const b = tf.variable(tf.tensor1d(x0[1]!));
    const cT = tf.tensor1d(c);
    const adam = new Adam({ first: a, second: b }, { clipNorm: 2 });
    const before = tf.memory().numTensors;
    const loss = adam.minimize(() => tf.add(tf.sum(tf.mul(cT, tf.square(a))), tf.sum(b)) as tf.Scalar, 0.1);
    expect(tf.memory().numTensors).toBe(before);
    expect(loss).toBeCloseTo(c.reduce((acc, ci, i) => acc + ci * x0[0]![i]! ** 2, 0) + x0[1]![0]!, 4);
    const want = referenceAdam(x0, [[x0[0]!.map((ai, i) => 2 * c[i]! * ai), [1]]], [0.1], { mode: 'tensorflow', clip: 2 });
    expect(maxDiff([Array.from(a.dataSync()), Array.from(b.dataSync())], want)).toBeLessThan(1e-5);
    adam.dispose();
    tf.dispose([a, b, cT]);
  });

  it('minimize over weighted parts takes the step of the whole batch (gradient accumulation), leaving no tensor', () => {
    // Per-row loss (x·w − y)² on 12 rows; the mean over 12 rows = Σ parts (rows_i / 12) · mean over part i.
    const rng = new Rng(21);
    const x = rng.fillNormal(new Float32Array(12 * 3)) as Float32Array;
    const y = rng.fillNormal(new Float32Array(12)) as Float32Array;
    const rowsLoss = (w: tf.Variable, a: number, b: number) => () =>
      tf.mean(tf.square(tf.sub(tf.matMul(tf.tensor2d(x.subarray(a * 3, b * 3), [b - a, 3]), w), tf.tensor2d(y.subarray(a, b), [b - a, 1])))) as tf.Scalar;
    const steps = (parts: number[][] | null) => {
      const w = tf.variable(tf.tensor2d([0.5, -1, 2], [3, 1]));
      const adam = new Adam({ w }, { clipNorm: 1 });
      const before = tf.memory().numTensors;
      const losses = [1, 2, 3].map(() => adam.minimize(parts ? parts.map(([a, b]) => ({ loss: rowsLoss(w, a!, b!), weight: (b! - a!) / 12 })) : rowsLoss(w, 0, 12), 0.05));
      expect(tf.memory().numTensors).toBe(before);
      const out = { losses, w: Array.from(w.dataSync()) };
      adam.dispose();
      w.dispose();
      return out;
    };
    const whole = steps(null);
    const split = steps([[0, 5], [5, 8], [8, 12]]);
    for (let i = 0; i < 3; i++) expect(split.losses[i]).toBeCloseTo(whole.losses[i]!, 5);
    expect(maxDiff([split.w], [whole.w])).toBeLessThan(1e-6);
    // and the step really moved: a wrong weighting would not match
    expect(maxDiff([whole.w], [[0.5, -1, 2]])).toBeGreaterThan(0.05);
    const unweighted = (() => {
      const w = tf.variable(tf.tensor2d([0.5, -1, 2], [3, 1]));
      const adam = new Adam({ w }, { clipNorm: 1 });
      for (let s = 0; s < 3; s++) adam.minimize([[0, 5], [5, 8], [8, 12]].map(([a, b]) => ({ loss: rowsLoss(w, a!, b!), weight: 1 / 3 })), 0.05);
      const v = Array.from(w.dataSync());
      adam.dispose();
      w.dispose();
      return v;
    })();
    expect(maxDiff([unweighted], [whole.w])).toBeGreaterThan(1e-5);
  });

  it('state({ deferred: true }) reads, when written, the same values as state()', () => {
    const p = problem(5, 3);
    const { adam, vars } = run(p, { clipNorm: 1 });
    const eager = adam.state();
    const deferred = adam.state({ deferred: true });
    expect(Object.keys(deferred).sort()).toEqual(Object.keys(eager).sort());
    for (const [k, t] of Object.entries(deferred)) {
      const values = 'data' in t ? t.data : t.read();
      expect(Array.from(values), k).toEqual(Array.from(eager[k]!.data));
      expect(t.shape).toEqual(eager[k]!.shape);
    }
    expect(Array.from(eager['m.a']!.data).some((v) => v !== 0)).toBe(true);
    adam.dispose();
    tf.dispose(Object.values(vars));
  });

  it('frees its tensors on dispose', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const before = tf.memory().numTensors;
    const adam = new Adam({ w }, { clipNorm: 1 });
    adam.apply({ w: tf.tensor1d([1, 2, 3]) }, 0.1);
    adam.dispose();
    // The gradient passed in above is the caller's (one tensor left); everything Adam made is gone.
    expect(tf.memory().numTensors).toBe(before + 1);
  });

  if (backend === 'tensorflow') {
    it('fused and TF.js updates agree on a larger problem (float32 rounding only)', () => {
      const rng = new Rng(9);
      const shape = [256, 129];
      const x0 = rng.fillNormal(new Float32Array(256 * 129));
      const gs = Array.from({ length: 5 }, () => rng.fillNormal(new Float32Array(x0.length)));
      const out = [true, false].map((fused) => {
        const w = tf.variable(tf.tensor(x0, shape));
        const adam = new Adam({ w }, { fused, clipNorm: 50 });
        gs.forEach((g) => tf.tidy(() => adam.apply({ w: tf.tensor(g, shape) }, 1e-3)));
        const v = w.dataSync() as Float32Array;
        adam.dispose();
        return v;
      });
      let worst = 0;
      for (let i = 0; i < x0.length; i++) worst = Math.max(worst, Math.abs(out[0]![i]! - out[1]![i]!));
      expect(worst).toBeLessThan(1e-6);
    });
  } else {
    it('refuses fused updates off the native backend', () => {
      expect(() => new Adam({ w: tf.variable(tf.scalar(1)) }, { fused: true })).toThrow(/native TensorFlow/);
    });
  }
});
