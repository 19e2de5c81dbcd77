/**
 * `calozoo demo`, the README's main job: simulate a dataset-1-photon reference sample with the
 * built-in simulator, generate the same incident energies with every shipped trained model
 * (CaloMan, the WGAN-GP, …; or one given model directory), evaluate all against the reference in
 * one pass over it, print the side-by-side table and write the HTML report.
 */
import type { Command } from 'commander';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { getGeometry, listPretrained, loadModel, readModelConfig, selectTfBackend, type ModelDirConfig } from '@calozoo/core';
import { simulateToFile } from '@calozoo/simulator';
import { evaluateMany, formatComparison, type ComparisonRow } from '@calozoo/metrics';
import { UsageError } from '../exit-codes.js';
import { commandLine, parsePositiveInt, parseSeed, type CliContext } from '../context.js';
import { loadPlugins } from '../plugins.js';
import { readingProgress, writeSideBySide } from '../side-by-side.js';
import { CLI_VERSION } from '../version.js';
import { conditionsFromFlags, generateToFile } from './generate.js';

/** The shipped dataset-1-photon models of the registered plugins, CaloMan's first. */
function shippedModels(): { plugin: string; dir: string }[] {
  const all = listPretrained().filter((p) => p.name === 'ds1-photons');
  return [...all.filter((p) => p.plugin === 'caloman'), ...all.filter((p) => p.plugin !== 'caloman')];
}

interface DemoFlags {
  n: number;
  seed: number;
  model?: string;
  out: string;
  work: string;
}

/** Registers the `demo` command. */
export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('the main job: simulate dataset-1 photons, generate as many with every shipped model, evaluate them side by side, write the report')
    .option('--n <count>', 'showers to simulate and to generate per model', parsePositiveInt('--n'), 10_000)
    .option('--seed <n>', 'seed of simulation and generation', parseSeed, 1)
    .option('--model <dir>', 'one model directory to use instead of the shipped models')
    .option('--out <dir>', 'report directory', 'calozoo-report')
    .option('--work <dir>', 'where the HDF5 files go', path.join('data', 'demo'))
    .addHelpText('after', '\nExample:\n  calozoo demo\n  calozoo demo --n 50000 --out report-50k')
    .action(async (flags: DemoFlags, cmd: Command) => {
      const out = ctx.output(cmd);
      await loadPlugins(cmd.optsWithGlobals().plugin ?? []);
      const dirs = flags.model ? [flags.model] : shippedModels().map((m) => m.dir);
      if (dirs.length === 0) {
        throw new UsageError(
          'no trained model: neither @calozoo/caloman nor @calozoo/wgan with their shipped models/ds1-photons is installed. Train one with\n' +
            '  calozoo simulate --geometry ds1-photons --n 50000 --out data/train.h5\n  calozoo train caloman --data data/train.h5 --out models/caloman\n' +
            'and run `calozoo demo --model models/caloman`.',
        );
      }
      const configs: ModelDirConfig[] = [];
      for (const d of dirs) configs.push(await readModelConfig(d));
      const geometry = getGeometry(configs[0]!.geometry);
      for (let i = 1; i < configs.length; i++) {
        if (configs[i]!.geometry !== geometry.id) throw new UsageError(`${dirs[i]} is a ${configs[i]!.geometry} model, ${dirs[0]} a ${geometry.id} one: the demo compares models of one geometry`);
      }
      await fs.mkdir(flags.work, { recursive: true });
      const reference = path.join(flags.work, `reference-${geometry.id}.h5`);
      const t0 = Date.now();

      let bar = out.progress('1/3 simulate', flags.n);
      await simulateToFile(reference, geometry, { n: flags.n, seed: flags.seed, signal: ctx.signal, onProgress: (d, t) => bar.update(d, t) });
      bar.stop();
      const tSim = (Date.now() - t0) / 1000;

      const device = await selectTfBackend();
      out.log(`models: ${configs.map((c, i) => `${c.plugin} ${c.pluginVersion} (${dirs[i]})`).join(', ')}; ${geometry.id}; TensorFlow.js backend: ${device.chosen}`);
      const conditions = await conditionsFromFlags({ like: reference, seed: flags.seed, out: '' });
      const names = configs.map((c) => c.plugin);
      const generated = names.map((name) => path.join(flags.work, `generated-${name}.h5`));
      const generateSeconds: number[] = [];
      for (let i = 0; i < dirs.length; i++) {
        const model = await loadModel(dirs[i]!, { logger: out.logger() });
        bar = out.progress(`2/3 generate ${names[i]}`, flags.n);
        const t1 = Date.now();
        try {
          await generateToFile(model, conditions, {
            out: generated[i]!,
            seed: flags.seed + 1,
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

      bar = out.progress('3/3 evaluate', undefined, 'showers');
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
      const extra: ComparisonRow[] = [{ label: 'ms/shower (this run)', values: generateSeconds.map((s) => (1000 * s) / flags.n), digits: 3 }];
      const { rows, json: tableJson } = await writeSideBySide(outputs, names, flags.out, extra, commandLine(ctx));
      const tEval = (Date.now() - t2) / 1000;
      const total = (Date.now() - t0) / 1000;
      out.result(
        {
          models: names.map((name, i) => ({ name, dir: dirs[i], generated: generated[i], generateSeconds: generateSeconds[i] })),
          table: tableJson,
          results: outputs.map((o) => o.result),
          report: path.join(flags.out, 'index.html'),
          seconds: { simulate: tSim, generate: generateSeconds.reduce((a, b) => a + b, 0), evaluate: tEval, total },
        },
        () =>
          [
            `${flags.n} simulated ${geometry.id} showers (the reference) and as many from each model:`,
            '',
            formatComparison(names, rows),
            '',
            `simulate ${tSim.toFixed(1)} s, generate ${generateSeconds.map((s, i) => `${names[i]} ${s.toFixed(1)} s`).join(', ')}, evaluate ${tEval.toFixed(1)} s; total ${total.toFixed(1)} s`,
            `report: ${path.join(flags.out, 'index.html')} (one report per model in ${flags.out}/<model>/)`,
          ].join('\n'),
      );
    });
}
