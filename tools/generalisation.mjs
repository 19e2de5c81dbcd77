#!/usr/bin/env node
/**
 * The generalisation protocol of issue #21: trains a plugin with its default settings on simulator
 * variations (`calozoo simulate --variation`), generates the held-out showers' conditions and scores
 * them, then prints one table row per variation. Every step is a `calozoo` command as a user runs
 * it, and every step whose output exists is reused (an interrupted training resumes from its
 * checkpoint), so the protocol can be stopped and run again. Needs the packages built.
 *
 *   node tools/generalisation.mjs --plugin caloman --geometry ds1-photons \
 *     --variations shallow-wide,noisy [--time 35m] [--n 50000] [--test-n 50000] \
 *     [--classifier fast|official] [--out generalisation] [--set key=value …] [--parallel 2]
 *     [--model DIR]   (score a trained model, e.g. a shipped one, on the variations: no training)
 *
 * Training showers are seed 1, held-out showers seed 2 (independent), generation seed 3. Without
 * `--variations` the held-back variations of the simulator are used, the ones nobody tunes on.
 * `--parallel 2` trains two variations at a time: caloman trains on one intra-op thread, so on two
 * cores each run keeps a core (measured 5–8 % fewer steps/s than alone; say so with the numbers).
 * Output: `<out>/<geometry>/<variation>/{train.h5,test.h5,model/,generated.h5,eval/}`, the table as
 * markdown on stdout and `<out>/<geometry>/table.md`, the rows in `<out>/<geometry>/table.json`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as path from 'node:path';
import { getGeometry, openShowerFile, selectTfBackend } from '@calozoo/core';
import { FeatureExtractor, classifierTest, clsHighFeatures, defaultThreshold, normaliseByReference } from '@calozoo/metrics';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'packages', 'cli', 'dist', 'bin.js');

/** The value after `--name`, or `fallback`. */
function option(args, name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}
/** Every value after a `--name` (repeatable options such as --set). */
function options(args, name) {
  const out = [];
  for (let i = 0; i < args.length - 1; i++) if (args[i] === `--${name}`) out.push(args[i + 1]);
  return out;
}

/** Runs `calozoo …` to completion with its output appended to `log`; throws with the log's path on failure. */
function calozoo(cliArgs, log) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...cliArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (b) => chunks.push(b));
    child.stderr.on('data', (b) => chunks.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      writeFileSync(log, `$ calozoo ${cliArgs.join(' ')}\n${Buffer.concat(chunks).toString('utf8')}\nexit ${code}\n`, { flag: 'a' });
      if (code === 0) resolve();
      else reject(new Error(`calozoo ${cliArgs[0]} failed (exit ${code}); see ${log}`));
    });
  });
}

/** The held-back (or every) variation names, from `calozoo simulate --help`. */
function variationNames(role) {
  const help = execFileSync(process.execPath, [bin, 'simulate', '--help'], { encoding: 'utf8' });
  return [...help.matchAll(/^ {2}([a-z0-9-]+) +(tuning|held-back) /gm)].filter((m) => !role || m[2] === role).map((m) => m[1]);
}

/** Simulates, trains, generates and evaluates one variation; returns its table row. */
async function runVariation(v, o) {
  const dir = path.join(o.out, o.geometry, v);
  mkdirSync(dir, { recursive: true });
  const log = path.join(dir, 'log.txt');
  const file = (name) => path.join(dir, name);
  for (const [name, seed, n] of [...(o.model ? [] : [['train.h5', 1, o.n]]), ['test.h5', 2, o.testN]]) {
    if (!existsSync(file(name))) await calozoo(['simulate', '--geometry', o.geometry, '--n', String(n), '--seed', String(seed), '--variation', v, '--out', file(name)], log);
  }
  const model = o.model ?? file('model');
  const trainArgs = ['train', o.plugin, '--data', file('train.h5'), '--out', model, '--time', o.time, '--seed', '1', ...o.set.flatMap((s) => ['--set', s])];
  if (!o.model && !existsSync(path.join(model, 'training.json'))) {
    const resume = existsSync(path.join(model, 'checkpoints', 'latest'));
    process.stderr.write(`${v}: ${resume ? 'resuming' : 'training'} ${o.plugin} (${o.time})\n`);
    await calozoo([...trainArgs, ...(resume ? ['--resume'] : [])], log);
  }
  // The model's own record of its training (phases, epochs, seconds), as every plugin writes it.
  const training = JSON.parse(readFileSync(path.join(model, 'config.json'), 'utf8')).training;
  if (!existsSync(file('generated.h5'))) await calozoo(['generate', model, '--like', file('test.h5'), '--seed', '3', '--out', file('generated.h5')], log);
  const evalDir = file('eval');
  if (!existsSync(path.join(evalDir, 'metrics.json'))) {
    process.stderr.write(`${v}: evaluating\n`);
    await calozoo(['evaluate', '--reference', file('test.h5'), '--generated', file('generated.h5'), '--modes', 'hist-chi,fpd,kpd,cls-high', '--classifier', o.classifier, '--out', evalDir], log);
  }
  const m = JSON.parse(readFileSync(path.join(evalDir, 'metrics.json'), 'utf8'));
  const cls512 = await readmeClassifier(file('test.h5'), file('generated.h5'), evalDir);
  const layers = m.observables.filter((x) => x.group === 'E_layer').map((x) => x.separationPower);
  const epochs = Object.entries(training.phases ?? {})
    .map(([p, e]) => `${p} ${e.epochs} (best ${e.bestEpoch + 1})`)
    .join(', ');
  return {
    variation: v,
    sEdep: m.summary.byGroup['E_dep/E_inc'],
    maxSLayer: Math.max(...layers),
    meanS: m.summary.meanSeparationPower,
    worst: m.summary.worst.name,
    fpd: m.fpd.value * 1e3,
    fpdError: m.fpd.error * 1e3,
    kpd: m.kpd.value * 1e3,
    auc: m.classifier['cls-high'].auc,
    classifier: m.classifier['cls-high'].protocol,
    auc512: cls512.auc,
    trainMinutes: training.seconds / 60,
    stoppedBy: training.stoppedBy,
    epochs,
    command: o.model ? `(given model ${o.model})` : `calozoo ${trainArgs.join(' ')}`,
  };
}

