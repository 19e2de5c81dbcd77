/**
 * `calozoo compare`: several architectures side by side on one dataset. Each model is trained
 * (or its shipped weights loaded), generates the reference's conditions, and all are evaluated
 * against the same reference in one pass over it; one table (every summary metric, generation
 * speed at several batch sizes, parameters, training time) as text, JSON and an HTML report with
 * every model overlaid on the reference (and one report per model).
 * Resumable: a model already trained, generated or benchmarked in --out is reused.
 */
import type { Command } from 'commander';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  getModel,
  listPretrained,
  loadModel,
  openSafetensors,
  openShowerFile,
  readJson,
  readModelConfig,
  selectTfBackend,
  writeJsonAtomic,
  type Geometry,
} from '@calozoo/core';
import { ALL_EVAL_MODES, evaluateMany, formatComparison, type ComparisonRow, type EvalMode } from '@calozoo/metrics';
import { UsageError } from '../exit-codes.js';
import { commandLine, parseDuration, parseNumberList, parseOutputDir, parsePositiveInt, parseSeed, type CliContext } from '../context.js';
import { resolveFileGeometry } from '../file-geometry.js';
import type { Output } from '../output.js';
import { loadPlugins } from '../plugins.js';
import { readingProgress, writeSideBySide } from '../side-by-side.js';
import { CLI_VERSION } from '../version.js';
import { benchGenerate, type BenchRow } from './bench.js';
import { conditionsFromFlags, generateToFile } from './generate.js';
import { trainModelDir } from './train.js';

interface CompareFlags {
  reference: string;
  data?: string;
  models: string;
  pretrained?: boolean;
  trainTime: number;
  out: string;
  seed: number;
  n?: number;
  modes?: string;
  benchBatch: number[];
  benchSeconds: number;
}

/** What `compare` knows about one model, kept in `<out>/models/<name>.json` between runs. */
interface ComparedModel {
  /** Plugin name, the column's label. */
  name: string;
  /** Model directory (shipped or trained under --out). */
  dir: string;
  /** Whether the weights are the package's shipped ones. */
  pretrained: boolean;
  /** Trainable values in all the model's weight files. */
  parameters: number;
  /** Seconds the model trained (from its training.json), when recorded. */
  trainingSeconds: number | null;
  /** Generated file (the reference's conditions). */
  generated: string;
  /** Seconds to generate that file, ms per shower. */
  generateMsPerShower: number;
  /** Generation speed on ONNX Runtime per batch size. */
  bench: BenchRow[];
}

/** Number of values in every safetensors file of the model's components. */
async function countParameters(dir: string): Promise<number> {
  const cfg = await readModelConfig(dir);
  let total = 0;
  for (const folder of Object.values(cfg.components)) {
    const root = path.join(dir, folder);
    const files = (await fs.readdir(root, { recursive: true })).filter((f) => f.endsWith('.safetensors'));
    for (const f of files) {
      // The header alone gives the shapes: no weight is read.
      const { tensors } = openSafetensors(path.join(root, f));
      for (const t of Object.values(tensors)) total += t.shape.reduce((a, b) => a * b, 1);
    }
  }
  return total;
}

/** The shipped model of `plugin` for `geometry`, or undefined. */
async function shippedFor(plugin: string, geometry: Geometry): Promise<string | undefined> {
  for (const p of listPretrained().filter((m) => m.plugin === plugin)) {
    const cfg = await readModelConfig(p.dir).catch(() => null);
    if (cfg?.geometry === geometry.id) return p.dir;
  }
  return undefined;
}

/** Trains (or reuses, or resumes) one model under `<out>/models/<name>`; returns its directory. */
async function trainedModel(ctx: CliContext, out: Output, name: string, f: CompareFlags, plugins: readonly string[]): Promise<string | undefined> {
  const dir = path.join(f.out, 'models', name);
  if (existsSync(path.join(dir, 'training.json')) && existsSync(path.join(dir, 'config.json'))) {
    out.log(`${name}: trained model found in ${dir}, reused`);
    return dir;
  }
  const resume = existsSync(path.join(dir, 'checkpoints', 'config.json'));
  out.log(`${name}: ${resume ? 'resuming' : 'training'} on ${f.data} for up to ${Math.round(f.trainTime)} s → ${dir}`);
  const outcome = await trainModelDir(ctx, out, name, { data: f.data!, out: dir, time: f.trainTime, seed: f.seed, resume }, plugins);
  return outcome ? dir : undefined;
}

