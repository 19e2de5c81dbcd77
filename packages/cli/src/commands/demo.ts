/**
 * `calozoo demo`, the README's main job: simulate a dataset-1-photon reference sample with the
 * built-in simulator, generate the same incident energies with every shipped trained model
 * (CaloMan, the WGAN-GP, …; or one given model directory), evaluate all against the reference in
 * one pass over it, print the side-by-side table and write the HTML report; then the same on the
 * ILD 30³ photon grid with the shipped models of that grid (the conv models).
 */
import type { Command } from 'commander';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { getGeometry, listPretrained, loadModel, readModelConfig, selectTfBackend, type ModelDirConfig } from '@calozoo/core';
import { simulateToFile } from '@calozoo/simulator';
import { evaluateMany, formatComparison, type ComparisonRow } from '@calozoo/metrics';
import { UsageError } from '../exit-codes.js';
import { commandLine, parseCount, parsePositiveInt, parseSeed, type CliContext } from '../context.js';
import { loadPlugins } from '../plugins.js';
import { readingProgress, writeSideBySide } from '../side-by-side.js';
import { CLI_VERSION } from '../version.js';
import { conditionsFromFlags, generateToFile } from './generate.js';

/** The shipped models of the registered plugins named after `geometry` (`ds1-photons`, `ild-ecal`), CaloMan's first. */
function shippedModels(geometry: string): { plugin: string; dir: string }[] {
  const all = listPretrained().filter((p) => p.name === geometry);
  return [...all.filter((p) => p.plugin === 'caloman'), ...all.filter((p) => p.plugin !== 'caloman')];
}

interface DemoFlags {
  n: number;
  ildN: number;
  seed: number;
  model?: string;
  out: string;
  work: string;
}

/** What one pass of the demo (one geometry) did: for `--json` and the printed summary. */
interface DemoPass {
  geometry: string;
  n: number;
  models: { name: string; dir: string; generated: string; generateSeconds: number }[];
  table: Record<string, string | number | null>[];
  results: unknown[];
  report: string;
  seconds: { simulate: number; generate: number; evaluate: number; total: number };
  text: string;
}

/**
 * One pass: simulates `n` showers of the models' geometry (the reference), generates their
 * conditions with every model in `dirs`, evaluates all in one pass over the reference and writes
 * the side-by-side report into `reportDir`.
 */
async function demoPass(ctx: CliContext, cmd: Command, dirs: readonly string[], n: number, seed: number, reportDir: string, work: string): Promise<DemoPass> {
  const out = ctx.output(cmd);
  const configs: ModelDirConfig[] = [];
  for (const d of dirs) configs.push(await readModelConfig(d));
  const geometry = getGeometry(configs[0]!.geometry);
  for (let i = 1; i < configs.length; i++) {
    if (configs[i]!.geometry !== geometry.id) throw new UsageError(`${dirs[i]} is a ${configs[i]!.geometry} model, ${dirs[0]} a ${geometry.id} one: the demo compares models of one geometry`);
  }
  await fs.mkdir(work, { recursive: true });
  const reference = path.join(work, `reference-${geometry.id}.h5`);
  const t0 = Date.now();

  let bar = out.progress(`1/3 simulate ${geometry.id}`, n);
  await simulateToFile(reference, geometry, { n, seed, signal: ctx.signal, onProgress: (d, t) => bar.update(d, t) });
  bar.stop();
  const tSim = (Date.now() - t0) / 1000;

  const device = await selectTfBackend();
  out.log(`models: ${configs.map((c, i) => `${c.plugin} ${c.pluginVersion} (${dirs[i]})`).join(', ')}; ${geometry.id}; TensorFlow.js backend: ${device.chosen}`);
  const conditions = await conditionsFromFlags({ like: reference, seed, out: '' });
  const names = configs.map((c) => c.plugin);
  const generated = names.map((name) => path.join(work, `generated-${geometry.id}-${name}.h5`));
  const generateSeconds: number[] = [];
  for (let i = 0; i < dirs.length; i++) {
    const model = await loadModel(dirs[i]!, { logger: out.logger() });
    bar = out.progress(`2/3 generate ${names[i]}`, n);
    const t1 = Date.now();
    try {
      await generateToFile(model, conditions, {
        out: generated[i]!,
        seed: seed + 1,
        geometry,
        generatorName: `${configs[i]!.plugin}@${configs[i]!.pluginVersion}`,
        attributes: { model: dirs[i]! },
        signal: ctx.signal,
        onProgress: (d, t) => bar.update(d, t),
      });
    } finally {
      bar.stop();
      model.dispose();
    }
    generateSeconds.push((Date.now() - t1) / 1000);
  }

  bar = out.progress(`3/3 evaluate ${geometry.id}`, undefined, 'showers');
  const t2 = Date.now();
  const outputs = await evaluateMany({
    reference,
    referenceLabel: 'simulator',
    generated: names.map((label, i) => ({ label, source: generated[i]! })),
    geometry,
    provenance: { commandLine: commandLine(ctx), versions: { '@calozoo/cli': CLI_VERSION } },
    onSampleProgress: readingProgress(bar, names, ctx.signal),
  });
  bar.stop();
  const extra: ComparisonRow[] = [{ label: 'ms/shower (this run)', values: generateSeconds.map((s) => (1000 * s) / n), digits: 3 }];
  const { rows, json: table } = await writeSideBySide(outputs, names, reportDir, extra, commandLine(ctx));
  const tEval = (Date.now() - t2) / 1000;
  const total = (Date.now() - t0) / 1000;
  const report = path.join(reportDir, 'index.html');
  return {
    geometry: geometry.id,
    n,
    models: names.map((name, i) => ({ name, dir: dirs[i]!, generated: generated[i]!, generateSeconds: generateSeconds[i]! })),
    table,
    results: outputs.map((o) => o.result),
    report,
    seconds: { simulate: tSim, generate: generateSeconds.reduce((a, b) => a + b, 0), evaluate: tEval, total },
    text: [
      `${n} simulated ${geometry.id} showers (the reference) and as many from each model:`,
      '',
      formatComparison(names, rows),
      '',
      `simulate ${tSim.toFixed(1)} s, generate ${generateSeconds.map((s, i) => `${names[i]} ${s.toFixed(1)} s`).join(', ')}, evaluate ${tEval.toFixed(1)} s; total ${total.toFixed(1)} s`,
      `report: ${report} (one report per model in ${reportDir}/<model>/)`,
    ].join('\n'),
  };
}

