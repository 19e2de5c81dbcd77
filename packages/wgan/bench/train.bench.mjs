/**
 * Training speed of the conv WGAN-GP (issue #22: "training samples/s vs the PyTorch mirror ≥ 1.5×"):
 * showers per second of the `wgan-gp` plugin's training phase with the grid's published recipe
 * (`publishedConv`) — the §4.4 photon networks on the ILD 30×30×30 grid (`ild-ecal`: batch 50, a
 * generator update every 5 critic updates, λ 5, the energy constrainer) or the §4.5 pion networks
 * with the ResNet critic on the 48×25×25 grid (`ild-hcal`: batch 100, every 10, λ 25) — through core's engine (`runPhase`, as `calozoo train
 * wgan-gp` runs it), and on a PyTorch mirror of the same updates with the same weights and showers
 * (tools/wgan-reference/train_torch.py, its networks checked against TF.js's outputs first). One
 * step = one batch of real showers: a critic update with gradient penalty, a constrainer update
 * and, every `criticIterations` steps, a generator update (the published loop).
 *
 *   npx nx run @calozoo/wgan:build
 *   cd packages/wgan && npm run bench:train -- [--geometries ild-ecal,ild-hcal] [--steps N] \
 *     [--warmup N] [--threads 2] [--no-torch] [--torch-policies default,passive] [--out DIR] [--no-write]
 *
 * --steps and --warmup default to 2 and 1 generator cycles (criticIterations steps each). Speed
 * does not depend on the weight values: an untrained model (the published initialisation) is timed
 * on simulated showers. TF.js runs first, then the mirror with libgomp's default wait policy and with
 * PASSIVE (the faster kept), so compare the ratios of one run. Writes bench/TRAINING.md unless --no-write.
 */
import { promises as fs } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPeak } from '../../../tools/bench-native/cpu-peak.mjs';
import { benchArgs, fmt } from '../../../tools/bench-native/generate-bench.mjs';
import { benchData, checkLine, runTrainMirror, timePhase, toWrite, trainTable, trainingRows } from '../../../tools/bench-native/train-bench.mjs';
import { Rng, gatherRows, getGeometry, namedValues, selectTfBackend, tf, writeSafetensors } from '@calozoo/core';
import { buildNetworks, convLayout, publishedConv } from '../dist/index.js';
import { uniformNoise, wganPhase } from '../dist/training.js';

const { args, opt, flag } = benchArgs();
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..', '..');
const GEOMETRIES = opt('geometries', 'ild-ecal,ild-hcal').split(',').filter(Boolean);
const THREADS = Number(opt('threads', 2));
// PyTorch's OpenMP wait policies to try (the faster is kept): both by default; `passive` alone halves the mirror's time.
const POLICIES = opt('torch-policies', 'default,passive').split(',').filter(Boolean);
const OUT = opt('out', undefined) ?? (await fs.mkdtemp(path.join(tmpdir(), 'wgan-train-bench-')));
const CHECK_N = 3;
const PEAK = cpuPeak();
const log = (...a) => console.error(...a);

