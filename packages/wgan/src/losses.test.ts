/**
 * The losses against hand calculations, and the gradient penalty against finite differences:
 * its value (input gradients of a tiny critic by central differences) and its own gradient with
 * respect to the critic's weights (the double backprop the critic update needs), for a dense
 * critic on every backend and for the 3-D conv critic where conv3d gradients are right.
 */
import { describe, expect, it } from 'vitest';
import { Rng, tf, type TfBackendName } from '@calozoo/core';
import { forEachBackend } from '@calozoo/core/testing';
import { ConvCritic } from './conv-networks.js';
import { DenseCritic } from './dense-networks.js';
import { bceDiscriminatorLoss, bceGeneratorLoss, constrainerLoss, constrainerTerm, gradientPenalty, wganCriticLoss, wganGeneratorLoss } from './losses.js';
import type { CriticNet } from './networks.js';

const t = (v: number[]) => tf.tensor2d(v, [v.length, 1]);
const val = (s: tf.Tensor) => s.dataSync()[0]!;
const randArr = (rng: Rng, n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * (2 * rng.uniform() - 1));

describe('losses by hand', () => {
  it('critic, generator, constrainer and BCE losses', () => {
    tf.tidy(() => {
      // mean D(fake) − mean D(real) + λ·gp = (−0.5/3) − 2 + 5·0.3
      expect(val(wganCriticLoss(t([1, 2, 3]), t([0.5, -1, 0]), tf.scalar(0.3), 5))).toBeCloseTo(-0.5 / 3 - 2 + 1.5, 5);
      // |(1−2)² − (2−2)²| = 1, |(3−1)² − (2−1)²| = 3 → mean 2
      expect(val(constrainerTerm(t([1, 3]), t([2, 2]), t([2, 1])))).toBeCloseTo(2, 6);
      // −mean D(fake) + κ·term = −2 + 0.5·2
      expect(val(wganGeneratorLoss(t([1, 3]), 0.5, tf.scalar(2)))).toBeCloseTo(-1, 6);
      expect(val(wganGeneratorLoss(t([1, 3])))).toBeCloseTo(-2, 6);
      expect(val(constrainerLoss(t([1, 3]), t([2, 1])))).toBeCloseTo(1.5, 6);
      // −log σ(2) − log(1 − σ(−1)) = ln(1 + e^−2) + ln(1 + e^−1)
      expect(val(bceDiscriminatorLoss(t([2]), t([-1])))).toBeCloseTo(Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(-1)), 5);
      expect(val(bceDiscriminatorLoss(t([0]), t([0])))).toBeCloseTo(2 * Math.LN2, 5);
      expect(val(bceGeneratorLoss(t([-1])))).toBeCloseTo(Math.log1p(Math.E), 5);
    });
  });

  it('gradient penalty of a linear critic D(x) = w·x is (‖w‖ − 1)² wherever x̂ lies', () => {
    tf.tidy(() => {
      const w = tf.tensor2d([0.3, -1.2, 0.4, 2], [4, 1]);
      const critic = (x: tf.Tensor2D) => tf.matMul(x, w);
      const real = tf.tensor2d(randArr(new Rng(1), 12), [3, 4]);
      const fake = tf.tensor2d(randArr(new Rng(2), 12), [3, 4]);
      const norm = Math.hypot(0.3, -1.2, 0.4, 2);
      expect(val(gradientPenalty(critic, real, fake, t([0.1, 0.5, 0.9])))).toBeCloseTo((norm - 1) ** 2, 5);
    });
  });
});

