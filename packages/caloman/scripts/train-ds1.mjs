/**
 * Trains CaloMan on simulated dataset-1 photons and evaluates it on held-out simulated showers
 * (the package's quality target: README, "Numbers"). Needs built dist/ folders:
 *   npx nx run-many -t build -p @calozoo/caloman @calozoo/simulator @calozoo/metrics
 *   node packages/caloman/scripts/train-ds1.mjs --train 50000 --test 50000 --minutes 60 --out /tmp/caloman-ds1
 * Options: --geometry ds1-photons|ds1-pions (default photons), --variant default|published, --set key.path=json (repeatable), --backend tensorflow|wasm|cpu,
 * --threads N (native TensorFlow intra-op threads; default as `calozoo train`: the plugin's choice),
 * --seed N, --resume, --eval-only (reuse --out/model), --no-classifier, --gen-seed N (default 77) and
 * --classifier-seed N (default 3) to measure the spread of the evaluation; generation-time ablations of a
 * trained model: --no-calibration, --gen-set generation.keepLayerEnergy=false (repeatable), --tag name.
 * Writes <out>/model/, <out>/summary.json and prints one JSON line with the numbers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { applyOverrides, getGeometry, layerSlices, memorySource, selectTfBackend } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { FeatureExtractor, classifierTest, clsHighFeatures, defaultThreshold, evaluate, normaliseByReference } from '@calozoo/metrics';
import { calomanPlugin, publishedConfigFor } from '../dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const flag = (name) => args.includes(`--${name}`);
const sets = args.flatMap((a, i) => (a === '--set' ? [args[i + 1]] : []));
const nTrain = Number(opt('train', 50000));
const nTest = Number(opt('test', 50000));
const minutes = Number(opt('minutes', 60));
const seed = Number(opt('seed', 1));
const out = path.resolve(opt('out', '/tmp/caloman-ds1'));
const variant = opt('variant', 'default');
const log = (m) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

const threads = opt('threads') ? Number(opt('threads')) : undefined;
const device = await selectTfBackend({ backend: opt('backend', undefined), threads, fallbackThreads: calomanPlugin.trainingThreads?.(availableParallelism()) });
log(`backend ${device.chosen} (${device.threads} threads)`);
const geometry = getGeometry(opt('geometry', 'calochallenge-1-photons'));
mkdirSync(out, { recursive: true });
let t = Date.now();
const train = simulateShowers(geometry, { n: nTrain, seed: 1000 + seed });
const test = simulateShowers(geometry, { n: nTest, seed: 2000 + seed });
log(`simulated ${nTrain} + ${nTest} showers in ${((Date.now() - t) / 1000).toFixed(1)} s`);

const base = variant === 'published' ? publishedConfigFor(geometry) : calomanPlugin.defaultConfig(geometry);
const config = calomanPlugin.parseConfig(applyOverrides(base, sets), 'train-ds1');
const modelDir = path.join(out, 'model');
let model;
let report = null;
if (flag('eval-only')) model = await calomanPlugin.load(modelDir);
else {
  model = await calomanPlugin.create(config, geometry);
  t = Date.now();
  report = await model.fit(memorySource(train), {
    seed,
    timeLimitSeconds: minutes * 60,
    checkpointDir: path.join(modelDir, 'checkpoints'),
    checkpointEverySeconds: 300,
    resume: flag('resume'),
    logger: { info: log, warn: log },
    onProgress: (e) => e.unit !== 'steps' && log(`${e.phase} ${e.done}/${e.total ?? '?'} ${e.unit ?? ''} ${JSON.stringify(e.values ?? {})}`),
  });
  log(`trained in ${report.seconds.toFixed(0)} s, stopped by ${report.stoppedBy}`);
  await model.save(modelDir);
}

if (flag('no-calibration')) model.state.calibration = null;
const genSets = args.flatMap((a, i) => (a === '--gen-set' ? [args[i + 1]] : []));
if (genSets.length) Object.assign(model.config, applyOverrides(model.config, genSets, '--gen-set'));
t = Date.now();
const genSeed = Number(opt('gen-seed', 77));
const gen = await model.generate({ energy: test.energy }, { seed: genSeed, batchSize: 10000 });
const genSeconds = (Date.now() - t) / 1000;
log(`generated ${nTest} showers in ${genSeconds.toFixed(1)} s`);

t = Date.now();
const { result } = await evaluate({ reference: test, generated: gen, geometry, modes: ['hist-chi', 'fpd'], outDir: path.join(out, 'evaluation') });
const sp = (pred) => result.observables.filter(pred).map((o) => ({ name: o.name, separationPower: o.separationPower }));
const response = sp((o) => o.name === 'E_dep/E_inc');
const layers = sp((o) => o.group.startsWith('E_layer'));
log(`evaluated in ${((Date.now() - t) / 1000).toFixed(1)} s`);

let classifier = null;
if (!flag('no-classifier')) {
  const threshold = defaultThreshold(geometry);
  const feats = (s) => {
    const ex = new FeatureExtractor(geometry, { threshold, hitThreshold: threshold });
    ex.consume(s);
    return clsHighFeatures(ex.finish());
  };
  const [r, g] = normaliseByReference(feats(test), feats(gen));
  t = Date.now();
  // The challenge's classifier protocol, narrower (2 × 512 units) and at most 30 epochs.
  const c = await classifierTest(r, g, { protocol: 'official', width: 512, epochs: 30, seed: Number(opt('classifier-seed', 3)), onEpoch: (e) => log(`classifier epoch ${e.epoch}: test accuracy ${e.testAccuracy.toFixed(4)}`) });
  classifier = { auc: c.auc, aucUncalibrated: c.aucUncalibrated, testAccuracy: c.bestTestAccuracy, epochs: c.bestEpoch, seconds: (Date.now() - t) / 1000 };
}

const summary = {
  tag: opt('tag', variant),
  variant,
  genSets,
  calibration: model.state.calibration !== null,
  sets,
  backend: device.chosen,
  nTrain,
  nTest,
  minutes,
  training: report && { seconds: report.seconds, stoppedBy: report.stoppedBy, last: Object.fromEntries(['epl', 'vae', 'latent-flow'].map((p) => [p, report.history.filter((h) => h.phase === p).at(-1)])) },
  genSeed,
  classifierSeed: Number(opt('classifier-seed', 3)),
  generationMsPerShower: (1000 * genSeconds) / nTest,
  parameters: model.parameterCount(),
  separationPower: { response: response[0]?.separationPower, layersMax: Math.max(...layers.map((l) => l.separationPower)), layers },
  fpd: result.fpd && { value: result.fpd.value, error: result.fpd.error, x1e3: result.fpd.value * 1e3 },
  meanSeparationPower: result.summary?.meanSeparationPower,
  worst: result.summary?.worst,
  classifier,
  layerSlices: layerSlices(geometry).length,
};
writeFileSync(path.join(out, `summary-${summary.tag}.json`), JSON.stringify(summary, null, 2));
console.log(JSON.stringify(summary));
model.dispose();
