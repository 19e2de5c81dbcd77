/**
 * `calozoo demo`, the README's main job: simulate a dataset-1-photon reference sample with the
 * built-in simulator, generate the same number of showers with the shipped trained CaloMan
 * model, evaluate them, print the table and write the HTML report.
 */
import type { Command } from 'commander';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { getGeometry, listPretrained, loadModel, readModelConfig, selectTfBackend } from '@calozoo/core';
import { simulateToFile } from '@calozoo/simulator';
import { evaluate, formatTable } from '@calozoo/metrics';
import { UsageError } from '../exit-codes.js';
import { commandLine, parsePositiveInt, parseSeed, type CliContext } from '../context.js';
import { loadPlugins } from '../plugins.js';
import { CLI_VERSION } from '../version.js';
import { conditionsFromFlags, generateToFile } from './generate.js';

/** The shipped dataset-1-photon model of a registered plugin (CaloMan's when installed), or null. */
function shippedModelDir(): string | null {
  const all = listPretrained().filter((p) => p.name === 'ds1-photons');
  return (all.find((p) => p.plugin === 'caloman') ?? all[0])?.dir ?? null;
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
    .description('the main job: simulate dataset-1 photons, generate as many with the shipped CaloMan model, evaluate, write the report')
    .option('--n <count>', 'showers to simulate and to generate', parsePositiveInt('--n'), 10_000)
    .option('--seed <n>', 'seed of simulation and generation', parseSeed, 1)
    .option('--model <dir>', 'model directory to use instead of the shipped CaloMan model')
    .option('--out <dir>', 'report directory', 'calozoo-report')
    .option('--work <dir>', 'where the HDF5 files go', path.join('data', 'demo'))
    .addHelpText('after', '\nExample:\n  calozoo demo\n  calozoo demo --n 50000 --out report-50k')
    .action(async (flags: DemoFlags, cmd: Command) => {
      const out = ctx.output(cmd);
      await loadPlugins(cmd.optsWithGlobals().plugin ?? []);
      const modelDir = flags.model ?? shippedModelDir();
      if (!modelDir) {
        throw new UsageError(
          'no trained model: @calozoo/caloman with its shipped models/ds1-photons is not installed. Train one with\n' +
            '  calozoo simulate --geometry ds1-photons --n 50000 --out data/train.h5\n  calozoo train caloman --data data/train.h5 --out models/caloman\n' +
            'and run `calozoo demo --model models/caloman`.',
        );
      }
      const cfg = await readModelConfig(modelDir);
      const geometry = getGeometry(cfg.geometry);
      await fs.mkdir(flags.work, { recursive: true });
      const reference = path.join(flags.work, `reference-${geometry.id}.h5`);
      const generated = path.join(flags.work, `generated-${cfg.plugin}.h5`);
      const t0 = Date.now();

      let bar = out.progress('1/3 simulate', flags.n);
      await simulateToFile(reference, geometry, { n: flags.n, seed: flags.seed, signal: ctx.signal, onProgress: (d, t) => bar.update(d, t) });
      bar.stop();
      const tSim = (Date.now() - t0) / 1000;

      const device = await selectTfBackend();
      out.log(`model: ${modelDir} (${cfg.plugin} ${cfg.pluginVersion}, ${geometry.id}); TensorFlow.js backend: ${device.chosen}`);
      const model = await loadModel(modelDir, { logger: out.logger() });
      const conditions = await conditionsFromFlags({ like: reference, seed: flags.seed, out: generated });
      bar = out.progress('2/3 generate', flags.n);
      const t1 = Date.now();
      try {
        await generateToFile(model, conditions, {
          out: generated,
          seed: flags.seed + 1,
          geometry,
          generatorName: `${cfg.plugin}@${cfg.pluginVersion}`,
          signal: ctx.signal,
          onProgress: (d, t) => bar.update(d, t),
        });
      } finally {
        bar.stop();
        model.dispose();
      }
      const tGen = (Date.now() - t1) / 1000;

      bar = out.progress('3/3 evaluate', undefined, 'showers');
      const t2 = Date.now();
      const { result } = await evaluate({
        reference,
        generated,
        geometry,
        outDir: flags.out,
        labels: { reference: 'simulator', generated: cfg.plugin },
        provenance: { commandLine: commandLine(ctx), versions: { '@calozoo/cli': CLI_VERSION } },
        onProgress: (p) => {
          ctx.signal.throwIfAborted();
          bar.update(p.done, p.total, p.stage);
        },
      });
      bar.stop();
      const tEval = (Date.now() - t2) / 1000;
      const total = (Date.now() - t0) / 1000;
      out.result(
        { result, report: path.join(flags.out, 'index.html'), seconds: { simulate: tSim, generate: tGen, evaluate: tEval, total }, msPerShower: (1000 * tGen) / flags.n },
        () =>
          [
            formatTable(result),
            '',
            `simulate ${tSim.toFixed(1)} s, generate ${tGen.toFixed(1)} s (${((1000 * tGen) / flags.n).toFixed(3)} ms/shower), evaluate ${tEval.toFixed(1)} s; total ${total.toFixed(1)} s`,
            `report: ${path.join(flags.out, 'index.html')}`,
          ].join('\n'),
      );
    });
}