/** The table's rows after the metrics: generation speed, size and training time. */
function extraRows(models: readonly ComparedModel[], batches: readonly number[]): ComparisonRow[] {
  const extra: ComparisonRow[] = batches.map((b) => ({ label: `ms/shower, batch ${b}`, values: models.map((m) => m.bench.find((r) => r.batch === b)?.msPerShower ?? null), digits: 3 }));
  extra.push({ label: 'parameters', values: models.map((m) => m.parameters), digits: 0 });
  extra.push({ label: 'training s', values: models.map((m) => m.trainingSeconds), digits: 0 });
  return extra;
}

/** Registers the `compare` command. */
export function registerCompare(program: Command, ctx: CliContext): void {
  program
    .command('compare')
    .description('train (or load the shipped weights of) several models, generate the reference conditions, evaluate all against one reference: one side-by-side table')
    .requiredOption('--reference <file>', 'reference HDF5 file (its incident energies are generated; all models are scored against it)')
    .requiredOption('--models <list>', 'comma-separated plugin names, e.g. caloman,wgan-gp,gan')
    .option('--data <file>', 'training HDF5 file (needed unless --pretrained)')
    .option('--pretrained', "use each plugin's shipped trained model for the reference's geometry instead of training")
    .option('--train-time <duration>', 'training time per model', parseDuration('--train-time'), 20 * 60)
    .option('--out <dir>', 'working and output directory (models, generated files, table, reports)', parseOutputDir('--out'), 'calozoo-compare')
    .option('--seed <n>', 'seed of training and generation', parseSeed, 1)
    .option('--n <count>', 'compare on the first n reference showers only', parsePositiveInt('--n'))
    .option('--modes <list>', `evaluation modes (${ALL_EVAL_MODES.join(', ')})`, 'hist-chi,fpd,kpd')
    .option('--bench-batch <list>', 'batch sizes of the generation benchmark', parseNumberList('--bench-batch'), [1, 100, 10_000])
    .option('--bench-seconds <s>', 'seconds of timed calls per batch size', (v) => {
      const x = Number(v);
      if (!(x > 0)) throw new UsageError(`--bench-seconds must be positive, got "${v}"`);
      return x;
    }, 2)
    .addHelpText(
      'after',
      '\nExample:\n  calozoo compare --reference test.h5 --models caloman,wgan-gp --pretrained --out compare\n  calozoo compare --data train.h5 --reference test.h5 --models caloman,wgan-gp,gan --train-time 20m --out compare',
    )
    .action(async (flags: CompareFlags, cmd: Command) => {
      const out = ctx.output(cmd);
      const plugins = (cmd.optsWithGlobals().plugin ?? []) as string[];
      await loadPlugins(plugins);
      const names = flags.models.split(',').map((s) => s.trim()).filter(Boolean);
      if (names.length === 0) throw new UsageError('--models: give at least one plugin name');
      if (new Set(names).size !== names.length) throw new UsageError(`--models: a name is repeated in "${flags.models}"`);
      for (const n of names) getModel(n); // names what is installed when one is not
      if (!flags.pretrained && !flags.data) throw new UsageError('give --data train.h5 to train the models, or --pretrained to use their shipped weights');
      const modes = (flags.modes ?? '').split(',').map((s) => s.trim()).filter(Boolean) as EvalMode[];
      for (const m of modes) if (!ALL_EVAL_MODES.includes(m)) throw new UsageError(`--modes: unknown mode "${m}"; known: ${ALL_EVAL_MODES.join(', ')}`);

      const ref = await openShowerFile(flags.reference);
      let geometry: Geometry;
      try {
        geometry = resolveFileGeometry(ref);
      } finally {
        ref.close();
      }
      const conditions = await conditionsFromFlags({ like: flags.reference, n: flags.n, seed: flags.seed, out: '' });
      const n = conditions.energy.length;
      await fs.mkdir(path.join(flags.out, 'models'), { recursive: true });
      await fs.mkdir(path.join(flags.out, 'generated'), { recursive: true });

      const models: ComparedModel[] = [];
      for (const name of names) {
        const record = path.join(flags.out, 'models', `${name}.json`);
        if (existsSync(record)) {
          const m = await readJson<ComparedModel>(record);
          if (existsSync(m.generated) && m.pretrained === !!flags.pretrained && flags.benchBatch.every((b) => m.bench.some((r) => r.batch === b))) {
            out.log(`${name}: generated and benchmarked before (${record}), reused`);
            models.push(m);
            continue;
          }
        }
        let dir: string | undefined;
        if (flags.pretrained) {
          dir = await shippedFor(name, geometry);
          if (!dir) throw new UsageError(`${name} ships no trained model for ${geometry.id}; train it with --data train.h5 instead of --pretrained`);
        } else {
          dir = await trainedModel(ctx, out, name, flags, plugins);
          if (!dir) return; // interrupted: the checkpoint and the resume command were printed
        }
        const cfg = await readModelConfig(dir);
        if (cfg.geometry !== geometry.id) throw new UsageError(`${dir} was trained on ${cfg.geometry}, the reference ${flags.reference} is ${geometry.id}`);
        await selectTfBackend();
        const model = await loadModel(dir, { logger: out.logger() });
        const generated = path.join(flags.out, 'generated', `${name}.h5`);
        try {
          const bar = out.progress(`generate ${name}`, n, 'showers');
          const t0 = performance.now();
          try {
            await generateToFile(model, conditions, {
              out: generated,
              seed: flags.seed,
              signal: ctx.signal,
              geometry,
              generatorName: `${cfg.plugin}@${cfg.pluginVersion}`,
              attributes: { model: dir },
              onProgress: (done, total) => bar.update(done, total),
            });
          } finally {
            bar.stop();
          }
          const generateMsPerShower = (performance.now() - t0) / n;
          out.log(`${name}: ${n} showers in ${((generateMsPerShower * n) / 1000).toFixed(1)} s; timing ONNX Runtime at batch ${flags.benchBatch.join(', ')}`);
          const bench = await benchGenerate(model, { batches: flags.benchBatch, runtimes: ['onnx'], seconds: flags.benchSeconds, signal: ctx.signal });
          // training.json as `calozoo train` writes it, else the summary in config.json's `training`.
          const training = existsSync(path.join(dir, 'training.json')) ? await readJson<{ seconds?: unknown }>(path.join(dir, 'training.json')) : (cfg.training ?? {});
          const m: ComparedModel = {
            name,
            dir,
            pretrained: !!flags.pretrained,
            parameters: await countParameters(dir),
            trainingSeconds: typeof training.seconds === 'number' ? training.seconds : null,
            generated,
            generateMsPerShower,
            bench,
          };
          await writeJsonAtomic(record, m);
          models.push(m);
        } finally {
          model.dispose();
        }
      }

      out.log(`evaluating ${models.length} model${models.length === 1 ? '' : 's'} against ${flags.reference} (one pass over it)`);
      const bar = out.progress('evaluate', undefined, 'showers');
      let outputs;
      try {
        outputs = await evaluateMany({
          reference: flags.reference,
          generated: models.map((m) => ({ label: m.name, source: m.generated })),
          geometry,
          modes,
          signal: ctx.signal,
          provenance: { commandLine: commandLine(ctx), versions: { '@calozoo/cli': CLI_VERSION } },
          onSampleProgress: readingProgress(bar, names),
        });
      } finally {
        bar.stop();
      }
      const results = outputs.map((o) => o.result);
      const reportDir = path.join(flags.out, 'report');
      const { rows, json: tableJson } = await writeSideBySide(outputs, names, reportDir, extraRows(models, flags.benchBatch), commandLine(ctx));
      const table = formatComparison(names, rows);
      const json = {
        reference: path.resolve(flags.reference),
        geometry: geometry.id,
        showers: n,
        seed: flags.seed,
        modes,
        models,
        table: tableJson,
        results,
      };
      await writeJsonAtomic(path.join(flags.out, 'compare.json'), json);
      await fs.writeFile(path.join(flags.out, 'compare.txt'), table + '\n');
      out.result(json, () => `${table}\n\n${n} showers of ${geometry.id}; table in ${path.join(flags.out, 'compare.txt')} and compare.json, side-by-side report ${path.join(reportDir, 'index.html')} (one report per model beside it)`);
    });
}
