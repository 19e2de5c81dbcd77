#!/usr/bin/env node
/**
 * The BIB-AE ablations of issue #23 on one trained dense model: the post-processor on and off,
 * and the latent sampler (N(0, 1), a KDE of encoded training latents, the trained flow), each
 * generating the held-out showers' energies and scored with `calozoo evaluate` against them.
 * Generation runs the model's own networks in TF.js with the sampler swapped (the shipped ONNX
 * graph holds one sampler); the flow rows rescale each shower to the flow's E_dep/E_inc as
 * generation does. Needs the packages built and a model trained with the flow sampler.
 *
 *   node tools/bibae-ablation.mjs --model DIR --train train.h5 --reference test.h5 --out DIR [--n 20000]
 *
 * Output: `<out>/<variant>.h5`, `<out>/<variant>/metrics.json`, the table as markdown on stdout
 * and in `<out>/table.md`. Existing files are reused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Rng, openShowerFile, selectTfBackend, tf, writeShowerFile } from '@calozoo/core';
import { KdeSampler, bibAePlugin } from '@calozoo/bib-ae';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'packages', 'cli', 'dist', 'bin.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const o = { model: option('model'), train: option('train'), reference: option('reference'), out: path.resolve(option('out', 'bibae-ablation')), n: Number(option('n', '20000')) };
if (!o.model || !o.train || !o.reference) {
  console.error('usage: node tools/bibae-ablation.mjs --model DIR --train train.h5 --reference test.h5 --out DIR [--n 20000]');
  process.exit(2);
}
mkdirSync(o.out, { recursive: true });

/** Variants: sampler × post-processor. */
const VARIANTS = [
  { name: 'flow+pp', sampler: 'flow', post: true },
  { name: 'flow, no pp', sampler: 'flow', post: false },
  { name: 'kde+pp', sampler: 'kde', post: true },
  { name: 'normal+pp', sampler: 'normal', post: true },
];
const fileOf = (v) => path.join(o.out, `${v.name.replace(/[^a-z0-9+]+/g, '-')}.h5`);

/** Network values of raw showers through the model's representation. */
function encodeShowers(repr, s, start, end) {
  const V = s.voxels;
  const x = new Float32Array((end - start) * V);
  for (let i = start; i < end; i++) repr.encode(s.values.subarray(i * V, (i + 1) * V), s.energy[i], x.subarray((i - start) * V, (i - start + 1) * V));
  return x;
}

/** Encoder means of up to 20 000 training showers (the KDE's points, as the model's own KDE fit takes them). */
async function kdeOf(model) {
  const f = await openShowerFile(o.train);
  const n = Math.min(f.n, model.config.sampler.kdeShowers);
  const s = f.readRange(0, n);
  f.close();
  const A = model.config.activeDim;
  const pts = new Float32Array(n * A);
  for (let a = 0; a < n; a += 2048) {
    const b = Math.min(n, a + 2048);
    const e = s.energy.slice(a, b);
    const mu = tf.tidy(() => model.nets.encoder.apply(tf.tensor2d(encodeShowers(model.repr, s, a, b), [b - a, s.voxels]), tf.tensor2d(model.repr.condition(e), [b - a, 1])).mu.dataSync());
    pts.set(mu, a * A);
  }
  return new KdeSampler(pts, A, model.config.sampler.bandwidth);
}