/** Registers the `demo` command. */
export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('the main job: simulate dataset-1 photons (and ILD 30³ photons), generate as many with every shipped model, evaluate them side by side, write the reports')
    .option('--n <count>', 'dataset-1 photon showers to simulate and to generate per model', parsePositiveInt('--n'), 10_000)
    .option('--ild-n <count>', 'ILD 30³ photon showers for the shipped models of that grid (0: skip that pass)', parseCount('--ild-n'), 1_000)
    .option('--seed <n>', 'seed of simulation and generation', parseSeed, 1)
    .option('--model <dir>', 'one model directory to use instead of the shipped models (one pass, on its geometry)')
    .option('--out <dir>', 'report directory (the ILD 30³ pass in <dir>/ild-ecal)', 'calozoo-report')
    .option('--work <dir>', 'where the HDF5 files go', path.join('data', 'demo'))
    .addHelpText('after', '\nExample:\n  calozoo demo\n  calozoo demo --n 50000 --ild-n 0 --out report-50k')
    .action(async (flags: DemoFlags, cmd: Command) => {
      const out = ctx.output(cmd);
      await loadPlugins(cmd.optsWithGlobals().plugin ?? []);
      const dirs = flags.model ? [flags.model] : shippedModels('ds1-photons').map((m) => m.dir);
      if (dirs.length === 0) {
        throw new UsageError(
          'no trained model: neither @calozoo/caloman nor @calozoo/wgan with their shipped models/ds1-photons is installed. Train one with\n' +
            '  calozoo simulate --geometry ds1-photons --n 50000 --out data/train.h5\n  calozoo train caloman --data data/train.h5 --out models/caloman\n' +
            'and run `calozoo demo --model models/caloman`.',
        );
      }
      const t0 = Date.now();
      const main = await demoPass(ctx, cmd, dirs, flags.n, flags.seed, flags.out, flags.work);
      const grid = flags.model || flags.ildN === 0 ? [] : shippedModels('ild-ecal').map((m) => m.dir);
      const ild = grid.length > 0 ? await demoPass(ctx, cmd, grid, flags.ildN, flags.seed, path.join(flags.out, 'ild-ecal'), flags.work) : undefined;
      const total = (Date.now() - t0) / 1000;
      const json = (p: DemoPass) => {
        const { text: _text, ...rest } = p;
        return rest;
      };
      out.result({ ...json(main), ...(ild ? { ild: json(ild) } : {}), totalSeconds: total }, () =>
        [main.text, ...(ild ? ['', ild.text] : []), ...(ild ? ['', `demo total ${total.toFixed(1)} s`] : [])].join('\n'),
      );
    });
}
