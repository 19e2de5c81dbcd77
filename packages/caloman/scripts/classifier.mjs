/**
 * A high-level ("cls-high") classifier test after field-reference.md §2.4: an MLP on the
 * CaloChallenge high-level features (normalised by the reference max |value|) separating
 * generated from reference showers; returns the ROC AUC on a held-out split. Smaller and
 * shorter than the challenge's (2 × 512 units, ≤ 30 epochs, best epoch by test accuracy),
 * so its AUC is a slight underestimate of the official one.
 */
import { Rng, tf } from '@calozoo/core';

function auc(scores, labels) {
  const idx = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let pos = 0;
  for (let r = 0; r < idx.length; ) {
    let e = r;
    while (e + 1 < idx.length && scores[idx[e + 1]] === scores[idx[r]]) e++;
    const avg = (r + e) / 2 + 1;
    for (let k = r; k <= e; k++) if (labels[idx[k]] === 1) { rankSum += avg; pos++; }
    r = e + 1;
  }
  const neg = idx.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * @param ref FeatureMatrix of the reference (label 1), @param gen of the generated (label 0)
 * @returns {{auc: number, testAccuracy: number, epochs: number}}
 */
export async function classifierAuc(ref, gen, { seed = 1, epochs = 30, hidden = 512, log = () => {} } = {}) {
  const d = ref.d;
  const n = Math.min(ref.n, gen.n);
  const rng = new Rng(seed);
  const rows = [];
  for (const [m, label] of [[ref, 1], [gen, 0]]) {
    const p = rng.permutation(m.n);
    for (let i = 0; i < n; i++) rows.push({ m, r: p[i], label });
  }
  const order = rng.permutation(rows.length);
  const shuffled = Array.from(order, (i) => rows[i]);
  const nTr = Math.floor(0.6 * shuffled.length);
  const nTe = Math.floor(0.2 * shuffled.length);
  const split = [shuffled.slice(0, nTr), shuffled.slice(nTr, nTr + nTe), shuffled.slice(nTr + nTe)];
  const toX = (rs) => {
    const x = new Float32Array(rs.length * d);
    rs.forEach((o, i) => { for (let j = 0; j < d; j++) x[i * d + j] = o.m.data[o.r * d + j]; });
    return x;
  };
  const [xTr, xTe, xVa] = split.map(toX);
  const [yTr, yTe, yVa] = split.map((rs) => Float32Array.from(rs, (o) => o.label));
  const init = (a, b) => tf.variable(tf.tensor2d(Float32Array.from({ length: a * b }, () => (2 * rng.uniform() - 1) / Math.sqrt(a)), [a, b]));
  const W = [init(d, hidden), init(hidden, hidden), init(hidden, 1)];
  const B = [tf.variable(tf.zeros([hidden])), tf.variable(tf.zeros([hidden])), tf.variable(tf.zeros([1]))];
  const net = (x) => {
    let h = x;
    for (let k = 0; k < 3; k++) {
      h = tf.add(tf.matMul(h, W[k]), B[k]);
      if (k < 2) h = tf.leakyRelu(h, 0.01);
    }
    return tf.reshape(h, [-1]);
  };
  const predict = (x, m) => tf.tidy(() => {
    const out = new Float32Array(m);
    for (let i = 0; i < m; i += 20000) {
      const k = Math.min(20000, m - i);
      out.set(tf.sigmoid(net(tf.tensor2d(x.subarray(i * d, (i + k) * d), [k, d]))).dataSync(), i);
    }
    return out;
  });
  const opt = tf.train.adam(2e-4);
  const batch = 1000;
  let best = { acc: -1, weights: null, epoch: -1 };
  for (let ep = 0; ep < epochs; ep++) {
    const perm = rng.permutation(nTr);
    for (let s = 0; s + batch <= nTr; s += batch) {
      const xb = new Float32Array(batch * d);
      const yb = new Float32Array(batch);
      for (let i = 0; i < batch; i++) {
        const r = perm[s + i];
        xb.set(xTr.subarray(r * d, r * d + d), i * d);
        yb[i] = yTr[r];
      }
      tf.tidy(() => {
        const x = tf.tensor2d(xb, [batch, d]);
        const y = tf.tensor1d(yb);
        opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, net(x)), false, [...W, ...B]);
      });
    }
    const pTe = predict(xTe, yTe.length);
    let correct = 0;
    for (let i = 0; i < pTe.length; i++) if ((pTe[i] > 0.5 ? 1 : 0) === yTe[i]) correct++;
    const acc = correct / pTe.length;
    log(`classifier epoch ${ep}: test accuracy ${acc.toFixed(4)}`);
    if (acc > best.acc) best = { acc, weights: [...W, ...B].map((v) => v.clone()), epoch: ep };
    if (acc >= 0.9999) break;
  }
  [...W, ...B].forEach((v, i) => v.assign(best.weights[i]));
  const pVa = predict(xVa, yVa.length);
  const result = { auc: auc(Array.from(pVa), Array.from(yVa)), testAccuracy: best.acc, epochs: best.epoch + 1 };
  best.weights.forEach((t) => t.dispose());
  [...W, ...B].forEach((v) => v.dispose());
  return result;
}
