#!/usr/bin/env node
/**
 * The BIB-AE ablations of issue #23 on one trained model: the post-processor on and off,
 * and the latent sampler (N(0, 1), a KDE of encoded training latents, the trained flow), each
 * generating the held-out showers' energies and scored with `calozoo evaluate` against them.
 * Generation is the model's `generateVariant` (TF.js; the shipped ONNX graph holds one sampler),
 * the KDE fitted by `fitKde` on the training showers; the flow rows rescale each shower to the
 * flow's E_dep/E_inc as generation does. Needs the packages built and a model trained with the
 * flow sampler (all four rows) or the KDE sampler (its own KDE with and without the
 * post-processor, and N(0, 1); `--train` is then not read).
 *
 *   node tools/bibae-ablation.mjs --model DIR --train train.h5 --reference test.h5 --out DIR [--n 20000]
 *
 * Output: `<out>/<variant>.h5`, `<out>/<variant>/metrics.json`, the table as markdown on stdout
 * and in `<out>/table.md`. Existing files are reused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { openShowerFile, selectTfBackend, writeShowerFile } from '@calozoo/core';
import { bibAePlugin } from '@calozoo/bib-ae';

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

/** Variants: sampler × post-processor; a model trained with the KDE sampler has no flow rows. */
const FLOW_VARIANTS = [
  { name: 'flow+pp', sampler: 'flow', post: true },
  { name: 'flow, no pp', sampler: 'flow', post: false },
  { name: 'kde+pp', sampler: 'kde', post: true },
  { name: 'normal+pp', sampler: 'normal', post: true },
];
const KDE_VARIANTS = [
  { name: 'kde+pp', sampler: 'kde', post: true },
  { name: 'kde, no pp', sampler: 'kde', post: false },
  { name: 'normal+pp', sampler: 'normal', post: true },
];
/** Table columns: title and observable name (`calozoo evaluate`'s hist-chi observables). */
const COLUMNS = [
  ['E_dep/E_inc', 'E_dep/E_inc'], ['E_dep', 'E_dep'], ['n_hit', 'n_hit'], ['cell-energy spectrum', 'voxel energy'],
  ['CoG x', 'm1_x'], ['CoG y', 'm1_y'], ['CoG z', 'm1_z'], ['CoG r', 'm1_r'], ['CoG η', 'm1_eta'], ['CoG φ', 'm1_phi'], ['width x', 'm2_x'], ['width y', 'm2_y'],
];
const fileOf = (v) => path.join(o.out, `${v.name.replace(/[^a-z0-9+]+/g, '-')}.h5`);

await selectTfBackend();
const model = await bibAePlugin.load(o.model);
const kind = model.config.sampler.kind;
if (kind === 'normal') throw new Error(`${o.model}: trained with the normal sampler; the ablation needs a model with the flow or KDE sampler`);
const VARIANTS = kind === 'flow' ? FLOW_VARIANTS : KDE_VARIANTS;
const ref = await openShowerFile(o.reference);
const n = Math.min(o.n, ref.n);
const energy = ref.readRange(0, n).energy.slice();
const refFile = path.join(o.out, 'reference.h5');
if (!existsSync(refFile)) await writeShowerFile(refFile, ref.readRange(0, n), { geometry: model.geometry.id });
ref.close();
if (kind === 'flow') {
  // The KDE of a flow model's encoder means on the training showers (a KDE model has its own).
  const train = await openShowerFile(o.train);
  await model.fitKde(train);
  train.close();
}
const rows = [];
for (const v of VARIANTS) {
  const file = fileOf(v);
  if (!existsSync(file)) await writeShowerFile(file, await model.generateVariant({ energy }, { seed: 3 }, { sampler: v.sampler, postProcessor: v.post }), { geometry: model.geometry.id });
  const evalDir = file.replace(/\.h5$/, '');
  if (!existsSync(path.join(evalDir, 'metrics.json'))) execFileSync(process.execPath, [bin, 'evaluate', '--reference', refFile, '--generated', file, '--modes', 'hist-chi,fpd', '--out', evalDir], { stdio: 'ignore' });
  const m = JSON.parse(readFileSync(path.join(evalDir, 'metrics.json'), 'utf8'));
  const sep = (name) => m.observables.find((x) => x.name === name)?.separationPower;
  const row = { variant: v.name, fpd: m.fpd.value * 1e3 };
  for (const [, name] of COLUMNS) row[name] = sep(name);
  rows.push(row);
}
model.dispose();
const f3 = (x) => (x === undefined || x === null ? '–' : x.toPrecision(3));
// The columns the geometry has (the centres of gravity are x, y, z on a regular grid, r, η, φ on a CaloChallenge one).
const columns = COLUMNS.filter(([, name]) => rows.some((r) => r[name] !== undefined));
const table = [
  `| variant | FPD ×10³ | ${columns.map(([title]) => `S(${title})`).join(' | ')} |`,
  `|---|---:|${columns.map(() => '---:').join('|')}|`,
  ...rows.map((r) => `| ${r.variant} | ${f3(r.fpd)} | ${columns.map(([, name]) => f3(r[name])).join(' | ')} |`),
].join('\n');
writeFileSync(path.join(o.out, 'table.md'), `${table}\n`);
writeFileSync(path.join(o.out, 'table.json'), `${JSON.stringify(rows, null, 2)}\n`);
console.log(table);