const backend = await selectTfBackend({ threads: THREADS });
const load0 = loadavg()[0];
const rowsOut = [];
const notes = [];
for (const id of GEOMETRIES) {
  const geometry = getGeometry(id);
  // The published recipe (the 30³ default is a CPU recipe with critic features the mirror does not have).
  const config = publishedConv(geometry);
  if (!config) throw new Error(`${id}: no published conv recipe (ILD grids only)`);
  const every = config.criticIterations;
  const steps = Number(opt('steps', 2 * every));
  const warmup = Number(opt('warmup', every));
  if (steps % every || warmup % every) throw new Error(`--steps and --warmup must be multiples of criticIterations (${every}) so that each timed window holds whole generator cycles`);
  const B = config.batchSize;
  const rows = B * (warmup + steps);
  const out = path.join(OUT, id);
  log(`${id}: simulating ${rows + 1} showers`);
  const data = await benchData(geometry, config, rows);
  const nets = buildNetworks(config, geometry);
  // Untrained, the constrainer's ReLU output is 0 for every shower; a positive output bias makes the check compare numbers.
  nets.constrainer?.variables()['net.fc1.bias'].assign(tf.fill([1], 0.3));

  // The weights and a check for the mirror, before training changes them.
  for (const [name, net] of Object.entries({ generator: nets.generator, critic: nets.critic, constrainer: nets.constrainer })) {
    if (net) await writeSafetensors(path.join(out, 'weights', `${name}.safetensors`), namedValues(net.variables()));
  }
  const check = tf.tidy(() => {
    const { x, c } = gatherRows(data, data.trainRows.subarray(0, CHECK_N));
    const z = tf.tensor2d(uniformNoise(new Rng(7), CHECK_N, config.latentDim), [CHECK_N, config.latentDim]);
    const fake = nets.generator.apply(z, c);
    const t = { x, c, z, generator: fake, critic: nets.critic.apply(x, c), criticFake: nets.critic.apply(fake, c), ...(nets.constrainer ? { constrainer: nets.constrainer.apply(x) } : {}) };
    return toWrite(t);
  });
  await writeSafetensors(path.join(out, 'check.safetensors'), { ...check, ...trainingRows(data) });
  await fs.writeFile(path.join(out, 'config.json'), JSON.stringify({ ...config, geometry: id, layout: convLayout(geometry), preprocessing: data.repr.constants }, null, 2));

  const phase = wganPhase(nets, config, data, geometry, { seed: 1 });
  const tfjs = await timePhase(phase, { trainRows: data.trainRows, batch: B, warmup });
  phase.release();
  log(`${id}: TF.js ${backend.chosen} ${fmt(tfjs.showersPerSecond)} showers/s (${fmt(tfjs.secondsPerStep)} s/step over ${tfjs.steps} steps)`);
  for (const n of Object.values(nets)) n?.dispose();
  const torch = flag('no-torch') ? { stages: {}, check: null } : runTrainMirror({ script: path.join(ROOT, 'tools', 'wgan-reference', 'train_torch.py'), out, threads: THREADS, steps, warmup, stages: ['wgan'], policies: POLICIES });
  const t = torch.stages['wgan'];
  const slices = config.criticSliceRows > 0 ? ` (critic in slices of ${config.criticSliceRows})` : '';
  const critic = config.conv.critic === 'resnet' ? ', ResNet critic' : '';
  rowsOut.push({ label: `${id} (${convLayout(geometry)}${critic}): batch ${B}${slices}, critic + constrainer every step, generator every ${every}, λ ${config.gradientPenalty}`, tfjs, ...(t ? { torch: t } : {}) });
  notes.push(`- \`${id}\`: ${warmup} warm-up and ${steps} timed steps${t ? `; PyTorch's wait policies ${Object.entries(t.policies).map(([p, v]) => `${p} ${fmt(v)}`).join(', ')} showers/s` : ''}${torch.check ? `; mirror check (same weights and inputs, max |Δ| of max |y|): ${checkLine(torch.check)}` : ''}.`);
}
const load1 = loadavg()[0];
const command = `cd packages/wgan && npm run bench:train -- ${args.join(' ')}`.trim();
const text = [
  '# WGAN-GP conv training: showers per second',
  '',
  `- Date: ${new Date().toISOString()}`,
  `- Machine: ${PEAK.model}, ${PEAK.text}; 1-min load average ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end`,
  `- Command: \`${command}\` (${THREADS} threads for both: native TensorFlow intra-op, torch.set_num_threads)`,
  '- Model: untrained `wgan-gp` with the grid\'s published recipe (`publishedConv`: the published networks, the ResNet critic on 48×25×25, and initialisation); simulated showers.',
  '- Protocol: TF.js through core\'s engine (`runPhase`, as `calozoo train`); PyTorch 1.13 through `tools/wgan-reference/train_torch.py` (Adam, the same losses and update order, the same weights and showers) at its faster OpenMP wait policy. A step is one batch of real showers.',
  ...notes,
  '',
  ...trainTable(rowsOut),
  '',
];
console.log(text.join('\n'));
await fs.writeFile(path.join(OUT, 'results.json'), JSON.stringify({ rows: rowsOut, load0, load1, backend: backend.chosen }, null, 2));
if (!flag('no-write')) await fs.writeFile(path.join(HERE, 'TRAINING.md'), text.join('\n'));