/**
 * The cls-high AUC with the classifier of the caloman README's quality runs (the challenge's
 * protocol narrowed to 2 × 512 units and at most 30 epochs, seed 3), so that the protocol's
 * numbers compare with the shipped model's; cached as `<eval>/cls-high-512.json`.
 */
async function readmeClassifier(testFile, generatedFile, evalDir) {
  const cache = path.join(evalDir, 'cls-high-512.json');
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8'));
  const features = async (file) => {
    const f = await openShowerFile(file);
    try {
      const geometry = getGeometry(String(f.attributes.geometry));
      const threshold = defaultThreshold(geometry);
      const ex = new FeatureExtractor(geometry, { threshold, hitThreshold: threshold });
      for (let i = 0; i < f.n; i += 10_000) ex.consume(f.readRange(i, Math.min(f.n, i + 10_000)));
      return clsHighFeatures(ex.finish());
    } finally {
      f.close();
    }
  };
  const [r, g] = normaliseByReference(await features(testFile), await features(generatedFile));
  const t = Date.now();
  const c = await classifierTest(r, g, { protocol: 'official', width: 512, epochs: 30, seed: 3 });
  const out = { auc: c.auc, bestEpoch: c.bestEpoch, seconds: (Date.now() - t) / 1000, settings: 'official protocol, width 512, 30 epochs, seed 3' };
  writeFileSync(cache, `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

/** Runs `jobs` with at most `k` at a time, in order. */
async function pool(jobs, k) {
  const results = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(k, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    }),
  );
  return results;
}

const args = process.argv.slice(2);
const o = {
  plugin: option(args, 'plugin', 'caloman'),
  geometry: option(args, 'geometry', 'ds1-photons'),
  time: option(args, 'time', '35m'),
  n: Number(option(args, 'n', '50000')),
  testN: Number(option(args, 'test-n', '50000')),
  classifier: option(args, 'classifier', 'fast'),
  out: path.resolve(option(args, 'out', 'generalisation')),
  set: options(args, 'set'),
  parallel: Number(option(args, 'parallel', '1')),
  model: option(args, 'model', null),
};
await selectTfBackend({});
if (o.model) o.model = path.resolve(o.model);
if (!existsSync(bin)) throw new Error(`${bin} is missing: build the packages first (npm run build)`);
const variations = option(args, 'variations', null)?.split(',') ?? variationNames('held-back');
const known = variationNames(null);
for (const v of variations) if (!known.includes(v)) throw new Error(`unknown variation "${v}"; the simulator has: ${known.join(', ')}`);

const rows = await pool(
  variations.map((v) => () => runVariation(v, o)),
  o.parallel,
);
const f = (x, d = 3) => Number(x).toPrecision(d);
const table = [
  `${o.model ? `the model in ${o.model}` : `${o.plugin} trained with its default settings${o.set.length ? ` and --set ${o.set.join(' ')}` : ''}, \`--time ${o.time}\``} on ${o.geometry}, ${o.n} training showers (seed 1; 20 % of them validation), ${o.testN} held-out showers (seed 2), generation seed 3; AUC cls-high (2 × 512): the caloman README's classifier (the challenge's protocol, 2 × 512 units, ≤ 30 epochs); AUC (evaluate): \`calozoo evaluate --classifier ${rows[0]?.classifier}\`; ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}${o.parallel > 1 ? `, ${o.parallel} trainings at a time` : ''}.`,
  '',
  '| variation | S(E_dep/E_inc) | max S(E_layer) | mean S (worst) | FPD ×10³ | KPD ×10³ | AUC cls-high (2 × 512) | AUC (evaluate) | training |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map((r) => `| ${r.variation} | ${f(r.sEdep, 2)} | ${f(r.maxSLayer, 2)} | ${f(r.meanS, 2)} (${r.worst}) | ${f(r.fpd)} ± ${f(r.fpdError, 1)} | ${f(r.kpd)} | ${f(r.auc512)} | ${f(r.auc)} | ${r.trainMinutes.toFixed(1)} min, ${r.stoppedBy}; epochs ${r.epochs} |`),
].join('\n');
mkdirSync(path.join(o.out, o.geometry), { recursive: true });
writeFileSync(path.join(o.out, o.geometry, 'table.md'), `${table}\n`);
writeFileSync(path.join(o.out, o.geometry, 'table.json'), `${JSON.stringify({ options: o, rows }, null, 2)}\n`);
process.stdout.write(`${table}\n`);