/** Showers for `energy` from one variant (TF.js, seeded). */
function generate(model, kde, v, energy) {
  const { config: c, nets, repr } = model;
  const A = c.activeDim;
  const N = c.latentDim - A;
  const n = energy.length;
  const rng = new Rng(3, 1);
  const width = v.sampler === 'flow' ? A + 1 : A;
  const draws = v.sampler === 'kde' ? kde.sample(n, rng) : rng.fillNormal(new Float32Array(n * width));
  const noise = new Rng(3, 2).fillNormal(new Float32Array(n * N));
  const out = new Float32Array(n * model.geometry.voxels);
  const st = model.samplerState;
  for (let a = 0; a < n; a += 2048) {
    const m = Math.min(n, a + 2048) - a;
    const showers = tf.tidy(() => {
      const e = tf.tensor2d(energy.subarray(a, a + m), [m, 1]);
      const cond = tf.tensor2d(repr.condition(energy.subarray(a, a + m)), [m, 1]);
      let z = tf.tensor2d(draws.subarray(a * width, (a + m) * width), [m, width]);
      let target = null;
      if (v.sampler === 'flow') {
        const s = model.flow.sampleFromNoise(z, cond);
        z = tf.slice(s, [0, 0], [m, A]);
        target = tf.add(tf.mul(tf.slice(s, [0, A], [m, 1]), st.responseStd), st.responseMean);
      }
      const zFull = N > 0 ? tf.concat([z, tf.tensor2d(noise.subarray(a * N, (a + m) * N), [m, N])], 1) : z;
      let x = nets.decoder.apply(zFull, cond);
      if (v.post) {
        // The post-processor's input as generation makes it (postProcessor.keepZeros: after the readout threshold).
        if (c.postProcessor.keepZeros && repr.threshold) x = tf.mul(x, tf.cast(tf.greater(repr.decode(x, e), 0), 'float32'));
        x = nets.postProcessor.apply(x, tf.div(tf.sum(repr.decode(x, e), 1, true), e), cond);
      }
      let sh = repr.decode(x, e);
      if (target) sh = tf.mul(sh, tf.div(tf.mul(target, e), tf.add(tf.sum(sh, 1, true), 1e-9)));
      return sh.dataSync();
    });
    out.set(showers, a * model.geometry.voxels);
  }
  return out;
}

await selectTfBackend();
const model = await bibAePlugin.load(o.model);
if (model.config.sampler.kind !== 'flow') throw new Error(`${o.model}: trained with the ${model.config.sampler.kind} sampler; the ablation needs the flow sampler's model`);
const ref = await openShowerFile(o.reference);
const n = Math.min(o.n, ref.n);
const energy = ref.readRange(0, n).energy.slice();
const refFile = path.join(o.out, 'reference.h5');
if (!existsSync(refFile)) await writeShowerFile(refFile, ref.readRange(0, n), { geometry: model.geometry.id });
ref.close();
const kde = await kdeOf(model);
const rows = [];
for (const v of VARIANTS) {
  const file = fileOf(v);
  if (!existsSync(file)) await writeShowerFile(file, { n, voxels: model.geometry.voxels, energy, values: generate(model, kde, v, energy) }, { geometry: model.geometry.id });
  const evalDir = file.replace(/\.h5$/, '');
  if (!existsSync(path.join(evalDir, 'metrics.json'))) execFileSync(process.execPath, [bin, 'evaluate', '--reference', refFile, '--generated', file, '--modes', 'hist-chi,fpd', '--out', evalDir], { stdio: 'ignore' });
  const m = JSON.parse(readFileSync(path.join(evalDir, 'metrics.json'), 'utf8'));
  const sep = (name) => m.observables.find((x) => x.name === name)?.separationPower;
  rows.push({ variant: v.name, fpd: m.fpd.value * 1e3, response: sep('E_dep/E_inc'), edep: sep('E_dep'), nHit: sep('n_hit'), spectrum: sep('voxel energy'), cogZ: sep('m1_z'), cogR: sep('m1_r'), cogEta: sep('m1_eta'), cogPhi: sep('m1_phi') });
}
model.dispose();
const f3 = (x) => (x === undefined ? '–' : x.toPrecision(3));
const table = [
  `| variant | FPD ×10³ | S(E_dep/E_inc) | S(E_dep) | S(n_hit) | S(cell-energy spectrum) | S(CoG z) | S(CoG r) | S(CoG η) | S(CoG φ) |`,
  `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ...rows.map((r) => `| ${r.variant} | ${f3(r.fpd)} | ${f3(r.response)} | ${f3(r.edep)} | ${f3(r.nHit)} | ${f3(r.spectrum)} | ${f3(r.cogZ)} | ${f3(r.cogR)} | ${f3(r.cogEta)} | ${f3(r.cogPhi)} |`),
].join('\n');
writeFileSync(path.join(o.out, 'table.md'), `${table}\n`);
writeFileSync(path.join(o.out, 'table.json'), `${JSON.stringify(rows, null, 2)}\n`);
console.log(table);