/** Input-gradient and weight-gradient checks of the penalty for one critic by central differences. */
function checkPenalty(critic: CriticNet, V: number, opts: { n: number; directions: number; weights: number; h: number; tol: number }): void {
  const rng = new Rng(11);
  const { n, h } = opts;
  const real = tf.tensor2d(randArr(rng, n * V), [n, V]);
  const fake = tf.tensor2d(randArr(rng, n * V), [n, V]);
  const c = tf.tensor2d(randArr(rng, n), [n, 1]);
  const alpha = tf.tensor2d(Float32Array.from({ length: n }, () => rng.uniform()), [n, 1]);
  const D = (x: tf.Tensor2D) => critic.apply(x, c);
  const mixed = tf.tidy(() => tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake)) as tf.Tensor2D);
  // 1. ∇_x̂ D by central differences along its own direction (the norm the penalty uses) and along
  //    the single voxels of largest gradient, against tf.grad.
  const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(D(x as tf.Tensor2D)))(mixed));
  const gv = g.dataSync();
  const directions: Float32Array[] = [];
  const rowNorm = Array.from({ length: n }, (_, i) => Math.hypot(...gv.subarray(i * V, (i + 1) * V)));
  directions.push(Float32Array.from(gv, (x, j) => x / rowNorm[Math.floor(j / V)]!));
  for (let k = 0; k < opts.directions; k++) {
    const u = new Float32Array(n * V);
    for (let i = 0; i < n; i++) {
      const row = Array.from(gv.subarray(i * V, (i + 1) * V), Math.abs);
      const sorted = [...row].sort((a, b) => b - a);
      u[i * V + row.indexOf(sorted[k]!)] = 1;
    }
    directions.push(u);
  }
  for (const dir of directions) {
    const u = tf.tensor2d(dir, [n, V]);
    const fd = tf.tidy(() => tf.div(tf.sub(D(tf.add(mixed, tf.mul(u, h)) as tf.Tensor2D), D(tf.sub(mixed, tf.mul(u, h)) as tf.Tensor2D)), 2 * h).dataSync());
    const an = tf.tidy(() => tf.sum(tf.mul(g, u), 1).dataSync());
    for (let i = 0; i < n; i++) expect(Math.abs(fd[i]! - an[i]!) / rowNorm[i]!).toBeLessThan(opts.tol);
    u.dispose();
  }
  // 2. The penalty's gradient with respect to weights (double backprop) against central differences of the penalty.
  const gp = () => gradientPenalty(D, real, fake, alpha);
  const vars = critic.trainable();
  const names = Object.keys(vars).filter((k) => k.endsWith('kernel'));
  const { grads } = tf.variableGrads(gp, names.map((k) => vars[k]!));
  let checked = 0;
  const failures: string[] = [];
  for (const name of names) {
    const v = vars[name]!;
    const grad = grads[v.name]!.dataSync();
    const scale = Math.max(...grad.map(Math.abs));
    const original = v.dataSync().slice();
    for (let j = 0; j < opts.weights && j < original.length; j++) {
      const idx = Math.floor(rng.uniform() * original.length);
      const at = (d: number) => {
        const w = original.slice();
        w[idx] = w[idx]! + d;
        tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
        return tf.tidy(() => val(gp()));
      };
      // The penalty jumps where a leaky ReLU unit changes sign (its input gradient is piecewise
      // constant there); a quotient across such a kink is meaningless, so a step 4× smaller is
      // tried before counting a mismatch.
      const ok = [h, h / 4].some((step) => {
        const fd = (at(step) - at(-step)) / (2 * step);
        return Math.abs(fd - grad[idx]!) / Math.max(scale, 1e-6) < opts.tol;
      });
      tf.tidy(() => v.assign(tf.tensor(original, v.shape)));
      if (!ok) failures.push(`${name}[${idx}]`);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(0);
  expect(failures).toEqual([]);
  tf.dispose([real, fake, c, alpha, mixed, g, ...Object.values(grads)]);
}

await forEachBackend((backend: TfBackendName) => {
  it(`gradient penalty of a LayerNorm + LeakyReLU dense critic matches finite differences (${backend})`, () => {
    const critic = new DenseCritic(6, [5, 4], new Rng(3));
    checkPenalty(critic, 6, { n: 3, directions: 3, weights: 4, h: 1e-2, tol: 1e-2 });
    critic.dispose();
  });
});

await forEachBackend((backend: TfBackendName) => {
  it(`gradient penalty of the 3-D conv critic (per-channel LayerNorm) matches finite differences (${backend})`, () => {
    // The smallest grid the §4.4 conv stack accepts: (21, 14, 14) → (12, 8, 8) → (7, 4, 4) → (4, 2, 2) → (1, 1, 1).
    const critic = new ConvCritic([21, 14, 14], 4, new Rng(4));
    // Head weights ×3 each: input gradients of norm ~1 (as the penalty makes them), not ~1e-3, so
    // that float32 differences resolve them; steps of 1e-3 stay between the leaky ReLU kinks.
    for (const [k, v] of Object.entries(critic.trainable())) if (k.startsWith('head') && k.endsWith('kernel')) tf.tidy(() => v.assign(tf.mul(v, 3)));
    checkPenalty(critic, 21 * 14 * 14, { n: 2, directions: 2, weights: 2, h: 2e-4, tol: 1e-2 });
    critic.dispose();
  }, 120_000);
}, { requires: ['conv3d'] });
